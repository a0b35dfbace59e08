//! `--bench`: seconds per epoch of [784,100,10] with Adam (lr 1e-3), batch 100,
//! on all 60,000 training images — ours, and PyTorch-Python's same loop
//! (`reference/epoch_bench.py`) measured in the same run with the same number
//! of threads, and the ratio. Each side runs one warm-up epoch and then
//! [`TIMED_EPOCHS`] timed epochs, and reports the best.
//!
//! The Python comes from [`labkit::pyref`]; without one that imports torch,
//! only our figure is reported, with the reason.

use std::path::{Path, PathBuf};

use pt_deep::{Activation, PTDeep};
use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Device};
use torch_util::roofline::{matmul_peak, mlp_train_flops, Roofline, SpeedProbe, PEAK_SIZE};
use torch_util::Precision;

use crate::data::Split;
use crate::train::{train_mb, Optimizer, TrainParams};
use crate::ShootoutError;

/// Timed epochs per side (after one warm-up epoch); the best one counts.
pub const TIMED_EPOCHS: usize = 3;

/// One side's epochs.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Seconds of each timed epoch.
    pub seconds: Vec<f64>,
    /// The fastest of them.
    pub best: f64,
    /// Mean training loss of every epoch, warm-up first (both sides should learn alike).
    pub epoch_loss: Vec<f64>,
}

impl Side {
    fn new(seconds: Vec<f64>, epoch_loss: Vec<f64>) -> Side {
        let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
        Side {
            seconds,
            best,
            epoch_loss,
        }
    }
}

/// PyTorch-Python's side: measured, or why not.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PythonSide {
    Measured {
        python: PathBuf,
        torch: String,
        source: labkit::pyref::Source,
        threads: i32,
        #[serde(flatten)]
        side: Side,
    },
    Unavailable {
        reason: String,
    },
}

/// What `bench.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub lab: &'static str,
    pub task: &'static str,
    pub device: String,
    pub threads: i32,
    pub seed: u64,
    pub ours: Side,
    pub python: PythonSide,
    /// Our best epoch / Python's best epoch (below 1: we are faster).
    pub ratio: Option<f64>,
    /// Our best epoch under the fp32 matrix-product peak of this device,
    /// measured in the same run with the same threads.
    pub roofline: Roofline,
    /// bf16 against fp32 on this device (a small product); bf16 epochs are
    /// timed only where it is not slower.
    pub bf16_probe: SpeedProbe,
    /// Our epochs in bf16 (mixed precision: the forward pass and the loss
    /// under autocast), when timed.
    pub ours_bf16: Option<Side>,
    /// Our best bf16 epoch under the bf16 matrix-product peak, same run.
    pub roofline_bf16: Option<Roofline>,
    /// Our best bf16 epoch / our best fp32 epoch.
    pub bf16_vs_fp32: Option<f64>,
}

/// The net the bench trains.
pub const SIZES: [usize; 3] = [784, 100, 10];

/// Our best epoch of `n_images` under the roofline of precision `p` on `device`.
pub fn roofline(ours: &Side, n_images: usize, device: Device, p: Precision) -> Roofline {
    let flops = mlp_train_flops(&SIZES.map(|s| s as i64)) * n_images as f64;
    Roofline::new(flops, ours.best, matmul_peak(p, device, PEAK_SIZE, 5))
}

/// Our side in precision `p`: one warm-up epoch, then [`TIMED_EPOCHS`] timed ones.
pub fn ours(train: &Split, seed: u64, p: Precision) -> Result<Side, ShootoutError> {
    let device = train.x.device();
    torch_util::precision::check(p, device)?;
    tch::manual_seed(seed as i64);
    let vs = VarStore::new(train.x.device());
    let m = PTDeep::new(&vs.root(), &SIZES, Activation::Relu)?;
    let spec = TrainParams {
        epochs: 1 + TIMED_EPOCHS,
        batch: 100,
        optim: Optimizer::Adam,
        lr: 1e-3,
        lambda: 0.0,
        gamma: None,
    };
    let hist = train_mb(
        &vs,
        train,
        &spec,
        "bench",
        &|x, y| torch_util::with_precision(p, device, || m.loss_labels(x, y, 0.0)),
        |_, _| Ok(()),
    )?;
    let ends = &hist.epoch_seconds;
    let seconds = ends.windows(2).map(|w| w[1] - w[0]).collect();
    Ok(Side::new(seconds, hist.epoch_loss))
}

/// What the reference script prints.
#[derive(Debug, Deserialize)]
struct PyOut {
    torch: String,
    threads: i32,
    seconds: Vec<f64>,
    epoch_loss: Vec<f64>,
}

/// PyTorch-Python's side, run by `py` on the MNIST files in `mnist_dir`.
pub fn python(
    py: &labkit::pyref::TorchPython,
    mnist_dir: &Path,
    threads: i32,
    device: Device,
    seed: u64,
) -> Result<PythonSide, ShootoutError> {
    let args = [
        "--mnist-dir".into(),
        mnist_dir.as_os_str().to_owned(),
        "--epochs".into(),
        TIMED_EPOCHS.to_string().into(),
        "--threads".into(),
        threads.to_string().into(),
        "--device".into(),
        torch_util::device_name(device).into(),
        "--seed".into(),
        seed.to_string().into(),
    ];
    let args: [std::ffi::OsString; 10] = args;
    let script =
        labkit::pyref::reference_script(env!("CARGO_MANIFEST_DIR"), "reference/epoch_bench.py")?;
    let text = py.run_source("reference/epoch_bench.py", &script, &args)?;
    let out: PyOut =
        serde_json::from_str(text.trim()).map_err(|source| ShootoutError::ReferenceOutput {
            output: text.clone(),
            source,
        })?;
    Ok(PythonSide::Measured {
        python: py.python.clone(),
        torch: out.torch,
        source: py.source,
        threads: out.threads,
        side: Side::new(out.seconds, out.epoch_loss),
    })
}
