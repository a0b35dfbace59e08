//! Train a PTDeep on an ndarray data set and score it.
//!
//! The one routine behind every 2-D run of the lab, and the library function
//! other labs call when the course asks them to compare with PTDeep
//! (ksvm_wrap does): no lab copies this loop.

use std::time::Instant;

use data::plot::{decision_surface, PlotError, Rect, Surface};
use data::Standardizer;
use ndarray::{Array2, ArrayView2};
use tch::{nn::VarStore, Device};

use crate::train::{eval, train, TrainLog, TrainParams};
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

/// A trained model with the input scaling it was trained under.
#[derive(Debug)]
pub struct Fitted {
    /// Holds the model's parameters.
    pub vs: VarStore,
    pub model: PTDeep,
    pub scale: Standardizer,
    pub log: TrainLog,
    /// Wall-clock time of the training loop, callbacks included.
    pub train_seconds: f64,
}

/// The scores of a model on one data set.
pub type Score = metrics::ProbaScore;

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
    let scale = Standardizer::fit_if(spec.standardize, x)?;
    let xt = torch_util::to_tensor(scale.transform(x).view(), spec.device);
    let yoh = data::class_to_onehot(y, Some(n_classes))?;
    let yoh = torch_util::to_tensor(yoh.view(), spec.device);
    tch::manual_seed(spec.torch_seed as i64);
    let vs = VarStore::new(spec.device);
    let model = PTDeep::new(&vs.root(), spec.layers, spec.activation)?;
    let t0 = Instant::now();
    let log = train(&vs, &model, &xt, &yoh, &spec.train, on_log)?;
    Ok(Fitted {
        train_seconds: t0.elapsed().as_secs_f64(),
        vs,
        model,
        scale,
        log,
    })
}

impl Fitted {
    /// Class probabilities P (M × C) of raw inputs x (M × D).
    pub fn proba(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, PtDeepError> {
        let xt = torch_util::to_tensor(self.scale.transform(x).view(), self.vs.device());
        Ok(torch_util::to_array2(&eval(&self.model, &xt))?)
    }

    /// Accuracy, confusion matrix, precision/recall and AP on (x, y).
    pub fn score(&self, x: ArrayView2<f64>, y: &[usize]) -> Result<Score, PtDeepError> {
        let p = self.proba(x)?;
        Ok(metrics::score_proba(p.view(), y, self.model.n_classes())?)
    }

    /// The decision surface over `rect` (plot coordinates), grid × grid cells.
    pub fn surface(&self, rect: Rect, grid: usize) -> Result<Surface, PlotError> {
        model_surface(&self.model, &self.scale, self.vs.device(), rect, grid)
    }
}

/// The decision surface of `model` fed through `scale`, for use while it trains.
pub fn model_surface(
    model: &PTDeep,
    scale: &Standardizer,
    device: Device,
    rect: Rect,
    grid: usize,
) -> Result<Surface, PlotError> {
    decision_surface(
        |g| {
            let xt = torch_util::to_tensor(scale.transform(g).view(), device);
            torch_util::to_array2(&eval(model, &xt))
        },
        rect,
        grid,
    )
}
