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
