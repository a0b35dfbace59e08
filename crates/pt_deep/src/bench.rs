//! `--bench`: the time of one training step of the reference setting.

use std::time::Instant;

use data::Standardizer;
use rand::SeedableRng;
use serde::Serialize;
use tch::{nn::VarStore, Device};

use crate::config::reference;
use crate::{Activation, PTDeep, PtDeepError};

/// Time per training step of [2,10,10,2] on gmm(6,2,10) (seed 100), after a warm-up.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub device: String,
    pub threads: i32,
    pub iterations: usize,
    pub us_per_iter: f64,
}

pub fn bench_iterations(device: Device, iterations: usize) -> Result<BenchResult, PtDeepError> {
    if iterations == 0 {
        return Err(PtDeepError::ZeroIterations);
    }
    let (spec, layers) = reference();
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let (x, y) = data::sample_gmm_2d(spec.k, spec.c, spec.n, &mut rng)?;
    let yoh = data::class_to_onehot(&y.to_vec(), Some(spec.c))?;
    let x = Standardizer::fit(x.view())?.transform(x.view());
    let (xt, yt) = (
        torch_util::to_tensor(x.view(), device),
        torch_util::to_tensor(yoh.view(), device),
    );
    tch::manual_seed(100);
    let vs = VarStore::new(device);
    let model = PTDeep::new(&vs.root(), &layers.0, Activation::Relu)?;
    let mut trainer = crate::Trainer::sgd(&vs, &model, 0.1, 1e-4)?;
    let mut loss = trainer.step(&xt, &yt);
    for _ in 0..200 {
        loss = trainer.step(&xt, &yt);
    }
    loss.f_double_value(&[])?; // wait for the device
    let t0 = Instant::now();
    for _ in 0..iterations {
        loss = trainer.step(&xt, &yt);
    }
    // Reading the last loss back includes all queued device work in the time.
    loss.f_double_value(&[])?;
    Ok(BenchResult {
        device: torch_util::device_name(device),
        threads: tch::get_num_threads(),
        iterations,
        us_per_iter: t0.elapsed().as_secs_f64() * 1e6 / iterations.max(1) as f64,
    })
}

/// `--bench`: the CPU time per step, and the GPU's too when `device` is one;
/// writes `bench.json` under `out`.
pub fn run_bench(
    device: Device,
    iterations: usize,
    out: &std::path::Path,
) -> Result<Vec<BenchResult>, PtDeepError> {
    let mut results = vec![bench_iterations(Device::Cpu, iterations)?];
    if device != Device::Cpu {
        results.push(bench_iterations(device, iterations)?);
    }
    labkit::RunDir::create(out)?.write_json("bench.json", &results)?;
    Ok(results)
}
