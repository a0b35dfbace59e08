//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use crate::backprop::{fcann2_classify, loss_and_gradients};
use crate::model::Fcann2Model;
use ndarray::{arr1, arr2, Array2};

/// D = 2, H = 2, C = 3, with one hidden unit below zero on the first row.
fn small() -> (Array2<f64>, Fcann2Model) {
    let x = arr2(&[[1.0, -2.0], [0.5, 0.5]]);
    let m = Fcann2Model::from_parts(
        arr2(&[[1.0, -1.0], [0.5, 2.0]]),
        arr1(&[0.1, -0.2]),
        arr2(&[[2.0, 0.0, -1.0], [1.0, 3.0, 0.0]]),
        arr1(&[0.0, 0.5, -0.5]),
    )
    .unwrap();
    (x, m)
}

fn softmax(s: &[f64]) -> Vec<f64> {
    let e: Vec<f64> = s.iter().map(|v| v.exp()).collect();
    let z: f64 = e.iter().sum();
    e.iter().map(|v| v / z).collect()
}

#[test]
fn forward_on_other_values() {
    let (x, m) = small();
    // s1 = [[0.1, −5.2], [0.85, 0.3]], h1 = ReLU(s1) = [[0.1, 0], [0.85, 0.3]],
    // s2 = h1·W2 + b2 = [[0.2, 0.5, −0.6], [2.0, 1.4, −1.35]].
    let p = fcann2_classify(x.view(), &m).unwrap();
    for (row, s2) in [[0.2, 0.5, -0.6], [2.0, 1.4, -1.35]].iter().enumerate() {
        let want = softmax(s2);
        for c in 0..3 {
            assert!(
                (p[[row, c]] - want[c]).abs() < 1e-12,
                "P[{row}][{c}] = {}, want {}",
                p[[row, c]],
                want[c]
            );
        }
    }
}

#[test]
fn gradients_on_other_values_match_central_differences() {
    let (x, m) = small();
    let y = [2, 0];
    let lambda = 0.3;
    let (_, g) = loss_and_gradients(x.view(), &y, &m, lambda).unwrap();
    let loss = |m: &Fcann2Model| loss_and_gradients(x.view(), &y, m, lambda).unwrap().0;
    let parts = |m: &Fcann2Model| {
        (
            m.w1().to_owned(),
            m.b1().to_owned(),
            m.w2().to_owned(),
            m.b2().to_owned(),
        )
    };
    let eps = 1e-6;
    let analytic: [Vec<f64>; 4] = [
        g.w1.iter().copied().collect(),
        g.b1.to_vec(),
        g.w2.iter().copied().collect(),
        g.b2.to_vec(),
    ];
    for (k, grad) in analytic.iter().enumerate() {
        for (j, &a) in grad.iter().enumerate() {
            let shifted = |d: f64| {
                let (mut w1, mut b1, mut w2, mut b2) = parts(&m);
                match k {
                    0 => w1.as_slice_mut().unwrap()[j] += d,
                    1 => b1[j] += d,
                    2 => w2.as_slice_mut().unwrap()[j] += d,
                    _ => b2[j] += d,
                }
                Fcann2Model::from_parts(w1, b1, w2, b2).unwrap()
            };
            let numeric = (loss(&shifted(eps)) - loss(&shifted(-eps))) / (2.0 * eps);
            assert!(
                (a - numeric).abs() < 1e-6 * (1.0 + numeric.abs()),
                "parameter {k} entry {j}: analytic {a}, numeric {numeric}"
            );
        }
    }
}

#[test]
fn init_draws_w1_then_w2_row_by_row_at_he_scale() {
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;
    let (d, h, c) = (3, 4, 2);
    let m = Fcann2Model::init(d, h, c, &mut rand::rngs::StdRng::seed_from_u64(21)).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(21);
    let mut draw = |rows: usize, cols: usize, fan_in: usize| {
        let std = (2.0 / fan_in as f64).sqrt();
        Array2::from_shape_fn((rows, cols), |_| std * rng.sample::<f64, _>(StandardNormal))
    };
    let w1 = draw(d, h, d);
    let w2 = draw(h, c, h);
    assert!(
        (&m.w1() - &w1).iter().all(|v| v.abs() < 1e-15),
        "W1 {:?} vs {w1:?}",
        m.w1()
    );
    assert!(
        (&m.w2() - &w2).iter().all(|v| v.abs() < 1e-15),
        "W2 {:?} vs {w2:?}",
        m.w2()
    );
    assert!(m.b1().iter().chain(m.b2()).all(|&b| b == 0.0));
    // W2's spread follows H, not D.
    let big = Fcann2Model::init(4, 300, 200, &mut rand::rngs::StdRng::seed_from_u64(3)).unwrap();
    let var = big.w2().iter().map(|w| w * w).sum::<f64>() / big.w2().len() as f64;
    assert!((var - 2.0 / 300.0).abs() < 0.0004, "variance of W2 {var}");
}

#[test]
fn loss_on_other_values_with_weight_decay() {
    // The scores of `small`: s2 = [[0.2, 0.5, −0.6], [2.0, 1.4, −1.35]];
    // targets 1 and 2; the loss is the mean of log Σ exp(s2) − s2[y] plus
    // λ/2·(‖W1‖² + ‖W2‖²) = 0.05·(6.25 + 15) with λ = 0.1.
    let (x, m) = small();
    let lse = |s: &[f64]| s.iter().map(|v| v.exp()).sum::<f64>().ln();
    let nll = ((lse(&[0.2, 0.5, -0.6]) - 0.5) + (lse(&[2.0, 1.4, -1.35]) + 1.35)) / 2.0;
    let mut ws = crate::backprop::Workspace::new(2, &m);
    ws.forward(&m, x.view());
    let got = ws.loss(&m, &[1, 2], 0.0);
    assert!((got - nll).abs() < 1e-12, "loss {got}, want {nll}");
    let got = ws.loss(&m, &[1, 2], 0.1);
    let want = nll + 0.05 * (6.25 + 15.0);
    assert!((got - want).abs() < 1e-12, "loss {got}, want {want}");
}

#[test]
fn loss_with_large_scores_stays_finite_and_exact() {
    // s2 = (0, 3000) for the single row: P = (e^-3000, 1) and the NLL of
    // class 0 is 3000 (a naive log of P gives infinity).
    let m = Fcann2Model::from_parts(
        arr2(&[[1.0]]),
        arr1(&[0.0]),
        arr2(&[[0.0, 3.0]]),
        arr1(&[0.0, 0.0]),
    )
    .unwrap();
    let x = arr2(&[[1000.0]]);
    let mut ws = crate::backprop::Workspace::new(1, &m);
    ws.forward(&m, x.view());
    let loss = ws.loss(&m, &[0], 0.0);
    assert!((loss - 3000.0).abs() < 1e-9, "loss {loss}");
    let p = fcann2_classify(x.view(), &m).unwrap();
    assert_eq!(p[[0, 1]], 1.0);
    assert!(p.iter().all(|v| v.is_finite()));
}

#[test]
fn one_step_moves_every_parameter_against_its_gradient() {
    use crate::{TrainParams, Trainer};
    let (x, m) = small();
    let y = [1, 2];
    let params = TrainParams {
        delta: 0.25,
        lambda: 0.1,
        ..TrainParams::default()
    };
    let (_, g) = loss_and_gradients(x.view(), &y, &m, params.lambda).unwrap();
    let mut t = Trainer::from_model(x.view(), &y, &params, m.clone()).unwrap();
    t.step();
    let after = t.model();
    let moved = |new: ndarray::ArrayViewD<f64>,
                 old: ndarray::ArrayViewD<f64>,
                 g: ndarray::ArrayViewD<f64>| {
        new.iter()
            .zip(old.iter())
            .zip(g.iter())
            .all(|((n, o), g)| (n - (o - 0.25 * g)).abs() < 1e-14)
    };
    assert!(
        moved(
            after.w1().into_dyn(),
            m.w1().into_dyn(),
            g.w1.view().into_dyn()
        ),
        "W1"
    );
    assert!(
        moved(
            after.b1().into_dyn(),
            m.b1().into_dyn(),
            g.b1.view().into_dyn()
        ),
        "b1"
    );
    assert!(
        moved(
            after.w2().into_dyn(),
            m.w2().into_dyn(),
            g.w2.view().into_dyn()
        ),
        "W2"
    );
    assert!(
        moved(
            after.b2().into_dyn(),
            m.b2().into_dyn(),
            g.b2.view().into_dyn()
        ),
        "b2"
    );
}

#[test]
fn train_logs_the_first_every_nth_and_the_last_step() {
    use crate::{fcann2_train, TrainParams};
    use rand::SeedableRng;
    let x = arr2(&[[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [-1.0, 0.5]]);
    let y = [0, 1, 1, 0];
    let params = TrainParams {
        niter: 7,
        log_every: 3,
        ..TrainParams::default()
    };
    let mut seen = Vec::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let (model, log) =
        fcann2_train(x.view(), &y, &params, &mut rng, |i, l, _| seen.push((i, l))).unwrap();
    let steps: Vec<usize> = log.losses.iter().map(|l| l.0).collect();
    assert_eq!(steps, [1, 3, 6, 7]);
    assert_eq!(seen, log.losses);
    // The same seven steps taken one by one from the same initial weights.
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let mut t = crate::Trainer::new(x.view(), &y, &params, &mut rng).unwrap();
    let mut losses = Vec::new();
    for _ in 0..7 {
        losses.push(t.step_with_loss());
    }
    assert_eq!(log.initial_loss, losses[0]);
    assert_eq!(log.final_loss, losses[6]);
    assert_eq!(log.losses[1].1, losses[2]);
    assert_eq!(&model, t.model());
}
