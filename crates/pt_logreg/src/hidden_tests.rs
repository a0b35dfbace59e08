//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use crate::model::PTLogreg;
use tch::{nn::VarStore, Device, Tensor};

fn logsumexp(s: &[f64]) -> f64 {
    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + s.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[test]
fn loss_with_large_scores_and_weight_decay() {
    let vs = VarStore::new(Device::Cpu);
    let mut m = PTLogreg::new(&vs.root(), 1, 3).unwrap();
    tch::no_grad(|| {
        m.w.copy_(&Tensor::from_slice(&[0.0f32, 200.0, -150.0]).view([1, 3]));
        m.b.copy_(&Tensor::from_slice(&[1.0f32, 0.0, 0.0]));
    });
    // Scores: x = 1 → (1, 200, −150), target 0; x = −0.5 → (1, −100, 75), target 2.
    let x = Tensor::from_slice(&[1.0f32, -0.5]).view([2, 1]);
    let yoh = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.0, 0.0, 1.0]).view([2, 3]);
    let nll =
        ((logsumexp(&[1.0, 200.0, -150.0]) - 1.0) + (logsumexp(&[1.0, -100.0, 75.0]) - 75.0)) / 2.0;
    let got = m.loss(&x, &yoh, 0.0).double_value(&[]);
    assert!(
        got.is_finite() && (got - nll).abs() < 1e-3,
        "loss {got}, want {nll}"
    );
    // λ/2·‖W‖² with λ = 0.1: 0.05 · (200² + 150²) = 3125.
    let got = m.loss(&x, &yoh, 0.1).double_value(&[]);
    assert!(
        (got - nll - 3125.0).abs() < 1e-2,
        "loss {got}, want {}",
        nll + 3125.0
    );
}

/// PTDeep passes every weight matrix: λ/2 times the sum of all their squares.
#[test]
fn weight_decay_sums_the_squares_of_every_weight_matrix() {
    use crate::model::nll_l2;
    let scores = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.0]).view([2, 2]);
    let yoh = Tensor::from_slice(&[0.0f32, 1.0, 1.0, 0.0]).view([2, 2]);
    let w1 = Tensor::from_slice(&[1.0f32, -2.0, 3.0]);
    let w2 = Tensor::from_slice(&[0.5f32, 4.0]).view([2, 1]);
    let w3 = Tensor::from_slice(&[-1.5f32]);
    let nll = nll_l2(&scores, &yoh, &[], 0.3).double_value(&[]);
    // targets 1 and 0: (lse(0.5, −1) + 1 + lse(2, 0) − 2) / 2
    let lse = |a: f64, b: f64| (a.exp() + b.exp()).ln();
    let want = (lse(0.5, -1.0) + 1.0 + lse(2.0, 0.0) - 2.0) / 2.0;
    assert!((nll - want).abs() < 1e-5, "{nll} vs {want}");
    // ‖w1‖² = 14, ‖w2‖² = 16.25, ‖w3‖² = 2.25: λ/2 · 32.5 = 4.875 with λ = 0.3
    let got = nll_l2(&scores, &yoh, &[&w1, &w2, &w3], 0.3).double_value(&[]);
    assert!(
        (got - want - 4.875).abs() < 1e-4,
        "{got} vs {}",
        want + 4.875
    );
    let two = nll_l2(&scores, &yoh, &[&w1, &w2], 0.3).double_value(&[]);
    assert!((two - want - 0.15 * 30.25).abs() < 1e-4, "{two}");
}

fn model_with(vs: &VarStore, w: &[f32], b: &[f32], d: usize, c: usize) -> PTLogreg {
    let mut m = PTLogreg::new(&vs.root(), d, c).unwrap();
    tch::no_grad(|| {
        m.w.copy_(&Tensor::from_slice(w).view([d as i64, c as i64]));
        m.b.copy_(&Tensor::from_slice(b));
    });
    m
}

#[test]
fn forward_on_other_values() {
    let vs = VarStore::new(Device::Cpu);
    let m = model_with(
        &vs,
        &[0.5, -1.0, 2.0, 0.0, 1.0, 1.0],
        &[0.1, 0.2, 0.3],
        2,
        3,
    );
    // Rows x = (1, 0) and (0, 2): scores (0.6, −0.8, 2.3) and (0.1, 2.2, 2.3).
    let x = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 2.0]).view([2, 2]);
    let want = [[0.6, -0.8, 2.3], [0.1, 2.2, 2.3]];
    let p = m.forward(&x);
    for (r, s) in want.iter().enumerate() {
        let z: f64 = s.iter().map(|v: &f64| v.exp()).sum();
        for c in 0..3 {
            let got = p.double_value(&[r as i64, c as i64]);
            assert!((got - s[c].exp() / z).abs() < 1e-6, "P[{r}][{c}] = {got}");
        }
    }
}

#[test]
fn training_steps_on_other_values() {
    use crate::train::{train, TrainParams};
    let x = Tensor::from_slice(&[1.0f32, 0.5, -1.0, 2.0, 0.0, -1.5]).view([3, 2]);
    let yoh = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 1.0, 0.0]).view([3, 2]);
    let (w0, b0) = ([0.3f32, -0.2, 0.1, 0.4], [0.05f32, -0.05]);
    let p = TrainParams {
        niter: 7,
        delta: 0.3,
        param_lambda: 0.2,
        log_every: 3,
    };
    let vs = VarStore::new(Device::Cpu);
    let mut m = model_with(&vs, &w0, &b0, 2, 2);
    let log = train(&mut m, &x, &yoh, &p, |_, _| {}).unwrap();
    let steps: Vec<usize> = log.losses.iter().map(|l| l.0).collect();
    assert_eq!(steps, [1, 3, 6, 7]);
    // The same seven steps by hand: fresh gradients at every step.
    let vs2 = VarStore::new(Device::Cpu);
    let mut r = model_with(&vs2, &w0, &b0, 2, 2);
    let mut losses = Vec::new();
    for _ in 0..7 {
        let loss = r.loss(&x, &yoh, 0.2);
        losses.push(loss.double_value(&[]));
        let (gw, gb) = {
            let g = Tensor::run_backward(&[&loss], &[&r.w, &r.b], false, false);
            (g[0].shallow_clone(), g[1].shallow_clone())
        };
        tch::no_grad(|| {
            r.w.copy_(&(&r.w - gw * 0.3));
            r.b.copy_(&(&r.b - gb * 0.3));
        });
    }
    let close = |a: f64, b: f64| (a - b).abs() < 1e-5;
    assert!(
        close(log.initial_loss, losses[0]),
        "{} vs {}",
        log.initial_loss,
        losses[0]
    );
    assert!(close(log.losses[1].1, losses[2]));
    assert!(close(log.final_loss, losses[6]));
    let dw = (&m.w - &r.w).abs().max().double_value(&[]);
    let db = (&m.b - &r.b).abs().max().double_value(&[]);
    assert!(dw < 1e-5 && db < 1e-5, "|ΔW| {dw} |Δb| {db}");
}
