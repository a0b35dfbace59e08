//! `--bench`: seconds per training epoch on all 60,000 images (batch 1024,
//! plain variant), best of several epochs after a warm-up epoch.

use std::time::Instant;

use serde::Serialize;
use tch::Device;

use crate::config::{TrainConfig, Variant};
use crate::train::{TrainData, Trainer};
use crate::AeError;

/// Our epoch times.
#[derive(Debug, Clone, Serialize)]
pub struct EpochBench {
    pub device: String,
    pub threads: i32,
    pub n_images: usize,
    pub seconds_per_epoch: Vec<f64>,
    pub best: f64,
}

/// Times `epochs` epochs (after one warm-up epoch) of the plain variant.
pub fn bench_epochs(
    data: &TrainData,
    epochs: usize,
    device: Device,
) -> Result<EpochBench, AeError> {
    if epochs == 0 {
        return Err(AeError::ZeroEpochs);
    }
    let cfg = TrainConfig {
        epochs: epochs + 1,
        n_train: data.labels.len(),
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(cfg, Variant::Plain, 1, device);
    t.run_epoch(data)?; // warm-up: allocations, thread pools, kernel caches
    let mut times = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let t0 = Instant::now();
        t.run_epoch(data)?; // reads the loss back: the epoch's work is done
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok(EpochBench {
        device: torch_util::device_name(device),
        threads: tch::get_num_threads(),
        n_images: data.labels.len(),
        best: times.iter().copied().fold(f64::INFINITY, f64::min),
        seconds_per_epoch: times,
    })
}

/// PyTorch-Python's side, as `reference/ae_epoch.py` prints it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PythonEpochs {
    pub seconds_per_epoch: Vec<f64>,
    pub best: f64,
    pub threads: i32,
    pub torch: String,
}

/// What `bench.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub ours: EpochBench,
    /// `None` with `python_missing` saying why.
    pub python: Option<PythonEpochs>,
    pub python_missing: Option<String>,
    /// Ours ÷ PyTorch-Python (best epoch each); below 1 means we are faster.
    pub ratio: Option<f64>,
}

/// `--bench`: our seconds per epoch and PyTorch-Python's same loop, measured
/// in the same run (best of 3 after a warm-up each, same thread count);
/// writes `bench.json` under `out`. Without a Python that imports torch, only
/// our figure, and the reason.
pub fn run(
    mnist_dir: &std::path::Path,
    device: Device,
    out: &std::path::Path,
) -> anyhow::Result<BenchReport> {
    let python = labkit::pyref::find_torch_python();
    let mnist = data::mnist::load_mnist(mnist_dir)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(mnist.train.images.view(), device),
        labels: mnist.train.labels.to_vec(),
    };
    let ours = bench_epochs(&data, 3, device)?;
    drop(data);
    let (python, python_missing) = match python {
        Ok(py) if device == Device::Cpu => {
            let dir = mnist_dir.to_string_lossy().into_owned();
            let threads = ours.threads.to_string();
            let script = labkit::pyref::reference_script(
                env!("CARGO_MANIFEST_DIR"),
                "reference/ae_epoch.py",
            )?;
            let text = py.run_source(
                "ae_epoch.py",
                &script,
                [
                    "--mnist-dir",
                    dir.as_str(),
                    "--epochs",
                    "3",
                    "--threads",
                    threads.as_str(),
                ],
            )?;
            let line = text.lines().last().unwrap_or_default();
            (Some(serde_json::from_str::<PythonEpochs>(line)?), None)
        }
        Ok(_) => (
            None,
            Some("the reference script runs on the CPU only".to_string()),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    let ratio = python.as_ref().map(|p| ours.best / p.best);
    let report = BenchReport {
        ours,
        python,
        python_missing,
        ratio,
    };
    labkit::RunDir::create(out)?.write_json("bench.json", &report)?;
    Ok(report)
}
