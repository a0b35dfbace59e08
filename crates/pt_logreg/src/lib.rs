//! # PTLogreg: multinomial logistic regression with autograd (Lab 1)
//!
//! `P = softmax(X·W + b)` with W (D × C) and b (C). The loss is
//!
//! `L = −(1/N) · Σ_i log P[i, y_i] + λ/2 · ‖W‖²`,
//!
//! computed with `log_softmax` (never `log(softmax(·))`, which underflows to
//! −∞ for confident wrong answers). The 1/N makes the loss and the gradients
//! independent of the number of examples. Training is whole-batch gradient
//! descent with a hand-written update under `no_grad`.
//!
//! - [`model`]: [`PTLogreg`] and its loss;
//! - [`mod@train`]: [`TrainParams`] (its defaults are the course's),
//!   [`train()`] and [`eval`];
//! - [`mod@fit`]: train on an ndarray data set and score it ([`fit()`], [`Fitted`]);
//! - [`lab`]: the lab's runs (2 and 3 classes, the λ sweep), table and plots.

pub mod fit;
pub mod lab;
pub mod model;
pub mod train;

pub use fit::{fit, Classifier, FitError, FitSpec, Fitted};
pub use model::{nll_l2, PTLogreg};
pub use train::{eval, train, TrainLog, TrainParams};

#[derive(Debug, thiserror::Error)]
pub enum LogregError {
    #[error("D and C must be at least 1, got D = {d}, C = {c}")]
    BadShape { d: usize, c: usize },
    #[error("niter must be at least 1")]
    ZeroIterations,
    #[error("log_every must be at least 1")]
    ZeroLogEvery,
    #[error("learning rate delta must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("param_lambda must be a finite number ≥ 0, got {0}")]
    BadLambda(f64),
    #[error("X is {x:?} and Yoh_ is {yoh:?}; expected N × {d} and N × {c} with N ≥ 1")]
    InputShape {
        x: Vec<i64>,
        yoh: Vec<i64>,
        d: usize,
        c: usize,
    },
    #[error("X contains NaN or infinite values")]
    NonFinite,
    #[error("the targets contain a single class ({present} of {c} present); a classifier needs at least two")]
    SingleClass { present: usize, c: usize },
    #[error("training diverged at iteration {iter} (loss {loss}); lower delta")]
    Diverged { iter: usize, loss: f64 },
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
}

impl From<tch::TchError> for LogregError {
    fn from(e: tch::TchError) -> Self {
        LogregError::Torch(e.into())
    }
}

#[cfg(test)]
mod hidden_tests;
