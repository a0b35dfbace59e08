//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use crate::{Gamma, KSVMWrap};
use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use ndarray::{Array1, Array2};
use rand::SeedableRng;

#[test]
fn wrapper_on_other_labels_and_gamma() {
    // Labels 4 and 6 (6 is the positive class), γ = 0.3, C = 0.7.
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let (x, y) = data::sample_gmm_2d(5, 2, 12, &mut rng).unwrap();
    let y: Vec<usize> = y.iter().map(|&c| if c == 1 { 6 } else { 4 }).collect();
    let m = KSVMWrap::new(x.view(), &y, 0.7, Gamma::Value(0.3)).unwrap();
    assert_eq!(m.classes(), &[4, 6]);
    let targets = Array1::from(y.iter().map(|&c| c == 6).collect::<Vec<_>>());
    let reference = Svm::<f64, bool>::params()
        .pos_neg_weights(0.7, 0.7)
        .gaussian_kernel(1.0 / 0.3)
        .eps(1e-3)
        .fit(&Dataset::new(x.clone(), targets))
        .unwrap();
    // New points too: a grid around the data.
    let grid = Array2::from_shape_fn((100, 2), |(i, k)| {
        if k == 0 {
            (i % 10) as f64 * 1.2 - 1.0
        } else {
            (i / 10) as f64 * 1.2 - 1.0
        }
    });
    for pts in [x.view(), grid.view()] {
        let f = m.decision_function(pts).unwrap();
        let pred = m.predict(pts).unwrap();
        let scores = m.get_scores(pts).unwrap();
        assert_eq!(scores.dim(), (pts.nrows(), 2));
        for (i, row) in pts.outer_iter().enumerate() {
            let want = reference.weighted_sum(&row) - reference.rho;
            assert!((f[[i, 0]] - want).abs() < 1e-9, "{} vs {want}", f[[i, 0]]);
            assert_eq!(pred[i], if want >= 0.0 { 6 } else { 4 });
            assert_eq!(scores[[i, 1]] > scores[[i, 0]], want >= 0.0);
        }
    }
    let want: Vec<usize> = (0..y.len())
        .filter(|&i| reference.alpha[i].abs() > 100.0 * f64::EPSILON)
        .collect();
    assert_eq!(m.support(), want);
    assert_eq!(m.n_support(), want.len());
}
