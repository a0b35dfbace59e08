//! The model: one kernel SVM per pair of classes (one-vs-one, see [`crate::ovo`]).
//!
//! For every pair of classes `a < b` a binary C-SVM is trained on the points of
//! those two classes only, with `b` as the positive class (`pairs.rs`).
//! Its decision value is
//!
//! `f_ab(x) = Σ_i α_i · K(x, s_i) − ρ`  (α signed: > 0 for class b),
//!
//! exactly linfa's `weighted_sum(x) − rho`, with `K` the RBF kernel
//! `exp(−γ‖x − s‖²)` or the linear kernel `x · s`.
//!
//! After training, only what prediction needs is kept: the support vectors of
//! all pairs (their union, each row once) and, per pair, its coefficients over
//! that union and its ρ. A prediction computes the kernel between a point and
//! each support vector once, however many pairs use it (scikit-learn does the
//! same). With the linear kernel each pair is a hyperplane `w_ab · x − ρ`, and
//! the weights `w_ab = Σ_i α_i s_i` are computed once.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use tch::{Kind, Tensor};

use crate::ovo::{class_pairs, ovo_scores};
use crate::pairs::{fit_pairs, PairData, PairFit};
use crate::params::{Gamma, Kernel, KsvmParams, ResolvedKernel};
use crate::KsvmError;

/// A kernel SVM (RBF or linear); more than two classes are handled one-vs-one.
#[derive(Debug, Clone)]
pub struct KSVMWrap {
    params: KsvmParams,
    expansion: Expansion,
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

/// How the decision values are computed.
#[derive(Debug, Clone)]
enum Expansion {
    /// Through the support vectors: `Σ_u coef[u, p] · exp(−γ‖x − s_u‖²)`.
    Rbf { gamma: f64 },
    /// Through the hyperplanes `w[[j, p]]` (D × pairs), `w_p = Σ_u coef[u, p] · s_u`.
    Linear { w: Array2<f64> },
}

/// What the solver did during a fit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FitStats {
    /// Kernel rows the SMO solver computed over all pairs (its cache
    /// misses); `None` when a pair went to linfa-svm, which does not say.
    pub kernel_rows: Option<usize>,
    /// Their floating-point operations: a row of a pair with n points is n
    /// kernel values, each a D-long dot product (2·D; the exponential and the
    /// norms are left out).
    pub kernel_flops: Option<f64>,
}

impl FitStats {
    fn of(fits: &[PairFit], rows: &[Vec<usize>], d: usize) -> FitStats {
        let per_pair: Option<Vec<(usize, usize)>> = fits
            .iter()
            .zip(rows)
            .map(|(f, r)| f.kernel_rows.map(|k| (k, r.len())))
            .collect();
        FitStats {
            kernel_rows: per_pair.as_ref().map(|v| v.iter().map(|&(k, _)| k).sum()),
            kernel_flops: per_pair.map(|v| {
                v.iter()
                    .map(|&(k, n)| 2.0 * d as f64 * n as f64 * k as f64)
                    .sum()
            }),
        }
    }
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
    match classes.as_slice() {
        [only] => Err(KsvmError::SingleClass(*only)),
        _ => Ok(classes),
    }
}

fn check_finite(x: ArrayView2<f64>) -> Result<(), KsvmError> {
    match x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        Some(((row, col), &value)) => Err(KsvmError::NonFinite { row, col, value }),
        None => Ok(()),
    }
}

impl KSVMWrap {
    /// The course's constructor: trains an RBF SVM on X (N × D) and labels Y_ (N)
    /// with penalty `c` and kernel width `gamma` (solver tolerance 1e-3).
    /// Any labels work; at least two distinct ones are needed.
    pub fn new(x: ArrayView2<f64>, y: &[usize], c: f64, gamma: Gamma) -> Result<Self, KsvmError> {
        // exercise(ksvm_wrap.wrapper) begin
        Self::fit(
            x,
            y,
            &KsvmParams {
                c,
                kernel: Kernel::Rbf { gamma },
                ..Default::default()
            },
        )
        // exercise(ksvm_wrap.wrapper) end
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
        Self::fit_with_stats(x, y, params, on_pair).map(|(model, _)| model)
    }

    /// Like [`KSVMWrap::fit_with_progress`], also returning what the solver
    /// did ([`FitStats`], for the benchmark's roofline).
    pub fn fit_with_stats(
        x: ArrayView2<f64>,
        y: &[usize],
        params: &KsvmParams,
        on_pair: &mut dyn FnMut(usize, usize),
    ) -> Result<(Self, FitStats), KsvmError> {
        params.check()?;
        let classes = check_data(x, y)?;
        let kernel = params.kernel.resolve(x)?;
        let pairs = class_pairs(classes.len());
        let data = PairData::new(x, y, &classes, &pairs);
        let fits = fit_pairs(&data, params, kernel, on_pair)?;
        let stats = FitStats::of(&fits, &data.rows, x.ncols());
        let model = Self::from_fits(x, params, kernel, classes, pairs, &data, &fits)?;
        Ok((model, stats))
    }

    /// The model from every pair's α and ρ: keeps only what prediction needs.
    fn from_fits(
        x: ArrayView2<f64>,
        params: &KsvmParams,
        kernel: ResolvedKernel,
        classes: Vec<usize>,
        pairs: Vec<(usize, usize)>,
        data: &PairData<'_>,
        fits: &[PairFit],
    ) -> Result<Self, KsvmError> {
        // α of every training point in every pair (0 outside the pair).
        let mut alpha = Array2::<f64>::zeros((x.nrows(), pairs.len()));
        let mut rho = Array1::<f64>::zeros(pairs.len());
        for (p, fit) in fits.iter().enumerate() {
            for (&i, &al) in data.rows[p].iter().zip(&fit.alpha) {
                alpha[[i, p]] = al;
            }
            rho[p] = fit.rho;
        }
        // exercise(ksvm_wrap.wrapper) begin
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
        let expansion = match kernel {
            ResolvedKernel::Linear => Expansion::Linear {
                w: sv.t().dot(&coef),
            },
            ResolvedKernel::Rbf { gamma } => Expansion::Rbf { gamma },
        };
        Ok(KSVMWrap {
            params: *params,
            expansion,
            n_features: x.ncols(),
            classes,
            pairs,
            support,
            sv,
            sv_sq,
            coef,
            rho,
            pair_support,
        })
        // exercise(ksvm_wrap.wrapper) end
    }

    /// Indices (into the training set) of the support vectors of any pair, ascending.
    pub fn support(&self) -> Vec<usize> {
        // exercise(ksvm_wrap.wrapper) begin
        self.support.clone()
        // exercise(ksvm_wrap.wrapper) end
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

    /// The kernel with γ resolved on the training inputs.
    pub fn kernel(&self) -> ResolvedKernel {
        match self.expansion {
            Expansion::Rbf { gamma } => ResolvedKernel::Rbf { gamma },
            Expansion::Linear { .. } => ResolvedKernel::Linear,
        }
    }

    /// The γ used by the RBF kernel (1/D for `Gamma::Auto`); `None` for the linear kernel.
    pub fn gamma(&self) -> Option<f64> {
        match self.expansion {
            Expansion::Rbf { gamma } => Some(gamma),
            Expansion::Linear { .. } => None,
        }
    }

    /// Linear kernel only: the hyperplanes, D × pairs (column p is `w` of pair p,
    /// whose decision value is `w · x − ρ_p`); `None` for the RBF kernel.
    pub fn linear_weights(&self) -> Option<ArrayView2<'_, f64>> {
        match &self.expansion {
            Expansion::Linear { w } => Some(w.view()),
            Expansion::Rbf { .. } => None,
        }
    }

    /// ρ of every pair, in the order of [`KSVMWrap::pairs`].
    pub fn rho(&self) -> &Array1<f64> {
        &self.rho
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
        let gamma = match &self.expansion {
            Expansion::Linear { w } => return Ok(x.dot(w) - &self.rho),
            Expansion::Rbf { gamma } => *gamma,
        };
        // exercise(ksvm_wrap.wrapper) begin
        // In libtorch, f64 throughout, so that the products and exp use every
        // core (10,000 MNIST test images against 3,745 support vectors: 59 GFLOP).
        // −γ‖x − s‖² = −γ‖x‖² − γ‖s‖² + 2γ·x·s: one product with the support
        // vectors scaled by 2γ, added to −γ‖s‖², then in place: −γ‖x‖², a
        // clamp at 0 against rounding (a distance is never negative), exp.
        let sv_2g = torch_util::to_tensor_f64(self.sv.view(), tch::Device::Cpu) * (2.0 * gamma);
        let sv_term = Tensor::from_slice(&self.sv_sq.to_vec()).unsqueeze(0) * -gamma;
        let coef = torch_util::to_tensor_f64(self.coef.view(), tch::Device::Cpu);
        let rho = Tensor::from_slice(&self.rho.to_vec()).unsqueeze(0);
        let mut out = Array2::zeros((x.nrows(), self.pairs.len()));
        // Rows in blocks, so that the N × (support vectors) kernel block stays small.
        const BLOCK: usize = 2048;
        for start in (0..x.nrows()).step_by(BLOCK) {
            let end = (start + BLOCK).min(x.nrows());
            let xb = torch_util::to_tensor_f64(x.slice(s![start..end, ..]), tch::Device::Cpu);
            let x_term = (&xb * &xb).sum_dim_intlist(1, true, Kind::Double) * -gamma;
            let mut k = sv_term.addmm(&xb, &sv_2g.tr());
            k += &x_term;
            let _ = k.clamp_max_(0.0).exp_();
            let f = k.matmul(&coef) - &rho;
            out.slice_mut(s![start..end, ..])
                .assign(&torch_util::to_array2(&f)?);
        }
        Ok(out)
        // exercise(ksvm_wrap.wrapper) end
    }

    /// Per-class scores, N × C (classes in the order of [`KSVMWrap::classes`]):
    /// the one-vs-one votes plus the summed decision values squashed into
    /// (−⅓, ⅓) (see [`ovo_scores`]): the arg-max of a row is the prediction.
    /// With two classes, column 1 increases with the decision value, so it
    /// ranks points exactly as the decision value does (use it for average precision).
    pub fn get_scores(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, KsvmError> {
        // exercise(ksvm_wrap.wrapper) begin
        let f = self.decision_function(x)?;
        Ok(ovo_scores(f.view(), &self.pairs, self.classes.len()))
        // exercise(ksvm_wrap.wrapper) end
    }

    /// Scores with one column per label `0..c` (a label absent from the
    /// training set keeps a zero column, which never wins: the winner has at
    /// least one vote), as [`metrics::average_precision_of_proba`] expects them.
    pub fn class_scores(&self, x: ArrayView2<f64>, c: usize) -> Result<Array2<f64>, KsvmError> {
        if let Some(&label) = self.classes.iter().find(|&&l| l >= c) {
            return Err(KsvmError::LabelOutOfRange { label, classes: c });
        }
        let s = self.get_scores(x)?;
        let mut out = Array2::zeros((x.nrows(), c));
        for (k, &label) in self.classes.iter().enumerate() {
            out.column_mut(label).assign(&s.column(k));
        }
        Ok(out)
    }

    /// Predicted labels: most one-vs-one votes; ties go to the larger summed
    /// decision value, then to the smaller label.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<usize>, KsvmError> {
        // exercise(ksvm_wrap.wrapper) begin
        let scores = self.get_scores(x)?;
        Ok(metrics::argmax_rows(scores.view())
            .into_iter()
            .map(|k| self.classes[k])
            .collect())
        // exercise(ksvm_wrap.wrapper) end
    }
}

#[cfg(test)]
mod tests;
