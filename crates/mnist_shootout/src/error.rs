//! Everything that can go wrong in this crate; each variant carries the bad value.

#[derive(Debug, thiserror::Error)]
pub enum ShootoutError {
    #[error("epochs must be at least 1, got 0")]
    ZeroEpochs,
    #[error("batch sizes must be at least 1, got 0 in {what}")]
    ZeroBatch { what: &'static str },
    #[error("the learning rate must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("the L2 weight λ must be a finite number ≥ 0, got {0}")]
    BadLambda(f64),
    #[error("the learning-rate decay gamma must be in (0, 1], got {0}")]
    BadDecay(f64),
    #[error("whole-batch training needs at least 1 step, got 0")]
    ZeroSteps,
    #[error("need at least {min} training images (a 1/5 validation hold-out of at least 2), got {n_train}")]
    TooFewTraining { n_train: usize, min: usize },
    #[error("need at least 1 test image, got 0")]
    NoTestImages,
    #[error("the {split} files hold {available} images; {asked} were asked for")]
    NotEnoughImages {
        split: &'static str,
        asked: usize,
        available: usize,
    },
    #[error(
        "the SVM takes 2 to {n_train} training and 1 to {n_test} test images (the run's), \
         got {train} and {test}"
    )]
    SvmSize {
        train: usize,
        test: usize,
        n_train: usize,
        n_test: usize,
    },
    #[error("all {n} SVM training images have the same pixels (variance 0): gamma = 1/(D·Var(X)) is undefined")]
    SvmConstantInputs { n: usize },
    #[error("no epoch has been observed yet, so there is no best epoch to restore")]
    NoEpochObserved,
    #[error(
        "with batch norm, {n_train} training images in batches of {batch} leave a last batch of \
         one image, whose batch statistics are undefined; change the number of training images"
    )]
    BatchNormSingleton { n_train: usize, batch: usize },
    #[error("batch statistics need batches of at least 2 images, got {0}")]
    StatBatch(usize),
    #[error("train_mb needs the configuration chosen by configs, which has not run")]
    NoChosenConfig,
    #[error("{what} diverged in epoch {epoch} (the loss became {loss}); lower the learning rate")]
    Diverged {
        what: String,
        epoch: usize,
        loss: f64,
    },
    #[error(
        "the reference script printed something that is not its JSON result ({source}): {output}"
    )]
    ReferenceOutput {
        output: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Mnist(#[from] ::data::mnist::MnistError),
    #[error(transparent)]
    Model(#[from] pt_deep::PtDeepError),
    #[error(transparent)]
    Svm(#[from] ksvm_wrap::KsvmError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] ::plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
    #[error(transparent)]
    Precision(#[from] torch_util::precision::PrecisionError),
    #[error(transparent)]
    Python(#[from] labkit::pyref::PyRefError),
}

impl labkit::cli::NamesSetting for ShootoutError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            ShootoutError::ZeroEpochs => "epochs",
            ShootoutError::TooFewTraining { .. }
            | ShootoutError::BatchNormSingleton { .. }
            | ShootoutError::NotEnoughImages {
                split: "training", ..
            } => "n_train",
            ShootoutError::SvmSize { .. } => "svm_train",
            _ => return None,
        })
    }
}

impl From<tch::TchError> for ShootoutError {
    fn from(e: tch::TchError) -> Self {
        ShootoutError::Torch(e.into())
    }
}
