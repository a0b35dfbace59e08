//! Relations between the high-dimensional points: who is whose neighbour,
//! and how strongly. t-SNE's perplexity-calibrated Gaussians, UMAP's
//! connectivities (ρ, σ), symmetrisation and normalisation, all on a sparse
//! N × N matrix stored row by row.

use ndarray::{Array2, ArrayView2};
use tch::Device;

use crate::EmbedError;

/// A sparse N × N matrix in compressed rows: row `i` holds the columns
/// `indices[indptr[i]..indptr[i+1]]` (sorted) with their values.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparse {
    pub n: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<usize>,
    pub values: Vec<f64>,
}

impl Sparse {
    /// From (row, col, value) triplets; duplicates are summed.
    pub fn from_triplets(n: usize, mut t: Vec<(usize, usize, f64)>) -> Sparse {
        t.sort_by_key(|&(i, j, _)| (i, j));
        let mut indptr = vec![0; n + 1];
        let mut indices = Vec::with_capacity(t.len());
        let mut values: Vec<f64> = Vec::with_capacity(t.len());
        let mut last = None;
        for (i, j, v) in t {
            if last == Some((i, j)) {
                if let Some(x) = values.last_mut() {
                    *x += v;
                }
                continue;
            }
            last = Some((i, j));
            indices.push(j);
            values.push(v);
            indptr[i + 1] += 1;
        }
        for i in 0..n {
            indptr[i + 1] += indptr[i];
        }
        Sparse {
            n,
            indptr,
            indices,
            values,
        }
    }

    /// The k-NN graph: row i has the values `vals[i, ·]` at columns `idx[i, ·]`.
    pub fn from_knn(idx: ArrayView2<usize>, vals: ArrayView2<f64>) -> Sparse {
        let t = idx
            .outer_iter()
            .zip(vals.outer_iter())
            .enumerate()
            .flat_map(|(i, (r, v))| {
                r.iter()
                    .zip(v.iter())
                    .map(move |(&j, &x)| (i, j, x))
                    .collect::<Vec<_>>()
            })
            .collect();
        Sparse::from_triplets(idx.nrows(), t)
    }

    /// Row `i` as (column, value) pairs.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()]
            .iter()
            .copied()
            .zip(self.values[r].iter().copied())
    }

    /// The value at (i, j), 0 when absent.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let r = self.indptr[i]..self.indptr[i + 1];
        match self.indices[r.clone()].binary_search(&j) {
            Ok(p) => self.values[r.start + p],
            Err(_) => 0.0,
        }
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    pub fn sum(&self) -> f64 {
        self.values.iter().sum()
    }

    /// Every (row, col, value) entry.
    pub fn triplets(&self) -> Vec<(usize, usize, f64)> {
        (0..self.n)
            .flat_map(|i| self.row(i).map(move |(j, v)| (i, j, v)))
            .collect()
    }

    /// Divided by the sum of all entries (a joint distribution).
    pub fn normalized(mut self) -> Sparse {
        let s = self.sum();
        if s > 0.0 {
            self.values.iter_mut().for_each(|v| *v /= s);
        }
        self
    }

    /// The dense rows/columns `idx` of the matrix: entry (a, b) = M[idx[a], idx[b]].
    pub fn submatrix(&self, idx: &[usize]) -> Array2<f32> {
        let mut pos = vec![usize::MAX; self.n];
        for (a, &i) in idx.iter().enumerate() {
            pos[i] = a;
        }
        let mut out = Array2::zeros((idx.len(), idx.len()));
        for (a, &i) in idx.iter().enumerate() {
            for (j, v) in self.row(i) {
                if pos[j] != usize::MAX {
                    out[[a, pos[j]]] = v as f32;
                }
            }
        }
        out
    }
}

/// How to make W symmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symmetrize {
    /// (W + Wᵀ) / 2 (t-SNE).
    Mean,
    /// W + Wᵀ − W∘Wᵀ (UMAP's fuzzy union).
    FuzzyUnion,
}

/// W made symmetric.
pub fn symmetrize(w: &Sparse, how: Symmetrize) -> Sparse {
    // Each entry with its own value (a) and its mirror's (b).
    let mut t: Vec<(usize, usize, f64, f64)> = Vec::with_capacity(2 * w.nnz());
    for (i, j, v) in w.triplets() {
        t.push((i, j, v, 0.0));
        t.push((j, i, 0.0, v));
    }
    t.sort_by_key(|&(i, j, _, _)| (i, j));
    let mut out: Vec<(usize, usize, f64)> = Vec::with_capacity(t.len());
    let mut k = 0;
    while k < t.len() {
        let (i, j, mut a, mut b) = t[k];
        k += 1;
        while k < t.len() && (t[k].0, t[k].1) == (i, j) {
            a += t[k].2;
            b += t[k].3;
            k += 1;
        }
        let v = match how {
            Symmetrize::Mean => (a + b) / 2.0,
            Symmetrize::FuzzyUnion => a + b - a * b,
        };
        out.push((i, j, v));
    }
    Sparse::from_triplets(w.n, out)
}

/// The k nearest neighbours of every row (self excluded), by blocked
/// distance matrices on `device`: indices and Euclidean distances, N × k.
pub fn knn(
    x: ArrayView2<f32>,
    k: usize,
    device: Device,
) -> Result<(Array2<usize>, Array2<f64>), EmbedError> {
    if k == 0 || k >= x.nrows() {
        return Err(EmbedError::BadNeighbourCount { k, n: x.nrows() });
    }
    let (idx, d) = torch_util::nearest_neighbors(x, k, device)?;
    Ok((idx, d.mapv(f64::from)))
}

fn check_distances(d: ArrayView2<f64>) -> Result<(), EmbedError> {
    for ((row, col), &value) in d.indexed_iter() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(EmbedError::BadDistance { row, col, value });
        }
    }
    Ok(())
}

/// Entropy in bits of p_j ∝ exp(−β·(d_j² − d_min²)), and the p_j.
fn entropy_bits(d2: &[f64], beta: f64, p: &mut [f64]) -> f64 {
    let m = d2.iter().copied().fold(f64::INFINITY, f64::min);
    let mut z = 0.0;
    for (pj, &x) in p.iter_mut().zip(d2) {
        *pj = (-beta * (x - m)).exp();
        z += *pj;
    }
    let mut h = 0.0;
    for pj in p.iter_mut() {
        *pj /= z;
        if *pj > 0.0 {
            h -= *pj * pj.log2();
        }
    }
    h
}

/// β of one row such that the entropy of its p_{j|i} is `target` bits, by
/// bisection on ln β (no assumption on the scale of the data). Returns β, p.
pub fn calibrate_row(d: &[f64], target: f64) -> (f64, Vec<f64>) {
    let d2: Vec<f64> = d.iter().map(|x| x * x).collect();
    let mut p = vec![0.0; d.len()];
    let (mut lo, mut hi) = (-60.0f64, 60.0f64);
    let mut mid = 0.0;
    for _ in 0..200 {
        mid = 0.5 * (lo + hi);
        let h = entropy_bits(&d2, mid.exp(), &mut p);
        if (h - target).abs() < 1e-10 {
            break;
        }
        // Entropy falls as β grows.
        if h > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let beta = mid.exp();
    entropy_bits(&d2, beta, &mut p);
    (beta, p)
}

/// t-SNE's conditional p_{j|i} on the k-NN graph (distances N × k), each row
/// with entropy log2(perplexity) bits. Not yet symmetric.
pub fn perplexity_affinities(
    idx: ArrayView2<usize>,
    dist: ArrayView2<f64>,
    perplexity: f64,
) -> Result<Sparse, EmbedError> {
    let n = idx.nrows();
    if !(perplexity.is_finite() && perplexity > 1.0 && perplexity < n as f64) {
        return Err(EmbedError::BadPerplexity { perplexity, n });
    }
    check_distances(dist)?;
    let target = perplexity.log2();
    let mut p = Array2::zeros(dist.raw_dim());
    for (i, row) in dist.outer_iter().enumerate() {
        let r = row.to_vec();
        let (_, pr) = calibrate_row(&r, target);
        for (c, v) in pr.into_iter().enumerate() {
            p[[i, c]] = v;
        }
    }
    Ok(Sparse::from_knn(idx, p.view()))
}

/// The joint t-SNE P: calibrated, symmetrised by the mean, summing to 1.
pub fn tsne_p(
    idx: ArrayView2<usize>,
    dist: ArrayView2<f64>,
    perplexity: f64,
) -> Result<Sparse, EmbedError> {
    let cond = perplexity_affinities(idx, dist, perplexity)?;
    Ok(symmetrize(&cond, Symmetrize::Mean).normalized())
}

/// UMAP's σ of one row: Σ_j exp(−(d_j − ρ)/σ) = log2(k), by bisection on
/// ln σ over [1e-6, 1e6].
pub fn umap_sigma(d: &[f64], rho: f64) -> f64 {
    let target = (d.len() as f64).log2();
    let f = |s: f64| -> f64 { d.iter().map(|&x| (-(x - rho).max(0.0) / s).exp()).sum() };
    let (mut lo, mut hi) = (1e-6f64.ln(), 1e6f64.ln());
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        // The sum grows with σ.
        if f(mid.exp()) > target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// UMAP's directed weights w_ij = exp(−(d_ij − ρ_i)/σ_i) on the k-NN graph,
/// with ρ_i the distance to the nearest neighbour. Returns W, ρ and σ.
pub fn umap_weights(
    idx: ArrayView2<usize>,
    dist: ArrayView2<f64>,
) -> Result<(Sparse, Vec<f64>, Vec<f64>), EmbedError> {
    check_distances(dist)?;
    let mut w = Array2::zeros(dist.raw_dim());
    let mut rhos = Vec::with_capacity(dist.nrows());
    let mut sigmas = Vec::with_capacity(dist.nrows());
    for (i, row) in dist.outer_iter().enumerate() {
        let r = row.to_vec();
        let rho = r.iter().copied().fold(f64::INFINITY, f64::min);
        let sigma = umap_sigma(&r, rho);
        for (c, &d) in r.iter().enumerate() {
            w[[i, c]] = (-(d - rho).max(0.0) / sigma).exp();
        }
        rhos.push(rho);
        sigmas.push(sigma);
    }
    Ok((Sparse::from_knn(idx, w.view()), rhos, sigmas))
}

/// The UMAP graph: connectivities symmetrised by the fuzzy union.
pub fn umap_graph(idx: ArrayView2<usize>, dist: ArrayView2<f64>) -> Result<Sparse, EmbedError> {
    let (w, _, _) = umap_weights(idx, dist)?;
    Ok(symmetrize(&w, Symmetrize::FuzzyUnion))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn calibration_hits_the_target_entropy_at_any_scale() {
        for scale in [1e-3, 1.0, 1e3] {
            let d: Vec<f64> = (1..=90).map(|j| scale * (j as f64).sqrt()).collect();
            let (_, p) = calibrate_row(&d, 30f64.log2());
            let h: f64 = -p
                .iter()
                .filter(|&&x| x > 0.0)
                .map(|x| x * x.log2())
                .sum::<f64>();
            assert!((h - 30f64.log2()).abs() < 1e-5, "scale {scale}: {h}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn sigma_solves_its_equation() {
        let d = [0.5, 0.7, 1.0, 1.3, 2.0, 2.2, 3.0, 4.0];
        let rho = 0.5;
        let s = umap_sigma(&d, rho);
        let sum: f64 = d.iter().map(|&x| (-(x - rho) / s).exp()).sum();
        assert!((sum - 8f64.log2()).abs() < 1e-9, "{sum}");
        let idx = arr2(&[[1usize, 2], [0, 2], [1, 0]]);
        let dist = arr2(&[[1.0, 2.0], [1.0, 1.5], [1.5, 2.0]]);
        let (w, rho, _) = umap_weights(idx.view(), dist.view()).expect("weights");
        assert_eq!(rho, vec![1.0, 1.0, 1.5]);
        // The nearest neighbour always gets weight 1.
        assert_eq!(w.get(0, 1), 1.0);
        assert_eq!(w.get(2, 1), 1.0);
    }

    #[test]
    fn fuzzy_union_and_mean_on_a_hand_made_matrix() {
        let w = Sparse::from_triplets(3, vec![(0, 1, 0.5), (1, 0, 0.4), (1, 2, 1.0), (2, 0, 0.2)]);
        let u = symmetrize(&w, Symmetrize::FuzzyUnion);
        // (0,1): 0.5 + 0.4 − 0.2 = 0.7; (1,2): 1 + 0 − 0 = 1; (0,2): 0.2.
        assert!((u.get(0, 1) - 0.7).abs() < 1e-12);
        assert!((u.get(1, 0) - 0.7).abs() < 1e-12);
        assert_eq!(u.get(1, 2), 1.0);
        assert_eq!(u.get(2, 1), 1.0);
        assert!((u.get(0, 2) - 0.2).abs() < 1e-12);
        assert_eq!(u.get(0, 0), 0.0);
        assert_eq!(u.nnz(), 6);
        let m = symmetrize(&w, Symmetrize::Mean).normalized();
        assert!((m.sum() - 1.0).abs() < 1e-12);
        // Mean: (0,1) = 0.45, (1,2) = 0.5, (0,2) = 0.1; total 2·1.05.
        assert!((m.get(0, 1) - 0.45 / 2.1).abs() < 1e-12);
        let sub = m.submatrix(&[2, 1]);
        assert!((f64::from(sub[[0, 1]]) - 0.5 / 2.1).abs() < 1e-7);
    }

    #[test]
    fn bad_perplexity_and_k_are_typed_errors() {
        let idx = arr2(&[[1usize], [0]]);
        let d = arr2(&[[1.0], [1.0]]);
        assert!(matches!(
            perplexity_affinities(idx.view(), d.view(), 2.0),
            Err(EmbedError::BadPerplexity { n: 2, .. })
        ));
        let x = Array2::<f32>::zeros((3, 2));
        assert!(matches!(
            knn(x.view(), 3, Device::Cpu),
            Err(EmbedError::BadNeighbourCount { k: 3, n: 3 })
        ));
    }

    #[test]
    fn calibration_on_other_values_weights_squared_distances() {
        let d = [0.5, 1.0, 2.0, 3.5, 0.2];
        let target = 1.7;
        let (beta, p) = calibrate_row(&d, target);
        assert!(beta.is_finite() && beta > 0.0, "β {beta}");
        let sum: f64 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "p sums to {sum}");
        let h: f64 = -p
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|x| x * x.log2())
            .sum::<f64>();
        assert!((h - target).abs() < 1e-6, "entropy {h} bits, want {target}");
        // p_j ∝ exp(−β·d_j²): the ratios follow the squared distances.
        for j in 1..d.len() {
            let want = (-beta * (d[j] * d[j] - d[0] * d[0])).exp();
            assert!(
                (p[j] / p[0] - want).abs() < 1e-6 * want.max(1.0),
                "p{j}/p0 = {}, want {want}",
                p[j] / p[0]
            );
        }
    }

    #[test]
    fn umap_sigma_on_other_values() {
        let d = [0.3, 0.8, 1.5, 2.0, 4.0, 0.9];
        for rho in [0.3, 0.5] {
            let s = umap_sigma(&d, rho);
            let sum: f64 = d.iter().map(|&x| (-(x - rho).max(0.0) / s).exp()).sum();
            assert!(
                (sum - 6f64.log2()).abs() < 1e-6,
                "ρ {rho}: σ {s} gives {sum}"
            );
        }
    }
}
