//! # Assignment 6 · `adam`: Adam with a fixed learning rate
//!
//! Task: train [784,100,10] (batch 100, λ = 1e-4) with Adam at a fixed
//! learning rate 1e-4 instead of SGD at 0.1, and compare convergence and
//! accuracy with the SGD runs.
//!
//! Expect (`--full`): about 0.969 test accuracy after 30 epochs, behind SGD at
//! lr 0.1 (about 0.975): 1e-4 is a small step even for Adam. Quick mode:
//! about 0.92. Figure: `adam_loss.png`.

use ::plot::line_plot;
use serde::Serialize;

use crate::assignment::Assignment;
use crate::run::{curve, Ctx, Job, Summary};
use crate::train::{Optimizer, TrainParams};
use crate::ShootoutError;

/// The course's learning rate for Adam.
pub const ADAM_LR: f64 = 1e-4;

/// What `adam` and `adam_decay` report.
#[derive(Debug, Clone, Serialize)]
pub struct AdamReport {
    pub config: [usize; 3],
    pub lr: f64,
    /// Multiplier of the learning rate after every epoch (none: fixed).
    pub gamma: Option<f64>,
    /// The learning rate of each epoch, as the training loop used it.
    pub lr_per_epoch: Vec<f64>,
    pub result: Summary,
}

pub fn run(cx: &mut Ctx) -> Result<AdamReport, ShootoutError> {
    train_adam(cx, None)
}

/// [784,100,10] with Adam at [`ADAM_LR`], the learning rate multiplied by
/// `gamma` after every epoch when given.
pub(crate) fn train_adam(cx: &mut Ctx, gamma: Option<f64>) -> Result<AdamReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let layers = [784, 100, 10];
    let spec = TrainParams {
        gamma,
        ..cfg.spec(Optimizer::Adam, ADAM_LR, cfg.lambda)
    };
    let (a, name, file) = match gamma {
        Some(g) => (
            Assignment::AdamDecay,
            format!("[784,100,10] Adam 1e-4, decay {g}"),
            "adam_decay_loss",
        ),
        None => (
            Assignment::Adam,
            "[784,100,10] Adam 1e-4".into(),
            "adam_loss",
        ),
    };
    let t = cx.fit(Job {
        assignment: a,
        name: &name,
        layers: &layers,
        batch_norm: false,
        spec,
        train: &data.train,
        validation: None,
    })?;
    line_plot(
        &cfg.path(file),
        &name,
        "epoch",
        "mean loss",
        &[curve(name.as_str(), &t.summary.epoch_loss)],
        true,
    )?;
    Ok(AdamReport {
        config: layers,
        lr: ADAM_LR,
        gamma,
        lr_per_epoch: t.lr,
        result: t.summary,
    })
}
