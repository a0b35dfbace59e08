//! What a run reports: the per-part summaries over seeds and the record
//! written to `metrics.json`.

use serde::Serialize;

use crate::params::LabConfig;
use crate::parts::classifier::ClassifierRun;
use crate::parts::gaussian::GaussianRun;
use crate::parts::joint::Part5Report;
use crate::parts::regression::RegressionRun;
use crate::parts::table::TableRun;
use crate::stats::OverSeeds;

/// One goal and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub goal: String,
    pub value: f64,
    pub met: bool,
}

/// Part 2 over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Part2Report {
    pub accuracy: OverSeeds,
    pub macro_precision: OverSeeds,
    pub macro_recall: OverSeeds,
    pub micro_precision: OverSeeds,
    pub micro_recall: OverSeeds,
    pub train_accuracy: OverSeeds,
    pub runs: Vec<ClassifierRun>,
}

/// Part 3 over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Part3Report {
    pub mae: OverSeeds,
    pub nearest_accuracy: OverSeeds,
    pub train_mae: OverSeeds,
    pub runs: Vec<RegressionRun>,
}

/// Mean predicted variance of groups of test flowers, pooled over all seeds.
#[derive(Debug, Clone, Serialize)]
pub struct PooledVariance {
    pub correct: Option<f64>,
    pub wrong: Option<f64>,
    pub setosa: Option<f64>,
    pub versicolor_virginica: Option<f64>,
}

/// Part 4 over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct Part4Report {
    pub mae: OverSeeds,
    pub nearest_accuracy: OverSeeds,
    /// Per-seed group means (over the seeds where the group is not empty).
    pub var_correct: Option<OverSeeds>,
    pub var_wrong: Option<OverSeeds>,
    pub var_setosa: Option<OverSeeds>,
    pub var_versicolor_virginica: Option<OverSeeds>,
    /// Seeds with at least one misclassified test flower.
    pub seeds_with_errors: usize,
    /// … of which those whose misclassified flowers have the larger mean variance.
    pub wrong_above_correct: usize,
    /// Per seed: mean variance of the misclassified / of the correct flowers
    /// (seeds with mistakes), and of versicolor+virginica / of setosa.
    pub ratio_wrong_correct: Option<OverSeeds>,
    pub ratio_overlap_setosa: Option<OverSeeds>,
    pub pooled: PooledVariance,
    pub runs: Vec<GaussianRun>,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub params: LabConfig,
    pub device: String,
    pub seeds: Vec<u64>,
    pub part1: Option<TableRun>,
    pub part2: Option<Part2Report>,
    pub part3: Option<Part3Report>,
    pub part4: Option<Part4Report>,
    pub part5: Option<Part5Report>,
    /// Course protocol only: each quirk of the course's code against the
    /// same run with it fixed.
    pub quirks: Vec<QuirkEffect>,
    /// The lab's goals: the course protocol against PyTorch's figures,
    /// the improved protocol against the notebooks' single numbers.
    pub checks: Vec<Check>,
    pub plots: Vec<String>,
    /// Wall-clock seconds of each part (training, scoring and its figures).
    pub part_seconds: Vec<(u8, f64)>,
    pub total_seconds: f64,
}

/// One quirk's effect on one number, over the run's seeds.
#[derive(Debug, Clone, Serialize)]
pub struct QuirkEffect {
    /// The course's code, as it is.
    pub quirk: &'static str,
    /// What the fixed variant does instead.
    pub fix: &'static str,
    pub part: u8,
    pub quantity: &'static str,
    /// With the quirk (the course protocol's run).
    pub course: OverSeeds,
    /// With it fixed, everything else equal.
    pub fixed: OverSeeds,
}
