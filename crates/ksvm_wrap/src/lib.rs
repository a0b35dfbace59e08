//! # KSVMWrap: an RBF kernel SVM on linfa-svm (Lab 1)
//!
//! `KSVMWrap::new(X, Y_, c, gamma)` trains a soft-margin SVM with the Gaussian
//! kernel `exp(−γ‖x − y‖²)` in its constructor; `gamma = Gamma::Auto` is 1/D
//! (scikit-learn's `'auto'`). linfa writes the same kernel as
//! `exp(−‖x − y‖²/eps)`, so it is given `eps = 1/γ`. More than two classes are
//! handled one-vs-one, as scikit-learn's `SVC` does: one binary SVM per pair
//! of classes, and the class with the most votes wins.
//!
//! - [`svm`]: [`KSVMWrap`] (`predict`, `get_scores`, `decision_function`, `support`),
//!   [`Gamma`], [`KsvmParams`];
//! - [`lab`]: the lab's runs: the reference data set with its decision surface,
//!   and KSVMWrap against PTDeep over many random data sets.

pub mod lab;
pub mod mnist;
pub mod smo;
pub mod svm;

pub use svm::{Backend, Gamma, KSVMWrap, KsvmParams, AUTO_SMO_ABOVE};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum KsvmError {
    #[error("the SVM penalty C must be a positive finite number, got {0}")]
    BadC(f64),
    #[error(
        "the kernel width gamma must be a positive finite number (with 1/gamma finite), got {0}"
    )]
    BadGamma(f64),
    #[error("the solver tolerance must be a positive finite number, got {0}")]
    BadTolerance(f64),
    #[error("the kernel cache needs at least 1 MiB, got {0}")]
    BadCache(usize),
    #[error("X has {x} rows but Y_ has {y} labels")]
    LengthMismatch { x: usize, y: usize },
    #[error("no training examples")]
    Empty,
    #[error("the data have no features (X has 0 columns)")]
    NoFeatures,
    #[error("all training labels are {0}: an SVM needs at least two classes")]
    SingleClass(usize),
    #[error("X[{row}, {col}] is {value}: inputs must be finite numbers")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error("the model was trained on {expected} features, but the input has {found}")]
    InputDim { expected: usize, found: usize },
    #[error("linfa-svm failed on classes {a} vs {b}: {source}")]
    Svm {
        a: usize,
        b: usize,
        source: linfa_svm::SvmError,
    },
    #[error("linfa-svm panicked while training classes {a} vs {b} (a solver bug)")]
    SolverPanicked { a: usize, b: usize },
    #[error("linfa-svm returned {found} weights for {expected} points (classes {a} vs {b})")]
    SolverOutput {
        a: usize,
        b: usize,
        expected: usize,
        found: usize,
    },
    #[error("{0} has fewer than two classes: an SVM needs two")]
    FewClasses(String),
    #[error("{tries} draws of {data} in a row had a single class")]
    OnlySingleClassDraws { data: String, tries: usize },
    #[error("the comparison needs at least one data set per setting (--datasets 0)")]
    NoDatasets,
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] data::plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    PtDeep(#[from] pt_deep::PtDeepError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
}
