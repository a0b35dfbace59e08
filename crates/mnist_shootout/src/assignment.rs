//! The assignments by name (`--only NAME`), in the course's order, and
//! which of them a run executes.

use serde::Serialize;

/// The assignments, in the course's order (`--only NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// 1. [784,10]: each digit's weights as an image, for several λ
    #[value(name = "weights")]
    Weights,
    /// 2. four depths, the best chosen on validation; loss curves, hardest images
    #[value(name = "configs")]
    Configs,
    /// 3. λ against the train/test gap of the deep configurations
    #[value(name = "regularization")]
    Regularization,
    /// 4. keep the epoch with the best validation accuracy
    #[value(name = "early_stopping")]
    EarlyStopping,
    /// 5. hand-written mini-batches against whole-batch gradient descent (runs configs first)
    #[value(name = "train_mb")]
    TrainMb,
    /// 6. Adam, learning rate 1e-4
    #[value(name = "adam")]
    Adam,
    /// 7. Adam with exponential decay per epoch
    #[value(name = "adam_decay")]
    AdamDecay,
    /// 8. untrained models: N(0,1) and He initialisation
    #[value(name = "random")]
    Random,
    /// 9. RBF SVM (one-vs-one) and a linear model with hinge loss
    #[value(name = "svm")]
    Svm,
    /// 10. batch normalisation after each hidden layer
    #[value(name = "batchnorm")]
    Batchnorm,
}

impl Assignment {
    pub const ALL: [Assignment; 10] = [
        Assignment::Weights,
        Assignment::Configs,
        Assignment::Regularization,
        Assignment::EarlyStopping,
        Assignment::TrainMb,
        Assignment::Adam,
        Assignment::AdamDecay,
        Assignment::Random,
        Assignment::Svm,
        Assignment::Batchnorm,
    ];

    /// The name used by `--only` and in `metrics.json`.
    pub fn name(self) -> &'static str {
        match self {
            Assignment::Weights => "weights",
            Assignment::Configs => "configs",
            Assignment::Regularization => "regularization",
            Assignment::EarlyStopping => "early_stopping",
            Assignment::TrainMb => "train_mb",
            Assignment::Adam => "adam",
            Assignment::AdamDecay => "adam_decay",
            Assignment::Random => "random",
            Assignment::Svm => "svm",
            Assignment::Batchnorm => "batchnorm",
        }
    }
}

/// What runs for `--only only` (everything when empty), in the course's
/// order. `train_mb` trains the configuration `configs` chooses, so it
/// brings `configs` along.
pub fn plan(only: &[Assignment]) -> Vec<Assignment> {
    let wanted = |a: &Assignment| {
        only.is_empty()
            || only.contains(a)
            || (*a == Assignment::Configs && only.contains(&Assignment::TrainMb))
    };
    Assignment::ALL.into_iter().filter(wanted).collect()
}
