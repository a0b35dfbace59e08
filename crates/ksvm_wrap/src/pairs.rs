//! Training the binary SVMs of the one-vs-one scheme, one per pair of classes,
//! each on the points of its two classes only, with the solver the
//! [`Backend`] picks: linfa-svm (one pair after the other) or this crate's SMO
//! solver (pairs in parallel on all cores).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use ndarray::{Array1, ArrayView2, Axis};

use crate::params::{Backend, KsvmParams, ResolvedKernel, AUTO_SMO_ABOVE};
use crate::smo::{self, SmoSettings};
use crate::KsvmError;

/// One trained binary SVM: signed α over the pair's rows (> 0 for class b) and ρ.
#[derive(Debug, Clone)]
pub(crate) struct PairFit {
    pub alpha: Vec<f64>,
    pub rho: f64,
    /// Kernel rows the SMO solver computed (its cache misses); `None` for
    /// linfa-svm, which does not say.
    pub kernel_rows: Option<usize>,
}

/// The training set split by pair: which rows, and which of them are class `b`.
#[derive(Debug)]
pub(crate) struct PairData<'a> {
    pub x: ArrayView2<'a, f64>,
    /// Labels (not indices) of the two classes: `b` is the positive one.
    pub labels: Vec<(usize, usize)>,
    /// Training-set rows of every pair.
    pub rows: Vec<Vec<usize>>,
    /// `positive[p][r]`: row `rows[p][r]` is of class `b`.
    pub positive: Vec<Vec<bool>>,
}

impl<'a> PairData<'a> {
    pub fn new(
        x: ArrayView2<'a, f64>,
        y: &[usize],
        classes: &[usize],
        pairs: &[(usize, usize)],
    ) -> Self {
        let labels: Vec<(usize, usize)> = pairs
            .iter()
            .map(|&(a, b)| (classes[a], classes[b]))
            .collect();
        let rows: Vec<Vec<usize>> = labels
            .iter()
            .map(|&(ca, cb)| (0..y.len()).filter(|&i| y[i] == ca || y[i] == cb).collect())
            .collect();
        let positive = rows
            .iter()
            .zip(&labels)
            .map(|(r, &(_, cb))| r.iter().map(|&i| y[i] == cb).collect())
            .collect();
        PairData {
            x,
            labels,
            rows,
            positive,
        }
    }
}

/// Whether pair `rows` goes to the SMO solver under `backend`.
fn uses_smo(backend: Backend, rows: usize) -> bool {
    match backend {
        Backend::Linfa => false,
        Backend::Smo => true,
        Backend::Auto => rows > AUTO_SMO_ABOVE,
    }
}

/// Trains every pair; `on_pair(done, total)` after each one.
pub(crate) fn fit_pairs(
    d: &PairData<'_>,
    params: &KsvmParams,
    kernel: ResolvedKernel,
    on_pair: &mut dyn FnMut(usize, usize),
) -> Result<Vec<PairFit>, KsvmError> {
    let total = d.rows.len();
    let smo_pairs: Vec<usize> = (0..total)
        .filter(|&p| uses_smo(params.backend, d.rows[p].len()))
        .collect();
    let mut fits: Vec<Option<PairFit>> = vec![None; total];
    let mut done = 0;
    if !smo_pairs.is_empty() {
        for (p, fit) in fit_smo_pairs(d, &smo_pairs, params, kernel, &mut |k| {
            on_pair(k, total);
        })? {
            fits[p] = Some(fit);
        }
        done = smo_pairs.len();
    }
    for (p, slot) in fits.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        let (a, b) = d.labels[p];
        let xp = d.x.select(Axis(0), &d.rows[p]);
        // linfa-svm checks its inputs with asserts; ours are checked before
        // training, so a panic here is a solver bug, reported as an error.
        let fit = catch_unwind(AssertUnwindSafe(|| {
            fit_linfa(xp.view(), &d.positive[p], params, kernel)
        }))
        .map_err(|_| KsvmError::SolverPanicked { a, b })?
        .map_err(|source| KsvmError::Svm { a, b, source })?;
        *slot = Some(fit);
        done += 1;
        on_pair(done, total);
    }
    fits.into_iter()
        .zip(&d.rows)
        .zip(&d.labels)
        .map(|((fit, rows), &(a, b))| match fit {
            Some(f) if f.alpha.len() == rows.len() => Ok(f),
            other => Err(KsvmError::SolverOutput {
                a,
                b,
                expected: rows.len(),
                found: other.map_or(0, |f| f.alpha.len()),
            }),
        })
        .collect()
}

/// One binary SVM trained by linfa-svm.
fn fit_linfa(
    x: ArrayView2<f64>,
    positive: &[bool],
    params: &KsvmParams,
    kernel: ResolvedKernel,
) -> Result<PairFit, linfa_svm::SvmError> {
    let svm = Svm::<f64, bool>::params()
        .pos_neg_weights(params.c, params.c)
        .eps(params.tol)
        // Shrinking stays off: linfa 0.8.1 panics in its shrinking step on real data.
        .shrinking(false);
    let svm = match kernel {
        // linfa writes the Gaussian kernel as exp(−‖x − y‖²/eps): eps = 1/γ.
        ResolvedKernel::Rbf { gamma } => svm.gaussian_kernel(1.0 / gamma),
        ResolvedKernel::Linear => svm.linear_kernel(),
    };
    let ds = Dataset::new(x.to_owned(), Array1::from(positive.to_vec()));
    let model = svm.fit(&ds)?;
    Ok(PairFit {
        alpha: model.alpha,
        rho: model.rho,
        kernel_rows: None,
    })
}

/// The pairs `todo` trained by the SMO solver, in parallel on all cores;
/// `on_done(k)` after the k-th finishes.
fn fit_smo_pairs(
    d: &PairData<'_>,
    todo: &[usize],
    params: &KsvmParams,
    kernel: ResolvedKernel,
    on_done: &mut dyn FnMut(usize),
) -> Result<Vec<(usize, PairFit)>, KsvmError> {
    let x32 = d.x.mapv(|v| v as f32);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(todo.len())
        .max(1);
    let settings = SmoSettings {
        c: params.c,
        kernel,
        tol: params.tol,
        cache_bytes: params.cache_mb * (1 << 20) / workers,
        max_iter: SMO_MAX_ITER,
    };
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut out = Vec::with_capacity(todo.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, x32) = (&next, &x32);
            scope.spawn(move || {
                while let Some(&p) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let xp = x32.select(Axis(0), &d.rows[p]);
                    let sol = smo::solve(xp.view(), &d.positive[p], &settings);
                    if tx.send((p, sol)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (k, (p, sol)) in rx.iter().enumerate() {
            out.push((p, sol));
            on_done(k + 1);
        }
    });
    out.into_iter()
        .map(|(p, sol)| {
            let (a, b) = d.labels[p];
            if !sol.converged {
                return Err(KsvmError::NotConverged {
                    a,
                    b,
                    iterations: sol.iterations,
                });
            }
            Ok((
                p,
                PairFit {
                    alpha: sol.coef,
                    rho: sol.rho,
                    kernel_rows: Some(sol.rows_computed),
                },
            ))
        })
        .collect()
}

/// The SMO solver's safety stop: far above what any problem here needs
/// (a full MNIST pair converges in tens of thousands of steps).
pub const SMO_MAX_ITER: usize = 100_000_000;
