//! # PTDeep: a fully connected classifier of any depth (Lab 1)
//!
//! `config = [D, h1, …, hk, C]` gives k hidden layers with the chosen
//! activation and a softmax output; `[2, 3]` is plain logistic regression
//! (9 parameters). Training is whole-batch gradient descent on
//!
//! `loss = mean_i NLL(y_i) + λ/2 · Σ_k ‖W_k‖²` (biases are not regularised),
//!
//! with the NLL computed from `log_softmax` so that it never overflows.
//!
//! - [`model`]: the network ([`PTDeep`]) and its parameter count;
//! - [`train`]: [`TrainParams`], [`Trainer`], [`train()`] and [`eval`];
//! - [`fit`]: train on an ndarray data set and score it ([`fit()`], [`Fitted`]),
//!   the routine other labs call to compare with PTDeep;
//! - [`config`]: the lab's settings ([`LabConfig`], [`LayerConfig`]);
//! - [`lab`]: the lab's runs (data sets × configurations), metrics and plots;
//! - [`bench`]: the time of one training step (`--bench`).

pub mod bench;
pub mod config;
pub mod fit;
pub mod lab;
pub mod model;
pub mod train;

pub use config::{LabConfig, LayerConfig};
pub use fit::{fit, FitError, FitSpec, Fitted, Score};
pub use model::{Activation, PTDeep, ParamCount};
pub use train::{eval, train, TrainLog, TrainParams, Trainer};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum PtDeepError {
    #[error("config needs at least an input and an output size, e.g. [2, 3]; got {0:?}")]
    ConfigTooShort(Vec<usize>),
    #[error("config {config:?} has a layer of size 0 at position {index}")]
    ZeroLayer { config: Vec<usize>, index: usize },
    #[error("niter must be at least 1")]
    ZeroIterations,
    #[error("learning rate delta must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("regularisation lambda must be a finite number ≥ 0, got {0}")]
    BadLambda(f64),
    #[error("input has {found} features, but the config {config:?} expects {expected}")]
    InputDim {
        config: Vec<usize>,
        expected: usize,
        found: usize,
    },
    #[error("targets have {found} classes, but the config {config:?} ends in {expected}")]
    ClassDim {
        config: Vec<usize>,
        expected: usize,
        found: usize,
    },
    #[error("inputs have {x} rows but targets {y}")]
    RowMismatch { x: usize, y: usize },
    #[error("no training examples")]
    Empty,
    #[error("the input contains NaN or infinite values")]
    NonFinite,
    #[error("training diverged at iteration {iter}: the loss became {loss}; lower the learning rate delta")]
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

impl labkit::cli::NamesSetting for PtDeepError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            PtDeepError::ZeroIterations => "niter",
            PtDeepError::BadLearningRate(_) | PtDeepError::Diverged { .. } => "delta",
            PtDeepError::BadLambda(_) => "lambda",
            _ => return None,
        })
    }
}

impl From<tch::TchError> for PtDeepError {
    fn from(e: tch::TchError) -> Self {
        PtDeepError::Torch(e.into())
    }
}

#[cfg(test)]
mod hidden_tests;
