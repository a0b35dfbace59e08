//! Relations between embedded points inside one batch: t-SNE's Student-t
//! (normalised over the batch) and UMAP's modified Cauchy 1/(1 + a·d^(2b)),
//! with a, b fitted from min_dist and spread.

use tch::{Kind, Tensor};

use crate::EmbedError;

/// Squared Euclidean distances between the rows of `y` (B × B).
pub fn pairwise_sq(y: &Tensor) -> Tensor {
    let sq = (y * y).sum_dim_intlist(1, true, Kind::Float);
    (&sq + sq.tr() - y.matmul(&y.tr()) * 2.0).clamp_min(0.0)
}

/// t-SNE's Q over a batch: 1/(1 + d²) with a zero diagonal, summing to 1.
pub fn student_t(y: &Tensor) -> Tensor {
    let b = y.size()[0];
    let mask =
        Tensor::ones([b, b], (Kind::Float, y.device())) - Tensor::eye(b, (Kind::Float, y.device()));
    let q = (pairwise_sq(y) + 1.0).reciprocal() * mask;
    let s = q.sum(Kind::Float);
    q / s
}

/// UMAP's low-dimensional similarity 1/(1 + a·‖u − v‖^(2b)) of paired rows.
/// ‖·‖^(2b) is taken as (‖·‖² + ε)^b so that its gradient stays finite when
/// two points coincide.
pub fn modified_cauchy(u: &Tensor, v: &Tensor, a: f64, b: f64) -> Tensor {
    let d2 = (u - v).square().sum_dim_intlist(1, false, Kind::Float);
    ((d2 + 1e-10).pow_tensor_scalar(b) * a + 1.0).reciprocal()
}

/// a and b of the curve 1/(1 + a·x^(2b)), least-squares fitted (Levenberg–
/// Marquardt) to 1 for x < min_dist and exp(−(x − min_dist)/spread) after,
/// on 300 points over [0, 3·spread]. min_dist 0.1, spread 1 give 1.5769, 0.8951.
pub fn fit_ab(min_dist: f64, spread: f64) -> Result<(f64, f64), EmbedError> {
    if !(spread.is_finite()
        && spread > 0.0
        && min_dist.is_finite()
        && (0.0..3.0 * spread).contains(&min_dist))
    {
        return Err(EmbedError::BadCurve { min_dist, spread });
    }
    let n = 300;
    let xs: Vec<f64> = (0..n)
        .map(|i| 3.0 * spread * i as f64 / (n - 1) as f64)
        .collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let sse = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| {
                let f = 1.0 / (1.0 + a * x.powf(2.0 * b));
                (f - y) * (f - y)
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, 1.0);
    let mut lambda = 1e-3;
    let mut cur = sse(a, b);
    for _ in 0..500 {
        // Normal equations JᵀJ δ = −Jᵀr of the 2 parameters.
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&x, &y) in xs.iter().zip(&ys) {
            if x <= 0.0 {
                continue; // f = 1 and both derivatives vanish at x = 0
            }
            let p = x.powf(2.0 * b);
            let u = a * p;
            let f = 1.0 / (1.0 + u);
            let da = -p * f * f;
            let db = -u * 2.0 * x.ln() * f * f;
            let r = f - y;
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * r;
            gb += db * r;
        }
        let (m00, m11) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
        let det = m00 * m11 - jab * jab;
        if det.abs() < 1e-300 {
            break;
        }
        let step_a = -(m11 * ga - jab * gb) / det;
        let step_b = -(m00 * gb - jab * ga) / det;
        let (na, nb) = (a + step_a, b + step_b);
        let next = sse(na, nb);
        if next.is_finite() && next < cur {
            let done = (cur - next) < 1e-15 * cur.max(1e-300);
            a = na;
            b = nb;
            cur = next;
            lambda = (lambda / 3.0).max(1e-12);
            if done {
                break;
            }
        } else {
            lambda *= 4.0;
            if lambda > 1e12 {
                break;
            }
        }
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ab_fit_matches_umap() {
        let (a, b) = fit_ab(0.1, 1.0).expect("fit");
        assert!((a - 1.5769).abs() < 2e-4, "a = {a}");
        assert!((b - 0.8951).abs() < 2e-4, "b = {b}");
        assert!(fit_ab(-0.1, 1.0).is_err());
        assert!(fit_ab(0.1, 0.0).is_err());
    }

    #[test]
    fn student_t_by_hand() {
        // Three points at 0, 1, 2 on a line: 1/(1+d²) = 1/2, 1/5, 1/2 (pairs
        // 01, 02, 12), each twice; total 2·1.2 = 2.4.
        let y = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 0.0, 2.0, 0.0]).view([3, 2]);
        let q = student_t(&y);
        let q01 = q.double_value(&[0, 1]);
        let q02 = q.double_value(&[0, 2]);
        assert!((q01 - 0.5 / 2.4).abs() < 1e-6);
        assert!((q02 - 0.2 / 2.4).abs() < 1e-6);
        assert_eq!(q.double_value(&[1, 1]), 0.0);
    }
}
