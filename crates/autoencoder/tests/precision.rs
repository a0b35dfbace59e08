//! bf16 mixed precision in the autoencoder: the same weights give nearly the
//! same codes and reconstructions, the weights and Adam's state stay fp32,
//! and a bf16 epoch lands near the fp32 one. The tolerances are stated from
//! bfloat16's 8-bit significand (relative rounding 2^-9 ≈ 0.2 % per value,
//! growing with the length of each sum).

use autoencoder::config::{TrainParams, Variant};
use autoencoder::model::Autoencoder;
use autoencoder::train::{TrainData, Trainer};
use tch::{nn::VarStore, Device, Kind, Tensor};
use torch_util::{with_precision, Precision};

fn rel(a: &Tensor, b: &Tensor) -> f64 {
    let a = a.to_kind(Kind::Float);
    (&a - b).norm().double_value(&[]) / b.norm().double_value(&[])
}

#[test]
fn bf16_forward_is_within_two_percent_of_fp32_on_the_same_weights() {
    let d = Device::Cpu;
    let vs = VarStore::new(d);
    let ae = torch_util::with_seed(1, || Autoencoder::new(&vs.root()));
    let x = torch_util::with_seed(2, || Tensor::rand([256, 784], (Kind::Float, d)));
    let (z32, x32) = tch::no_grad(|| ae.forward(&x));
    let (z16, x16) = tch::no_grad(|| with_precision(Precision::Bf16, d, || ae.forward(&x)));
    assert_eq!(z16.kind(), Kind::BFloat16, "bf16 really ran");
    assert_eq!(z32.kind(), Kind::Float);
    let (ez, ex) = (rel(&z16, &z32), rel(&x16, &x32));
    assert!(ez > 0.0 && ez < 0.02, "codes: relative error {ez}");
    assert!(
        ex > 0.0 && ex < 0.02,
        "reconstructions: relative error {ex}"
    );
    for (name, t) in vs.variables() {
        assert_eq!(t.kind(), Kind::Float, "{name} stays fp32");
    }
}

#[test]
fn a_bf16_epoch_keeps_fp32_weights_and_lands_near_the_fp32_epoch() {
    let d = Device::Cpu;
    let x = torch_util::with_seed(7, || Tensor::rand([512, 784], (Kind::Float, d)));
    let data = TrainData {
        x,
        labels: (0..512).map(|i| i % 10).collect(),
    };
    let run = |p: Precision| {
        let cfg = TrainParams {
            epochs: 3,
            n_train: 512,
            batch_size: 128,
            precision: p,
            ..TrainParams::default()
        };
        let mut t = Trainer::new(cfg, Variant::Plain, 3, d);
        let losses: Vec<f64> = (0..3)
            .map(|_| {
                with_precision(p, d, || t.run_epoch(&data))
                    .expect("epoch")
                    .total
            })
            .collect();
        (t, losses)
    };
    let (t32, l32) = run(Precision::Fp32);
    let (t16, l16) = run(Precision::Bf16);
    for (name, w) in t16.vs.variables() {
        assert_eq!(w.kind(), Kind::Float, "{name} stays fp32");
    }
    for (a, b) in l16.iter().zip(&l32) {
        assert!(((a - b) / b).abs() < 0.02, "bf16 {l16:?} vs fp32 {l32:?}");
    }
    assert!(l16 != l32, "bf16 changes the numbers a little");
    let w32 = &t32.vs.variables()["enc1.weight"];
    let w16 = &t16.vs.variables()["enc1.weight"];
    assert!(rel(w16, w32) < 0.05, "weights after three epochs");
}
