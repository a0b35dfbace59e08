//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use crate::loss::{gaussian_nll, VAR_EPS};
use tch::{Kind, Tensor};

#[test]
fn gaussian_nll_on_other_values_with_its_gradients() {
    let (m, t, v): ([f64; 4], [f64; 4], [f64; 4]) = (
        [0.5, -1.0, 0.0, 2.0],
        [1.0, 1.0, 0.0, 2.5],
        [2.0, 0.25, 1e-8, 0.5],
    );
    let mean = Tensor::from_slice(&m)
        .view([2, 2])
        .to_kind(Kind::Float)
        .set_requires_grad(true);
    let target = Tensor::from_slice(&t).view([2, 2]).to_kind(Kind::Float);
    let var = Tensor::from_slice(&v)
        .view([2, 2])
        .to_kind(Kind::Float)
        .set_requires_grad(true);
    let loss = gaussian_nll(&mean, &target, &var);
    let floor = |x: f64| x.max(VAR_EPS);
    let want: f64 = (0..4)
        .map(|i| 0.5 * (floor(v[i]).ln() + (t[i] - m[i]).powi(2) / floor(v[i])))
        .sum::<f64>()
        / 4.0;
    let got = loss.double_value(&[]);
    assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    loss.backward();
    // ∂/∂mean = −(t − m)/(4·v); ∂/∂var = (1/v − (t − m)²/v²)/8, the floored
    // entry included (its gradient flows through the floor).
    let gm = mean.grad().view([-1]);
    let gv = var.grad().view([-1]);
    for i in 0..4 {
        let (r, vv) = (t[i] - m[i], floor(v[i]));
        let want_m = -r / (4.0 * vv);
        let want_v = (1.0 / vv - r * r / (vv * vv)) / 8.0;
        let (got_m, got_v) = (gm.double_value(&[i as i64]), gv.double_value(&[i as i64]));
        assert!(
            (got_m - want_m).abs() < 1e-4 * (1.0 + want_m.abs()),
            "∂mean[{i}] {got_m} vs {want_m}"
        );
        assert!(
            (got_v - want_v).abs() < 1e-4 * (1.0 + want_v.abs()),
            "∂var[{i}] {got_v} vs {want_v}"
        );
    }
}
