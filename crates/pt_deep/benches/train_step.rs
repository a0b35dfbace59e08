//! Time of one whole-batch training step of [2,10,10,2] on gmm(6,2,10).
//! Run with `cargo bench -p pt_deep`; `cargo run -p pt_deep -- --bench` prints the same
//! figure without criterion (and on CUDA too when a GPU is present).

use criterion::{criterion_group, criterion_main, Criterion};
use pt_deep::{Activation, PTDeep, Trainer};
use rand::SeedableRng;
use tch::{nn::VarStore, Device};

fn train_step(c: &mut Criterion) {
    tch::set_num_threads(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let (x, y) = data::sample_gmm_2d(6, 2, 10, &mut rng).expect("valid gmm arguments");
    let yoh =
        data::class_to_onehot(y.as_slice().expect("contiguous"), Some(2)).expect("labels < 2");
    let xt = torch_util::to_tensor(x.view(), Device::Cpu);
    let yt = torch_util::to_tensor(yoh.view(), Device::Cpu);
    tch::manual_seed(100);
    let vs = VarStore::new(Device::Cpu);
    let model = PTDeep::new(&vs.root(), &[2, 10, 10, 2], Activation::Relu).expect("valid config");
    let mut trainer = Trainer::sgd(&vs, &model, 0.1, 1e-4).expect("optimiser");
    c.bench_function("pt_deep train step [2,10,10,2] gmm(6,2,10) cpu", |b| {
        b.iter(|| trainer.step(&xt, &yt))
    });
}

criterion_group!(benches, train_step);
criterion_main!(benches);
