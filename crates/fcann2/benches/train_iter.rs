//! Time of one fcann2 training step (forward, backward, update) in the lab
//! setting: sample_gmm_2d(6, 2, 10) with seed 100 (N = 60, D = 2), H = 5,
//! C = 2, δ = 0.05, λ = 10⁻³, raw inputs. Run with `cargo bench -p fcann2`.
//!
//! The same loop in NumPy takes about 51 µs per step on this machine kind;
//! after criterion's report, this prints the ratio.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use fcann2::{Fcann2Params, Trainer};
use rand::SeedableRng;

const NUMPY_US: f64 = fcann2::lab::NUMPY_US_PER_ITER;

fn train_iter(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let (x, y) = data::sample_gmm_2d(6, 2, 10, &mut rng).expect("valid gmm arguments");
    let y = y.to_vec();
    let params = Fcann2Params::default();
    let mut trainer = Trainer::new(x.view(), &y, &params, &mut rng).expect("valid lab setting");
    c.bench_function("fcann2 train step gmm(6,2,10) H=5", |b| {
        b.iter(|| trainer.step())
    });

    // A plain wall-clock figure over many steps, with the ratio to NumPy.
    let steps = 200_000;
    let t0 = Instant::now();
    for _ in 0..steps {
        trainer.step();
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / steps as f64;
    println!(
        "fcann2: {us:.3} µs per step over {steps} steps; NumPy {NUMPY_US} µs -> {:.1}× faster",
        NUMPY_US / us
    );
    std::hint::black_box(trainer.model());
}

criterion_group!(benches, train_iter);
criterion_main!(benches);
