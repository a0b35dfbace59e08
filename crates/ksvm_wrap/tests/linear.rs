//! The course's linear SVM: the linear kernel `x · y` through the same
//! one-vs-one machinery as the RBF SVM, with both backends.
//!
//! Three well-separated blobs (σ = 0.5, centres at least 9.4 apart): every pair
//! is linearly separable with room to spare, so with C = 1 the soft margin is
//! a hard one, every point lies on or outside its pair's margin (y·f ≥ 1 up to
//! the solver's tolerance 1e-3), and the vote is unanimous.

use ksvm_wrap::{Backend, Gamma, KSVMWrap, Kernel, KsvmParams, ResolvedKernel};
use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// `n` points around each of `centres`, labelled 0, 1, 2, … in order.
fn blobs(seed: u64, centres: &[(f64, f64)], sigma: f64, n: usize) -> (Array2<f64>, Vec<usize>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, sigma).expect("σ > 0");
    let mut x = Array2::zeros((centres.len() * n, 2));
    let mut y = Vec::new();
    for (k, &(cx, cy)) in centres.iter().enumerate() {
        for i in 0..n {
            x[[k * n + i, 0]] = cx + noise.sample(&mut rng);
            x[[k * n + i, 1]] = cy + noise.sample(&mut rng);
            y.push(k);
        }
    }
    (x, y)
}

const THREE: [(f64, f64); 3] = [(0.0, 0.0), (10.0, 0.0), (5.0, 8.0)];

fn linear(backend: Backend) -> KsvmParams {
    KsvmParams {
        kernel: Kernel::Linear,
        backend,
        ..KsvmParams::default()
    }
}

#[test]
fn every_pair_separates_its_two_classes_and_the_vote_is_unanimous() {
    let (x, y) = blobs(1, &THREE, 0.5, 20);
    for backend in [Backend::Linfa, Backend::Smo] {
        let m = KSVMWrap::fit(x.view(), &y, &linear(backend)).unwrap();
        assert_eq!(m.kernel(), ResolvedKernel::Linear);
        assert_eq!(m.gamma(), None);
        assert_eq!(m.pairs(), [(0, 1), (0, 2), (1, 2)]);
        let f = m.decision_function(x.view()).unwrap();
        for (p, &(a, b)) in m.pairs().iter().enumerate() {
            // Every point of the pair on its side, outside the margin: y·f ≥ 1 − tolerance.
            let worst = (0..y.len())
                .filter(|&i| y[i] == a || y[i] == b)
                .map(|i| if y[i] == b { f[[i, p]] } else { -f[[i, p]] })
                .fold(f64::INFINITY, f64::min);
            assert!(worst >= 0.99, "{backend:?} pair {a}-{b}: margin {worst}");
            // A hard-margin solution has support vectors on both sides and few of them.
            assert!(
                (2..=6).contains(&m.pair_support()[p]),
                "{backend:?} pair {a}-{b}"
            );
        }
        // The vote: the true class wins both of its pairs (2 votes of 2), on the
        // training points and on fresh points from the same blobs.
        let scores = m.get_scores(x.view()).unwrap();
        for (i, &label) in y.iter().enumerate() {
            assert!(scores[[i, label]] > 1.9, "{backend:?} point {i}");
        }
        assert_eq!(m.predict(x.view()).unwrap(), y);
        let (xt, yt) = blobs(2, &THREE, 0.5, 50);
        assert_eq!(
            m.predict(xt.view()).unwrap(),
            yt,
            "{backend:?} fresh points"
        );
    }
}

#[test]
fn the_decision_values_are_affine_hyperplanes() {
    let (x, y) = blobs(3, &THREE, 0.5, 20);
    let m = KSVMWrap::fit(x.view(), &y, &linear(Backend::Auto)).unwrap();
    let w = m
        .linear_weights()
        .expect("a linear model keeps its hyperplanes");
    assert_eq!(w.dim(), (2, 3));
    let f = m.decision_function(x.view()).unwrap();
    let want = x.dot(&w) - m.rho();
    assert!((&f - &want).iter().all(|v| v.abs() < 1e-12));
    // Affine: the value at a midpoint is the mean of the values at the ends.
    let (a, b) = (x.row(0), x.row(45));
    let mid = ((&a + &b) / 2.0).insert_axis(Axis(0));
    let fm = m.decision_function(mid.view()).unwrap();
    for p in 0..3 {
        assert!((fm[[0, p]] - (f[[0, p]] + f[[45, p]]) / 2.0).abs() < 1e-12);
    }
    // The RBF model keeps no hyperplanes.
    let rbf = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    assert!(rbf.linear_weights().is_none());
}

#[test]
fn both_backends_and_linfa_itself_agree() {
    let (x, y) = blobs(4, &THREE, 0.5, 20);
    let p = |backend| KsvmParams {
        tol: 1e-4,
        ..linear(backend)
    };
    let lin = KSVMWrap::fit(x.view(), &y, &p(Backend::Linfa)).unwrap();
    let smo = KSVMWrap::fit(x.view(), &y, &p(Backend::Smo)).unwrap();
    let (wl, ws) = (lin.linear_weights().unwrap(), smo.linear_weights().unwrap());
    let scale = wl.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let worst = (&wl - &ws).iter().fold(0.0f64, |m, v| m.max(v.abs())) / scale;
    assert!(worst < 1e-2, "hyperplanes differ by {worst} (relative)");
    assert!((lin.rho() - smo.rho()).iter().all(|d| d.abs() < 1e-2));
    assert_eq!(lin.support(), smo.support());
    // Pair (0, 1) against linfa's own linear model on the same points.
    let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] < 2).collect();
    let xp = x.select(Axis(0), &rows);
    let targets = Array1::from(rows.iter().map(|&i| y[i] == 1).collect::<Vec<_>>());
    let model = Svm::<f64, bool>::params()
        .linear_kernel()
        .pos_neg_weights(1.0, 1.0)
        .eps(1e-4)
        .fit(&Dataset::new(xp.clone(), targets))
        .unwrap();
    let f = lin.decision_function(xp.view()).unwrap();
    for (r, row) in xp.outer_iter().enumerate() {
        let want = model.weighted_sum(&row) - model.rho;
        assert!((f[[r, 0]] - want).abs() < 1e-9, "{} vs {want}", f[[r, 0]]);
    }
}

#[test]
fn a_line_cannot_separate_xor_but_the_rbf_kernel_can() {
    // Four blobs at the corners of a square, opposite corners in the same class.
    let corners = [(0.0, 0.0), (4.0, 4.0), (4.0, 0.0), (0.0, 4.0)];
    let (x, y4) = blobs(5, &corners, 0.4, 15);
    let y: Vec<usize> = y4.iter().map(|&k| k / 2).collect();
    let acc = |m: &KSVMWrap| {
        let p = m.predict(x.view()).unwrap();
        p.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
    };
    let lin = KSVMWrap::fit(x.view(), &y, &linear(Backend::Auto)).unwrap();
    let rbf = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    // A line gets at most three of the four blobs right; with seed 5 it does
    // (measured 0.750). The RBF kernel gets all of them (1.000).
    assert_eq!(acc(&lin), 0.75);
    assert_eq!(acc(&rbf), 1.0);
}
