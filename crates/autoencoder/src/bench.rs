//! `--bench`: seconds per training epoch on all 60,000 images (batch 1024,
//! plain variant), best of several epochs after a warm-up epoch, in each
//! precision the device offers (CPU: fp32 and bf16; CUDA: also tf32), beside
//! PyTorch-Python's same loop in fp32 and under bf16 autocast, and each
//! epoch's place under the machine's matrix-product peak for its precision.

use std::time::Instant;

use serde::Serialize;
use tch::Device;
use torch_util::roofline::{
    matmul_peak, mlp_train_flops, speed_vs_fp32, Roofline, SpeedProbe, PEAK_SIZE,
};
use torch_util::{with_precision, Precision};

use crate::config::{TrainParams, Variant};
use crate::model::{DECODER, ENCODER};
use crate::train::{TrainData, Trainer};
use crate::AeError;

/// FLOPs of one image's forward and backward pass through the autoencoder's
/// six linear layers (784-1000-25-50-1000-784).
pub fn flops_per_image() -> f64 {
    let sizes: Vec<i64> = ENCODER.iter().chain(&DECODER[1..]).copied().collect();
    mlp_train_flops(&sizes)
}

/// Our epoch times in one precision.
#[derive(Debug, Clone, Serialize)]
pub struct EpochBench {
    pub device: String,
    pub precision: Precision,
    pub threads: i32,
    pub n_images: usize,
    pub seconds_per_epoch: Vec<f64>,
    pub best: f64,
}

/// Times `epochs` epochs (after one warm-up epoch) of the plain variant in
/// precision `p`.
pub fn bench_epochs(
    data: &TrainData,
    epochs: usize,
    device: Device,
    p: Precision,
) -> Result<EpochBench, AeError> {
    if epochs == 0 {
        return Err(AeError::ZeroEpochs);
    }
    torch_util::precision::check(p, device)?;
    let cfg = TrainParams {
        epochs: epochs + 1,
        n_train: data.labels.len(),
        precision: p,
        ..TrainParams::default()
    };
    let mut t = Trainer::new(cfg, Variant::Plain, 1, device);
    let epoch = |t: &mut Trainer| with_precision(p, device, || t.run_epoch(data));
    epoch(&mut t)?; // warm-up: allocations, thread pools, kernel caches
    let mut times = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let t0 = Instant::now();
        epoch(&mut t)?; // reads the loss back: the epoch's work is done
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok(EpochBench {
        device: torch_util::device_name(device),
        precision: p,
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
    pub precision: Precision,
}

/// One precision's row of `bench.json`.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub ours: EpochBench,
    /// Our best epoch under the roofline of this precision.
    pub roofline: Roofline,
    /// PyTorch-Python in the same precision (`None` where it has none:
    /// tf32, or a GPU run; see `python_missing`).
    pub python: Option<PythonEpochs>,
    /// Ours ÷ PyTorch-Python in the same precision; below 1 is faster.
    pub ratio: Option<f64>,
    /// Ours ÷ PyTorch-Python in fp32.
    pub ratio_to_python_fp32: Option<f64>,
}

/// A precision the bench did not time, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotTimed {
    pub precision: Precision,
    pub probe: SpeedProbe,
    pub why: String,
}

/// What `bench.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub flops_per_image: f64,
    pub rows: Vec<BenchRow>,
    /// Precisions whose matrix products are slower than fp32 on this device
    /// (no instructions for them): neither side's epochs are timed.
    pub not_timed: Vec<NotTimed>,
    pub python_missing: Option<String>,
}

/// The precisions `--bench` times on `device`.
pub fn precisions(device: Device) -> Vec<Precision> {
    match device {
        Device::Cpu => vec![Precision::Fp32, Precision::Bf16],
        _ => vec![Precision::Fp32, Precision::Tf32, Precision::Bf16],
    }
}

/// `--bench`: our seconds per epoch and PyTorch-Python's same loop, measured
/// in the same run (best of 3 after a warm-up each, same thread count), in
/// every precision of [`precisions`], with the matrix-product peak of each;
/// writes `bench.json` under `out`. Without a Python that imports torch, only
/// our figures, and the reason.
pub fn run(
    mnist_dir: &std::path::Path,
    device: Device,
    out: &std::path::Path,
) -> Result<BenchReport, AeError> {
    let python = labkit::pyref::find_torch_python();
    let mnist = data::mnist::load_mnist(mnist_dir)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(mnist.train.images.view(), device),
        labels: mnist.train.labels.to_vec(),
    };
    let flops = flops_per_image() * data.labels.len() as f64;
    let mut ours = Vec::new();
    let mut not_timed = Vec::new();
    for p in precisions(device) {
        let probe = speed_vs_fp32(p, device);
        if probe.slower_than_fp32() {
            not_timed.push(NotTimed {
                precision: p,
                why: probe.warning().unwrap_or_default(),
                probe,
            });
            continue;
        }
        let peak = matmul_peak(p, device, PEAK_SIZE, 5);
        let e = bench_epochs(&data, 3, device, p)?;
        ours.push((e, peak));
    }
    drop(data);
    let threads = tch::get_num_threads();
    let mut python_missing = None;
    let mut theirs: Vec<PythonEpochs> = Vec::new();
    match python {
        Ok(py) if device == Device::Cpu => {
            let script = labkit::pyref::reference_script(
                env!("CARGO_MANIFEST_DIR"),
                "reference/ae_epoch.py",
            )?;
            let dir = mnist_dir.to_string_lossy().into_owned();
            let threads = threads.to_string();
            let timed = ours.iter().map(|(e, _): &(EpochBench, f64)| e.precision);
            for p in timed.filter(|p| *p != Precision::Tf32) {
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
                        "--precision",
                        p.name(),
                    ],
                )?;
                let line = text.lines().last().unwrap_or_default();
                let parsed = serde_json::from_str::<PythonEpochs>(line).map_err(|source| {
                    AeError::ReferenceOutput {
                        line: line.to_string(),
                        source,
                    }
                })?;
                theirs.push(parsed);
            }
        }
        Ok(_) => python_missing = Some("the reference script runs on the CPU only".to_string()),
        Err(e) => python_missing = Some(e.to_string()),
    }
    let fp32 = theirs.iter().find(|t| t.precision == Precision::Fp32);
    let rows = ours
        .into_iter()
        .map(|(e, peak)| {
            let same = theirs.iter().find(|t| t.precision == e.precision).cloned();
            BenchRow {
                roofline: Roofline::new(flops, e.best, peak),
                ratio: same.as_ref().map(|t| e.best / t.best),
                ratio_to_python_fp32: fp32.map(|t| e.best / t.best),
                python: same,
                ours: e,
            }
        })
        .collect();
    let report = BenchReport {
        flops_per_image: flops_per_image(),
        rows,
        not_timed,
        python_missing,
    };
    labkit::RunDir::create(out)?.write_json("bench.json", &report)?;
    Ok(report)
}

/// The bench as a table, one row per precision.
pub fn table(r: &BenchReport) -> String {
    let mut s = format!(
        "{:<9} {:>9} {:>10} {:>9} {:>13} {:>11} {:>12}\n",
        "precision", "ours s", "GFLOP/s", "% peak", "PyTorch s", "ours/same", "ours/fp32 PT"
    );
    let opt = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    for row in &r.rows {
        s.push_str(&format!(
            "{:<9} {:>9.2} {:>10.0} {:>8.0}% {:>13} {:>11} {:>12}\n",
            row.ours.precision.name(),
            row.ours.best,
            row.roofline.gflops,
            row.roofline.percent_of_peak,
            opt(row.python.as_ref().map(|p| p.best), 2),
            opt(row.ratio, 2),
            opt(row.ratio_to_python_fp32, 2),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_costs_the_hand_counted_flops() {
        // MACs: 784·1000 + 1000·25 + 25·50 + 50·1000 + 1000·784 = 1,644,250.
        // Forward 2·MACs, weight gradients 2·MACs, input gradients 2·(MACs −
        // 784·1000) (the images need none).
        let macs = 1_644_250.0;
        assert_eq!(flops_per_image(), 4.0 * macs + 2.0 * (macs - 784_000.0));
        assert_eq!(flops_per_image(), 8_297_500.0);
    }
}
