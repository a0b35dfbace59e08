//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use crate::loss::contrastive;
use crate::ncm::{class_means, predict};
use ndarray::arr2;
use tch::Tensor;

#[test]
fn ncm_on_other_values_uses_euclidean_distance() {
    // Class means (0, 0), (3, 1) and (−5, 5), from rows in mixed order.
    let x = arr2(&[
        [3.0f32, 1.0],
        [-1.0, 0.5],
        [-6.0, 4.0],
        [1.0, -0.5],
        [-4.0, 6.0],
        [0.0, 0.0],
    ]);
    let y = [1, 0, 2, 0, 2, 0];
    let m = class_means(x.view(), &y, 3).unwrap();
    let want = arr2(&[[0.0, 0.0], [3.0, 1.0], [-5.0, 5.0]]);
    assert!((&m - &want).iter().all(|d| d.abs() < 1e-12), "means {m}");
    // (1.9, −0.5) is nearer (3, 1) in Euclidean distance (3.46 < 3.86, squared)
    // but nearer (0, 0) in L1 (2.4 < 2.6).
    let test = arr2(&[[1.9f32, -0.5], [-2.0, 2.0], [-4.9, 4.9]]);
    assert_eq!(predict(m.view(), test.view()), vec![1, 0, 2]);
}

#[test]
fn contrastive_on_other_values() {
    // z's third row has no partner. Pairs: (3,4)·(4,−3): cos 0; (1,0)·(−2,0): cos −1.
    let z = Tensor::from_slice2(&[[3.0f32, 4.0], [1.0, 0.0], [0.0, 2.0]]);
    let neg = Tensor::from_slice2(&[[4.0f32, -3.0], [-2.0, 0.0]]);
    let got = contrastive(&z, &neg, 0.25).double_value(&[]);
    let want = (2f64.ln() + (1.0 + (-4f64).exp()).ln()) / 2.0;
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
}
