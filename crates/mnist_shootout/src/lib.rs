//! # MNIST shootout (Lab 1): ten assignments, one command
//!
//! | name | assignment |
//! |---|---|
//! | `weights` | 1. PTDeep [784,10]: each digit's weights as an image, for several λ |
//! | `configs` | 2. [784,10] … [784,100,100,100,10]: the best chosen on a validation hold-out; loss curves, the hardest training images |
//! | `regularization` | 3. the deep configurations for λ ∈ {0, 1e-4, 1e-3, 1e-2}: the train/test gap |
//! | `early_stopping` | 4. hold out 1/5 of the training set, keep the best epoch |
//! | `train_mb` | 5. hand-written shuffled mini-batches on `configs`' choice, against whole-batch gradient descent |
//! | `adam` | 6. Adam with a fixed learning rate 1e-4 |
//! | `adam_decay` | 7. Adam with exponential decay, gamma = 1 − 1e-4 per epoch |
//! | `random` | 8. untrained models: the baseline, under N(0,1) and He initialisation |
//! | `svm` | 9. RBF kernel SVM (one-vs-one, ksvm_wrap); extra: a linear model with hinge loss |
//! | `batchnorm` | 10. batch normalisation after each hidden affine layer |
//!
//! Nothing is chosen on the test set: choices (configuration, epoch, λ) read
//! a validation hold-out of 1/5 of the training set ([`data::Holdout`]).
//! The data stay on the device for the whole run; each epoch makes one host
//! read (its mean loss).
//!
//! - [`app`]: the command line's [`app::LabChoices`], [`app::run_lab`], [`app::bench`];
//! - [`presets`]: the quick and full settings ([`LabConfig`]) and their checks;
//! - [`assignments`]: one module per assignment, each with its typed report;
//! - [`run`]: what the assignments share (context, fresh models, training and scoring);
//! - [`report`]: `metrics.json` and the comparison table;
//! - [`train`]: `train_mb`, evaluation, parameter snapshots;
//! - [`data`]: MNIST on the device and the validation hold-out;
//! - [`bench`]: `--bench`, ours against PyTorch-Python in the same run.

pub mod app;
pub mod assignment;
pub mod assignments;
pub mod bench;
pub mod data;
mod error;
pub mod presets;
pub mod report;
pub mod run;
pub mod shootout;
pub mod train;

pub use assignment::{plan, Assignment};
pub use error::ShootoutError;
pub use presets::{LabConfig, Mode};
pub use report::LabReport;

#[cfg(test)]
mod hidden_tests;
