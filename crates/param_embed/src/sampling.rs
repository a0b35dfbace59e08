//! How a phase draws its batches: shuffled chunks of the points, or UMAP's
//! edges drawn ∝ weight, each with uniformly drawn negatives.

use rand::seq::SliceRandom;
use rand::Rng;
use serde::Serialize;

use crate::relations::Sparse;
use crate::EmbedError;

/// The batch sampling of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sampling {
    /// Every epoch: the points shuffled, in chunks of `batch_size`.
    Standard,
    /// Every epoch: `batches_per_epoch` batches of `batch_size` edges of the
    /// graph, drawn with replacement ∝ weight, each with `negatives` random
    /// partners of target 0.
    NegativeEdges {
        batches_per_epoch: usize,
        negatives: usize,
    },
}

/// The points of one epoch in shuffled batches.
pub fn shuffled_batches<R: Rng>(n: usize, batch_size: usize, rng: &mut R) -> Vec<Vec<usize>> {
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(rng);
    perm.chunks(batch_size.max(1))
        .map(<[usize]>::to_vec)
        .collect()
}

/// Draws edges of a graph ∝ weight (cumulative weights + binary search).
#[derive(Debug, Clone)]
pub struct EdgeSampler {
    rows: Vec<usize>,
    cols: Vec<usize>,
    cumulative: Vec<f64>,
    n: usize,
}

/// Pairs of one negative-edge batch: (heads[k], tails[k]) with target[k]
/// (1 for an edge, 0 for a negative); (1 + negatives) · edges pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeBatch {
    pub heads: Vec<usize>,
    pub tails: Vec<usize>,
    pub target: Vec<f32>,
}

impl EdgeSampler {
    pub fn new(graph: &Sparse) -> Result<Self, EmbedError> {
        let (mut rows, mut cols, mut cumulative) = (Vec::new(), Vec::new(), Vec::new());
        let mut total = 0.0;
        for (i, j, w) in graph.triplets() {
            if w > 0.0 {
                total += w;
                rows.push(i);
                cols.push(j);
                cumulative.push(total);
            }
        }
        if rows.is_empty() {
            return Err(EmbedError::EmptyGraph);
        }
        Ok(EdgeSampler {
            rows,
            cols,
            cumulative,
            n: graph.n,
        })
    }

    /// One edge (i, j), drawn ∝ w_ij.
    pub fn edge<R: Rng>(&self, rng: &mut R) -> (usize, usize) {
        let total = self.cumulative[self.cumulative.len() - 1];
        let u = rng.gen::<f64>() * total;
        let k = self
            .cumulative
            .partition_point(|&c| c <= u)
            .min(self.rows.len() - 1);
        (self.rows[k], self.cols[k])
    }

    /// `edges` edges, each followed by `negatives` pairs (i, r), r uniform.
    pub fn batch<R: Rng>(&self, edges: usize, negatives: usize, rng: &mut R) -> EdgeBatch {
        let len = edges * (1 + negatives);
        let mut b = EdgeBatch {
            heads: Vec::with_capacity(len),
            tails: Vec::with_capacity(len),
            target: Vec::with_capacity(len),
        };
        for _ in 0..edges {
            let (i, j) = self.edge(rng);
            b.heads.push(i);
            b.tails.push(j);
            b.target.push(1.0);
            for _ in 0..negatives {
                b.heads.push(i);
                b.tails.push(rng.gen_range(0..self.n));
                b.target.push(0.0);
            }
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn shuffled_batches_cover_every_point_once() {
        let mut rng = StdRng::seed_from_u64(1);
        let b = shuffled_batches(10, 4, &mut rng);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<usize> = b.concat();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn negative_edge_batches_have_the_right_shape() {
        let g = Sparse::from_triplets(5, vec![(0, 1, 1.0), (1, 0, 1.0), (3, 4, 0.5)]);
        let s = EdgeSampler::new(&g).expect("sampler");
        let b = s.batch(7, 3, &mut StdRng::seed_from_u64(2));
        assert_eq!(b.heads.len(), 28);
        assert_eq!(b.tails.len(), 28);
        assert_eq!(b.target.len(), 28);
        for e in 0..7 {
            assert_eq!(b.target[4 * e], 1.0);
            assert!(b.target[4 * e + 1..4 * e + 4].iter().all(|&t| t == 0.0));
            assert!(b.heads[4 * e..4 * e + 4]
                .iter()
                .all(|&h| h == b.heads[4 * e]));
        }
        assert!(b.tails.iter().all(|&t| t < 5));
    }

    #[test]
    fn edges_are_drawn_in_proportion_to_weight() {
        // Four edges of weights 1, 2, 3, 4 (zero-weight edges never drawn).
        let g = Sparse::from_triplets(
            4,
            vec![
                (0, 1, 1.0),
                (1, 2, 2.0),
                (2, 3, 3.0),
                (3, 0, 4.0),
                (0, 2, 0.0),
            ],
        );
        let s = EdgeSampler::new(&g).expect("sampler");
        let mut rng = StdRng::seed_from_u64(3);
        let draws = 40_000;
        let mut counts = [0usize; 4];
        for _ in 0..draws {
            let (i, j) = s.edge(&mut rng);
            assert_ne!((i, j), (0, 2));
            counts[i] += 1;
        }
        let chi2: f64 = counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let e = draws as f64 * (i + 1) as f64 / 10.0;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        // 3 degrees of freedom: P(χ² > 16.27) = 0.001.
        assert!(chi2 < 16.27, "χ² = {chi2}, counts {counts:?}");
        assert!(matches!(
            EdgeSampler::new(&Sparse::from_triplets(2, vec![])),
            Err(EmbedError::EmptyGraph)
        ));
    }
}
