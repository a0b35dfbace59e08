//! 2-D views: t-SNE of pixels or codes, and a number that says how well a
//! view keeps the digits apart: the accuracy of a 5-NN classifier inside the
//! 2-D map, by 5-fold cross-validation.
//!
//! The exact nearest neighbours that t-SNE's affinities need are found with
//! blocked distance matrices on libtorch (fast on 784-D pixels); the layout
//! itself is bhtsne's Barnes-Hut t-SNE, started from a seeded random layout.

use bhtsne::{tSNE, Neighbor};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use tch::{Device, Kind};

use crate::AeError;

/// The `k` nearest other rows of every row of `x` (Euclidean), nearest first.
pub fn nearest_neighbors(
    x: ArrayView2<f32>,
    k: usize,
    device: Device,
) -> Result<Vec<Vec<Neighbor<f64>>>, AeError> {
    let n = x.nrows();
    let xt = torch_util::to_tensor_f32(x, device);
    let sq = (&xt * &xt).sum_dim_intlist(1, false, Kind::Float);
    let mut out = Vec::with_capacity(n);
    let block = 2048;
    for start in (0..n).step_by(block) {
        let len = block.min(n - start);
        let xb = xt.narrow(0, start as i64, len as i64);
        let d2 = (sq.narrow(0, start as i64, len as i64).unsqueeze(1) + sq.unsqueeze(0)
            - xb.matmul(&xt.tr()) * 2.0)
            .clamp_min(0.0);
        let (vals, idx) = d2.topk((k + 1) as i64, 1, false, true);
        let vals = torch_util::to_array2(&vals.sqrt())?;
        let idx = torch_util::to_array2(&idx.to_kind(Kind::Double))?;
        for r in 0..len {
            let me = start + r;
            let mut row: Vec<Neighbor<f64>> = idx
                .row(r)
                .iter()
                .zip(vals.row(r))
                .map(|(&i, &d)| Neighbor {
                    index: i as usize,
                    distance: d,
                })
                .filter(|nb| nb.index != me)
                .collect();
            row.truncate(k);
            out.push(row);
        }
    }
    Ok(out)
}

/// A 2-D Barnes-Hut t-SNE map (θ = 0.5) of the rows of `x`; early
/// exaggeration (×12) and the low momentum last a quarter of the iterations,
/// at most 250.
pub fn tsne(
    x: ArrayView2<f32>,
    perplexity: f64,
    max_iter: usize,
    seed: u64,
    device: Device,
) -> Result<Array2<f64>, AeError> {
    let n = x.nrows();
    let k = ((3.0 * perplexity) as usize).min(n - 1);
    let neighbors = nearest_neighbors(x, k, device)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1e-4).map_err(|_| AeError::BadPerplexity(perplexity))?;
    let init: Vec<f64> = (0..2 * n).map(|_| normal.sample(&mut rng)).collect();
    let ids: Vec<usize> = (0..n).collect();
    let emb = std::panic::catch_unwind(move || {
        let mut t: tSNE<f64, usize> = tSNE::new(&ids);
        // Early exaggeration for the first quarter (at most 250 epochs, the usual length).
        let lying = (max_iter / 4).min(250);
        t.perplexity(perplexity)
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

/// The majority label of the `k` nearest training points (ties: the
/// smaller label, as scikit-learn's KNeighborsClassifier does).
fn knn_vote(
    train: &[usize],
    points: ArrayView2<f64>,
    labels: &[usize],
    q: usize,
    k: usize,
    n_classes: usize,
) -> usize {
    let (qx, qy) = (points[[q, 0]], points[[q, 1]]);
    let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
    for &i in train {
        let d = (points[[i, 0]] - qx).powi(2) + (points[[i, 1]] - qy).powi(2);
        if best.len() < k || d < best[best.len() - 1].0 {
            let pos = best.partition_point(|&(bd, _)| bd <= d);
            best.insert(pos, (d, labels[i]));
            best.truncate(k);
        }
    }
    let mut counts = vec![0usize; n_classes];
    for &(_, c) in &best {
        counts[c] += 1;
    }
    metrics::argmax(ndarray::Array1::from_iter(counts.iter().map(|&c| c as f64)).view())
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
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
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
        correct += test
            .iter()
            .filter(|&&q| knn_vote(&train, points, labels, q, k, n_classes) == labels[q])
            .count();
    }
    Ok(correct as f64 / n.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, Array2};

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
    fn neighbours_are_exact_and_exclude_the_point_itself() {
        let x = arr2(&[[0.0f32, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.5]]);
        let nb = nearest_neighbors(x.view(), 2, Device::Cpu).unwrap();
        let idx: Vec<Vec<usize>> = nb
            .iter()
            .map(|r| r.iter().map(|n| n.index).collect())
            .collect();
        assert_eq!(idx, vec![vec![1, 3], vec![0, 2], vec![1, 0], vec![0, 1]]);
        assert!((nb[3][1].distance - (1.0f64 + 6.25).sqrt()).abs() < 1e-6);
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
