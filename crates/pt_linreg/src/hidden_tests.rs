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
