//! Trustworthiness: how far the neighbours of a point in a low-dimensional
//! embedding really are its neighbours in the original space (1 = all of
//! them are; k-NN accuracy, by contrast, only sees labels).

use ndarray::{Array2, ArrayView2};

use crate::MetricsError;

/// T(k) = 1 − 2/(n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i
/// are the k nearest neighbours of i in `low` that are not among its k
/// nearest in `high`, and r(i, j) is the rank of j among i's neighbours in
/// `high` (1 = nearest). Ties go to the smaller index. Needs 1 ≤ k < n/2.
pub fn trustworthiness(
    high: ArrayView2<f64>,
    low: ArrayView2<f64>,
    k: usize,
) -> Result<f64, MetricsError> {
    if high.nrows() != low.nrows() {
        return Err(MetricsError::LengthMismatch {
            pred: low.nrows(),
            truth: high.nrows(),
        });
    }
    trustworthiness_by_rows(low, k, |start, len| {
        let mut d = Array2::zeros((len, high.nrows()));
        for r in 0..len {
            let a = high.row(start + r);
            for (j, b) in high.rows().into_iter().enumerate() {
                d[[r, j]] = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum();
            }
        }
        Ok::<_, MetricsError>(d)
    })
}

/// [`trustworthiness`] with the original space's distances supplied by the
/// caller, a block of rows at a time: `high_rows(start, len)` returns the
/// len × n (any monotone, e.g. squared) distances of points start..start+len
/// to all n points. For large n, where the caller computes them fast.
pub fn trustworthiness_by_rows<E: From<MetricsError>>(
    low: ArrayView2<f64>,
    k: usize,
    mut high_rows: impl FnMut(usize, usize) -> Result<Array2<f64>, E>,
) -> Result<f64, E> {
    let n = low.nrows();
    if k == 0 || 2 * k >= n {
        return Err(MetricsError::BadNeighbourCount { k, n }.into());
    }
    let block = 512;
    let mut penalty = 0.0f64;
    let mut low_d = vec![0.0f64; n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    for start in (0..n).step_by(block) {
        let len = block.min(n - start);
        let hd = high_rows(start, len)?;
        if hd.dim() != (len, n) {
            return Err(MetricsError::LengthMismatch {
                pred: hd.ncols(),
                truth: n,
            }
            .into());
        }
        for r in 0..len {
            let i = start + r;
            let a = low.row(i);
            for (j, b) in low.rows().into_iter().enumerate() {
                low_d[j] = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum();
            }
            order.clear();
            order.extend((0..n).filter(|&j| j != i));
            let key = |d: &[f64], j: usize| (d[j], j);
            let cmp = |d: &[f64], x: usize, y: usize| {
                key(d, x)
                    .partial_cmp(&key(d, y))
                    .unwrap_or(std::cmp::Ordering::Equal)
            };
            order.select_nth_unstable_by(k - 1, |&x, &y| cmp(&low_d, x, y));
            let h = hd.row(r);
            let hs = h.to_vec();
            for &j in &order[..k] {
                // Rank of j around i in the original space.
                let rank = 1
                    + (0..n)
                        .filter(|&l| l != i && cmp(&hs, l, j) == std::cmp::Ordering::Less)
                        .count();
                if rank > k {
                    penalty += (rank - k) as f64;
                }
            }
        }
    }
    let (nf, kf) = (n as f64, k as f64);
    Ok(1.0 - 2.0 / (nf * kf * (2.0 * nf - 3.0 * kf - 1.0)) * penalty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn trustworthiness_by_hand() {
        // Points a..e at 0, 1, 3, 7, 12 on a line, embedded at 0, 5, 1.2, 2, 3.4.
        // Low-dim nearest (k = 1) and its rank in the original space:
        // a → c (rank 2), b → e (rank 4), c → d (rank 3), d → c (1), e → d (1).
        // Penalty (2−1) + (4−1) + (3−1) = 6; T = 1 − 2·6/(5·1·6) = 0.6.
        let high = arr2(&[[0.0], [1.0], [3.0], [7.0], [12.0]]);
        let low = arr2(&[[0.0], [5.0], [1.2], [2.0], [3.4]]);
        let t = trustworthiness(high.view(), low.view(), 1).expect("t");
        assert!((t - 0.6).abs() < 1e-12, "{t}");
        assert_eq!(trustworthiness(high.view(), high.view(), 2), Ok(1.0));
        assert_eq!(
            trustworthiness(high.view(), low.view(), 3),
            Err(MetricsError::BadNeighbourCount { k: 3, n: 5 })
        );
    }
}
