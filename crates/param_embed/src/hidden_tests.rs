//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use crate::relations::{calibrate_row, umap_sigma};

#[test]
fn calibration_on_other_values_weights_squared_distances() {
    let d = [0.5, 1.0, 2.0, 3.5, 0.2];
    let target = 1.7;
    let (beta, p) = calibrate_row(&d, target);
    assert!(beta.is_finite() && beta > 0.0, "β {beta}");
    let sum: f64 = p.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "p sums to {sum}");
    let h: f64 = -p
        .iter()
        .filter(|&&x| x > 0.0)
        .map(|x| x * x.log2())
        .sum::<f64>();
    assert!((h - target).abs() < 1e-6, "entropy {h} bits, want {target}");
    // p_j ∝ exp(−β·d_j²): the ratios follow the squared distances.
    for j in 1..d.len() {
        let want = (-beta * (d[j] * d[j] - d[0] * d[0])).exp();
        assert!(
            (p[j] / p[0] - want).abs() < 1e-6 * want.max(1.0),
            "p{j}/p0 = {}, want {want}",
            p[j] / p[0]
        );
    }
}

#[test]
fn umap_sigma_on_other_values() {
    let d = [0.3, 0.8, 1.5, 2.0, 4.0, 0.9];
    for rho in [0.3, 0.5] {
        let s = umap_sigma(&d, rho);
        let sum: f64 = d.iter().map(|&x| (-(x - rho).max(0.0) / s).exp()).sum();
        assert!(
            (sum - 6f64.log2()).abs() < 1e-6,
            "ρ {rho}: σ {s} gives {sum}"
        );
    }
}
