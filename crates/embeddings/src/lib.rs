//! # Label embeddings on Iris (Lab 3)
//!
//! Five small experiments on the 150 Iris flowers (4 features, 3 species),
//! trained on a seeded 20 % split and scored on the other 80 %:
//!
//! 1. an embedding table (10 entries → 2-D) whose padding entry stays zero;
//! 2. a classifier 4→100→100→3 trained with cross-entropy;
//! 3. a regression 4→100→100→2 onto a fixed random 2-D embedding of the labels (MSE),
//!    classified afterwards by the nearest label embedding;
//! 4. the same regression with a variance head and the Gaussian negative log-likelihood;
//! 5. the label embedding learned jointly with the net: the collapse a naive
//!    joint MSE allows, why the original saw the table freeze, and remedies.
//!
//! Every number of parts 2–5 is measured on several seeds (each seed draws its
//! own split and initial weights) and reported as mean ± std beside the default
//! seed's value.
//!
//! Modules: [`params`] (settings and their checks), [`iris`] (the split),
//! [`net`] (networks and optimisers), [`table`] (the embedding table),
//! [`loss`] (Gaussian NLL, errors, nearest-label classification),
//! [`stats`] (mean ± std), [`parts`] (one experiment each, on all seeds at
//! once: table, classifier, regression, gaussian, joint), [`plots`] and
//! [`figures`] (the figures), [`report`] (goals and printed tables) and [`lab`]
//! (the whole run).

pub mod figures;
pub mod iris;
pub mod lab;
pub mod loss;
pub mod net;
pub mod params;
pub mod parts;
pub mod plots;
pub mod quirks;
pub mod report;
pub mod stats;
pub mod summary;
pub mod table;

pub use params::{LabConfig, Part, Protocol, TrainParams};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingsError {
    #[error("unknown part {0:?}: the parts are 1, 2, 3, 4 and 5")]
    UnknownPart(String),
    #[error("epochs must be at least 1, got 0")]
    ZeroEpochs,
    #[error("a network of {layers} layers needs {layers} activation flags, got {flags}")]
    BadActivations { layers: usize, flags: usize },
    #[error("an ensemble needs at least one network")]
    EmptyEnsemble,
    #[error("the training fraction must lie strictly between 0 and 1, got {0}")]
    BadTrainFraction(f64),
    #[error(
        "a training fraction of {fraction} gives {n_train} training and {n_test} test flowers; \
         each side needs at least {min_per_class} per class"
    )]
    SplitTooSmall {
        fraction: f64,
        n_train: usize,
        n_test: usize,
        min_per_class: usize,
    },
    #[error("at least 2 seeds are needed (a spread needs two runs), got {0}")]
    TooFewSeeds(usize),
    #[error("threads must be at least 1, got {0}")]
    BadThreads(i32),
    #[error("{0}: nothing was logged (no epoch ran)")]
    NothingLogged(&'static str),
    #[error("{0}: there are no runs to summarise")]
    NoRuns(&'static str),
    #[error("the chosen remedy {0:?} is not among the remedies that ran")]
    UnknownRemedy(String),
    #[error("learning rate must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("weight decay must be a finite number ≥ 0, got {0}")]
    BadWeightDecay(f64),
    #[error("index {index} is out of range for an embedding table of {n} entries")]
    IndexOutOfRange { index: i64, n: i64 },
    #[error("max_norm must be a positive finite number, got {0}")]
    BadMaxNorm(f64),
    #[error("{what} diverged at epoch {epoch}: the loss became {loss}")]
    Diverged {
        what: &'static str,
        epoch: usize,
        loss: f64,
    },
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

impl labkit::cli::NamesSetting for EmbeddingsError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            EmbeddingsError::UnknownPart(_) => "part",
            EmbeddingsError::ZeroEpochs => "epochs",
            EmbeddingsError::BadTrainFraction(_) | EmbeddingsError::SplitTooSmall { .. } => {
                "train_fraction"
            }
            EmbeddingsError::TooFewSeeds(_) => "seeds",
            EmbeddingsError::BadThreads(_) => "threads",
            _ => return None,
        })
    }
}

impl From<tch::TchError> for EmbeddingsError {
    fn from(e: tch::TchError) -> Self {
        EmbeddingsError::Torch(e.into())
    }
}

/// Short for this crate's results.
pub type Result<T, E = EmbeddingsError> = std::result::Result<T, E>;

#[cfg(test)]
mod hidden_tests;
