//! Time of one fcann2 training step (forward, backward, update) in the lab
//! setting: sample_gmm_2d(6, 2, 10) with seed 100 (N = 60, D = 2), H = 5,
//! C = 2, δ = 0.05, λ = 10⁻³, raw inputs. Run with `cargo bench -p fcann2`.
//!
//! After criterion's report it times the same loop in NumPy
//! (`reference/numpy_step.py`, run with the set-up's Python) in the same run
//! and prints both figures and the ratio; without that Python, ours only.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use fcann2::{TrainParams, Trainer};
use rand::SeedableRng;

/// The NumPy loop's µs per step, measured now, or why it could not be.
fn numpy_us() -> Result<f64, String> {
    let py = labkit::pyref::find_torch_python().map_err(|e| e.to_string())?;
    let script =
        labkit::pyref::reference_script(env!("CARGO_MANIFEST_DIR"), "reference/numpy_step.py")
            .map_err(|e| e.to_string())?;
    let out = py
        .run_source("numpy_step.py", &script, ["--steps", "20000"])
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_str(out.lines().last().unwrap_or_default()).map_err(|e| e.to_string())?;
    v["us_per_iter"]
        .as_f64()
        .ok_or_else(|| format!("no us_per_iter in {v}"))
}

fn train_iter(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let (x, y) = data::sample_gmm_2d(6, 2, 10, &mut rng).expect("valid gmm arguments");
    let y = y.to_vec();
    let params = TrainParams::default();
    let mut trainer = Trainer::new(x.view(), &y, &params, &mut rng).expect("valid lab setting");
    c.bench_function("fcann2 train step gmm(6,2,10) H=5", |b| {
        b.iter(|| trainer.step())
    });

    // A plain wall-clock figure over many steps (best of three), its floor,
    // then the NumPy loop measured in the same run, and the ratio.
    let steps = 200_000;
    let best_us = |t: &mut Trainer| {
        let mut us = f64::INFINITY;
        for _ in 0..3 {
            let t0 = Instant::now();
            for _ in 0..steps {
                t.step();
            }
            us = us.min(t0.elapsed().as_secs_f64() * 1e6 / steps as f64);
        }
        us
    };
    let us = best_us(&mut trainer);
    // The floor: the same step on the smallest problem (one point, one
    // input, one hidden unit, two classes), almost all fixed per-step cost.
    let (x1, y1) = (ndarray::array![[0.5]], vec![0usize, 1]);
    let x1 = ndarray::concatenate![ndarray::Axis(0), x1, ndarray::array![[-0.5]]];
    let tiny = TrainParams {
        hidden: 1,
        ..TrainParams::default()
    };
    let mut floor = Trainer::new(x1.view(), &y1, &tiny, &mut rng).expect("valid tiny setting");
    let floor_us = best_us(&mut floor);
    println!(
        "fcann2: {us:.3} µs per step (best of 3 × {steps} steps); floor (the same step on \
         2 points, D = 1, H = 1): {floor_us:.3} µs"
    );
    match numpy_us() {
        Ok(np) => println!(
            "NumPy, same loop, same run: {np:.2} µs per step -> fcann2 is {:.1}× faster",
            np / us
        ),
        Err(why) => println!("NumPy reference not measured: {why}"),
    }
    std::hint::black_box(trainer.model());
}

criterion_group!(benches, train_iter);
criterion_main!(benches);
