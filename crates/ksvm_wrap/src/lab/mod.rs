//! The lab's 2-D runs: the reference data set with its decision surface
//! ([`mod@reference`]), and KSVMWrap against PTDeep over many random data sets
//! ([`compare`]); [`tables`] prints both.

pub mod compare;
pub mod reference;
pub mod tables;

use std::path::PathBuf;
use std::time::Instant;

use data::GmmSpec;
use labkit::{PlotFormat, RunDir};
use pt_deep::{Activation, TrainParams};
use serde::Serialize;
use tch::Device;

use crate::{KsvmError, KsvmParams};
pub use compare::{DatasetRun, ModelSummary, SettingReport, Stats};
pub use reference::{draw_dataset, ReferenceReport, TOLERANCES};

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    /// The SVM's C, kernel and solver tolerance.
    pub svm: KsvmParams,
    /// The data set of the reference run and its plot.
    pub reference: GmmSpec,
    /// The data-set settings of the comparison.
    pub settings: Vec<GmmSpec>,
    /// Random data sets per setting.
    pub datasets: usize,
    /// PTDeep's hidden layers: the config is `[2, hidden…, C]`.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub train: TrainParams,
    /// PTDeep trains on standardised inputs ((x − mean)/std, as in pt_deep's lab);
    /// the SVM sees the raw coordinates, as in the course.
    pub standardize: bool,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
    /// The decision surface is sampled on grid × grid points.
    pub grid: usize,
    /// Write `training.gif`: the reference SVM's surface as its solver
    /// converges (see [`reference::TOLERANCES`]).
    pub animate: bool,
}

impl Default for LabConfig {
    /// The lab's protocol on the CPU, written to `results/ksvm_wrap`:
    ///
    /// - the reference run on `sample_gmm_2d(6, 2, 10)` with seed 100 and the
    ///   course's C = 1, γ = auto (the course's "K=6, C=2, N=10");
    /// - the comparison on 50 data sets each of gmm(6,2,10) and the harder
    ///   gmm(10,2,10), where ten components share two classes in the same
    ///   square, so the classes overlap more and need a more winding boundary;
    /// - PTDeep `[2,10,10,2]` with δ = 0.1, λ = 1e-4 as in pt_deep, but 1,000 steps
    ///   instead of 10⁴: at about 150 µs per step, 100 models then train in
    ///   about 15 s on one CPU thread (10⁴ steps would take 2.5 minutes).
    fn default() -> Self {
        let reference = GmmSpec { k: 6, c: 2, n: 10 };
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            svm: KsvmParams::default(),
            reference,
            settings: vec![reference, GmmSpec { k: 10, c: 2, n: 10 }],
            datasets: 50,
            hidden: vec![10, 10],
            activation: Activation::Relu,
            train: TrainParams {
                niter: 1_000,
                log_every: 1_000,
                ..TrainParams::default()
            },
            standardize: true,
            device: Device::Cpu,
            out: labkit::default_out("ksvm_wrap"),
            format: PlotFormat::Png,
            grid: 256,
            animate: true,
        }
    }
}

impl LabConfig {
    /// PTDeep's layer sizes for `c` classes.
    pub fn layers(&self, c: usize) -> Vec<usize> {
        let mut l = vec![2];
        l.extend(&self.hidden);
        l.push(c);
        l
    }

    pub fn check(&self) -> Result<(), KsvmError> {
        self.svm.check()?;
        self.train.check()?;
        for d in std::iter::once(&self.reference).chain(&self.settings) {
            data::check_gmm_args(d.k, d.c, d.n)?;
            if d.c < 2 {
                return Err(KsvmError::FewClasses { data: *d });
            }
            pt_deep::model::check_config(&self.layers(d.c))?;
        }
        if self.datasets == 0 && !self.settings.is_empty() {
            return Err(KsvmError::NoDatasets);
        }
        plot::check_grid(self.grid)?;
        Ok(())
    }
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    pub reference: ReferenceReport,
    pub comparison: Vec<SettingReport>,
    pub total_seconds: f64,
}

/// Runs the reference run and the comparison; writes the plot and
/// `metrics.json` under `cfg.out`. The configuration is checked first:
/// nothing is written for an invalid one.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, KsvmError> {
    cfg.check()?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let reference = reference::run_reference(cfg, &dir)?;
    let total = (cfg.settings.len() * cfg.datasets) as u64;
    let pb = labkit::progress(total, "KSVMWrap vs PTDeep");
    let comparison = cfg
        .settings
        .iter()
        .enumerate()
        .map(|(s, spec)| compare::compare_setting(cfg, s, spec, &pb))
        .collect::<Result<Vec<_>, _>>()?;
    pb.finish_and_clear();
    let report = LabReport {
        lab: "ksvm_wrap",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        reference,
        comparison,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// `6,2,10` for gmm(6,2,10): how `--data` and `--compare` write a setting.
pub fn spec_arg(spec: &GmmSpec) -> String {
    format!("{},{},{}", spec.k, spec.c, spec.n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_before_work() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("never_written");
        let mut cfg = LabConfig {
            out: out.clone(),
            ..LabConfig::default()
        };
        cfg.svm.c = 0.0;
        assert!(matches!(run_lab(&cfg), Err(KsvmError::BadC(c)) if c == 0.0));
        cfg.svm.c = 1.0;
        cfg.datasets = 0;
        assert!(matches!(cfg.check(), Err(KsvmError::NoDatasets)));
        cfg.datasets = 3;
        cfg.settings = vec![GmmSpec { k: 1, c: 2, n: 10 }];
        assert!(matches!(
            cfg.check(),
            Err(KsvmError::Data(
                data::DataError::FewerComponentsThanClasses { k: 1, c: 2 }
            ))
        ));
        cfg.settings = vec![GmmSpec { k: 3, c: 1, n: 10 }];
        assert!(matches!(
            cfg.check(),
            Err(KsvmError::FewClasses {
                data: GmmSpec { k: 3, c: 1, n: 10 }
            })
        ));
        assert!(!out.exists(), "nothing is written for an invalid config");
    }
}
