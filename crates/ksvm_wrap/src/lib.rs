//! # KSVMWrap: a kernel SVM with one-vs-one multiclass (Lab 1)
//!
//! `KSVMWrap::new(X, Y_, c, gamma)` trains a soft-margin SVM with the Gaussian
//! kernel `exp(−γ‖x − y‖²)` in its constructor; `gamma = Gamma::Auto` is 1/D
//! (scikit-learn's `'auto'`). linfa writes the same kernel as
//! `exp(−‖x − y‖²/eps)`, so it is given `eps = 1/γ`. [`KSVMWrap::fit`] takes
//! every setting ([`KsvmParams`]), among them the linear kernel `x · y`
//! ([`Kernel::Linear`]): the course's linear SVM, through the same one-vs-one
//! machinery. More than two classes are handled one-vs-one, as scikit-learn's
//! `SVC` does: one binary SVM per pair of classes, and the class with the most
//! votes wins.
//!
//! - [`params`]: [`KsvmParams`], [`Kernel`], [`Gamma`], [`Backend`];
//! - [`svm`]: the model [`KSVMWrap`] (`predict`, `get_scores`, `decision_function`, `support`);
//! - [`ovo`]: one-vs-one pairs and voting; `pairs` trains the binary SVMs;
//! - [`smo`]: this crate's SMO solver for large problems (linfa-svm handles small ones);
//! - [`lab`]: the lab's 2-D runs: the reference data set with its decision
//!   surface, and KSVMWrap against PTDeep (through `pt_deep::fit`) over many random data sets;
//! - [`mnist`]: the SVM on MNIST, its backend benchmark and the scikit-learn reference.

pub mod error;
pub mod lab;
pub mod mnist;
pub mod ovo;
mod pairs;
pub mod params;
pub mod smo;
pub mod svm;

pub use error::KsvmError;
pub use params::{Backend, Gamma, Kernel, KernelKind, KsvmParams, ResolvedKernel, AUTO_SMO_ABOVE};
pub use svm::{FitStats, KSVMWrap};

#[cfg(test)]
mod hidden_tests;
