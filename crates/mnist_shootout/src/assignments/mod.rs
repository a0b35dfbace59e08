//! The ten assignments of Lab 1's MNIST part, one file each, in the course's
//! order. Each `run(cx)` trains what it needs, writes its figures, adds its
//! rows to the comparison and returns its typed report; [`run`] collects the
//! reports into `metrics.json`.

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

use std::time::Instant;

use ::data::plot::bar_chart;
use labkit::RunDir;
use serde::Serialize;

use crate::data::{Dataset, Holdout};
use crate::presets::ShootoutConfig;
use crate::report::{comparison_markdown, Report, Results, Timed};
use crate::run::Ctx;
use crate::ShootoutError;

/// The assignments, in the course's order (`--only NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// 1. [784,10]: each digit's weights as an image, for several λ
    #[value(name = "weights")]
    Weights,
    /// 2. four depths, the best chosen on validation; loss curves, hardest images
    #[value(name = "configs")]
    Configs,
    /// 3. λ against the train/test gap of the deep configurations
    #[value(name = "regularization")]
    Regularization,
    /// 4. keep the epoch with the best validation accuracy
    #[value(name = "early_stopping")]
    EarlyStopping,
    /// 5. hand-written mini-batches against whole-batch gradient descent (runs configs first)
    #[value(name = "train_mb")]
    TrainMb,
    /// 6. Adam, learning rate 1e-4
    #[value(name = "adam")]
    Adam,
    /// 7. Adam with exponential decay per epoch
    #[value(name = "adam_decay")]
    AdamDecay,
    /// 8. untrained models: N(0,1) and He initialisation
    #[value(name = "random")]
    Random,
    /// 9. RBF SVM (one-vs-one) and a linear model with hinge loss
    #[value(name = "svm")]
    Svm,
    /// 10. batch normalisation after each hidden layer
    #[value(name = "batchnorm")]
    Batchnorm,
}

impl Assignment {
    pub const ALL: [Assignment; 10] = [
        Assignment::Weights,
        Assignment::Configs,
        Assignment::Regularization,
        Assignment::EarlyStopping,
        Assignment::TrainMb,
        Assignment::Adam,
        Assignment::AdamDecay,
        Assignment::Random,
        Assignment::Svm,
        Assignment::Batchnorm,
    ];

    /// The name used by `--only` and in `metrics.json`.
    pub fn name(self) -> &'static str {
        match self {
            Assignment::Weights => "weights",
            Assignment::Configs => "configs",
            Assignment::Regularization => "regularization",
            Assignment::EarlyStopping => "early_stopping",
            Assignment::TrainMb => "train_mb",
            Assignment::Adam => "adam",
            Assignment::AdamDecay => "adam_decay",
            Assignment::Random => "random",
            Assignment::Svm => "svm",
            Assignment::Batchnorm => "batchnorm",
        }
    }
}

/// What runs for `--only only` (everything when empty), in the course's
/// order. `train_mb` trains the configuration `configs` chooses, so it
/// brings `configs` along.
pub fn plan(only: &[Assignment]) -> Vec<Assignment> {
    let wanted = |a: &Assignment| {
        only.is_empty()
            || only.contains(a)
            || (*a == Assignment::Configs && only.contains(&Assignment::TrainMb))
    };
    Assignment::ALL.into_iter().filter(wanted).collect()
}

/// Runs `plan` on `data`, writes `metrics.json`, `comparison.md` and
/// `comparison.png` into `cfg.out` (created only after the checks pass).
pub fn run(
    cfg: &ShootoutConfig,
    data: &Dataset,
    plan: &[Assignment],
) -> Result<Report, ShootoutError> {
    cfg.check(plan)?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let holdout = Holdout::new(&data.train, cfg.seed);
    let mut cx = Ctx {
        cfg,
        data,
        holdout: &holdout,
        rows: Vec::new(),
        chosen: None,
    };
    let mut results = Results::default();
    for &a in plan {
        let t0 = Instant::now();
        match a {
            Assignment::Weights => {
                results.weights = Some(Timed::new(weights::run(&mut cx)?, t0, cfg))
            }
            Assignment::Configs => {
                results.configs = Some(Timed::new(configs::run(&mut cx)?, t0, cfg))
            }
            Assignment::Regularization => {
                results.regularization = Some(Timed::new(regularization::run(&mut cx)?, t0, cfg))
            }
            Assignment::EarlyStopping => {
                results.early_stopping = Some(Timed::new(early_stopping::run(&mut cx)?, t0, cfg))
            }
            Assignment::TrainMb => {
                results.train_mb = Some(Timed::new(train_mb::run(&mut cx)?, t0, cfg))
            }
            Assignment::Adam => results.adam = Some(Timed::new(adam::run(&mut cx)?, t0, cfg)),
            Assignment::AdamDecay => {
                results.adam_decay = Some(Timed::new(adam_decay::run(&mut cx)?, t0, cfg))
            }
            Assignment::Random => results.random = Some(Timed::new(random::run(&mut cx)?, t0, cfg)),
            Assignment::Svm => results.svm = Some(Timed::new(svm::run(&mut cx)?, t0, cfg)),
            Assignment::Batchnorm => {
                results.batchnorm = Some(Timed::new(batchnorm::run(&mut cx)?, t0, cfg))
            }
        }
        eprintln!(
            "  {:<15} done in {}",
            a.name(),
            labkit::fmt_duration(t0.elapsed())
        );
    }
    let report = Report {
        lab: "mnist_shootout",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        threads: tch::get_num_threads(),
        data: data.source.clone(),
        n_fit: cx.holdout.fit.len(),
        n_validation: cx.holdout.validation.len(),
        assignments: results,
        comparison: cx.rows,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    if !report.comparison.is_empty() {
        let labels: Vec<String> = report.comparison.iter().map(|r| r.model.clone()).collect();
        let acc: Vec<f64> = report.comparison.iter().map(|r| r.test_accuracy).collect();
        let lo = acc.iter().copied().fold(0.8, f64::min);
        bar_chart(
            &cfg.path("comparison"),
            "test accuracy",
            &labels,
            &acc,
            ((lo - 0.02).max(0.0), 1.0),
        )?;
        labkit::write_bytes(
            &dir.path("comparison.md"),
            comparison_markdown(&report).as_bytes(),
        )?;
    }
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}
