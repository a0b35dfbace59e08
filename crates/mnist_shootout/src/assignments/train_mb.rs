//! # Assignment 5 · `train_mb`: mini-batches against the whole batch
//!
//! Task: take the configuration `configs` chose on validation and train it
//! on the training set with `train_mb` — SGD on mini-batches in a fresh
//! random order every epoch, written by hand (a permutation cut into batches
//! of indices, no data-loader helper) — for several batch sizes; train the
//! same model by whole-batch gradient descent with PTDeep's `train` (one step
//! per pass over the data, same lr 0.1 and λ = 1e-4). Compare the loss
//! against epochs (passes over the data) and against wall-clock time, and the
//! final accuracy.
//!
//! Expect (`--full`): batch 100 about 0.98 test accuracy after 30 epochs;
//! 120 whole-batch steps (four times the passes) about 0.91, ending near the
//! loss batch 100 has after its first epoch; smaller batches reach a given
//! loss in fewer epochs but cost more per epoch. Quick mode: the same order.
//! Figures: `train_mb_loss_epochs.png`, `train_mb_loss_time.png`.

use std::time::Instant;

use ::plot::{line_plot, Series};
use serde::Serialize;
use tch::Kind;

use super::configs::CHOSEN_BY;
use crate::assignment::Assignment;
use crate::run::{curve, model, tag, Ctx, Init, Job, Summary};
use crate::train::{evaluate, Eval, Optimizer, TrainParams};
use crate::ShootoutError;

#[derive(Debug, Clone, Serialize)]
pub struct MbRun {
    pub batch: usize,
    pub steps_per_epoch: usize,
    pub seconds_per_epoch: f64,
    pub result: Summary,
}

/// Whole-batch gradient descent (PTDeep's `train`).
#[derive(Debug, Clone, Serialize)]
pub struct WholeBatch {
    pub steps: usize,
    pub lr: f64,
    pub lambda: f64,
    /// The loss at each step (the whole training set, λ term included).
    pub loss: Vec<f64>,
    /// Cumulative training time after each step.
    pub seconds: Vec<f64>,
    pub train: Eval,
    pub test: Eval,
    pub train_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainMbReport {
    pub config: Vec<usize>,
    pub chosen_by: String,
    pub n_train: usize,
    pub runs: Vec<MbRun>,
    pub whole_batch: WholeBatch,
}

pub fn run(cx: &mut Ctx) -> Result<TrainMbReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let layers = cx.chosen.clone().ok_or(ShootoutError::NoChosenConfig)?;
    let name = tag(&layers);
    let mut runs = Vec::new();
    let (mut by_epoch, mut by_time) = (Vec::new(), Vec::new());
    for &b in &cfg.batch_sizes {
        let spec = TrainParams {
            batch: b,
            ..cfg.spec(Optimizer::Sgd, cfg.lr, cfg.lambda)
        };
        let t = cx.fit(Job {
            assignment: Assignment::TrainMb,
            name: &format!("{name} batch {b}"),
            layers: &layers,
            batch_norm: false,
            spec,
            train: &data.train,
            validation: None,
        })?;
        let s = t.summary;
        by_epoch.push(curve(format!("batch {b}"), &s.epoch_loss));
        by_time.push(Series::new(
            format!("batch {b}"),
            s.epoch_seconds
                .iter()
                .copied()
                .zip(s.epoch_loss.iter().copied())
                .collect(),
        ));
        runs.push(MbRun {
            batch: b,
            steps_per_epoch: data.train.len().div_ceil(b),
            seconds_per_epoch: s.train_seconds / spec.epochs as f64,
            result: s,
        });
    }

    // The same model by whole-batch gradient descent: PTDeep's own `train`.
    let (vs, m) = model(cfg, &layers, false, Init::He)?;
    let yoh = data.train.y.one_hot(10).to_kind(Kind::Float);
    let params = pt_deep::TrainParams {
        niter: cfg.gd_steps,
        delta: cfg.lr,
        lambda: cfg.lambda,
        log_every: 1,
    };
    let (mut loss, mut seconds) = (Vec::new(), Vec::new());
    let pb = labkit::progress(cfg.gd_steps as u64, "whole batch");
    let t0 = Instant::now();
    pt_deep::train(&vs, &m, &data.train.x, &yoh, &params, |_, l, _| {
        loss.push(l);
        seconds.push(t0.elapsed().as_secs_f64());
        pb.inc(1);
    })?;
    pb.finish_and_clear();
    let train_seconds = t0.elapsed().as_secs_f64();
    let (train, test) = (evaluate(&m, &data.train)?, evaluate(&m, &data.test)?);
    let gd_name = format!("{name} whole batch, {} steps", cfg.gd_steps);
    cx.row(
        Assignment::TrainMb,
        &gd_name,
        Some(train.accuracy),
        None,
        test.accuracy,
        train_seconds,
    );
    by_epoch.push(curve("whole batch", &loss));
    by_time.push(Series::new(
        "whole batch",
        seconds.iter().copied().zip(loss.iter().copied()).collect(),
    ));
    line_plot(
        &cfg.path("train_mb_loss_epochs"),
        &format!("{name}: training loss per pass over the data"),
        "epoch (whole batch: step)",
        "mean loss",
        &by_epoch,
        false,
    )?;
    line_plot(
        &cfg.path("train_mb_loss_time"),
        &format!("{name}: training loss against training time"),
        "seconds",
        "mean loss",
        &by_time,
        false,
    )?;
    Ok(TrainMbReport {
        config: layers,
        chosen_by: format!("configs: {CHOSEN_BY}"),
        n_train: data.train.len(),
        runs,
        whole_batch: WholeBatch {
            steps: cfg.gd_steps,
            lr: cfg.lr,
            lambda: cfg.lambda,
            loss,
            seconds,
            train,
            test,
            train_seconds,
        },
    })
}
