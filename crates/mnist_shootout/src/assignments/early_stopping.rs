//! # Assignment 4 · `early_stopping`: keep the best epoch
//!
//! Task: hold out 1/5 of the training set at random; train [784,100,10]
//! (SGD, lr 0.1, batch 100, λ = 1e-4) on the rest, score the hold-out after
//! every epoch and keep a copy of the parameters with the best validation
//! accuracy; compare that model with the one trained to the end. The choice
//! reads the validation set only; the test set scores both models once.
//!
//! Expect (`--full`): the best epoch comes late (the net has barely started
//! to overfit after 30 epochs), and the two models differ by about 0.001 in
//! test accuracy (about 0.976). Quick mode: about 0.94.
//! Figure: `early_stopping.png` (validation accuracy per epoch).

use ::plot::line_plot;
use serde::Serialize;

use crate::assignment::Assignment;
use crate::run::{curve, model, Ctx, Init};
use crate::train::{evaluate, train_mb, EarlyStopping, Optimizer};
use crate::ShootoutError;

/// Validation and test accuracy of one model.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pair {
    pub validation: f64,
    pub test: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EarlyStoppingReport {
    pub config: [usize; 3],
    pub n_fit: usize,
    pub n_validation: usize,
    pub epochs: usize,
    pub best_epoch: usize,
    pub validation_accuracy: Vec<f64>,
    /// The restored parameters of the best epoch.
    pub best: Pair,
    /// The parameters after the last epoch.
    pub last: Pair,
    pub epoch_loss: Vec<f64>,
    pub train_seconds: f64,
}

pub fn run(cx: &mut Ctx) -> Result<EarlyStoppingReport, ShootoutError> {
    let (cfg, data, holdout) = (cx.cfg, cx.data, cx.holdout);
    let (fit, val) = (&holdout.fit, &holdout.validation);
    let layers = [784, 100, 10];
    let (vs, m) = model(cfg, &layers, false, Init::He)?;
    let spec = cfg.spec(Optimizer::Sgd, cfg.lr, cfg.lambda);
    let mut stopping = EarlyStopping::default();
    let lambda = spec.lambda;
    let hist = train_mb(
        &vs,
        fit,
        &spec,
        "early stopping",
        &|x, y| m.loss_labels(x, y, lambda),
        |epoch, _| {
            stopping.observe(epoch, evaluate(&m, val)?.accuracy, &vs);
            Ok(())
        },
    )?;
    let Some(&last_val) = stopping.accuracy.last() else {
        return Err(ShootoutError::NoEpochObserved);
    };
    let last_test = evaluate(&m, &data.test)?.accuracy;
    let (best_epoch, _) = stopping.restore_best()?;
    let val_acc = stopping.accuracy;
    let best_val = evaluate(&m, val)?.accuracy;
    let best_test = evaluate(&m, &data.test)?.accuracy;
    cx.row(
        Assignment::EarlyStopping,
        &format!("[784,100,10] best epoch ({best_epoch})"),
        None,
        Some(best_val),
        best_test,
        hist.seconds,
    );
    cx.row(
        Assignment::EarlyStopping,
        &format!("[784,100,10] last epoch ({})", spec.epochs),
        None,
        Some(last_val),
        last_test,
        hist.seconds,
    );
    line_plot(
        &cfg.path("early_stopping"),
        "validation accuracy per epoch",
        "epoch",
        "accuracy",
        &[curve("validation", &val_acc)],
        false,
    )?;
    Ok(EarlyStoppingReport {
        config: layers,
        n_fit: fit.len(),
        n_validation: val.len(),
        epochs: spec.epochs,
        best_epoch,
        validation_accuracy: val_acc,
        best: Pair {
            validation: best_val,
            test: best_test,
        },
        last: Pair {
            validation: last_val,
            test: last_test,
        },
        epoch_loss: hist.epoch_loss,
        train_seconds: hist.seconds,
    })
}
