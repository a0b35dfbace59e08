//! One run of the shootout: the planned assignments in order, then
//! `metrics.json`, `comparison.md` and `comparison.png`.

use std::time::Instant;

use ::plot::bar_chart;
use labkit::RunDir;

use crate::assignment::Assignment;
use crate::assignments::{
    adam, adam_decay, batchnorm, configs, early_stopping, random, regularization, svm, train_mb,
    weights,
};
use crate::data::{Dataset, Holdout};
use crate::presets::LabConfig;
use crate::report::{comparison_markdown, LabReport, Results, Timed};
use crate::run::Ctx;
use crate::ShootoutError;

/// Runs `plan` on `data`, writes `metrics.json`, `comparison.md` and
/// `comparison.png` into `cfg.out` (created only after the checks pass).
pub fn run(
    cfg: &LabConfig,
    data: &Dataset,
    plan: &[Assignment],
) -> Result<LabReport, ShootoutError> {
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
        labkit::note!(
            "  {:<15} done in {}",
            a.name(),
            labkit::fmt_duration(t0.elapsed())
        );
    }
    let report = LabReport {
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
