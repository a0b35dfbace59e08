//! Train a PTDeep on an ndarray data set and score it.
//!
//! The one routine behind every 2-D run of the lab, and the library function
//! other labs call when the course asks them to compare with PTDeep
//! (ksvm_wrap does): no lab copies this loop.

use std::time::Instant;

use ndarray::ArrayView2;
use pt_logreg::fit::prepare;
pub use pt_logreg::fit::{model_surface, Classifier, FitError, Score};
use tch::{Device, Tensor};

use crate::train::{train, TrainLog, TrainParams};
use crate::{Activation, PTDeep, PtDeepError};

/// What to train: the architecture, the optimiser's settings and the seed.
#[derive(Debug, Clone, Copy)]
pub struct FitSpec<'a> {
    /// Layer sizes `[D, h1, …, C]`.
    pub layers: &'a [usize],
    pub activation: Activation,
    pub train: TrainParams,
    /// Standardise the inputs with statistics of the training set.
    pub standardize: bool,
    /// Seed of the initial weights (`tch::manual_seed`).
    pub torch_seed: u64,
    pub device: Device,
}

/// A trained PTDeep with the input scaling it was trained under (the same
/// wrapper as PTLogreg's, with this lab's training log).
pub type Fitted = pt_logreg::Fitted<PTDeep, TrainLog>;

impl Classifier for PTDeep {
    fn n_classes(&self) -> usize {
        PTDeep::n_classes(self)
    }

    fn eval(&self, x: &Tensor) -> Tensor {
        crate::train::eval(self, x)
    }
}

impl From<FitError> for PtDeepError {
    fn from(e: FitError) -> Self {
        match e {
            FitError::Data(e) => PtDeepError::Data(e),
            FitError::Metrics(e) => PtDeepError::Metrics(e),
            FitError::Torch(e) => PtDeepError::Torch(e),
        }
    }
}

/// Trains `spec` on (x, y) by whole-batch gradient descent. `on_log` sees
/// (iteration, loss, model) every `spec.train.log_every` steps.
pub fn fit(
    x: ArrayView2<f64>,
    y: &[usize],
    spec: &FitSpec<'_>,
    on_log: impl FnMut(usize, f64, &PTDeep),
) -> Result<Fitted, PtDeepError> {
    spec.train.check()?;
    let n_classes = *spec
        .layers
        .last()
        .ok_or_else(|| PtDeepError::ConfigTooShort(spec.layers.to_vec()))?;
    let p = prepare(
        x,
        y,
        n_classes,
        spec.standardize,
        spec.torch_seed,
        spec.device,
    )?;
    let model = PTDeep::new(&p.vs.root(), spec.layers, spec.activation)?;
    let t0 = Instant::now();
    let log = train(&p.vs, &model, &p.x, &p.yoh, &spec.train, on_log)?;
    Ok(p.fitted(model, log, t0))
}
