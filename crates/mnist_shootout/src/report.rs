//! What a run writes: `metrics.json` (one typed report per assignment, the
//! comparison rows, the config and seed), `comparison.md` and `comparison.png`.

use serde::Serialize;

use crate::assignments::{
    adam::AdamReport, batchnorm::BatchnormReport, configs::ConfigsReport,
    early_stopping::EarlyStoppingReport, random::RandomReport,
    regularization::RegularizationReport, svm::SvmReport, train_mb::TrainMbReport,
    weights::WeightsReport,
};
use crate::presets::LabConfig;
pub use crate::run::Row;

/// An assignment's report with its wall-clock time, seed and device.
#[derive(Debug, Clone, Serialize)]
pub struct Timed<T> {
    #[serde(flatten)]
    pub report: T,
    pub seconds: f64,
    pub seed: u64,
    pub device: String,
}

impl<T> Timed<T> {
    /// `report`, timed from `start`, with the run's seed and device.
    pub fn new(report: T, start: std::time::Instant, cfg: &LabConfig) -> Self {
        Timed {
            report,
            seconds: start.elapsed().as_secs_f64(),
            seed: cfg.seed,
            device: torch_util::device_name(cfg.device),
        }
    }
}

/// The reports of the assignments that ran (the others are left out).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Results {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Timed<WeightsReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configs: Option<Timed<ConfigsReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regularization: Option<Timed<RegularizationReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<Timed<EarlyStoppingReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_mb: Option<Timed<TrainMbReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adam: Option<Timed<AdamReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adam_decay: Option<Timed<AdamReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random: Option<Timed<RandomReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svm: Option<Timed<SvmReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batchnorm: Option<Timed<BatchnormReport>>,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    /// libtorch's CPU threads during the run.
    pub threads: i32,
    pub data: String,
    /// Training images in the fit part and in the validation hold-out.
    pub n_fit: usize,
    pub n_validation: usize,
    pub assignments: Results,
    pub comparison: Vec<Row>,
    pub total_seconds: f64,
}

/// The comparison as a markdown table.
pub fn comparison_markdown(r: &LabReport) -> String {
    let mode = match r.config.mode {
        crate::presets::Mode::Quick => "quick",
        crate::presets::Mode::Full => "full",
    };
    let mut s = format!(
        "MNIST shootout ({mode} mode, {} training images ({} fit + {} validation where a choice is made), \
         {} epochs, seed {}, device {}, libtorch threads: {})\n\n\
         | assignment | model | train acc | val acc | test acc | train time |\n|---|---|---|---|---|---|\n",
        r.config.n_train, r.n_fit, r.n_validation, r.config.epochs, r.config.seed, r.device, r.threads
    );
    let cell = |a: Option<f64>| a.map_or("–".into(), |a| format!("{a:.4}"));
    for row in &r.comparison {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {:.4} | {:.1} s |\n",
            row.assignment,
            row.model,
            cell(row.train_accuracy),
            cell(row.validation_accuracy),
            row.test_accuracy,
            row.train_seconds
        ));
    }
    s
}
