//! # fcann2: a two-layer classifier with backpropagation written by hand (Lab 1)
//!
//! No autograd here: every gradient is a matrix expression in `ndarray`. For
//! X (N × D), one hidden layer of H ReLU units and C classes:
//!
//! ```text
//! s1 = X·W1 + b1      W1: D × H, b1: H      s1, h1: N × H
//! h1 = ReLU(s1)
//! s2 = h1·W2 + b2     W2: H × C, b2: C      s2, P:  N × C
//! P  = softmax(s2)    (row by row, the row maximum subtracted first)
//!
//! loss = −(1/N) · Σ_i log P[i, y_i]  +  λ/2 · (‖W1‖² + ‖W2‖²)
//! ```
//!
//! `‖·‖` is the Frobenius norm and the biases are not regularised. The
//! gradients of that loss, for the whole batch, from the output back to the
//! input (Yoh is the one-hot N × C matrix of the labels):
//!
//! ```text
//! G_s2 = (P − Yoh) / N                 N × C
//! ∂W2  = h1ᵀ·G_s2 + λ·W2               ∂b2 = column sums of G_s2
//! G_h1 = G_s2·W2ᵀ                      N × H
//! G_s1 = G_h1 ⊙ [s1 > 0]
//! ∂W1  = Xᵀ·G_s1 + λ·W1                ∂b1 = column sums of G_s1
//! ```
//!
//! - [`model`]: [`Fcann2Model`] (the weights) and its initialisation;
//! - [`checks`]: the checks on the data (finite, labels that fit);
//! - [`backprop`]: each layer's forward step beside its backward step, the
//!   preallocated work buffers, [`fcann2_classify`] and [`loss_and_gradients`];
//! - [`train`]: the [`Trainer`] and [`fcann2_train`];
//! - [`lab`]: the lab run (data, training, metrics, plots, `metrics.json`).
//!
//! The modules import downwards only: model ← checks ← backprop ← train ← lab.

pub mod backprop;
pub mod checks;
pub mod lab;
pub mod model;
pub mod train;

pub use backprop::{fcann2_classify, loss_and_gradients, Gradients};
pub use checks::{check_data, MAX_CLASSES};
pub use model::Fcann2Model;
pub use train::{fcann2_train, TrainLog, Trainer};

use serde::Serialize;

/// Hyper-parameters of [`fcann2_train`], validated by [`TrainParams::check`]
/// before any work starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    /// Number of hidden ReLU units H.
    pub hidden: usize,
    /// Number of whole-batch gradient steps.
    pub niter: usize,
    /// Learning rate δ of plain gradient descent.
    pub delta: f64,
    /// Weight λ of the L2 term λ/2 · (‖W1‖² + ‖W2‖²).
    pub lambda: f64,
    /// Compute and report the loss every this many steps (and after the last one).
    pub log_every: usize,
    /// Minimise the course's summed loss Σ NLL + λ/2·(‖W1‖² + ‖W2‖²) instead
    /// of the mean NLL + λ/2·(…): its gradient is N times larger in the NLL
    /// term, which is gradient descent on the mean with δ·N and λ/N (exactly
    /// how [`Trainer`] takes the step); the reported loss is the sum.
    pub loss_sum: bool,
}

impl Default for TrainParams {
    /// The lab's setting: H = 5, 10⁵ steps, δ = 0.05, λ = 10⁻³, loss every 100 steps.
    fn default() -> Self {
        TrainParams {
            hidden: 5,
            niter: 100_000,
            delta: 0.05,
            lambda: 1e-3,
            log_every: 100,
            loss_sum: false,
        }
    }
}

impl TrainParams {
    /// Rejects values that cannot train: no hidden unit, no step, a learning
    /// rate that is not a positive number, a negative or non-finite λ.
    pub fn check(&self) -> Result<(), Fcann2Error> {
        if self.hidden == 0 {
            return Err(Fcann2Error::ZeroHidden);
        }
        if self.niter == 0 {
            return Err(Fcann2Error::ZeroIterations);
        }
        if !(self.delta.is_finite() && self.delta > 0.0) {
            return Err(Fcann2Error::BadDelta(self.delta));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(Fcann2Error::BadLambda(self.lambda));
        }
        if self.log_every == 0 {
            return Err(Fcann2Error::ZeroLogEvery);
        }
        Ok(())
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Fcann2Error {
    #[error("X has {x_rows} rows but there are {y_len} labels")]
    LengthMismatch { x_rows: usize, y_len: usize },
    #[error("no training examples")]
    Empty,
    #[error("every label is {class}: training needs at least two classes")]
    SingleClass { class: usize },
    #[error("X[{row}, {col}] is {value}: inputs must be finite numbers")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error("the model expects {expected} input features, X has {found}")]
    InputDim { expected: usize, found: usize },
    #[error("the hidden layer needs at least one unit (hidden = 0)")]
    ZeroHidden,
    #[error("niter must be at least 1")]
    ZeroIterations,
    #[error("log_every must be at least 1")]
    ZeroLogEvery,
    #[error("the learning rate delta must be a positive finite number, got {0}")]
    BadDelta(f64),
    #[error("the regularisation lambda must be a finite number ≥ 0, got {0}")]
    BadLambda(f64),
    #[error("training diverged at iteration {iter}: the loss became {loss}; lower delta")]
    Diverged { iter: usize, loss: f64 },
    #[error("every size must be at least 1, got D = {d}, H = {h}, C = {c}")]
    ZeroSize { d: usize, h: usize, c: usize },
    #[error(
        "weights do not fit together: W1 {w1:?}, b1 {b1}, W2 {w2:?}, b2 {b2}; \
         expected D × H, H, H × C, C"
    )]
    PartsMismatch {
        w1: (usize, usize),
        b1: usize,
        w2: (usize, usize),
        b2: usize,
    },
    #[error("{param}[{index}] is {value}: weights must be finite numbers")]
    NonFiniteWeight {
        param: &'static str,
        index: usize,
        value: f64,
    },
    #[error("label {label} would need {} output units (at most {max})", label + 1)]
    TooManyClasses { label: usize, max: usize },
    #[error("X has {rows} rows but no columns: a model needs at least one input feature")]
    NoFeatures { rows: usize },
    #[error("label {label} does not fit a model with {n_classes} classes")]
    LabelOutOfRange { label: usize, n_classes: usize },
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
}

#[cfg(test)]
mod hidden_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_checked() {
        let ok = TrainParams::default();
        assert!(ok.check().is_ok());
        let with = |f: fn(&mut TrainParams)| {
            let mut p = ok;
            f(&mut p);
            p.check()
        };
        assert!(matches!(
            with(|p| p.hidden = 0),
            Err(Fcann2Error::ZeroHidden)
        ));
        assert!(matches!(
            with(|p| p.niter = 0),
            Err(Fcann2Error::ZeroIterations)
        ));
        assert!(matches!(
            with(|p| p.log_every = 0),
            Err(Fcann2Error::ZeroLogEvery)
        ));
        assert!(matches!(with(|p| p.delta = 0.0), Err(Fcann2Error::BadDelta(d)) if d == 0.0));
        assert!(matches!(
            with(|p| p.delta = -0.1),
            Err(Fcann2Error::BadDelta(_))
        ));
        assert!(matches!(
            with(|p| p.delta = f64::INFINITY),
            Err(Fcann2Error::BadDelta(_))
        ));
        assert!(matches!(with(|p| p.lambda = -1e-3), Err(Fcann2Error::BadLambda(l)) if l == -1e-3));
        assert!(matches!(
            with(|p| p.lambda = f64::NAN),
            Err(Fcann2Error::BadLambda(_))
        ));
        assert!(with(|p| p.lambda = 0.0).is_ok(), "λ = 0 is allowed");
    }
}
