//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use crate::model::{Activation, PTDeep};
use tch::{nn::VarStore, Device, Kind, Tensor};

const W1: [[f64; 3]; 2] = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]];
const B1: [f64; 3] = [0.1, -0.2, 0.3];
const W2: [[f64; 2]; 3] = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.75]];
const B2: [f64; 2] = [0.05, -0.05];
const X: [[f64; 2]; 4] = [[1.0, 0.5], [-0.8, 1.2], [0.3, -1.1], [2.0, 0.1]];

/// Sets the parameters of a [2, 3, 2] model by name.
fn set(vs: &VarStore) {
    let vars = vs.variables();
    let put = |name: &str, v: Vec<f32>, shape: &[i64]| {
        let mut t = vars[name].shallow_clone();
        tch::no_grad(|| {
            t.copy_(&Tensor::from_slice(&v).view(shape));
        })
    };
    put(
        "W1",
        W1.iter().flatten().map(|&v| v as f32).collect(),
        &[2, 3],
    );
    put("b1", B1.iter().map(|&v| v as f32).collect(), &[3]);
    put(
        "W2",
        W2.iter().flatten().map(|&v| v as f32).collect(),
        &[3, 2],
    );
    put("b2", B2.iter().map(|&v| v as f32).collect(), &[2]);
}

fn x() -> Tensor {
    Tensor::from_slice(&X.iter().flatten().map(|&v| v as f32).collect::<Vec<_>>()).view([4, 2])
}

/// The logits by hand; `norm` is applied to the hidden pre-activations.
fn by_hand(act: fn(f64) -> f64, norm: &dyn Fn(&mut [[f64; 3]; 4])) -> [[f64; 2]; 4] {
    let mut s = [[0.0; 3]; 4];
    for (i, row) in X.iter().enumerate() {
        for j in 0..3 {
            s[i][j] = B1[j] + row[0] * W1[0][j] + row[1] * W1[1][j];
        }
    }
    norm(&mut s);
    let mut out = [[0.0; 2]; 4];
    for i in 0..4 {
        for c in 0..2 {
            out[i][c] = B2[c] + (0..3).map(|j| act(s[i][j]) * W2[j][c]).sum::<f64>();
        }
    }
    out
}

fn assert_close(got: &Tensor, want: [[f64; 2]; 4], what: &str) {
    let got: Vec<f64> = Vec::<f32>::try_from(got.to_kind(Kind::Float).flatten(0, -1))
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    let want: Vec<f64> = want.iter().flatten().copied().collect();
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() < 1e-4,
            "{what}: logit {k} is {g}, want {w} (all: {got:?})"
        );
    }
}

#[test]
fn forward_with_each_activation_by_hand() {
    for (act, f) in [
        (Activation::Tanh, f64::tanh as fn(f64) -> f64),
        (Activation::Relu, |v: f64| v.max(0.0)),
        (Activation::Sigmoid, |v: f64| 1.0 / (1.0 + (-v).exp())),
    ] {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 3, 2], act).unwrap();
        set(&vs);
        assert_close(&m.logits(&x()), by_hand(f, &|_| {}), &format!("{act:?}"));
    }
}

#[test]
fn batch_norm_before_the_activation_in_training_mode() {
    let vs = VarStore::new(Device::Cpu);
    let m = PTDeep::with_batch_norm(&vs.root(), &[2, 3, 2], Activation::Relu).unwrap();
    set(&vs);
    let (gamma, beta) = ([1.5, 0.5, 2.0], [0.1, -0.1, 0.2]);
    {
        let vars = vs.variables();
        let (mut g, mut b) = (
            vars["bn1.weight"].shallow_clone(),
            vars["bn1.bias"].shallow_clone(),
        );
        tch::no_grad(|| {
            g.copy_(&Tensor::from_slice(&gamma.map(|v: f64| v as f32)));
            b.copy_(&Tensor::from_slice(&beta.map(|v: f64| v as f32)));
        });
    }
    // Each hidden column minus its batch mean, over its batch standard
    // deviation (biased variance, ε = 1e-5), times γ plus β; then ReLU.
    let norm = |s: &mut [[f64; 3]; 4]| {
        for j in 0..3 {
            let mean = s.iter().map(|r| r[j]).sum::<f64>() / 4.0;
            let var = s.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / 4.0;
            for r in s.iter_mut() {
                r[j] = gamma[j] * (r[j] - mean) / (var + 1e-5).sqrt() + beta[j];
            }
        }
    };
    assert_close(
        &m.logits_t(&x(), true),
        by_hand(|v| v.max(0.0), &norm),
        "batch norm, training",
    );
}

#[test]
fn count_params_with_batch_norm() {
    let vs = VarStore::new(Device::Cpu);
    let m = PTDeep::with_batch_norm(&vs.root(), &[3, 5, 4, 2], Activation::Tanh).unwrap();
    let c = m.count_params();
    let want: Vec<(String, Vec<i64>)> = [
        ("W1", vec![3, 5]),
        ("b1", vec![5]),
        ("bn1.gamma", vec![5]),
        ("bn1.beta", vec![5]),
        ("W2", vec![5, 4]),
        ("b2", vec![4]),
        ("bn2.gamma", vec![4]),
        ("bn2.beta", vec![4]),
        ("W3", vec![4, 2]),
        ("b3", vec![2]),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_string(), s))
    .collect();
    assert_eq!(c.params, want);
    assert_eq!(c.total, 15 + 5 + 5 + 5 + 20 + 4 + 4 + 4 + 8 + 2);
    let plain = PTDeep::new(&(vs.root() / "plain"), &[4, 1], Activation::Relu).unwrap();
    assert_eq!(plain.count_params().total, 5);
}

#[test]
fn new_on_another_config() {
    tch::manual_seed(8);
    let vs = VarStore::new(Device::Cpu);
    let m = PTDeep::new(&vs.root(), &[100, 7, 300, 4], Activation::Sigmoid).unwrap();
    let vars = vs.variables();
    assert_eq!(vars.len(), 6);
    for (name, size) in [
        ("W1", vec![100, 7]),
        ("b1", vec![7]),
        ("W2", vec![7, 300]),
        ("b2", vec![300]),
        ("W3", vec![300, 4]),
        ("b3", vec![4]),
    ] {
        assert_eq!(vars[name].size(), size, "{name}");
    }
    let sizes: Vec<Vec<i64>> = m.weights().iter().map(|w| w.size()).collect();
    assert_eq!(sizes, [vec![100, 7], vec![7, 300], vec![300, 4]]);
    // σ = √(1/fan-in) for the sigmoid: 0.1 for W1 (700 draws), 1/√300 for W3.
    let std = |n: &str| vars[n].std(true).double_value(&[]);
    assert!((std("W1") - 0.1).abs() < 0.01, "W1 {}", std("W1"));
    assert!(
        (std("W3") - (1.0f64 / 300.0).sqrt()).abs() < 0.006,
        "W3 {}",
        std("W3")
    );
}

#[test]
fn training_steps_on_other_values() {
    use crate::train::{train, TrainParams};
    let params = TrainParams {
        niter: 3,
        delta: 0.2,
        lambda: 0.05,
        log_every: 2,
    };
    let yoh = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]).view([4, 2]);
    let vs = VarStore::new(Device::Cpu);
    let m = PTDeep::new(&vs.root(), &[2, 3, 2], Activation::Tanh).unwrap();
    set(&vs);
    let log = train(&vs, &m, &x(), &yoh, &params, |_, _, _| {}).unwrap();
    let steps: Vec<usize> = log.losses.iter().map(|l| l.0).collect();
    assert_eq!(steps, [2, 3]);
    // The same three SGD steps by hand on a twin with the same weights.
    let twin_vs = VarStore::new(Device::Cpu);
    let twin = PTDeep::new(&twin_vs.root(), &[2, 3, 2], Activation::Tanh).unwrap();
    set(&twin_vs);
    let mut vars: Vec<Tensor> = twin_vs.trainable_variables();
    let mut losses = Vec::new();
    for _ in 0..3 {
        let loss = twin.loss(&x(), &yoh, 0.05);
        losses.push(loss.double_value(&[]));
        let grads = Tensor::run_backward(&[&loss], &vars, false, false);
        tch::no_grad(|| {
            for (v, g) in vars.iter_mut().zip(&grads) {
                let next = &*v - g * 0.2;
                v.copy_(&next);
            }
        });
    }
    assert!(
        (log.losses[0].1 - losses[1]).abs() < 1e-5,
        "{:?} vs {losses:?}",
        log.losses
    );
    assert!(
        (log.losses[1].1 - losses[2]).abs() < 1e-5,
        "{:?} vs {losses:?}",
        log.losses
    );
    let trained = vs.variables();
    for (name, t) in twin_vs.variables() {
        let d = (&trained[&name] - &t).abs().max().double_value(&[]);
        assert!(d < 1e-5, "{name} differs by {d}");
    }
}
