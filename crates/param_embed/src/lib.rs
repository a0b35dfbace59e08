//! # Parametric embeddings (Lab 4)
//!
//! A neural network learns a map from 784-pixel MNIST digits to the plane,
//! so that new images can be placed without re-running the embedding. The
//! library is built from small parts that compose, in the order data flows:
//!
//! - [`relations`]: k-NN graphs, perplexity-calibrated t-SNE affinities, UMAP
//!   connectivities (ρ, σ), symmetrisation (mean, fuzzy union), normalisation;
//! - [`transforms`]: PCA and the spectral initialisation;
//! - [`batch`]: relations inside a batch (Student-t, the modified Cauchy with
//!   its a, b fitted from min_dist / spread);
//! - [`sampling`]: plain shuffled batches and UMAP's negative-edge batches;
//! - [`loss`]: KL, UMAP cross-entropy, position (MSE), classification, and
//!   their weighted sum;
//! - [`model`]: a softplus trunk with named heads, `apply` without gradients;
//! - [`phase`]: training phases (epochs, batch size, lr, sampling, losses);
//! - [`routines`]: parametric t-SNE, parametric UMAP, the hybrid model;
//! - [`quality`]: 5-NN accuracy and trustworthiness of an embedding;
//! - [`config`], [`lab`], [`grid`]: the lab's settings, runs and figures;
//! - [`streams`]: which random stream of the run each choice draws from.

pub mod batch;
pub mod bench;
pub mod config;
pub mod grid;
pub mod lab;
pub mod loss;
pub mod model;
pub mod phase;
pub mod quality;
pub mod relations;
pub mod routines;
pub mod sampling;
pub mod transforms;

/// The random streams of a run, in the one scheme of every lab
/// (`labkit::seeds`: stream k of seed S draws from `StdRng(S ^ k·φ)`). Each
/// choice has a stream of its own, so a run's results depend on `--seed` and
/// the settings only, and drawing more in one stream moves no other.
pub mod streams {
    /// The initial weights of every net (stream 0: the seed itself).
    pub const WEIGHTS: u64 = 0;
    /// The batch order and the negative samples of every phase.
    pub const BATCHES: u64 = 1;
    /// The random start of UMAP's spectral layout.
    pub const SPECTRAL: u64 = 2;
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("several seeds are for tsne and umap; the hybrid sweep runs one seed")]
    SeedsNotForHybrid,
    #[error("the bench times the tsne and umap routines; the hybrid sweep has no bench")]
    BenchRoutine,
    #[error("there must be at least one seed")]
    ZeroSeeds,
    #[error("perplexity must be a finite number with 1 < perplexity < N = {n}, got {perplexity}")]
    BadPerplexity { perplexity: f64, n: usize },
    #[error("k = {k} nearest neighbours need 1 ≤ k < N = {n}")]
    BadNeighbourCount { k: usize, n: usize },
    #[error("a training routine needs at least one phase")]
    NoPhases,
    #[error("phase {phase:?} has no loss terms")]
    NoLosses { phase: String },
    #[error("phase {phase:?}: loss weight {weight} of {loss} must be finite and ≥ 0")]
    BadLossWeight {
        phase: String,
        loss: &'static str,
        weight: f64,
    },
    #[error("phase {phase:?}: all loss weights are 0, so there is nothing to train")]
    AllWeightsZero { phase: String },
    #[error("phase {phase:?}: {what} must be at least 1")]
    ZeroCount { phase: String, what: &'static str },
    #[error("phase {phase:?}: the learning rate must be a positive finite number, got {lr}")]
    BadLearningRate { phase: String, lr: f64 },
    #[error("phase {phase:?} uses the {loss} loss, which needs {needs}, but none was given")]
    MissingRelation {
        phase: String,
        loss: &'static str,
        needs: &'static str,
    },
    #[error("phase {phase:?}: {loss} needs {sampling} sampling")]
    WrongSampling {
        phase: String,
        loss: &'static str,
        sampling: &'static str,
    },
    #[error("{what} has {found} rows, expected {expected}")]
    RowMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("need at least {min} points, got {found}")]
    TooFewPoints { min: usize, found: usize },
    #[error(
        "min_dist = {min_dist} and spread = {spread} need 0 ≤ min_dist < 3·spread, spread > 0"
    )]
    BadCurve { min_dist: f64, spread: f64 },
    #[error("distance {value} at ({row}, {col}) is not a finite number ≥ 0")]
    BadDistance { row: usize, col: usize, value: f64 },
    #[error("the graph has no edge with positive weight")]
    EmptyGraph,
    #[error("hidden layer sizes must be ≥ 1, got {0:?}")]
    BadHidden(Vec<usize>),
    #[error("training diverged in phase {phase:?}, epoch {epoch}: the loss became {loss}; lower the learning rate")]
    Diverged {
        phase: String,
        epoch: usize,
        loss: f64,
    },
    #[error("label {label} is out of range for {classes} classes")]
    BadLabel { label: usize, classes: usize },
    #[error("the hybrid sweep needs at least one t-SNE weight")]
    NoWeights,
    #[error("{requested} training images + {held_out} held-out images exceed the {available} images there are; ask for fewer")]
    NotEnoughImages {
        requested: usize,
        held_out: usize,
        available: usize,
    },
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
    #[error(transparent)]
    Precision(#[from] torch_util::precision::PrecisionError),
    #[error(transparent)]
    Tch(#[from] tch::TchError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Mnist(#[from] data::mnist::MnistError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
}

impl labkit::cli::NamesSetting for EmbedError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            EmbedError::SeedsNotForHybrid | EmbedError::ZeroSeeds => "seeds",
            EmbedError::BenchRoutine => "bench",
            EmbedError::BadPerplexity { .. } => "perplexity",
            EmbedError::BadNeighbourCount { .. } => "k",
            EmbedError::NoWeights => "weights",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod hidden_tests;
