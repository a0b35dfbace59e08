//! What the assignments share: the run's context, fresh models, one training
//! routine that scores train, validation and test, and small plot helpers.

use ::plot::Series;
use pt_deep::{Activation, PTDeep};
use serde::Serialize;
use tch::{nn::VarStore, Tensor};

use crate::assignment::Assignment;
use crate::data::{Dataset, Holdout, Split};
use crate::presets::LabConfig;
use crate::train::{evaluate, train_mb, Eval, History, TrainParams};
use crate::ShootoutError;

/// One row of the final comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub assignment: &'static str,
    pub model: String,
    pub train_accuracy: Option<f64>,
    pub validation_accuracy: Option<f64>,
    pub test_accuracy: f64,
    pub train_seconds: f64,
    pub device: String,
}

/// The run's state, handed from one assignment to the next.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub cfg: &'a LabConfig,
    pub data: &'a Dataset,
    /// The 1/5 validation hold-out of the training set (made once per run).
    pub holdout: &'a Holdout,
    /// The comparison table's rows, in the order the models were trained.
    pub rows: Vec<Row>,
    /// The configuration `configs` chose on validation (for `train_mb`).
    pub chosen: Option<Vec<usize>>,
}

/// How the weights of a fresh model are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// N(0, 2/fan_in), PTDeep's choice for ReLU.
    He,
    /// N(0, 1), the course's `torch.randn`.
    StdNormal,
}

/// A freshly initialised PTDeep in its own VarStore (seeded with the run's seed).
pub fn model(
    cfg: &LabConfig,
    layers: &[usize],
    batch_norm: bool,
    init: Init,
) -> Result<(VarStore, PTDeep), ShootoutError> {
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(cfg.device);
    let m = if batch_norm {
        PTDeep::with_batch_norm(&vs.root(), layers, Activation::Relu)?
    } else {
        PTDeep::new(&vs.root(), layers, Activation::Relu)?
    };
    if init == Init::StdNormal {
        tch::no_grad(|| {
            for w in m.weights() {
                let mut w = w.shallow_clone();
                let fresh = Tensor::randn_like(&w);
                w.copy_(&fresh);
            }
        });
    }
    Ok((vs, m))
}

/// `[784,100,10]`.
pub fn tag(layers: &[usize]) -> String {
    let parts: Vec<String> = layers.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// `784-100-10`, for file names.
pub fn file_tag(layers: &[usize]) -> String {
    let parts: Vec<String> = layers.iter().map(|d| d.to_string()).collect();
    parts.join("-")
}

/// A curve over epochs 1, 2, …
pub fn curve(name: impl Into<String>, ys: &[f64]) -> Series {
    Series::new(
        name,
        ys.iter()
            .enumerate()
            .map(|(i, &y)| ((i + 1) as f64, y))
            .collect(),
    )
}

/// √(Σ‖W‖²) over every weight matrix (biases excluded, as in the L2 term).
pub fn weight_norm(m: &PTDeep) -> f64 {
    m.weights()
        .iter()
        .map(|w| w.square().sum(tch::Kind::Double).double_value(&[]))
        .sum::<f64>()
        .sqrt()
}

/// What one trained model reports: its curves and its scores.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// On the images it was trained on.
    pub train: Eval,
    /// On the validation hold-out, when it was trained on the rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Eval>,
    /// Scored once, after training; never used to choose anything.
    pub test: Eval,
    /// Mean training loss of each epoch (λ term included).
    pub epoch_loss: Vec<f64>,
    /// Validation loss and accuracy after each epoch (empty without a hold-out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validation_loss: Vec<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub validation_accuracy: Vec<f64>,
    /// Cumulative training time at the end of each epoch.
    pub epoch_seconds: Vec<f64>,
    pub train_seconds: f64,
}

/// A trained model with its parameters and its summary.
#[derive(Debug)]
pub struct Trained {
    pub vs: VarStore,
    pub model: PTDeep,
    pub summary: Summary,
    /// The learning rate of each epoch, as the training loop used it.
    pub lr: Vec<f64>,
}

/// What to train in [`Ctx::fit`].
#[derive(Debug, Clone, Copy)]
pub struct Job<'s> {
    pub assignment: Assignment,
    pub name: &'s str,
    pub layers: &'s [usize],
    pub batch_norm: bool,
    pub spec: TrainParams,
    /// The images to train on.
    pub train: &'s Split,
    /// Scored after every epoch when given.
    pub validation: Option<&'s Split>,
}

impl Ctx<'_> {
    /// Trains a fresh model, scores it (validation after every epoch, test
    /// once at the end) and adds a row to the comparison.
    pub fn fit(&mut self, job: Job<'_>) -> Result<Trained, ShootoutError> {
        let (vs, m) = model(self.cfg, job.layers, job.batch_norm, Init::He)?;
        let lambda = job.spec.lambda;
        let (precision, device) = (self.cfg.precision, self.cfg.device);
        let (mut vloss, mut vacc) = (Vec::new(), Vec::new());
        let hist: History = train_mb(
            &vs,
            job.train,
            &job.spec,
            job.name,
            // The forward pass and the loss in the run's precision, as
            // PyTorch's autocast recipe has it; backward follows the forward's
            // types, the optimiser step stays fp32.
            &|x, y| torch_util::with_precision(precision, device, || m.loss_labels(x, y, lambda)),
            |_, _| {
                if let Some(v) = job.validation {
                    let e = evaluate(&m, v)?;
                    vloss.push(e.loss);
                    vacc.push(e.accuracy);
                }
                Ok(())
            },
        )?;
        let train = evaluate(&m, job.train)?;
        let validation = job.validation.map(|v| evaluate(&m, v)).transpose()?;
        let test = evaluate(&m, &self.data.test)?;
        self.row(
            job.assignment,
            job.name,
            Some(train.accuracy),
            validation.as_ref().map(|v| v.accuracy),
            test.accuracy,
            hist.seconds,
        );
        let summary = Summary {
            train,
            validation,
            test,
            epoch_loss: hist.epoch_loss,
            validation_loss: vloss,
            validation_accuracy: vacc,
            epoch_seconds: hist.epoch_seconds,
            train_seconds: hist.seconds,
        };
        Ok(Trained {
            vs,
            model: m,
            summary,
            lr: hist.lr,
        })
    }

    /// Adds one row to the comparison table.
    pub fn row(
        &mut self,
        a: Assignment,
        model: &str,
        train: Option<f64>,
        validation: Option<f64>,
        test: f64,
        seconds: f64,
    ) {
        self.rows.push(Row {
            assignment: a.name(),
            model: model.to_string(),
            train_accuracy: train,
            validation_accuracy: validation,
            test_accuracy: test,
            train_seconds: seconds,
            device: torch_util::device_name(self.cfg.device),
        });
    }
}
