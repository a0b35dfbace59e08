//! A C-SVC solver for large problems: SMO with second-order working-set
//! selection (the rule libsvm uses), kernel rows in f32 from squared norms
//! and dot products, and an LRU cache of rows bounded in bytes (`cache.rs`).
//!
//! Dual problem: minimise ½·αᵀQα − Σα subject to 0 ≤ α ≤ C and yᵀα = 0,
//! with Q_ij = y_i·y_j·K(x_i, x_j), K RBF `exp(−γ‖x − z‖²)` or linear `x · z`.
//! Each step picks the pair (i, j) that most violates the optimality
//! conditions (i by the first-order gap, j by the largest guaranteed decrease
//! of the objective), solves the two-variable problem exactly, and updates the
//! gradient G = Qα − 1 with the two kernel rows. It stops when the largest
//! violation m(α) − M(α) falls below `tol` (1e-3, as libsvm).

mod cache;

pub use cache::{dot_f32, KernelCache};

use crate::params::ResolvedKernel;

use ndarray::ArrayView2;

/// Settings of one binary solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoSettings {
    pub c: f64,
    pub kernel: ResolvedKernel,
    pub tol: f64,
    /// Upper bound on the kernel-row cache, in bytes.
    pub cache_bytes: usize,
    /// Safety stop; reaching it is reported in [`SmoSolution::converged`].
    pub max_iter: usize,
}

/// The result of a binary solve, in the form the decision function uses:
/// f(x) = Σ_i coef_i·K(x_i, x) − rho, positive for the class marked `true`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmoSolution {
    /// α_i·y_i for every training point (0 for non-support vectors).
    pub coef: Vec<f64>,
    pub rho: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Kernel rows computed (cache misses) and served from the cache.
    pub rows_computed: usize,
    pub rows_cached: usize,
}

const TAU: f64 = 1e-12;

/// Solves the binary C-SVC on `x` (N × D, row-major f32) with labels `positive`.
pub fn solve(x: ArrayView2<f32>, positive: &[bool], s: &SmoSettings) -> SmoSolution {
    let n = positive.len();
    let y: Vec<f64> = positive
        .iter()
        .map(|&p| if p { 1.0 } else { -1.0 })
        .collect();
    let c = s.c;
    let mut alpha = vec![0.0f64; n];
    let mut grad = vec![-1.0f64; n];
    let mut cache = KernelCache::new(x, s.kernel, s.cache_bytes);
    // K(x_t, x_t) of every point, once (libsvm's QD).
    let qd: Vec<f64> = (0..n).map(|t| cache.diag(t)).collect();
    let in_up = |a: f64, yt: f64| (yt > 0.0 && a < c) || (yt < 0.0 && a > 0.0);
    let in_low = |a: f64, yt: f64| (yt > 0.0 && a > 0.0) || (yt < 0.0 && a < c);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < s.max_iter {
        // i: the largest −y·G among the points that may move up.
        let (mut gmax, mut i) = (f64::NEG_INFINITY, usize::MAX);
        for t in 0..n {
            if in_up(alpha[t], y[t]) && -y[t] * grad[t] >= gmax {
                gmax = -y[t] * grad[t];
                i = t;
            }
        }
        if i == usize::MAX {
            converged = true;
            break;
        }
        let ki = cache.row(i);
        let kii = qd[i];
        // j: among the points that may move down, the largest decrease b²/a.
        let (mut gmax2, mut j, mut best) = (f64::NEG_INFINITY, usize::MAX, f64::INFINITY);
        for t in 0..n {
            if !in_low(alpha[t], y[t]) {
                continue;
            }
            let v = y[t] * grad[t];
            gmax2 = gmax2.max(v);
            let b = gmax + v;
            if b > 0.0 {
                // K_ii + K_tt − 2·K_it: the curvature along the pair's direction.
                let a = (kii + qd[t] - 2.0 * f64::from(ki[t])).max(TAU);
                let obj = -(b * b) / a;
                if obj <= best {
                    best = obj;
                    j = t;
                }
            }
        }
        if gmax + gmax2 < s.tol || j == usize::MAX {
            converged = true;
            break;
        }
        iterations += 1;
        let kj = cache.row(j);
        let kij = f64::from(ki[j]);
        let kjj = qd[j];
        let (old_i, old_j) = (alpha[i], alpha[j]);
        // The two-variable subproblem, solved exactly and clipped to the box.
        if y[i] != y[j] {
            let quad = (kii + kjj + 2.0 * (y[i] * y[j] * kij)).max(TAU);
            let delta = (-grad[i] - grad[j]) / quad;
            let diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if diff > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = diff;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -diff;
            }
            if diff > 0.0 {
                if alpha[i] > c {
                    alpha[i] = c;
                    alpha[j] = c - diff;
                }
            } else if alpha[j] > c {
                alpha[j] = c;
                alpha[i] = c + diff;
            }
        } else {
            let quad = (kii + kjj - 2.0 * (y[i] * y[j] * kij)).max(TAU);
            let delta = (grad[i] - grad[j]) / quad;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > c {
                if alpha[i] > c {
                    alpha[i] = c;
                    alpha[j] = sum - c;
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > c {
                if alpha[j] > c {
                    alpha[j] = c;
                    alpha[i] = sum - c;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        }
        // G_t += Q_ti·Δα_i + Q_tj·Δα_j with Q_ts = y_t·y_s·K_ts.
        let (di, dj) = ((alpha[i] - old_i) * y[i], (alpha[j] - old_j) * y[j]);
        for t in 0..n {
            grad[t] += y[t] * (f64::from(ki[t]) * di + f64::from(kj[t]) * dj);
        }
    }
    let rho = compute_rho(&alpha, &grad, &y, c);
    SmoSolution {
        coef: alpha.iter().zip(&y).map(|(a, yy)| a * yy).collect(),
        rho,
        iterations,
        converged,
        rows_computed: cache.computed,
        rows_cached: cache.hits,
    }
}

/// ρ from the free support vectors (0 < α < C): the mean of y·G over them;
/// without any, the middle of the feasible interval (as libsvm).
fn compute_rho(alpha: &[f64], grad: &[f64], y: &[f64], c: f64) -> f64 {
    let (mut ub, mut lb, mut sum, mut free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..alpha.len() {
        let yg = y[t] * grad[t];
        if alpha[t] >= c {
            if y[t] < 0.0 {
                ub = ub.min(yg);
            } else {
                lb = lb.max(yg);
            }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg);
            } else {
                lb = lb.max(yg);
            }
        } else {
            free += 1;
            sum += yg;
        }
    }
    if free > 0 {
        sum / free as f64
    } else {
        (ub + lb) / 2.0
    }
}

/// The largest violation of the optimality (KKT) conditions, m(α) − M(α):
/// below `tol` at a solution. Used by the tests.
pub fn kkt_gap(x: ArrayView2<f32>, positive: &[bool], sol: &SmoSolution, s: &SmoSettings) -> f64 {
    let cache = KernelCache::new(x, s.kernel, 0);
    let n = positive.len();
    let y: Vec<f64> = positive
        .iter()
        .map(|&p| if p { 1.0 } else { -1.0 })
        .collect();
    let alpha: Vec<f64> = sol.coef.iter().zip(&y).map(|(c, yy)| c * yy).collect();
    let mut grad = vec![-1.0; n];
    for s_idx in 0..n {
        if alpha[s_idx] != 0.0 {
            let k = cache.compute_row(s_idx);
            for t in 0..n {
                grad[t] += y[t] * y[s_idx] * alpha[s_idx] * f64::from(k[t]);
            }
        }
    }
    let c = s.c;
    let up = (0..n)
        .filter(|&t| (y[t] > 0.0 && alpha[t] < c) || (y[t] < 0.0 && alpha[t] > 0.0))
        .map(|t| -y[t] * grad[t]);
    let low = (0..n)
        .filter(|&t| (y[t] > 0.0 && alpha[t] > 0.0) || (y[t] < 0.0 && alpha[t] < c))
        .map(|t| -y[t] * grad[t]);
    up.fold(f64::NEG_INFINITY, f64::max) - low.fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    fn data(seed: u64, n: usize, d: usize) -> (Array2<f32>, Vec<bool>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let x = Array2::from_shape_fn((n, d), |(i, j)| {
            let shift = if y[i] { 0.6 } else { -0.6 };
            rng.gen::<f32>() * 2.0 - 1.0 + if j < 2 { shift } else { 0.0 }
        });
        (x, y)
    }

    #[test]
    fn solution_satisfies_kkt_and_the_equality_constraint() {
        let rbf = ResolvedKernel::Rbf { gamma: 0.5 };
        for (seed, c, kernel) in [
            (2u64, 1.0, rbf),
            (3, 10.0, rbf),
            (4, 0.1, rbf),
            (5, 1.0, ResolvedKernel::Linear),
            (6, 10.0, ResolvedKernel::Linear),
        ] {
            let (x, y) = data(seed, 200, 5);
            let s = SmoSettings {
                c,
                kernel,
                tol: 1e-3,
                cache_bytes: 1 << 20,
                max_iter: 1_000_000,
            };
            let sol = solve(x.view(), &y, &s);
            assert!(sol.converged);
            let gap = kkt_gap(x.view(), &y, &sol, &s);
            assert!(gap < 1.5e-3, "seed {seed} C {c} {kernel:?}: KKT gap {gap}");
            // Σ y_i α_i = Σ coef_i = 0, and 0 ≤ α ≤ C.
            assert!(sol.coef.iter().sum::<f64>().abs() < 1e-9);
            assert!(sol.coef.iter().all(|v| v.abs() <= c + 1e-12));
            assert!(sol.coef.iter().any(|&v| v != 0.0));
        }
    }
}
