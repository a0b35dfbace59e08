//! # Autoencoder as a classifier (Lab 2)
//!
//! An autoencoder squeezes each 784-pixel MNIST digit into a 50-number code
//! and rebuilds the image from it. Nobody tells it the digits' labels, yet
//! the codes of one digit end up near each other: a nearest-class-mean (NCM)
//! classifier in the code space beats the same classifier on raw pixels.
//! A contrastive term that pushes the codes of two different digits apart
//! makes the classes cleaner still.
//!
//! - [`model`]: the 784-1000-25-50 / 50-1000-784 ReLU autoencoder;
//! - [`adam`]: Adam written out, so its state can be checkpointed;
//! - [`loss`]: reconstruction MSE and the contrastive negative-only loss;
//! - [`train`]: shuffled mini-batches, a loss per epoch, NaN detection;
//! - [`checkpoint`]: weights + optimiser state + epoch in one atomic file;
//! - [`ncm`]: the nearest-class-mean classifier;
//! - [`views`]: t-SNE maps and the 5-NN accuracy inside them;
//! - [`config`], [`lab`]: the lab's settings and runs; [`bench`]: `--bench`.

pub mod adam;
pub mod bench;
pub mod checkpoint;
pub mod config;
pub mod figures;
pub mod lab;
pub mod loss;
pub mod model;
pub mod ncm;
pub mod train;
pub mod views;

pub use config::{LabConfig, Variant};
pub use model::Autoencoder;

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum AeError {
    #[error("epochs must be at least 1")]
    ZeroEpochs,
    #[error("the batch size must be at least 1")]
    ZeroBatch,
    #[error("the learning rate must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("weight decay must be a finite number ≥ 0, got {0}")]
    BadWeightDecay(f64),
    #[error("the temperature τ must be a positive finite number, got {0}")]
    BadTemperature(f64),
    #[error("n_train must be at least {min} (one batch per class), got {found}")]
    TooFewImages { min: usize, found: usize },
    #[error("n_train = {requested} is more than the {available} training images there are")]
    NotEnoughImages { requested: usize, available: usize },
    #[error("the t-SNE stride must be at least 1, got {0}")]
    BadTsneStride(usize),
    #[error("t-SNE needs more than 3 × perplexity = {needed} points, got {found}; lower the perplexity or use more images")]
    TsneTooFewPoints { needed: usize, found: usize },
    #[error("the perplexity must be a positive finite number, got {0}")]
    BadPerplexity(f64),
    #[error("training of seed {0} logged no epoch")]
    NothingLogged(u64),
    #[error("checkpoints must be at least 1 epoch apart")]
    ZeroCheckpointEvery,
    #[error("there must be at least one seed")]
    NoSeeds,
    #[error(
        "training diverged in epoch {epoch}: the {variant} loss became {loss}; \
         lower the learning rate"
    )]
    Diverged {
        variant: &'static str,
        epoch: usize,
        loss: f64,
    },
    #[error("no checkpoint to resume at {0}; train without resuming first")]
    NoCheckpoint(PathBuf),
    #[error("checkpoint {path} was written with {field} = {found}, but this run has {expected}; resume with the same settings")]
    CheckpointMismatch {
        path: PathBuf,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("checkpoint {path} is damaged: {what}")]
    BadCheckpoint { path: PathBuf, what: &'static str },
    #[error("checkpoint {path} holds epoch {found}, already past the {epochs} epochs asked for")]
    CheckpointPastEnd {
        path: PathBuf,
        found: usize,
        epochs: usize,
    },
    #[error("labels and rows differ: {rows} rows, {labels} labels")]
    LengthMismatch { rows: usize, labels: usize },
    #[error("class {class} has no training example, so it has no mean")]
    EmptyClass { class: usize },
    #[error("the t-SNE library stopped with a panic (a bug in bhtsne); try another perplexity")]
    TsnePanicked,
    #[error(transparent)]
    Reference(#[from] labkit::pyref::PyRefError),
    #[error("the PyTorch reference printed no result line ({source}); its last line was: {line}")]
    ReferenceOutput {
        line: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Precision(#[from] torch_util::precision::PrecisionError),
    #[error(transparent)]
    Mnist(#[from] data::mnist::MnistError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
    #[error("checkpoint metadata is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl labkit::cli::NamesSetting for AeError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            AeError::ZeroEpochs | AeError::CheckpointPastEnd { .. } => "epochs",
            AeError::ZeroBatch => "batch_size",
            AeError::BadLearningRate(_) | AeError::Diverged { .. } => "lr",
            AeError::BadWeightDecay(_) => "weight_decay",
            AeError::BadTemperature(_) => "tau",
            AeError::TooFewImages { .. } | AeError::NotEnoughImages { .. } => "n_train",
            AeError::BadTsneStride(_) => "tsne_every",
            AeError::TsneTooFewPoints { .. }
            | AeError::BadPerplexity(_)
            | AeError::TsnePanicked => "tsne_perplexity",
            AeError::ZeroCheckpointEvery => "checkpoint_every",
            AeError::NoSeeds => "seeds",
            AeError::NoCheckpoint(_) | AeError::CheckpointMismatch { .. } => "resume",
            _ => return None,
        })
    }
}

impl From<tch::TchError> for AeError {
    fn from(e: tch::TchError) -> Self {
        AeError::Torch(e.into())
    }
}

#[cfg(test)]
mod hidden_tests;
