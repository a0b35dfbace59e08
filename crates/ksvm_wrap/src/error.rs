//! Everything that can go wrong in this crate; each variant carries the bad value.

use std::path::PathBuf;

use data::GmmSpec;

use crate::params::Gamma;

#[derive(Debug, thiserror::Error)]
pub enum KsvmError {
    #[error("the SVM penalty C must be a positive finite number, got {0}")]
    BadC(f64),
    #[error(
        "the kernel width gamma must be a positive finite number (with 1/gamma finite), got {0}"
    )]
    BadGamma(f64),
    #[error("gamma must be 'auto', 'scale' or a positive number, got '{text}'")]
    ParseGamma { text: String },
    #[error("gamma = 'scale' is 1/(D·Var(X)), but every input value is the same (Var(X) = 0)")]
    ZeroVariance,
    #[error(
        "gamma {gamma} does nothing with the linear kernel: γ is the width of the RBF kernel \
         (leave gamma out, or use the RBF kernel)"
    )]
    GammaWithLinearKernel { gamma: Gamma },
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
    #[error("training label {label} does not fit {classes} score columns")]
    LabelOutOfRange { label: usize, classes: usize },
    #[error("linfa-svm failed on classes {a} vs {b}: {source}")]
    Svm {
        a: usize,
        b: usize,
        source: linfa_svm::SvmError,
    },
    #[error("linfa-svm panicked while training classes {a} vs {b} (a solver bug)")]
    SolverPanicked { a: usize, b: usize },
    #[error("the solver returned {found} weights for {expected} points (classes {a} vs {b})")]
    SolverOutput {
        a: usize,
        b: usize,
        expected: usize,
        found: usize,
    },
    #[error("the SMO solver did not converge on classes {a} vs {b} within {iterations} steps")]
    NotConverged {
        a: usize,
        b: usize,
        iterations: usize,
    },
    #[error("{data} has fewer than two classes: an SVM needs two")]
    FewClasses { data: GmmSpec },
    #[error("{tries} draws of {data} in a row had a single class")]
    OnlySingleClassDraws { data: GmmSpec, tries: usize },
    #[error("the comparison needs at least one data set per setting, got 0")]
    NoDatasets,
    #[error("{setting} = {asked}: MNIST's {split} set has {available} images")]
    TooManyImages {
        /// The setting that asked for them (`n` or `n_test`).
        setting: &'static str,
        split: &'static str,
        asked: usize,
        available: usize,
    },
    #[error("{setting} = {asked}: need at least {min} {split} image(s)")]
    TooFewImages {
        /// The setting that asked for them (`n` or `n_test`).
        setting: &'static str,
        split: &'static str,
        asked: usize,
        min: usize,
    },
    #[error(
        "{python} cannot run scikit-learn ({reason}), which the comparison with scikit-learn \
         needs; install it with `{python} -m pip install scikit-learn`, or choose a Python that \
         has it"
    )]
    SklearnUnavailable {
        python: PathBuf,
        reason: crate::mnist::Unavailable,
    },
    #[error("the scikit-learn reference ({python}) failed with exit code {code:?}: {stderr}")]
    ReferenceFailed {
        python: PathBuf,
        code: Option<i32>,
        stderr: String,
    },
    #[error(
        "the scikit-learn reference printed no result line ({source}); its output was: {output}"
    )]
    ReferenceOutput {
        output: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Mnist(#[from] data::mnist::MnistError),
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    PtDeep(#[from] pt_deep::PtDeepError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
}

impl labkit::cli::NamesSetting for KsvmError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            KsvmError::BadC(_) => "c",
            KsvmError::BadGamma(_)
            | KsvmError::ParseGamma { .. }
            | KsvmError::GammaWithLinearKernel { .. } => "gamma",
            KsvmError::BadCache(_) => "cache_mb",
            KsvmError::NoDatasets => "datasets",
            KsvmError::TooManyImages { setting, .. } | KsvmError::TooFewImages { setting, .. } => {
                setting
            }
            KsvmError::SklearnUnavailable { .. } => "python",
            _ => return None,
        })
    }
}

impl From<pt_deep::FitError> for KsvmError {
    fn from(e: pt_deep::FitError) -> Self {
        KsvmError::PtDeep(e.into())
    }
}
