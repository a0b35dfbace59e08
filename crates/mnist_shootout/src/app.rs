//! What the binary does with its arguments: [`LabChoices`] (the command line's
//! choices, with their defaults defined once here), [`run`] for the
//! assignments and [`bench`] for `--bench`. Every argument is checked, and
//! MNIST is read, before the output folder is created.

use std::path::PathBuf;

use labkit::{PlotFormat, RunDir};
use torch_util::{DeviceArg, Precision};

use crate::assignment::{self, Assignment};
use crate::bench::{self, BenchReport, PythonSide};
use crate::data::Dataset;
use crate::presets::{LabConfig, Mode};
use crate::report::{comparison_markdown, LabReport};
use crate::shootout;
use crate::ShootoutError;

/// The command line's choices. `None` keeps the preset's value.
#[derive(Debug, Clone)]
pub struct LabChoices {
    pub mode: Mode,
    pub seed: u64,
    pub format: PlotFormat,
    pub out: PathBuf,
    pub device: DeviceArg,
    /// Folder with the four MNIST IDX files.
    pub mnist_dir: PathBuf,
    /// Assignments to run (all when empty).
    pub only: Vec<Assignment>,
    pub epochs: Option<usize>,
    /// Training images (the preset's RBF-SVM count is capped to it).
    pub n_train: Option<usize>,
    pub svm_train: Option<usize>,
    pub svm_backend: Option<ksvm_wrap::Backend>,
    /// libtorch's CPU threads (libtorch's own choice when `None`).
    pub threads: Option<i32>,
    pub precision: Precision,
}

impl Default for LabChoices {
    fn default() -> Self {
        LabChoices {
            mode: Mode::Quick,
            seed: labkit::DEFAULT_SEED,
            format: PlotFormat::Png,
            out: labkit::default_out("mnist_shootout"),
            device: DeviceArg::Auto,
            mnist_dir: PathBuf::from("data/mnist"),
            only: Vec::new(),
            epochs: None,
            n_train: None,
            svm_train: None,
            svm_backend: None,
            threads: None,
            precision: Precision::Fp32,
        }
    }
}

impl LabChoices {
    /// The preset with the overrides applied, checked.
    pub fn config(&self, device: tch::Device) -> Result<LabConfig, ShootoutError> {
        let plan = assignment::plan(&self.only);
        let mut cfg = LabConfig::preset(self.mode, device, self.out.clone());
        cfg.seed = self.seed;
        cfg.format = self.format;
        if let Some(e) = self.epochs {
            cfg.epochs = e;
        }
        if let Some(n) = self.n_train {
            cfg.n_train = n;
            cfg.svm_train = cfg.svm_train.min(n);
            cfg.svm_linear_train = cfg.svm_linear_train.min(n);
        }
        if let Some(n) = self.svm_train {
            cfg.svm_train = n;
        }
        if let Some(b) = self.svm_backend {
            cfg.svm_backend = b;
        }
        cfg.precision = self.precision;
        cfg.check(&plan)?;
        Ok(cfg)
    }
}

/// Sets libtorch's CPU threads when asked; returns the number in use.
pub fn set_threads(threads: Option<i32>) -> Result<i32, ShootoutError> {
    Ok(torch_util::set_threads(threads)?)
}

/// Runs the chosen assignments and prints the comparison.
pub fn run_lab(p: &LabChoices) -> Result<LabReport, ShootoutError> {
    set_threads(p.threads)?;
    let device = p.device.resolve()?;
    let cfg = p.config(device)?;
    let plan = assignment::plan(&p.only);
    labkit::say!("{}", torch_util::device_report(device));
    if let Some(w) = torch_util::roofline::speed_vs_fp32(cfg.precision, device).warning() {
        labkit::note!("warning: {w}");
    }
    let data = Dataset::load(&p.mnist_dir, cfg.n_train, cfg.n_test, device)?;
    labkit::say!(
        "MNIST: {} training, {} test images from {}",
        data.train.len(),
        data.test.len(),
        data.source
    );
    if plan.contains(&Assignment::TrainMb)
        && !p.only.is_empty()
        && !p.only.contains(&Assignment::Configs)
    {
        labkit::say!("train_mb trains the configuration configs chooses: running configs first");
    }
    labkit::say!(
        "{:?} mode: {} training images, {} epochs, batch {}, seed {}; RBF SVM on {} training images",
        cfg.mode, cfg.n_train, cfg.epochs, cfg.batch, cfg.seed, cfg.svm_train
    );
    let report = shootout::run(&cfg, &data, &plan)?;
    labkit::say!("\n{}", comparison_markdown(&report));
    labkit::say!(
        "total {}; wrote {}/metrics.json, comparison.md and the figures",
        labkit::fmt_duration(std::time::Duration::from_secs_f64(report.total_seconds)),
        cfg.out.display()
    );
    Ok(report)
}

/// The settings of `--bench`.
#[derive(Debug, Clone)]
pub struct BenchParams {
    pub seed: u64,
    pub out: PathBuf,
    pub device: DeviceArg,
    pub mnist_dir: PathBuf,
    pub threads: Option<i32>,
}

/// Times our epoch and PyTorch-Python's, prints both and the ratio, writes `bench.json`.
pub fn bench(p: &BenchParams) -> Result<BenchReport, ShootoutError> {
    let threads = set_threads(p.threads)?;
    let device = p.device.resolve()?;
    // The interpreter is looked for first: a DL_LABS_PYTHON that cannot
    // import torch is an error before any work; none at all is reported.
    let py = match labkit::pyref::find_torch_python() {
        Ok(py) => Ok(py),
        Err(e @ labkit::pyref::PyRefError::NotFound { .. }) => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    labkit::say!("{}", torch_util::device_report(device));
    let data = Dataset::load(&p.mnist_dir, 60_000, 1, device)?;
    labkit::say!(
        "[784,100,10], Adam, batch 100, {} images on {}, libtorch threads: {threads}; best of {} epochs after a warm-up",
        data.train.len(),
        torch_util::device_name(device),
        bench::TIMED_EPOCHS
    );
    let ours = bench::ours(&data.train, p.seed, Precision::Fp32)?;
    labkit::say!("  ours (tch):      {:.3} s per epoch", ours.best);
    let roofline = bench::roofline(&ours, data.train.len(), device, Precision::Fp32);
    labkit::say!(
        "  ours: {:.1} GFLOP/s, {:.1} % of this device's fp32 peak ({:.0} GFLOP/s, a {n}×{n} product, same threads)",
        roofline.gflops,
        roofline.percent_of_peak,
        roofline.peak_gflops,
        n = torch_util::roofline::PEAK_SIZE
    );
    let bf16_probe = torch_util::roofline::speed_vs_fp32(Precision::Bf16, device);
    let (ours_bf16, roofline_bf16) = match bf16_probe.warning() {
        Some(w) => {
            labkit::say!("  bf16 not timed: {w}");
            (None, None)
        }
        None => {
            let side = bench::ours(&data.train, p.seed, Precision::Bf16)?;
            let r = bench::roofline(&side, data.train.len(), device, Precision::Bf16);
            labkit::say!(
                "  ours in bf16:    {:.3} s per epoch ({:.2}× fp32's), {:.1} GFLOP/s, {:.1} % of the bf16 peak ({:.0} GFLOP/s)",
                side.best,
                side.best / ours.best,
                r.gflops,
                r.percent_of_peak,
                r.peak_gflops
            );
            (Some(side), Some(r))
        }
    };
    let bf16_vs_fp32 = ours_bf16.as_ref().map(|b| b.best / ours.best);
    let python = match py {
        Ok(py) => bench::python(&py, &p.mnist_dir, threads, device, p.seed)?,
        Err(reason) => PythonSide::Unavailable { reason },
    };
    let ratio = match &python {
        PythonSide::Measured {
            side,
            torch,
            python,
            ..
        } => {
            labkit::say!(
                "  PyTorch-Python:  {:.3} s per epoch (torch {torch}, {})",
                side.best,
                python.display()
            );
            let r = ours.best / side.best;
            labkit::say!("  ratio ours / PyTorch-Python: {r:.2}×");
            Some(r)
        }
        PythonSide::Unavailable { reason } => {
            labkit::say!("  PyTorch-Python:  not measured: {reason}; set DL_LABS_PYTHON to a Python with torch, or run through cargo");
            None
        }
    };
    let report = BenchReport {
        lab: "mnist_shootout",
        task:
            "[784,100,10], Adam lr 1e-3, batch 100, 60,000 images, best epoch of 3 after a warm-up",
        device: torch_util::device_name(device),
        threads,
        seed: p.seed,
        ours,
        python,
        ratio,
        roofline,
        bf16_probe,
        ours_bf16,
        roofline_bf16,
        bf16_vs_fp32,
    };
    let path = RunDir::create(&p.out)?.write_json("bench.json", &report)?;
    labkit::say!("wrote {}", path.display());
    Ok(report)
}
