//! The ten assignments of Lab 1's MNIST part, one file each, in the course's
//! order. Each `run(cx)` trains what it needs, writes its figures, adds its
//! rows to the comparison and returns its typed report; `shootout::run` collects the
//! reports into `metrics.json`; the `assignment` module names them.

pub mod adam;
pub mod adam_decay;
pub mod batchnorm;
pub mod configs;
pub mod early_stopping;
pub mod random;
pub mod regularization;
pub mod svm;
pub mod train_mb;
pub mod weights;
