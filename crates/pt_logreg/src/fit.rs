//! Train a PTLogreg on an ndarray data set and score it: the routine behind
//! every run of the lab, and the one to call when comparing PTLogreg with
//! another model on the same data (PTDeep [D, C] reproduces it).
//!
//! [`Fitted`] and [`prepare`] serve every whole-batch classifier of Lab 1:
//! PTDeep's `fit` returns a `Fitted<PTDeep, _>` made the same way.

use std::time::Instant;

use data::{DataError, Standardizer};
use metrics::MetricsError;
use ndarray::{Array2, ArrayView2};
use plot::{decision_surface, PlotError, Rect, Surface};
use tch::{nn::VarStore, Device, Tensor};
use torch_util::TorchError;

use crate::train::{train, TrainLog, TrainParams};
use crate::{LogregError, PTLogreg};

/// A model that maps (scaled) inputs X (N × D) to class probabilities P (N × C).
pub trait Classifier {
    fn n_classes(&self) -> usize;
    /// P for X, without recording a graph.
    fn eval(&self, x: &Tensor) -> Tensor;
}

impl Classifier for PTLogreg {
    fn n_classes(&self) -> usize {
        PTLogreg::n_classes(self)
    }

    fn eval(&self, x: &Tensor) -> Tensor {
        crate::train::eval(self, x)
    }
}

/// What can fail while preparing data for a classifier or scoring it.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Torch(#[from] TorchError),
}

impl From<FitError> for LogregError {
    fn from(e: FitError) -> Self {
        match e {
            FitError::Data(e) => LogregError::Data(e),
            FitError::Metrics(e) => LogregError::Metrics(e),
            FitError::Torch(e) => LogregError::Torch(e),
        }
    }
}

/// Training data on the device, and a fresh parameter store.
#[derive(Debug)]
pub struct Prepared {
    /// Standardisation with the training set's statistics (or none).
    pub scale: Standardizer,
    /// The scaled inputs (N × D).
    pub x: Tensor,
    /// The one-hot targets (N × C).
    pub yoh: Tensor,
    /// Made right after `tch::manual_seed(torch_seed)`, so the model built in
    /// it starts from the same weights for the same seed.
    pub vs: VarStore,
}

impl Prepared {
    /// The trained `model` with this data's scaling and store, its training
    /// log, and the seconds since `started`.
    pub fn fitted<M, L>(self, model: M, log: L, started: Instant) -> Fitted<M, L> {
        Fitted {
            train_seconds: started.elapsed().as_secs_f64(),
            vs: self.vs,
            model,
            scale: self.scale,
            log,
        }
    }
}

/// Scales x (if `standardize`), one-hot encodes y into `n_classes` columns,
/// moves both to `device`, seeds libtorch and makes the parameter store.
pub fn prepare(
    x: ArrayView2<f64>,
    y: &[usize],
    n_classes: usize,
    standardize: bool,
    torch_seed: u64,
    device: Device,
) -> Result<Prepared, FitError> {
    let scale = Standardizer::fit_if(standardize, x)?;
    let xt = torch_util::to_tensor(scale.transform(x).view(), device);
    let yoh = data::class_to_onehot(y, Some(n_classes))?;
    let yoh = torch_util::to_tensor(yoh.view(), device);
    tch::manual_seed(torch_seed as i64);
    Ok(Prepared {
        scale,
        x: xt,
        yoh,
        vs: VarStore::new(device),
    })
}

/// A trained model with the input scaling it was trained under.
#[derive(Debug)]
pub struct Fitted<M, L = TrainLog> {
    /// Holds the model's parameters.
    pub vs: VarStore,
    pub model: M,
    pub scale: Standardizer,
    pub log: L,
    /// Wall-clock time of the training loop, callbacks included.
    pub train_seconds: f64,
}

/// The scores of a model on one data set.
pub type Score = metrics::ProbaScore;

impl<M: Classifier, L> Fitted<M, L> {
    /// Class probabilities P (M × C) of raw inputs x (M × D).
    pub fn proba(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, FitError> {
        proba_of(&self.model, &self.scale, self.vs.device(), x)
    }

    /// Accuracy, confusion matrix, precision/recall and AP on (x, y).
    pub fn score(&self, x: ArrayView2<f64>, y: &[usize]) -> Result<Score, FitError> {
        let p = self.proba(x)?;
        Ok(metrics::score_proba(p.view(), y, self.model.n_classes())?)
    }

    /// The decision surface over `rect` (plot coordinates), grid × grid cells.
    pub fn surface(&self, rect: Rect, grid: usize) -> Result<Surface, PlotError> {
        model_surface(&self.model, &self.scale, self.vs.device(), rect, grid)
    }
}

/// P of raw inputs x through `scale` and `model`.
fn proba_of<M: Classifier>(
    model: &M,
    scale: &Standardizer,
    device: Device,
    x: ArrayView2<f64>,
) -> Result<Array2<f64>, FitError> {
    let xt = torch_util::to_tensor(scale.transform(x).view(), device);
    Ok(torch_util::to_array2(&model.eval(&xt))?)
}

/// The decision surface of `model` fed through `scale`; also for use while
/// it trains (the frames of an animation).
pub fn model_surface<M: Classifier>(
    model: &M,
    scale: &Standardizer,
    device: Device,
    rect: Rect,
    grid: usize,
) -> Result<Surface, PlotError> {
    decision_surface(|g| proba_of(model, scale, device, g), rect, grid)
}

/// What to train: the optimiser's settings, the input scaling and the seed.
#[derive(Debug, Clone, Copy)]
pub struct FitSpec {
    pub params: TrainParams,
    /// Standardise the inputs with statistics of the training set.
    pub standardize: bool,
    /// Seed of the initial W (`tch::manual_seed` just before the VarStore is made).
    pub torch_seed: u64,
    pub device: Device,
}

/// Trains PTLogreg(D, `n_classes`) on (x, y) by whole-batch gradient descent;
/// `on_log(i, loss)` sees every kept loss.
pub fn fit(
    x: ArrayView2<f64>,
    y: &[usize],
    n_classes: usize,
    spec: &FitSpec,
    on_log: impl FnMut(usize, f64),
) -> Result<Fitted<PTLogreg>, LogregError> {
    spec.params.check()?;
    let p = prepare(
        x,
        y,
        n_classes,
        spec.standardize,
        spec.torch_seed,
        spec.device,
    )?;
    let mut model = PTLogreg::new(&p.vs.root(), x.ncols(), n_classes)?;
    let t0 = Instant::now();
    let log = train(&mut model, &p.x, &p.yoh, &spec.params, on_log)?;
    Ok(p.fitted(model, log, t0))
}
