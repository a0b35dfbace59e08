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

/// `--bench`: loads MNIST, times ours, writes `bench.json` under `out`.
pub fn run(
    mnist_dir: &std::path::Path,
    device: Device,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let mnist = data::mnist::load_mnist(mnist_dir)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(mnist.train.images.view(), device),
        labels: mnist.train.labels.to_vec(),
    };
    let ours = bench_epochs(&data, 3, device)?;
    println!(
        "ours: {:.2} s per epoch (best of {}) on {}, {} threads",
        ours.best,
        ours.seconds_per_epoch.len(),
        ours.device,
        ours.threads
    );
    labkit::RunDir::create(out)?.write_json("bench.json", &ours)?;
    Ok(())
}
