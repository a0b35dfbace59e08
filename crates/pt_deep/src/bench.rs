//! `--bench`: the time of one training step of the reference setting.

use std::time::Instant;

use data::Standardizer;
use rand::SeedableRng;
use serde::Serialize;
use tch::{nn::VarStore, Device};

use crate::config::reference;
use crate::{Activation, PTDeep, PtDeepError};

/// Time per training step of [2,10,10,2] on gmm(6,2,10) (seed 100), best of
/// 3 runs after a warm-up, beside its floor: the same step on the smallest
/// net, [2,2] (one 2×2 product per pass), whose time is almost all per-call
/// overhead. A step near its floor is latency-bound: its FLOPs do not matter.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub device: String,
    pub threads: i32,
    pub iterations: usize,
    pub us_per_iter: f64,
    pub floor_us_per_iter: f64,
}

/// PyTorch-Python's same step (`reference/step_bench.py`), timed in the same run.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PythonStep {
    pub us_per_iter: f64,
    pub threads: i32,
    pub torch: String,
}

/// What `bench.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub ours: Vec<BenchResult>,
    pub python: Option<PythonStep>,
    pub python_missing: Option<String>,
    /// Our CPU step ÷ PyTorch-Python's (below 1: we are faster).
    pub ratio: Option<f64>,
}

/// µs per step of `layers` on the reference data, best of 3 × `iterations`.
fn time_steps(device: Device, layers: &[usize], iterations: usize) -> Result<f64, PtDeepError> {
    let (spec, _) = reference();
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
    let model = PTDeep::new(&vs.root(), layers, Activation::Relu)?;
    let mut trainer = crate::Trainer::sgd(&vs, &model, 0.1, 1e-4)?;
    let mut loss = trainer.step(&xt, &yt);
    for _ in 0..200 {
        loss = trainer.step(&xt, &yt);
    }
    loss.f_double_value(&[])?; // wait for the device
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t0 = Instant::now();
        for _ in 0..iterations {
            loss = trainer.step(&xt, &yt);
        }
        // Reading the last loss back includes all queued device work in the time.
        loss.f_double_value(&[])?;
        best = best.min(t0.elapsed().as_secs_f64() * 1e6 / iterations as f64);
    }
    Ok(best)
}

pub fn bench_iterations(device: Device, iterations: usize) -> Result<BenchResult, PtDeepError> {
    if iterations == 0 {
        return Err(PtDeepError::ZeroIterations);
    }
    let (_, layers) = reference();
    Ok(BenchResult {
        device: torch_util::device_name(device),
        threads: tch::get_num_threads(),
        iterations,
        us_per_iter: time_steps(device, &layers.0, iterations)?,
        floor_us_per_iter: time_steps(device, &[2, 2], iterations)?,
    })
}

/// `--bench`: the CPU time per step and its floor, the GPU's too when
/// `device` is one, and PyTorch-Python's CPU step in the same run when the
/// set-up's Python has torch; writes `bench.json` under `out`.
pub fn run_bench(
    device: Device,
    iterations: usize,
    out: &std::path::Path,
) -> Result<BenchReport, PtDeepError> {
    let mut ours = vec![bench_iterations(Device::Cpu, iterations)?];
    if device != Device::Cpu {
        ours.push(bench_iterations(device, iterations)?);
    }
    let (python, python_missing) = match python_step(iterations) {
        Ok(p) => (Some(p), None),
        Err(why) => (None, Some(why)),
    };
    let report = BenchReport {
        ratio: python.as_ref().map(|p| ours[0].us_per_iter / p.us_per_iter),
        ours,
        python,
        python_missing,
    };
    labkit::RunDir::create(out)?.write_json("bench.json", &report)?;
    Ok(report)
}

/// PyTorch-Python's step on the CPU with our thread count, or why not.
fn python_step(iterations: usize) -> Result<PythonStep, String> {
    let py = labkit::pyref::find_torch_python().map_err(|e| e.to_string())?;
    let script =
        labkit::pyref::reference_script(env!("CARGO_MANIFEST_DIR"), "reference/step_bench.py")
            .map_err(|e| e.to_string())?;
    let (steps, threads) = (iterations.to_string(), tch::get_num_threads().to_string());
    let out = py
        .run_source(
            "step_bench.py",
            &script,
            ["--steps", steps.as_str(), "--threads", threads.as_str()],
        )
        .map_err(|e| e.to_string())?;
    serde_json::from_str(out.lines().last().unwrap_or_default()).map_err(|e| e.to_string())
}
