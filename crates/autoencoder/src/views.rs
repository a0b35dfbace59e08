//! 2-D views: t-SNE of pixels or codes, and a number that says how well a
//! view keeps the digits apart: the accuracy of a 5-NN classifier inside the
//! 2-D map, by 5-fold cross-validation.
//!
//! The exact nearest neighbours that t-SNE's affinities need come from
//! `torch_util::nearest_neighbors` (blocked distance matrices on libtorch,
//! fast on 784-D pixels); the layout itself is bhtsne's Barnes-Hut t-SNE,
//! started from a seeded random layout.

use bhtsne::{tSNE, Neighbor};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use tch::Device;

use crate::AeError;

/// The `k` nearest other rows of every row of `x`, as bhtsne takes them.
fn neighbour_lists(
    x: ArrayView2<f32>,
    k: usize,
    device: Device,
) -> Result<Vec<Vec<Neighbor<f64>>>, AeError> {
    let (idx, dist) = torch_util::nearest_neighbors(x, k, device)?;
    Ok(idx
        .rows()
        .into_iter()
        .zip(dist.rows())
        .map(|(i, d)| {
            i.iter()
                .zip(d.iter())
                .map(|(&index, &distance)| Neighbor {
                    index,
                    distance: f64::from(distance),
                })
                .collect()
        })
        .collect())
}

/// A 2-D Barnes-Hut t-SNE map (θ = 0.5, learning rate n/12) of the rows of
/// `x`; early exaggeration (×12) and the low momentum last a quarter of the
/// iterations, at most 250.
pub fn tsne(
    x: ArrayView2<f32>,
    perplexity: f64,
    max_iter: usize,
    seed: u64,
    device: Device,
) -> Result<Array2<f64>, AeError> {
    let n = x.nrows();
    let k = ((3.0 * perplexity) as usize).min(n - 1);
    let neighbors = neighbour_lists(x, k, device)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // N(0, 1e-4²), as Normal::new(0.0, 1e-4) would draw it.
    let init: Vec<f64> = (0..2 * n)
        .map(|_| 1e-4 * Distribution::<f64>::sample(&StandardNormal, &mut rng))
        .collect();
    let ids: Vec<usize> = (0..n).collect();
    let emb = std::panic::catch_unwind(move || {
        let mut t: tSNE<f64, usize> = tSNE::new(&ids);
        // Early exaggeration for the first quarter (at most 250 epochs, the usual length).
        let lying = (max_iter / 4).min(250);
        t.perplexity(perplexity)
            // n/12 (Belkina et al., 2019). bhtsne's default, n/48, left maps of
            // 20,000 MNIST images under-converged: 5-NN 0.921 instead of 0.948.
            .learning_rate((n as f64 / 12.0).max(50.0))
            .epochs(max_iter)
            .stop_lying_epoch(lying)
            .momentum_switch_epoch(lying)
            .initial_embedding(init)
            .barnes_hut_with_neighbors(0.5, &neighbors);
        t.embedding()
    })
    .map_err(|_| AeError::TsnePanicked)?;
    Array2::from_shape_vec((n, 2), emb).map_err(|_| AeError::TsnePanicked)
}

/// Accuracy of a `k`-NN classifier on the 2-D `points`, `folds`-fold
/// cross-validated (folds drawn from `seed`).
pub fn knn_cv_accuracy(
    points: ArrayView2<f64>,
    labels: &[usize],
    k: usize,
    folds: usize,
    seed: u64,
) -> Result<f64, AeError> {
    let n = points.nrows();
    if n != labels.len() {
        return Err(AeError::LengthMismatch {
            rows: n,
            labels: labels.len(),
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let mut correct = 0usize;
    for f in 0..folds {
        let mut test = Vec::new();
        let mut train = Vec::new();
        for (pos, &i) in order.iter().enumerate() {
            if pos % folds == f {
                test.push(i);
            } else {
                train.push(i);
            }
        }
        let pick = |rows: &[usize]| points.select(ndarray::Axis(0), rows);
        let train_labels: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
        let pred = metrics::knn_predict(pick(&train).view(), &train_labels, pick(&test).view(), k)?;
        correct += pred
            .iter()
            .zip(&test)
            .filter(|(p, &q)| **p == labels[q])
            .count();
    }
    Ok(correct as f64 / n.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn knn_separates_far_clusters_and_fails_on_alternating_labels() {
        // Two tight clusters 100 apart: 5-NN is perfect.
        let pts = Array2::from_shape_fn((40, 2), |(i, j)| {
            let c = (i % 2) as f64 * 100.0;
            c + ((i * 7 + j * 3) % 5) as f64 * 0.1
        });
        let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
        assert_eq!(knn_cv_accuracy(pts.view(), &labels, 5, 5, 1).unwrap(), 1.0);
        // Points on a line with labels 0,1,0,1,…: neighbours disagree, so the
        // accuracy stays far below 1.
        let line = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { i as f64 } else { 0.0 });
        let acc = knn_cv_accuracy(line.view(), &labels, 5, 5, 1).unwrap();
        assert!(acc < 0.6, "{acc}");
    }

    #[test]
    fn tsne_keeps_two_blobs_apart() {
        let x = Array2::from_shape_fn((120, 5), |(i, j)| {
            (i % 2) as f32 * 20.0 + ((i * 13 + j * 7) % 11) as f32 * 0.1
        });
        let labels: Vec<usize> = (0..120).map(|i| i % 2).collect();
        let emb = tsne(x.view(), 10.0, 300, 3, Device::Cpu).unwrap();
        assert_eq!(emb.dim(), (120, 2));
        assert_eq!(knn_cv_accuracy(emb.view(), &labels, 5, 5, 1).unwrap(), 1.0);
    }
}
