//! The model: one RBF-kernel SVM per pair of classes (one-vs-one), trained by linfa-svm.
//!
//! For every pair of classes `a < b` a binary C-SVM is trained on the points of
//! those two classes only, with `b` as the positive class. Its decision value is
//!
//! `f_ab(x) = Σ_i α_i · exp(−γ‖x − s_i‖²) − ρ`  (α signed: > 0 for class b),
//!
//! exactly linfa's `weighted_sum(x) − rho`. `f_ab(x) ≥ 0` is a vote for `b`,
//! otherwise a vote for `a`. The predicted class has the most votes; a tie is
//! broken by the larger sum of decision values in favour of each tied class
//! (`+f` for `b`, `−f` for `a`), then by the smaller label.
//!
//! After training, only what prediction needs is kept: the support vectors of
//! all pairs (their union, each row once) and, per pair, its coefficients over
//! that union and its ρ. A prediction computes the kernel between a point and
//! each support vector once, however many pairs use it (scikit-learn does the same).

use std::panic::{catch_unwind, AssertUnwindSafe};

use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use serde::Serialize;

use crate::KsvmError;

/// Width of the Gaussian (RBF) kernel `exp(−γ‖x − y‖²)`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gamma {
    /// γ = 1/D for D input features (scikit-learn's `gamma='auto'`).
    #[default]
    Auto,
    /// A fixed γ > 0.
    Value(f64),
}

impl Gamma {
    /// The value of γ for `n_features` inputs.
    pub fn resolve(self, n_features: usize) -> f64 {
        match self {
            Gamma::Auto => 1.0 / n_features as f64,
            Gamma::Value(g) => g,
        }
    }
}

impl std::fmt::Display for Gamma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gamma::Auto => write!(f, "auto"),
            Gamma::Value(g) => write!(f, "{g}"),
        }
    }
}

impl std::str::FromStr for Gamma {
    type Err = String;
    /// `auto` or a positive number, e.g. `0.5`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("auto") {
            return Ok(Gamma::Auto);
        }
        let g: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("expected 'auto' or a positive number, got '{s}'"))?;
        check_gamma(g).map_err(|e| e.to_string())?;
        Ok(Gamma::Value(g))
    }
}

fn check_gamma(g: f64) -> Result<(), KsvmError> {
    // linfa's kernel takes eps = 1/γ, which must be finite too.
    if g.is_finite() && g > 0.0 && (1.0 / g).is_finite() {
        Ok(())
    } else {
        Err(KsvmError::BadGamma(g))
    }
}

/// Hyper-parameters of [`KSVMWrap`]; [`KsvmParams::check`] runs before any work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KsvmParams {
    /// Penalty C of the soft margin (the same for both classes of every pair).
    pub c: f64,
    /// Kernel width γ.
    pub gamma: Gamma,
    /// Stopping tolerance of the SMO solver (libsvm's default 1e-3; linfa's is 1e-7).
    pub tol: f64,
    /// Which binary solver trains each pair.
    pub backend: Backend,
    /// Kernel-row cache of the SMO backend, in MiB, shared by all threads.
    pub cache_mb: usize,
}

/// The binary solver behind each one-vs-one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// linfa-svm for small problems, the SMO solver from [`AUTO_SMO_ABOVE`] points per pair.
    #[default]
    Auto,
    /// linfa-svm 0.8.1 (dense n × n kernel, one thread).
    Linfa,
    /// This crate's SMO solver ([`crate::smo`]): cached f32 kernel rows, pairs in parallel.
    Smo,
}

/// Pairs with more points than this use the SMO backend under [`Backend::Auto`].
pub const AUTO_SMO_ABOVE: usize = 2000;

impl Default for KsvmParams {
    /// C = 1, γ = auto, tolerance 1e-3 (scikit-learn's SVC defaults, with 'auto').
    fn default() -> Self {
        KsvmParams {
            c: 1.0,
            gamma: Gamma::Auto,
            tol: 1e-3,
            backend: Backend::Auto,
            cache_mb: 1024,
        }
    }
}

impl KsvmParams {
    pub fn check(&self) -> Result<(), KsvmError> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(KsvmError::BadC(self.c));
        }
        if let Gamma::Value(g) = self.gamma {
            check_gamma(g)?;
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(KsvmError::BadTolerance(self.tol));
        }
        if self.cache_mb == 0 {
            return Err(KsvmError::BadCache(self.cache_mb));
        }
        Ok(())
    }
}

/// An RBF kernel SVM; more than two classes are handled one-vs-one.
#[derive(Debug, Clone)]
pub struct KSVMWrap {
    params: KsvmParams,
    gamma: f64,
    n_features: usize,
    /// The distinct training labels, ascending.
    classes: Vec<usize>,
    /// `(a, b)` positions in `classes` of each binary SVM, a < b.
    pairs: Vec<(usize, usize)>,
    /// Training-set indices of the support vectors (union over pairs), ascending.
    support: Vec<usize>,
    /// The support vectors, one row per entry of `support`.
    sv: Array2<f64>,
    /// ‖s‖² of every support vector.
    sv_sq: Array1<f64>,
    /// `coef[[u, p]]`: signed α of support vector u in pair p (0 where unused).
    coef: Array2<f64>,
    /// ρ of every pair.
    rho: Array1<f64>,
    /// Number of support vectors of every pair.
    pair_support: Vec<usize>,
}

/// What linfa treats as a non-zero α (see `Svm::nsupport`).
fn is_support(alpha: f64) -> bool {
    alpha.abs() > 100.0 * f64::EPSILON
}

/// Checks X and Y_ and returns the distinct labels (ascending).
fn check_data(x: ArrayView2<f64>, y: &[usize]) -> Result<Vec<usize>, KsvmError> {
    if x.nrows() != y.len() {
        return Err(KsvmError::LengthMismatch {
            x: x.nrows(),
            y: y.len(),
        });
    }
    if x.nrows() == 0 {
        return Err(KsvmError::Empty);
    }
    if x.ncols() == 0 {
        return Err(KsvmError::NoFeatures);
    }
    check_finite(x)?;
    let mut classes = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(KsvmError::SingleClass(classes[0]));
    }
    Ok(classes)
}

fn check_finite(x: ArrayView2<f64>) -> Result<(), KsvmError> {
    match x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), &value)) => Err(KsvmError::NonFinite { row, col, value }),
        None => Ok(()),
    }
}

/// One binary SVM: signed α (in the order of `rows`) and ρ.
fn fit_pair(
    x: ArrayView2<f64>,
    positive: &[bool],
    params: &KsvmParams,
    eps: f64,
) -> Result<(Vec<f64>, f64), linfa_svm::SvmError> {
    let svm = Svm::<f64, bool>::params()
        .pos_neg_weights(params.c, params.c)
        .gaussian_kernel(eps)
        .eps(params.tol)
        // Shrinking stays off: linfa 0.8.1 panics in its shrinking step on real data.
        .shrinking(false);
    let ds = Dataset::new(x.to_owned(), Array1::from(positive.to_vec()));
    let model = svm.fit(&ds)?;
    Ok((model.alpha, model.rho))
}

/// Trains the pairs that use the SMO backend, in parallel on all cores;
/// `None` for the pairs left to linfa. `on_pair(done, total)` counts SMO pairs.
#[allow(clippy::too_many_arguments)]
fn fit_pairs_smo(
    x: ArrayView2<f64>,
    y: &[usize],
    classes: &[usize],
    pairs: &[(usize, usize)],
    pair_rows: &[Vec<usize>],
    params: &KsvmParams,
    gamma: f64,
    use_smo: &dyn Fn(&[usize]) -> bool,
    on_pair: &mut dyn FnMut(usize, usize),
) -> Vec<Option<(Vec<f64>, f64)>> {
    let x32 = x.mapv(|v| v as f32);
    let todo: Vec<usize> = (0..pairs.len())
        .filter(|&p| use_smo(&pair_rows[p]))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(todo.len())
        .max(1);
    let settings = crate::smo::SmoSettings {
        c: params.c,
        gamma,
        tol: params.tol,
        cache_bytes: params.cache_mb * (1 << 20) / workers,
        max_iter: 100_000_000,
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out = vec![None; pairs.len()];
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (todo, next, x32) = (&todo, &next, &x32);
            scope.spawn(move || loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&p) = todo.get(k) else { break };
                let rows = &pair_rows[p];
                let cb = classes[pairs[p].1];
                let positive: Vec<bool> = rows.iter().map(|&i| y[i] == cb).collect();
                let xp = x32.select(Axis(0), rows);
                let sol = crate::smo::solve(xp.view(), &positive, &settings);
                if tx.send((p, sol.coef, sol.rho)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (done, (p, coef, rho)) in rx.iter().enumerate() {
            out[p] = Some((coef, rho));
            on_pair(done + 1, todo.len());
        }
    });
    out
}

impl KSVMWrap {
    /// Trains on X (N × D) and labels Y_ (N) with penalty `c` and kernel width `gamma`
    /// (solver tolerance 1e-3). Any labels work; at least two distinct ones are needed.
    pub fn new(x: ArrayView2<f64>, y: &[usize], c: f64, gamma: Gamma) -> Result<Self, KsvmError> {
        Self::fit(
            x,
            y,
            &KsvmParams {
                c,
                gamma,
                ..KsvmParams::default()
            },
        )
    }

    /// Trains with every hyper-parameter given; all inputs are validated first.
    pub fn fit(x: ArrayView2<f64>, y: &[usize], params: &KsvmParams) -> Result<Self, KsvmError> {
        Self::fit_with_progress(x, y, params, &mut |_, _| {})
    }

    /// Like [`KSVMWrap::fit`], calling `on_pair(done, total)` after each
    /// one-vs-one pair is trained (for a progress bar on large problems).
    pub fn fit_with_progress(
        x: ArrayView2<f64>,
        y: &[usize],
        params: &KsvmParams,
        on_pair: &mut dyn FnMut(usize, usize),
    ) -> Result<Self, KsvmError> {
        params.check()?;
        let classes = check_data(x, y)?;
        let n_features = x.ncols();
        let gamma = params.gamma.resolve(n_features);
        let eps = 1.0 / gamma; // linfa: exp(−‖x − y‖² / eps)

        let k = classes.len();
        let pairs: Vec<(usize, usize)> = (0..k)
            .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
            .collect();
        // α of every training point in every pair (0 outside the pair).
        let mut alpha = Array2::<f64>::zeros((x.nrows(), pairs.len()));
        let mut rho = Array1::<f64>::zeros(pairs.len());
        let pair_rows: Vec<Vec<usize>> = pairs
            .iter()
            .map(|&(a, b)| {
                (0..y.len())
                    .filter(|&i| y[i] == classes[a] || y[i] == classes[b])
                    .collect()
            })
            .collect();
        let use_smo = |rows: &[usize]| match params.backend {
            Backend::Linfa => false,
            Backend::Smo => true,
            Backend::Auto => rows.len() > AUTO_SMO_ABOVE,
        };
        let smo_fits = if pair_rows.iter().any(|r| use_smo(r)) {
            fit_pairs_smo(
                x, y, &classes, &pairs, &pair_rows, params, gamma, &use_smo, on_pair,
            )
        } else {
            vec![None; pairs.len()]
        };
        for (p, &(a, b)) in pairs.iter().enumerate() {
            let (ca, cb) = (classes[a], classes[b]);
            let rows = &pair_rows[p];
            let positive: Vec<bool> = rows.iter().map(|&i| y[i] == cb).collect();
            let fitted = match &smo_fits[p] {
                Some(fit) => fit.clone(),
                None => {
                    let xp = x.select(Axis(0), rows);
                    // linfa-svm validates its inputs with asserts; ours are checked above,
                    // so a panic here is a solver bug, reported as an error, not a crash.
                    let f = catch_unwind(AssertUnwindSafe(|| {
                        fit_pair(xp.view(), &positive, params, eps)
                    }))
                    .map_err(|_| KsvmError::SolverPanicked { a: ca, b: cb })?
                    .map_err(|source| KsvmError::Svm {
                        a: ca,
                        b: cb,
                        source,
                    })?;
                    on_pair(p + 1, pairs.len());
                    f
                }
            };
            let (pair_alpha, pair_rho) = fitted;
            if pair_alpha.len() != rows.len() {
                return Err(KsvmError::SolverOutput {
                    a: ca,
                    b: cb,
                    expected: rows.len(),
                    found: pair_alpha.len(),
                });
            }
            for (&i, &al) in rows.iter().zip(&pair_alpha) {
                alpha[[i, p]] = al;
            }
            rho[p] = pair_rho;
        }

        let support: Vec<usize> = (0..x.nrows())
            .filter(|&i| alpha.row(i).iter().any(|&a| is_support(a)))
            .collect();
        let pair_support = (0..pairs.len())
            .map(|p| alpha.column(p).iter().filter(|&&a| is_support(a)).count())
            .collect();
        let sv = x.select(Axis(0), &support);
        let sv_sq = sv.map_axis(Axis(1), |r| r.dot(&r));
        let coef = alpha
            .select(Axis(0), &support)
            .mapv(|a| if is_support(a) { a } else { 0.0 });
        Ok(KSVMWrap {
            params: *params,
            gamma,
            n_features,
            classes,
            pairs,
            support,
            sv,
            sv_sq,
            coef,
            rho,
            pair_support,
        })
    }

    /// Indices (into the training set) of the support vectors of any pair, ascending.
    pub fn support(&self) -> Vec<usize> {
        self.support.clone()
    }

    /// Number of distinct support vectors.
    pub fn n_support(&self) -> usize {
        self.support.len()
    }

    /// Support vectors of every binary SVM, in the order of [`KSVMWrap::pairs`].
    pub fn pair_support(&self) -> &[usize] {
        &self.pair_support
    }

    /// The class labels of every binary SVM: `(a, b)` with `b` the positive class.
    pub fn pairs(&self) -> Vec<(usize, usize)> {
        self.pairs
            .iter()
            .map(|&(a, b)| (self.classes[a], self.classes[b]))
            .collect()
    }

    /// The distinct training labels, ascending.
    pub fn classes(&self) -> &[usize] {
        &self.classes
    }

    /// The γ used (1/D for `Gamma::Auto`).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    pub fn params(&self) -> &KsvmParams {
        &self.params
    }

    fn check_input(&self, x: ArrayView2<f64>) -> Result<(), KsvmError> {
        if x.ncols() != self.n_features {
            return Err(KsvmError::InputDim {
                expected: self.n_features,
                found: x.ncols(),
            });
        }
        check_finite(x)
    }

    /// Raw decision values, N × (number of pairs): column p is `f_ab` of pair p
    /// (see [`KSVMWrap::pairs`]); `≥ 0` votes for `b`. With two classes, the one
    /// column is the decision value of class 1 against class 0.
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, KsvmError> {
        self.check_input(x)?;
        let mut out = Array2::zeros((x.nrows(), self.pairs.len()));
        // Rows in blocks, so that the N × (support vectors) kernel block stays small.
        const BLOCK: usize = 1024;
        let eps = 1.0 / self.gamma;
        for start in (0..x.nrows()).step_by(BLOCK) {
            let end = (start + BLOCK).min(x.nrows());
            let xb = x.slice(s![start..end, ..]);
            let x_sq = xb.map_axis(Axis(1), |r| r.dot(&r));
            // ‖x − s‖² = ‖x‖² + ‖s‖² − 2·x·s, clamped at 0 against rounding.
            let mut k = xb.dot(&self.sv.t()) * -2.0;
            for ((i, u), v) in k.indexed_iter_mut() {
                *v = (-(*v + x_sq[i] + self.sv_sq[u]).max(0.0) / eps).exp();
            }
            let f = k.dot(&self.coef) - &self.rho;
            out.slice_mut(s![start..end, ..]).assign(&f);
        }
        Ok(out)
    }

    /// Per-class scores, N × C (classes in the order of [`KSVMWrap::classes`]):
    /// `votes_k + σ_k / (3·(|σ_k| + 1))`, where σ_k sums the decision values in
    /// favour of class k. The second term lies in (−⅓, ⅓), so it only orders
    /// classes with equal votes: the arg-max of a row is the prediction. With
    /// two classes, column 1 increases with the decision value, so it ranks
    /// points exactly as the decision value does (use it for average precision).
    pub fn get_scores(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, KsvmError> {
        let f = self.decision_function(x)?;
        Ok(ovo_scores(f.view(), &self.pairs, self.classes.len()))
    }

    /// Predicted labels: most one-vs-one votes; ties go to the larger summed
    /// decision value, then to the smaller label.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>, KsvmError> {
        let scores = self.get_scores(x)?;
        Ok(scores
            .rows()
            .into_iter()
            .map(|r| self.classes[first_argmax(r)])
            .collect())
    }
}

/// One-vs-one votes turned into per-class scores (see [`KSVMWrap::get_scores`]):
/// `f` is N × P decision values of the class-index pairs `pairs`, `k` the number of classes.
pub fn ovo_scores(f: ArrayView2<f64>, pairs: &[(usize, usize)], k: usize) -> Array2<f64> {
    let mut votes = Array2::<f64>::zeros((f.nrows(), k));
    let mut conf = Array2::<f64>::zeros((f.nrows(), k));
    for (p, &(a, b)) in pairs.iter().enumerate() {
        for (i, &v) in f.column(p).iter().enumerate() {
            let winner = if v >= 0.0 { b } else { a };
            votes[[i, winner]] += 1.0;
            conf[[i, b]] += v;
            conf[[i, a]] -= v;
        }
    }
    votes + conf.mapv(|s| s / (3.0 * (s.abs() + 1.0)))
}

/// Position of the largest value; the first one on ties.
fn first_argmax(row: ndarray::ArrayView1<f64>) -> usize {
    row.iter()
        .enumerate()
        .fold(0, |best, (k, &v)| if v > row[best] { k } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, Array2};
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    fn gmm(seed: u64, k: usize, c: usize, n: usize) -> (Array2<f64>, Vec<usize>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (x, y) = data::sample_gmm_2d(k, c, n, &mut rng).unwrap();
        (x, y.to_vec())
    }

    fn correct(pred: &[usize], y: &[usize]) -> usize {
        pred.iter().zip(y).filter(|(p, t)| p == t).count()
    }

    /// Four tight blobs (σ = 0.3) at the corners of a 20 × 20 square, labelled
    /// 2, 5, 7, 9 (not 0..C, to check the label bookkeeping).
    fn blobs(seed: u64, n: usize) -> (Array2<f64>, Vec<usize>) {
        let centres = [(0.0, 0.0), (20.0, 0.0), (0.0, 20.0), (20.0, 20.0)];
        let labels = [2, 5, 7, 9];
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let noise = Normal::new(0.0, 0.3).unwrap();
        let mut x = Array2::zeros((4 * n, 2));
        let mut y = Vec::new();
        for (k, &(cx, cy)) in centres.iter().enumerate() {
            for i in 0..n {
                x[[k * n + i, 0]] = cx + noise.sample(&mut rng);
                x[[k * n + i, 1]] = cy + noise.sample(&mut rng);
                y.push(labels[k]);
            }
        }
        (x, y)
    }

    #[test]
    fn gamma_parses_and_resolves() {
        assert_eq!("auto".parse::<Gamma>().unwrap(), Gamma::Auto);
        assert_eq!("0.25".parse::<Gamma>().unwrap(), Gamma::Value(0.25));
        assert!("-1".parse::<Gamma>().is_err());
        assert!("0".parse::<Gamma>().is_err());
        assert!("NaN".parse::<Gamma>().is_err());
        assert!("wide".parse::<Gamma>().is_err());
        assert_eq!(Gamma::Auto.resolve(2), 0.5);
        assert_eq!(Gamma::Value(3.0).resolve(2), 3.0);
    }

    #[test]
    fn reference_toy_accuracy_and_support_count() {
        // Measured with seed 100 on sample_gmm_2d(6, 2, 10), C = 1, γ = auto
        // (0.5), tolerance 1e-3: 56 of 60 points right (accuracy 0.9333) and
        // 46 support vectors (linfa's own `nsupport` agrees).
        let (x, y) = gmm(100, 6, 2, 10);
        let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
        assert_eq!(m.gamma(), 0.5);
        assert_eq!(m.classes(), &[0, 1]);
        let pred = m.predict(x.view()).unwrap();
        assert_eq!(correct(&pred, &y), 56);
        assert_eq!(m.n_support(), 46);
        assert_eq!(m.pair_support(), &[46]);
        // 'auto' is 1/D: the same model as an explicit γ = 0.5.
        let explicit = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Value(0.5)).unwrap();
        assert_eq!(
            explicit.decision_function(x.view()).unwrap(),
            m.decision_function(x.view()).unwrap()
        );
    }

    #[test]
    fn decision_values_match_linfa() {
        // Our batched kernel evaluation against linfa's weighted_sum − rho,
        // and our support set against the non-zero α of linfa's model.
        let (x, y) = gmm(3, 6, 2, 10);
        let m = KSVMWrap::new(x.view(), &y, 2.0, Gamma::Value(0.8)).unwrap();
        let targets = Array1::from(y.iter().map(|&c| c == 1).collect::<Vec<_>>());
        let linfa_model = Svm::<f64, bool>::params()
            .pos_neg_weights(2.0, 2.0)
            .gaussian_kernel(1.0 / 0.8)
            .eps(1e-3)
            .fit(&Dataset::new(x.clone(), targets))
            .unwrap();
        let f = m.decision_function(x.view()).unwrap();
        for (i, row) in x.outer_iter().enumerate() {
            let want = linfa_model.weighted_sum(&row) - linfa_model.rho;
            assert!((f[[i, 0]] - want).abs() < 1e-10, "{} vs {want}", f[[i, 0]]);
        }
        let want: Vec<usize> = (0..y.len())
            .filter(|&i| is_support(linfa_model.alpha[i]))
            .collect();
        assert_eq!(m.support(), want);
        assert_eq!(m.n_support(), linfa_model.nsupport());
    }

    #[test]
    fn support_indices_are_valid_and_sufficient() {
        for seed in [100, 1, 2, 7] {
            let (x, y) = gmm(seed, 6, 2, 10);
            let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
            let s = m.support();
            assert!(!s.is_empty());
            assert!(s.iter().all(|&i| i < x.nrows()));
            assert!(s.windows(2).all(|w| w[0] < w[1]), "ascending, unique");
            // The points with α = 0 do not shape the solution: a model trained
            // on the support vectors alone classifies every training point alike.
            let ys: Vec<usize> = s.iter().map(|&i| y[i]).collect();
            let m2 = KSVMWrap::new(x.select(Axis(0), &s).view(), &ys, 1.0, Gamma::Auto).unwrap();
            assert_eq!(
                m2.predict(x.view()).unwrap(),
                m.predict(x.view()).unwrap(),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn binary_decision_sign_scores_and_predict_agree() {
        let (x, y) = gmm(5, 6, 2, 10);
        let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
        // Points beyond the training set too: a grid over the square.
        let grid = Array2::from_shape_fn((400, 2), |(i, k)| {
            if k == 0 {
                (i % 20) as f64 * 0.6 - 1.0
            } else {
                (i / 20) as f64 * 0.6 - 1.0
            }
        });
        for pts in [x.view(), grid.view()] {
            let f = m.decision_function(pts).unwrap();
            let scores = m.get_scores(pts).unwrap();
            let pred = m.predict(pts).unwrap();
            assert_eq!(f.ncols(), 1);
            assert_eq!(scores.dim(), (pts.nrows(), 2));
            for i in 0..pts.nrows() {
                assert_eq!(pred[i], usize::from(f[[i, 0]] >= 0.0));
                assert_eq!(pred[i], first_argmax(scores.row(i)));
            }
        }
        // Column 1 of the scores ranks points as the decision value does: same AP.
        let f = m.decision_function(x.view()).unwrap();
        let s = m.get_scores(x.view()).unwrap();
        let labels: Vec<bool> = y.iter().map(|&c| c == 1).collect();
        let ap_f = metrics::eval_ap_from_scores(&f.column(0).to_vec(), &labels).unwrap();
        let ap_s = metrics::eval_ap_from_scores(&s.column(1).to_vec(), &labels).unwrap();
        assert_eq!(ap_f, ap_s);
    }

    #[test]
    fn one_vs_one_separates_four_blobs() {
        let (x, y) = blobs(11, 15);
        let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
        assert_eq!(m.classes(), &[2, 5, 7, 9]);
        assert_eq!(m.pairs().len(), 6, "4 classes give 4·3/2 binary SVMs");
        assert_eq!(m.pairs()[0], (2, 5));
        assert_eq!(m.predict(x.view()).unwrap(), y);
        // New points from the same blobs.
        let (xt, yt) = blobs(12, 10);
        assert_eq!(m.predict(xt.view()).unwrap(), yt);
        // The union of the pairs' support vectors, mapped to training indices.
        let s = m.support();
        assert!(!s.is_empty() && s.iter().all(|&i| i < x.nrows()));
        assert!(s.len() <= m.pair_support().iter().sum::<usize>());
        for label in [2, 5, 7, 9] {
            assert!(s.iter().any(|&i| y[i] == label), "class {label} has SVs");
        }
        let scores = m.get_scores(x.view()).unwrap();
        assert_eq!(scores.dim(), (60, 4));
        // The winner of a well-separated point beats every other class: 3 votes.
        assert!(scores
            .rows()
            .into_iter()
            .all(|r| r.iter().any(|&v| v > 2.9)));
    }

    #[test]
    fn vote_ties_go_to_the_larger_summed_decision_value() {
        // Three classes, pairs (0,1), (0,2), (1,2). f = [+0.5, −0.2, +0.1]:
        // votes 1, 0, 2, one each. Summed decision values in favour of each class:
        // class 0: −0.5 + 0.2 = −0.3; class 1: 0.5 − 0.1 = 0.4; class 2: −0.2 + 0.1 = −0.1.
        let pairs = [(0, 1), (0, 2), (1, 2)];
        let s = ovo_scores(arr2(&[[0.5, -0.2, 0.1]]).view(), &pairs, 3);
        assert_eq!(first_argmax(s.row(0)), 1);
        let squash = |v: f64| v / (3.0 * (v.abs() + 1.0));
        assert!((s[[0, 0]] - (1.0 + squash(-0.3))).abs() < 1e-12);
        // More votes always win over a larger summed value: class 0 gets two
        // votes with tiny margins, class 2 one with a huge one.
        let s = ovo_scores(arr2(&[[-0.01, -0.01, 50.0]]).view(), &pairs, 3);
        assert_eq!(first_argmax(s.row(0)), 0);
    }

    #[test]
    fn smo_backend_agrees_with_linfa() {
        for (seed, k, c, n, gamma) in [
            (100, 6, 2, 10, Gamma::Auto),
            (3, 8, 3, 30, Gamma::Value(0.2)),
            (7, 10, 4, 25, Gamma::Auto),
        ] {
            let (x, y) = gmm(seed, k, c, n);
            let fit = |backend| {
                let p = KsvmParams {
                    backend,
                    gamma,
                    tol: 1e-4,
                    ..KsvmParams::default()
                };
                KSVMWrap::fit(x.view(), &y, &p).unwrap()
            };
            let (lin, smo) = (fit(Backend::Linfa), fit(Backend::Smo));
            let (fl, fs) = (
                lin.decision_function(x.view()).unwrap(),
                smo.decision_function(x.view()).unwrap(),
            );
            let scale = fl.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let worst = (&fl - &fs).iter().fold(0.0f64, |m, v| m.max(v.abs())) / scale;
            assert!(
                worst < 1e-3,
                "seed {seed}: decision values differ by {worst} (relative)"
            );
            // Same predictions wherever the decision is not a near-tie.
            let (pl, ps) = (
                lin.predict(x.view()).unwrap(),
                smo.predict(x.view()).unwrap(),
            );
            let disagree = pl.iter().zip(&ps).filter(|(a, b)| a != b).count();
            assert_eq!(disagree, 0, "seed {seed}");
        }
    }

    #[test]
    fn bad_hyper_parameters_are_typed_errors() {
        let (x, y) = gmm(100, 6, 2, 10);
        let fit = |c: f64, g: Gamma| KSVMWrap::new(x.view(), &y, c, g);
        assert!(matches!(fit(0.0, Gamma::Auto), Err(KsvmError::BadC(c)) if c == 0.0));
        assert!(matches!(fit(-1.0, Gamma::Auto), Err(KsvmError::BadC(_))));
        assert!(matches!(
            fit(f64::NAN, Gamma::Auto),
            Err(KsvmError::BadC(_))
        ));
        assert!(matches!(
            fit(f64::INFINITY, Gamma::Auto),
            Err(KsvmError::BadC(_))
        ));
        for g in [0.0, -0.5, f64::NAN, f64::INFINITY, 1e-320] {
            assert!(
                matches!(fit(1.0, Gamma::Value(g)), Err(KsvmError::BadGamma(_))),
                "gamma {g}"
            );
        }
        let p = KsvmParams {
            cache_mb: 0,
            ..KsvmParams::default()
        };
        assert!(matches!(
            KSVMWrap::fit(x.view(), &y, &p),
            Err(KsvmError::BadCache(0))
        ));
        let p = KsvmParams {
            tol: 0.0,
            ..KsvmParams::default()
        };
        assert!(matches!(
            KSVMWrap::fit(x.view(), &y, &p),
            Err(KsvmError::BadTolerance(_))
        ));
    }

    #[test]
    fn bad_data_are_typed_errors() {
        let x = arr2(&[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]);
        let fit = |x: ArrayView2<f64>, y: &[usize]| KSVMWrap::new(x, y, 1.0, Gamma::Auto);
        assert!(matches!(
            fit(x.view(), &[0, 1]),
            Err(KsvmError::LengthMismatch { x: 3, y: 2 })
        ));
        assert!(matches!(
            fit(Array2::zeros((0, 2)).view(), &[]),
            Err(KsvmError::Empty)
        ));
        assert!(matches!(
            fit(Array2::zeros((2, 0)).view(), &[0, 1]),
            Err(KsvmError::NoFeatures)
        ));
        assert!(matches!(
            fit(x.view(), &[4, 4, 4]),
            Err(KsvmError::SingleClass(4))
        ));
        let mut bad = x.clone();
        bad[[2, 1]] = f64::NAN;
        assert!(matches!(
            fit(bad.view(), &[0, 1, 1]),
            Err(KsvmError::NonFinite { row: 2, col: 1, .. })
        ));
        bad[[2, 1]] = f64::NEG_INFINITY;
        assert!(matches!(
            fit(bad.view(), &[0, 1, 1]),
            Err(KsvmError::NonFinite { row: 2, col: 1, .. })
        ));

        let m = fit(x.view(), &[0, 1, 1]).unwrap();
        let three = Array2::<f64>::zeros((4, 3));
        assert!(matches!(
            m.predict(three.view()),
            Err(KsvmError::InputDim {
                expected: 2,
                found: 3
            })
        ));
        assert!(matches!(
            m.get_scores(three.view()),
            Err(KsvmError::InputDim { .. })
        ));
        assert!(matches!(
            m.predict(bad.view()),
            Err(KsvmError::NonFinite { row: 2, .. })
        ));
        assert!(m.predict(Array2::zeros((0, 2)).view()).unwrap().is_empty());
    }
}
