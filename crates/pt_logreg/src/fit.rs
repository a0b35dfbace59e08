//! Train a PTLogreg on an ndarray data set and score it: the routine behind
//! every run of the lab, and the one to call when comparing PTLogreg with
//! another model on the same data (PTDeep [D, C] reproduces it).

use data::plot::{decision_surface, PlotError, Rect, Surface};
use data::Standardizer;
use ndarray::{Array2, ArrayView2};
use tch::{nn::VarStore, Device};

use crate::train::{eval, train, LogregParams, TrainLog};
use crate::{LogregError, PTLogreg};

/// What to train: the optimiser's settings, the input scaling and the seed.
#[derive(Debug, Clone, Copy)]
pub struct FitSpec {
    pub params: LogregParams,
    /// Standardise the inputs with statistics of the training set.
    pub standardize: bool,
    /// Seed of the initial W (`tch::manual_seed` just before the VarStore is made).
    pub torch_seed: u64,
    pub device: Device,
}

/// A trained model with the input scaling it was trained under.
#[derive(Debug)]
pub struct Fitted {
    /// Holds the model's parameters.
    pub vs: VarStore,
    pub model: PTLogreg,
    pub scale: Standardizer,
    pub log: TrainLog,
}

/// The scores of a model on one data set.
pub type Score = metrics::ProbaScore;

/// Trains PTLogreg(D, `n_classes`) on (x, y) by whole-batch gradient descent;
/// `on_log(i, loss)` sees every kept loss.
pub fn fit(
    x: ArrayView2<f64>,
    y: &[usize],
    n_classes: usize,
    spec: &FitSpec,
    on_log: impl FnMut(usize, f64),
) -> Result<Fitted, LogregError> {
    spec.params.check()?;
    let scale = Standardizer::fit_if(spec.standardize, x)?;
    let xt = torch_util::to_tensor(scale.transform(x).view(), spec.device);
    let yoh = data::class_to_onehot(y, Some(n_classes))?;
    let yoh = torch_util::to_tensor(yoh.view(), spec.device);
    tch::manual_seed(spec.torch_seed as i64);
    let vs = VarStore::new(spec.device);
    let mut model = PTLogreg::new(&vs.root(), x.ncols(), n_classes)?;
    let log = train(&mut model, &xt, &yoh, &spec.params, on_log)?;
    Ok(Fitted {
        vs,
        model,
        scale,
        log,
    })
}

impl Fitted {
    /// Class probabilities P (M × C) of raw inputs x (M × D).
    pub fn proba(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, LogregError> {
        let xt = torch_util::to_tensor(self.scale.transform(x).view(), self.vs.device());
        Ok(torch_util::to_array2(&eval(&self.model, &xt))?)
    }

    /// Accuracy, confusion matrix, precision/recall and AP on (x, y).
    pub fn score(&self, x: ArrayView2<f64>, y: &[usize]) -> Result<Score, LogregError> {
        let p = self.proba(x)?;
        Ok(metrics::score_proba(p.view(), y, self.model.n_classes())?)
    }

    /// The decision surface over `rect` (plot coordinates), grid × grid cells.
    pub fn surface(&self, rect: Rect, grid: usize) -> Result<Surface, PlotError> {
        decision_surface(|g| self.proba(g), rect, grid)
    }
}
