//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use super::*;

#[test]
fn loss_and_gradient_on_other_values() {
    // Residuals a·x + b − y at a = 0.7, b = −0.3: −3.0, 1.05, −2.2.
    let (x, y) = ([-1.0, 0.5, 3.0], [2.0, -1.0, 4.0]);
    let loss = mse(
        &Tensor::from(0.7),
        &Tensor::from(-0.3),
        &Tensor::from_slice(&x),
        &Tensor::from_slice(&y),
    )
    .double_value(&[]);
    assert!((loss - 14.9425 / 3.0).abs() < 1e-12, "loss {loss}");
    let (ga, gb) = hand_gradient(0.7, -0.3, &x, &y);
    assert!((ga - (-2.05)).abs() < 1e-12, "∂a {ga}");
    assert!((gb - (-8.3 / 3.0)).abs() < 1e-12, "∂b {gb}");
    // Autograd through the loss gives the same numbers.
    let a = Tensor::from(0.7).set_requires_grad(true);
    let b = Tensor::from(-0.3).set_requires_grad(true);
    mse(&a, &b, &Tensor::from_slice(&x), &Tensor::from_slice(&y)).backward();
    assert!((a.grad().double_value(&[]) - ga).abs() < 1e-12);
    assert!((b.grad().double_value(&[]) - gb).abs() < 1e-12);
}

#[test]
fn training_steps_on_other_values() {
    let (x, y) = ([-1.0, 0.5, 3.0], [2.0, -1.0, 4.0]);
    let p = TrainParams { steps: 3, lr: 0.1 };
    let fit = fit_line(&x, &y, (0.7, -0.3), &p, Device::Cpu, |_| {}).unwrap();
    assert_eq!(fit.steps.len(), 3);
    // Step 0 at the start, with ∂a = −2.05 and ∂b = −8.3/3 (see above).
    let s0 = &fit.steps[0];
    assert!((s0.a - 0.7).abs() < 1e-15 && (s0.b + 0.3).abs() < 1e-15);
    assert!((s0.loss - 14.9425 / 3.0).abs() < 1e-12, "loss {}", s0.loss);
    // Step 1 one move of lr·gradient later.
    let s1 = &fit.steps[1];
    assert!((s1.a - (0.7 + 0.205)).abs() < 1e-12, "a {}", s1.a);
    assert!((s1.b - (-0.3 + 0.83 / 3.0)).abs() < 1e-12, "b {}", s1.b);
    // Every step's autograd gradient is that step's own (cleared in between).
    for s in &fit.steps {
        let (ha, hb) = hand_gradient(s.a, s.b, &x, &y);
        assert!(
            (s.grad_a - ha).abs() < 1e-12 && (s.grad_b - hb).abs() < 1e-12,
            "{s:?}"
        );
    }
    assert!(fit.max_grad_diff < 1e-12);
    // The final weights are one more step on from step 2.
    let s2 = &fit.steps[2];
    assert!((fit.a - (s2.a - 0.1 * s2.grad_a)).abs() < 1e-12);
    assert!((fit.b - (s2.b - 0.1 * s2.grad_b)).abs() < 1e-12);
}
