//! The whole run: the chosen parts on every seed, the figures and `metrics.json`.

use std::time::Instant;

use labkit::RunDir;

use crate::iris::IrisBatch;
use crate::params::{LabConfig, Part, ProtocolName};
use crate::parts::classifier::ClassifierRun;
use crate::parts::gaussian::{pooled_variance, GaussianRun};
use crate::report::checks;
use crate::stats::OverSeeds;
pub use crate::summary::{LabReport, Part2Report, Part3Report, Part4Report, PooledVariance};
use crate::{figures, EmbeddingsError};

fn over(v: Vec<f64>) -> Result<OverSeeds, EmbeddingsError> {
    OverSeeds::new(v).ok_or(EmbeddingsError::NoRuns("a summary over seeds"))
}

fn some_over(v: impl Iterator<Item = Option<f64>>) -> Option<OverSeeds> {
    OverSeeds::new(v.flatten().collect())
}

fn part2_report(runs: Vec<ClassifierRun>) -> Result<Part2Report, EmbeddingsError> {
    let of = |f: fn(&ClassifierRun) -> f64| over(runs.iter().map(f).collect());
    Ok(Part2Report {
        accuracy: of(|r| r.accuracy)?,
        macro_precision: of(|r| r.macro_precision)?,
        macro_recall: of(|r| r.macro_recall)?,
        micro_precision: of(|r| r.micro_precision)?,
        micro_recall: of(|r| r.micro_recall)?,
        train_accuracy: of(|r| r.train_accuracy)?,
        runs,
    })
}

fn part4_report(runs: Vec<GaussianRun>) -> Result<Part4Report, EmbeddingsError> {
    Ok(Part4Report {
        mae: over(runs.iter().map(|r| r.mae).collect())?,
        nearest_accuracy: over(runs.iter().map(|r| r.nearest_accuracy).collect())?,
        var_correct: some_over(runs.iter().map(|r| r.var_correct)),
        var_wrong: some_over(runs.iter().map(|r| r.var_wrong)),
        var_setosa: some_over(runs.iter().map(|r| r.var_setosa)),
        var_versicolor_virginica: some_over(runs.iter().map(|r| r.var_versicolor_virginica)),
        seeds_with_errors: runs.iter().filter(|r| r.n_wrong > 0).count(),
        ratio_wrong_correct: some_over(runs.iter().map(|r| Some(r.var_wrong? / r.var_correct?))),
        ratio_overlap_setosa: some_over(
            runs.iter()
                .map(|r| Some(r.var_versicolor_virginica? / r.var_setosa?)),
        ),
        wrong_above_correct: runs
            .iter()
            .filter(|r| matches!((r.var_wrong, r.var_correct), (Some(w), Some(c)) if w > c))
            .count(),
        pooled: PooledVariance {
            correct: pooled_variance(&runs, |r, i| r.correct[i]),
            wrong: pooled_variance(&runs, |r, i| !r.correct[i]),
            setosa: pooled_variance(&runs, |r, i| r.labels[i] == 0),
            versicolor_virginica: pooled_variance(&runs, |r, i| r.labels[i] != 0),
        },
        runs,
    })
}

/// Runs the chosen parts, writes the figures and `metrics.json` under `params.out`.
pub fn run_lab(params: &LabConfig) -> Result<LabReport, EmbeddingsError> {
    params.check()?;
    let start = Instant::now();
    let dir = RunDir::create(&params.out)?;
    let ext = params.format.ext();
    let mut plots = Vec::new();
    let mut plot = |name: &str| -> std::path::PathBuf {
        let file = format!("{name}.{ext}");
        let p = dir.path(&file);
        plots.push(file);
        p
    };
    let seeds = params.seeds();
    let wants = |p: Part| params.parts.contains(&p);
    let mut report = LabReport {
        lab: "embeddings",
        params: params.clone(),
        device: torch_util::device_name(params.device),
        seeds: seeds.clone(),
        part1: None,
        part2: None,
        part3: None,
        part4: None,
        part5: None,
        quirks: Vec::new(),
        checks: Vec::new(),
        plots: Vec::new(),
        part_seconds: Vec::new(),
        total_seconds: 0.0,
    };
    let mut timer = Instant::now();
    let pb = labkit::progress(params.parts.len() as u64, "embeddings");
    let mut lap = |part: Part, seconds: &mut Vec<(u8, f64)>| {
        seconds.push((part.number(), timer.elapsed().as_secs_f64()));
        timer = Instant::now();
        pb.inc(1);
        pb.set_message(format!("part {} done", part.number()));
    };
    if wants(Part::Table) {
        let r = crate::parts::table::run(params.seed, params.device)?;
        figures::table(&plot("part1_table"), &r)?;
        report.part1 = Some(r);
        lap(Part::Table, &mut report.part_seconds);
    }
    let proto = &params.protocol;
    let needs_data = params.parts.iter().any(|&p| p != Part::Table);
    if needs_data {
        let data = IrisBatch::new(
            &seeds,
            params.train_fraction,
            proto.stratified,
            proto.standardize,
            params.device,
        )?;
        let labels0 = &data.labels_test[0];
        if wants(Part::Classifier) {
            report.part2 = Some(part2_report(crate::parts::classifier::run(
                &data,
                &proto.classifier,
            )?)?);
            lap(Part::Classifier, &mut report.part_seconds);
        }
        if wants(Part::Regression) {
            let runs =
                crate::parts::regression::run(&data, &proto.regression, proto.clip_to_labels)?;
            figures::regression(&plot("part3_regression"), &runs[0], labels0)?;
            report.part3 = Some(Part3Report {
                mae: over(runs.iter().map(|r| r.mae).collect())?,
                nearest_accuracy: over(runs.iter().map(|r| r.nearest_accuracy).collect())?,
                train_mae: over(runs.iter().map(|r| r.train_mae).collect())?,
                runs,
            });
            lap(Part::Regression, &mut report.part_seconds);
        }
        if wants(Part::Gaussian) {
            let runs = crate::parts::gaussian::run(
                &data,
                &proto.gaussian,
                proto.clip_to_labels,
                proto.nll_beta,
            )?;
            figures::gaussian(&plot("part4_gaussian"), &runs[0], labels0)?;
            figures::variances(&plot("part4_variances"), &runs[0], labels0)?;
            report.part4 = Some(part4_report(runs)?);
            lap(Part::Gaussian, &mut report.part_seconds);
        }
        if wants(Part::Joint) {
            let r = crate::parts::joint::run(&data, &proto.joint)?;
            let chosen = r
                .remedies
                .iter()
                .find(|s| s.name == r.chosen)
                .ok_or_else(|| EmbeddingsError::UnknownRemedy(r.chosen.clone()))?;
            figures::trajectory(
                &plot("part5_trajectory_naive_course"),
                "naive joint MSE, course speed: the rows drift together slowly",
                &r.naive_course.runs[0],
                labels0,
            )?;
            figures::trajectory(
                &plot("part5_trajectory_naive_fast"),
                "naive joint MSE, fast table: the rows collapse",
                &r.naive_fast.runs[0],
                labels0,
            )?;
            figures::trajectory(
                &plot(&format!("part5_trajectory_{}", chosen.name)),
                &format!("remedy '{}' (fast table): the rows stay apart", chosen.name),
                &chosen.runs[0],
                labels0,
            )?;
            let mut all = vec![&r.naive_course, &r.naive_fast];
            all.extend(r.remedies.iter());
            figures::curves(
                &plot("part5_spread"),
                "mean distance between label rows (mean over seeds)",
                "spread",
                &all,
                |e| e.spread.mean,
            )?;
            figures::curves(
                &plot("part5_accuracy"),
                "test accuracy of the nearest row (mean over seeds)",
                "accuracy",
                &all,
                |e| e.test_accuracy.mean,
            )?;
            report.part5 = Some(r);
            lap(Part::Joint, &mut report.part_seconds);
        }
        if proto.name == ProtocolName::Course {
            let course = crate::quirks::CourseRuns {
                part2: report.part2.as_ref(),
                part3: report.part3.as_ref(),
                part4: report.part4.as_ref(),
                part5: report.part5.as_ref(),
            };
            report.quirks = crate::quirks::measure(&data, proto, &course)?;
        }
    }
    pb.finish_and_clear();
    report.checks = checks(&report);
    report.plots = plots;
    report.total_seconds = start.elapsed().as_secs_f64();
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// Everything the binary prints after a run.
pub fn printout(r: &LabReport) -> String {
    let mut out = String::new();
    if let Some(p1) = &r.part1 {
        out.push_str(&crate::parts::table::describe(p1));
    }
    out.push_str(&crate::report::summary(r));
    out
}
