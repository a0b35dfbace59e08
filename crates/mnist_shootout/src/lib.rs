//! # MNIST shootout (Lab 1): nine assignments, one command
//!
//! | name | assignment |
//! |---|---|
//! | `weights` | PTDeep [784,10]: the learned weights of each digit as images, for several λ |
//! | `configs` | [784,10], [784,100,10], [784,100,100,10], [784,100,100,100,10]: train/test performance, loss curves, the hardest training images |
//! | `early_stopping` | hold out 1/5 of the training set, keep the best parameters |
//! | `train_mb` | hand-written shuffled mini-batches, several batch sizes |
//! | `adam` | Adam with a fixed learning rate 1e-4 |
//! | `adam_decay` | Adam with exponential decay, gamma = 1 − 1e-4 per epoch |
//! | `random` | an untrained model: the baseline loss and accuracy |
//! | `svm` | RBF kernel SVM (one-vs-one, ksvm_wrap) and a linear SVM |
//! | `batchnorm` | batch normalisation after each hidden affine layer |
//!
//! The data stay on the device for the whole run; each epoch makes one host
//! read (its mean loss).

pub mod assignments;
pub mod data;
pub mod train;

pub use assignments::{run, Assignment, Report, ShootoutConfig};

#[derive(Debug, thiserror::Error)]
pub enum ShootoutError {
    #[error("invalid settings: {0}")]
    Config(String),
    #[error(
        "{what} diverged in epoch {epoch} (loss became NaN or infinite); lower the learning rate"
    )]
    Diverged { what: String, epoch: usize },
    #[error(transparent)]
    Mnist(#[from] ::data::mnist::MnistError),
    #[error(transparent)]
    Model(#[from] pt_deep::PtDeepError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] ::data::plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
    #[error("SVM: {0}")]
    Svm(String),
}

impl From<tch::TchError> for ShootoutError {
    fn from(e: tch::TchError) -> Self {
        ShootoutError::Torch(e.into())
    }
}
