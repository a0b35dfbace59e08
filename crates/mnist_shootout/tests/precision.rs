//! `--precision bf16` on the lab's MLP: the loss the training loop
//! differentiates, computed under bf16 autocast, against fp32 on the same
//! weights and images.

use pt_deep::{Activation, PTDeep};
use tch::{nn::VarStore, Device, Kind, Tensor};
use torch_util::{with_precision, Precision};

#[test]
fn a_bf16_loss_is_within_one_percent_of_fp32_and_its_gradients_are_fp32() {
    tch::manual_seed(3);
    let d = Device::Cpu;
    let vs = VarStore::new(d);
    let m = PTDeep::new(&vs.root(), &[784, 100, 10], Activation::Relu).unwrap();
    let x = Tensor::rand([256, 784], (Kind::Float, d));
    let y = Tensor::randint(10, [256], (Kind::Int64, d));
    let fp32 = m.loss_labels(&x, &y, 1e-4).double_value(&[]);
    let loss = with_precision(Precision::Bf16, d, || m.loss_labels(&x, &y, 1e-4));
    let bf16 = loss.double_value(&[]);
    assert_ne!(bf16, fp32, "bf16 products give a (slightly) different loss");
    assert!(
        (bf16 - fp32).abs() / fp32 < 0.01,
        "bf16 loss {bf16} vs fp32 {fp32}"
    );
    loss.backward();
    for (name, v) in vs.variables() {
        let g = v.grad();
        assert!(g.defined(), "{name} got no gradient");
        assert_eq!(
            g.kind(),
            Kind::Float,
            "{name}'s gradient is fp32 like the weight"
        );
    }
}
