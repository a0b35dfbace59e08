//! Gradient checks against finite differences, the loss by hand, and
//! classification.

use super::*;
use ndarray::{arr1, arr2, Array2};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn normal_matrix(rows: usize, cols: usize, scale: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || {
        scale * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
    })
}

/// Random X (N × D), labels covering C classes, and a model whose biases are
/// not zero, so that every term of every gradient is exercised.
fn random_problem(
    seed: u64,
    (n, d, h, c): (usize, usize, usize, usize),
) -> (Array2<f64>, Vec<usize>, Fcann2Model) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = normal_matrix(n, d, 2.0, &mut rng);
    let y: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % c).collect();
    let mut m = Fcann2Model::init(d, h, c, &mut rng).unwrap();
    m.b1 = normal_matrix(1, h, 0.5, &mut rng).row(0).to_owned();
    m.b2 = normal_matrix(1, c, 0.5, &mut rng).row(0).to_owned();
    (x, y, m)
}

fn loss_of(m: &Fcann2Model, x: &Array2<f64>, y: &[usize], lambda: f64) -> f64 {
    let mut ws = Workspace::new(x.nrows(), m);
    ws.forward(m, x.view());
    ws.loss(m, y, lambda)
}

/// The k-th parameter array of a model, flat: W1, b1, W2, b2.
fn param_mut(m: &mut Fcann2Model, k: usize) -> &mut [f64] {
    let a = match k {
        0 => m.w1.as_slice_mut(),
        1 => m.b1.as_slice_mut(),
        2 => m.w2.as_slice_mut(),
        _ => m.b2.as_slice_mut(),
    };
    a.expect("owned arrays are contiguous")
}

fn grad_of(g: &Gradients, k: usize) -> &[f64] {
    let a = match k {
        0 => g.w1.as_slice(),
        1 => g.b1.as_slice(),
        2 => g.w2.as_slice(),
        _ => g.b2.as_slice(),
    };
    a.expect("owned arrays are contiguous")
}

/// Largest relative error |analytic − numeric| / max(|analytic|, |numeric|)
/// over every entry of W1, b1, W2, b2 (names in the same order).
fn check_gradients(seed: u64, dims: (usize, usize, usize, usize), lambda: f64) -> [f64; 4] {
    let (x, y, m) = random_problem(seed, dims);
    let mut ws = Workspace::new(x.nrows(), &m);
    ws.forward(&m, x.view());
    // Finite differences are only valid away from ReLU's kink at 0.
    let closest = ws.s1.iter().fold(f64::INFINITY, |a, s| a.min(s.abs()));
    assert!(
        closest > 1e-3,
        "seed {seed}: an s1 entry is {closest}, too close to the kink"
    );
    let (loss, grads) = loss_and_gradients(x.view(), &y, &m, lambda).unwrap();
    assert_eq!(loss, loss_of(&m, &x, &y, lambda));
    let eps = 1e-6;
    let mut worst = [0.0; 4];
    for (k, w) in worst.iter_mut().enumerate() {
        let analytic = grad_of(&grads, k).to_vec();
        for (j, &a) in analytic.iter().enumerate() {
            let mut plus = m.clone();
            param_mut(&mut plus, k)[j] += eps;
            let mut minus = m.clone();
            param_mut(&mut minus, k)[j] -= eps;
            let numeric =
                (loss_of(&plus, &x, &y, lambda) - loss_of(&minus, &x, &y, lambda)) / (2.0 * eps);
            let scale = a.abs().max(numeric.abs());
            assert!(scale > 1e-6, "gradient entry {k}/{j} too small to compare");
            *w = f64::max(*w, (a - numeric).abs() / scale);
        }
    }
    worst
}

fn shown(errors: &[f64; 4]) -> String {
    let parts: Vec<String> = errors.iter().map(|e| format!("{e:.1e}")).collect();
    parts.join(" ")
}

#[test]
fn gradients_match_central_differences() {
    for (seed, dims) in [(1, (9, 3, 4, 3)), (2, (12, 2, 5, 2)), (3, (7, 4, 6, 4))] {
        let worst = check_gradients(seed, dims, 0.1);
        println!(
            "seed {seed}, (N, D, H, C) = {dims:?}: worst relative error W1 b1 W2 b2 {}",
            shown(&worst)
        );
        for (name, e) in ["W1", "b1", "W2", "b2"].iter().zip(worst) {
            assert!(
                e < 1e-6,
                "seed {seed} {dims:?}: ∂{name} relative error {e:e}"
            );
        }
    }
}

#[test]
fn gradients_without_regularisation_have_no_weight_term() {
    // With λ = 0 the gradients are the data term alone; with λ the weight
    // gradients grow by exactly λ·W and the bias gradients do not change.
    let (x, y, m) = random_problem(4, (10, 2, 5, 2));
    let mut ws = Workspace::new(x.nrows(), &m);
    ws.forward(&m, x.view());
    ws.backward(&m, x.view(), &y, 0.0);
    let g0 = ws.grad.clone();
    ws.backward(&m, x.view(), &y, 0.3);
    let g = &ws.grad;
    assert!((&g.w1 - &g0.w1 - &m.w1 * 0.3)
        .iter()
        .all(|d| d.abs() < 1e-15));
    assert!((&g.w2 - &g0.w2 - &m.w2 * 0.3)
        .iter()
        .all(|d| d.abs() < 1e-15));
    assert_eq!(g.b1, g0.b1);
    assert_eq!(g.b2, g0.b2);
    let worst = check_gradients(4, (10, 2, 5, 2), 0.0);
    println!("λ = 0: worst relative error W1 b1 W2 b2 {}", shown(&worst));
    assert!(worst.iter().all(|&e| e < 1e-6));
}

#[test]
fn loss_by_hand() {
    // Zero output weights: P is uniform, the NLL is ln C, and only W1 pays
    // the L2 term: λ/2 · ‖W1‖² = 0.5 · 0.2 · (1 + 4) = 0.5.
    let m = Fcann2Model::from_parts(
        arr2(&[[1.0, 0.0], [0.0, 2.0]]),
        ndarray::arr1(&[0.5, -0.5]),
        Array2::zeros((2, 3)),
        ndarray::arr1(&[0.0, 0.0, 0.0]),
    )
    .unwrap();
    let x = arr2(&[[1.0, 2.0], [-3.0, 0.5]]);
    let loss = loss_of(&m, &x, &[0, 2], 0.2);
    assert!((loss - (3f64.ln() + 0.5)).abs() < 1e-15, "loss {loss}");
    // The mean does not change when every example is repeated.
    let (x, y, m) = random_problem(5, (6, 2, 3, 2));
    let x2 = ndarray::concatenate![ndarray::Axis(0), x, x];
    let y2 = [y.clone(), y.clone()].concat();
    assert!((loss_of(&m, &x, &y, 0.01) - loss_of(&m, &x2, &y2, 0.01)).abs() < 1e-14);
}

#[test]
fn loss_and_gradients_checks_its_inputs() {
    let (x, y, m) = random_problem(6, (5, 2, 3, 2));
    assert!(matches!(
        loss_and_gradients(x.view(), &y, &m, -0.5),
        Err(Fcann2Error::BadLambda(_))
    ));
    let x3 = Array2::zeros((5, 3));
    assert!(matches!(
        loss_and_gradients(x3.view(), &y, &m, 0.0),
        Err(Fcann2Error::InputDim {
            expected: 2,
            found: 3
        })
    ));
    assert!(matches!(
        loss_and_gradients(x.view(), &[0, 1, 2, 0, 1], &m, 0.0),
        Err(Fcann2Error::LabelOutOfRange {
            label: 2,
            n_classes: 2
        })
    ));
    assert!(matches!(
        loss_and_gradients(x.view(), &y[..4], &m, 0.0),
        Err(Fcann2Error::LengthMismatch {
            x_rows: 5,
            y_len: 4
        })
    ));
}

#[test]
fn classify_by_hand() {
    // One hidden unit h = ReLU(x0 − x1); scores (0, 2h): P(class 1) = σ(2h).
    let m = Fcann2Model::from_parts(
        arr2(&[[1.0], [-1.0]]),
        arr1(&[0.0]),
        arr2(&[[0.0, 2.0]]),
        arr1(&[0.0, 0.0]),
    )
    .unwrap();
    let x = arr2(&[[3.0, 1.0], [1.0, 3.0], [1000.0, 0.0]]);
    let p = fcann2_classify(x.view(), &m).unwrap();
    let sigma = |t: f64| 1.0 / (1.0 + (-t).exp());
    assert!((p[[0, 1]] - sigma(4.0)).abs() < 1e-15);
    assert!(
        (p[[1, 1]] - 0.5).abs() < 1e-15,
        "ReLU cuts the negative side"
    );
    assert_eq!(p[[2, 1]], 1.0, "a score of 2000 does not overflow");
    for r in p.rows() {
        assert!((r.sum() - 1.0).abs() < 1e-15);
    }
    assert_eq!(metrics::argmax_rows(p.view()), vec![1, 0, 1]);

    let x3 = Array2::zeros((1, 3));
    assert!(matches!(
        fcann2_classify(x3.view(), &m),
        Err(Fcann2Error::InputDim {
            expected: 2,
            found: 3
        })
    ));
    let bad = arr2(&[[0.0, f64::INFINITY]]);
    assert!(matches!(
        fcann2_classify(bad.view(), &m),
        Err(Fcann2Error::NonFinite { row: 0, col: 1, .. })
    ));
}

#[test]
fn classify_is_the_training_forward_pass() {
    let (x, _, m) = random_problem(8, (11, 3, 4, 3));
    let mut ws = Workspace::new(x.nrows(), &m);
    ws.forward(&m, x.view());
    assert_eq!(fcann2_classify(x.view(), &m).unwrap(), ws.p);
}
