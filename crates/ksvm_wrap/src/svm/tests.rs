//! The model through its public API: the reference numbers, agreement with
//! linfa-svm and between the two backends, support vectors, one-vs-one on
//! separable blobs, and every bad input as a typed error.

use crate::{Backend, Gamma, KSVMWrap, Kernel, KsvmError, KsvmParams};
use linfa::prelude::*;
use linfa::Dataset;
use linfa_svm::Svm;
use metrics::argmax;
use ndarray::{arr2, Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// What linfa treats as a non-zero α (its `nsupport` threshold).
fn is_support(alpha: f64) -> bool {
    alpha.abs() > 100.0 * f64::EPSILON
}

fn gmm(seed: u64, k: usize, c: usize, n: usize) -> (Array2<f64>, Vec<usize>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (x, y) = data::sample_gmm_2d(k, c, n, &mut rng).expect("valid gmm arguments");
    (x, y.to_vec())
}

fn correct(pred: &[usize], y: &[usize]) -> usize {
    pred.iter().zip(y).filter(|(p, t)| p == t).count()
}

/// Four tight blobs (σ = 0.3) at the corners of a 20 × 20 square, labelled
/// 2, 5, 7, 9 (not 0..C, to check the label bookkeeping).
fn blobs(seed: u64, n: usize) -> (Array2<f64>, Vec<usize>) {
    let centres = [(0.0, 0.0), (20.0, 0.0), (0.0, 20.0), (20.0, 20.0)];
    let labels = [2, 5, 7, 9];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.3).expect("σ > 0");
    let mut x = Array2::zeros((4 * n, 2));
    let mut y = Vec::new();
    for (k, &(cx, cy)) in centres.iter().enumerate() {
        for i in 0..n {
            x[[k * n + i, 0]] = cx + noise.sample(&mut rng);
            x[[k * n + i, 1]] = cy + noise.sample(&mut rng);
            y.push(labels[k]);
        }
    }
    (x, y)
}

#[test]
fn reference_toy_accuracy_and_support_count() {
    // Measured with seed 100 on sample_gmm_2d(6, 2, 10), C = 1, γ = auto
    // (0.5), tolerance 1e-3: 56 of 60 points right (accuracy 0.9333) and
    // 46 support vectors (linfa's own `nsupport` agrees).
    let (x, y) = gmm(100, 6, 2, 10);
    let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    assert_eq!(m.gamma(), Some(0.5));
    assert_eq!(m.classes(), &[0, 1]);
    let pred = m.predict(x.view()).unwrap();
    assert_eq!(correct(&pred, &y), 56);
    assert_eq!(m.n_support(), 46);
    assert_eq!(m.pair_support(), &[46]);
    // 'auto' is 1/D: the same model as an explicit γ = 0.5.
    let explicit = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Value(0.5)).unwrap();
    assert_eq!(
        explicit.decision_function(x.view()).unwrap(),
        m.decision_function(x.view()).unwrap()
    );
}

#[test]
fn decision_values_match_linfa() {
    // Our batched kernel evaluation against linfa's weighted_sum − rho,
    // and our support set against the non-zero α of linfa's model.
    let (x, y) = gmm(3, 6, 2, 10);
    let m = KSVMWrap::new(x.view(), &y, 2.0, Gamma::Value(0.8)).unwrap();
    let targets = Array1::from(y.iter().map(|&c| c == 1).collect::<Vec<_>>());
    let linfa_model = Svm::<f64, bool>::params()
        .pos_neg_weights(2.0, 2.0)
        .gaussian_kernel(1.0 / 0.8)
        .eps(1e-3)
        .fit(&Dataset::new(x.clone(), targets))
        .unwrap();
    let f = m.decision_function(x.view()).unwrap();
    for (i, row) in x.outer_iter().enumerate() {
        let want = linfa_model.weighted_sum(&row) - linfa_model.rho;
        assert!((f[[i, 0]] - want).abs() < 1e-10, "{} vs {want}", f[[i, 0]]);
    }
    let want: Vec<usize> = (0..y.len())
        .filter(|&i| is_support(linfa_model.alpha[i]))
        .collect();
    assert_eq!(m.support(), want);
    assert_eq!(m.n_support(), linfa_model.nsupport());
}

#[test]
fn support_indices_are_valid_and_sufficient() {
    for seed in [100, 1, 2, 7] {
        let (x, y) = gmm(seed, 6, 2, 10);
        let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
        let s = m.support();
        assert!(!s.is_empty());
        assert!(s.iter().all(|&i| i < x.nrows()));
        assert!(s.windows(2).all(|w| w[0] < w[1]), "ascending, unique");
        // The points with α = 0 do not shape the solution: a model trained
        // on the support vectors alone classifies every training point alike.
        let ys: Vec<usize> = s.iter().map(|&i| y[i]).collect();
        let m2 = KSVMWrap::new(x.select(Axis(0), &s).view(), &ys, 1.0, Gamma::Auto).unwrap();
        assert_eq!(
            m2.predict(x.view()).unwrap(),
            m.predict(x.view()).unwrap(),
            "seed {seed}"
        );
    }
}

#[test]
fn binary_decision_sign_scores_and_predict_agree() {
    let (x, y) = gmm(5, 6, 2, 10);
    let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    // Points beyond the training set too: a grid over the square.
    let grid = Array2::from_shape_fn((400, 2), |(i, k)| {
        if k == 0 {
            (i % 20) as f64 * 0.6 - 1.0
        } else {
            (i / 20) as f64 * 0.6 - 1.0
        }
    });
    for pts in [x.view(), grid.view()] {
        let f = m.decision_function(pts).unwrap();
        let scores = m.get_scores(pts).unwrap();
        let pred = m.predict(pts).unwrap();
        assert_eq!(f.ncols(), 1);
        assert_eq!(scores.dim(), (pts.nrows(), 2));
        for i in 0..pts.nrows() {
            assert_eq!(pred[i], usize::from(f[[i, 0]] >= 0.0));
            assert_eq!(pred[i], argmax(scores.row(i)));
        }
    }
    // Column 1 of the scores ranks points as the decision value does: same AP.
    let f = m.decision_function(x.view()).unwrap();
    let s = m.get_scores(x.view()).unwrap();
    let labels: Vec<bool> = y.iter().map(|&c| c == 1).collect();
    let ap_f = metrics::eval_ap_from_scores(&f.column(0).to_vec(), &labels).unwrap();
    let ap_s = metrics::eval_ap_from_scores(&s.column(1).to_vec(), &labels).unwrap();
    assert_eq!(ap_f, ap_s);
}

#[test]
fn one_vs_one_separates_four_blobs() {
    let (x, y) = blobs(11, 15);
    let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    assert_eq!(m.classes(), &[2, 5, 7, 9]);
    assert_eq!(m.pairs().len(), 6, "4 classes give 4·3/2 binary SVMs");
    assert_eq!(m.pairs()[0], (2, 5));
    assert_eq!(m.predict(x.view()).unwrap(), y);
    // New points from the same blobs.
    let (xt, yt) = blobs(12, 10);
    assert_eq!(m.predict(xt.view()).unwrap(), yt);
    // The union of the pairs' support vectors, mapped to training indices.
    let s = m.support();
    assert!(!s.is_empty() && s.iter().all(|&i| i < x.nrows()));
    assert!(s.len() <= m.pair_support().iter().sum::<usize>());
    for label in [2, 5, 7, 9] {
        assert!(s.iter().any(|&i| y[i] == label), "class {label} has SVs");
    }
    let scores = m.get_scores(x.view()).unwrap();
    assert_eq!(scores.dim(), (60, 4));
    // The winner of a well-separated point beats every other class: 3 votes.
    assert!(scores
        .rows()
        .into_iter()
        .all(|r| r.iter().any(|&v| v > 2.9)));
}

#[test]
fn smo_backend_agrees_with_linfa() {
    for (seed, k, c, n, gamma) in [
        (100, 6, 2, 10, Gamma::Auto),
        (3, 8, 3, 30, Gamma::Value(0.2)),
        (7, 10, 4, 25, Gamma::Auto),
    ] {
        let (x, y) = gmm(seed, k, c, n);
        let fit = |backend| {
            let p = KsvmParams {
                backend,
                kernel: Kernel::Rbf { gamma },
                tol: 1e-4,
                ..KsvmParams::default()
            };
            KSVMWrap::fit(x.view(), &y, &p).unwrap()
        };
        let (lin, smo) = (fit(Backend::Linfa), fit(Backend::Smo));
        let (fl, fs) = (
            lin.decision_function(x.view()).unwrap(),
            smo.decision_function(x.view()).unwrap(),
        );
        let scale = fl.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let worst = (&fl - &fs).iter().fold(0.0f64, |m, v| m.max(v.abs())) / scale;
        assert!(
            worst < 1e-3,
            "seed {seed}: decision values differ by {worst} (relative)"
        );
        // Same predictions wherever the decision is not a near-tie.
        let (pl, ps) = (
            lin.predict(x.view()).unwrap(),
            smo.predict(x.view()).unwrap(),
        );
        let disagree = pl.iter().zip(&ps).filter(|(a, b)| a != b).count();
        assert_eq!(disagree, 0, "seed {seed}");
    }
}

#[test]
fn bad_hyper_parameters_are_typed_errors() {
    let (x, y) = gmm(100, 6, 2, 10);
    let fit = |c: f64, g: Gamma| KSVMWrap::new(x.view(), &y, c, g);
    assert!(matches!(fit(0.0, Gamma::Auto), Err(KsvmError::BadC(c)) if c == 0.0));
    assert!(matches!(fit(-1.0, Gamma::Auto), Err(KsvmError::BadC(_))));
    assert!(matches!(
        fit(f64::NAN, Gamma::Auto),
        Err(KsvmError::BadC(_))
    ));
    assert!(matches!(
        fit(f64::INFINITY, Gamma::Auto),
        Err(KsvmError::BadC(_))
    ));
    for g in [0.0, -0.5, f64::NAN, f64::INFINITY, 1e-320] {
        assert!(
            matches!(fit(1.0, Gamma::Value(g)), Err(KsvmError::BadGamma(_))),
            "gamma {g}"
        );
    }
    let p = KsvmParams {
        cache_mb: 0,
        ..KsvmParams::default()
    };
    assert!(matches!(
        KSVMWrap::fit(x.view(), &y, &p),
        Err(KsvmError::BadCache(0))
    ));
    let p = KsvmParams {
        tol: 0.0,
        ..KsvmParams::default()
    };
    assert!(matches!(
        KSVMWrap::fit(x.view(), &y, &p),
        Err(KsvmError::BadTolerance(_))
    ));
}

#[test]
fn bad_data_are_typed_errors() {
    let x = arr2(&[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]);
    let fit = |x: ArrayView2<f64>, y: &[usize]| KSVMWrap::new(x, y, 1.0, Gamma::Auto);
    assert!(matches!(
        fit(x.view(), &[0, 1]),
        Err(KsvmError::LengthMismatch { x: 3, y: 2 })
    ));
    assert!(matches!(
        fit(Array2::zeros((0, 2)).view(), &[]),
        Err(KsvmError::Empty)
    ));
    assert!(matches!(
        fit(Array2::zeros((2, 0)).view(), &[0, 1]),
        Err(KsvmError::NoFeatures)
    ));
    assert!(matches!(
        fit(x.view(), &[4, 4, 4]),
        Err(KsvmError::SingleClass(4))
    ));
    let mut bad = x.clone();
    bad[[2, 1]] = f64::NAN;
    assert!(matches!(
        fit(bad.view(), &[0, 1, 1]),
        Err(KsvmError::NonFinite { row: 2, col: 1, .. })
    ));
    bad[[2, 1]] = f64::NEG_INFINITY;
    assert!(matches!(
        fit(bad.view(), &[0, 1, 1]),
        Err(KsvmError::NonFinite { row: 2, col: 1, .. })
    ));

    let m = fit(x.view(), &[0, 1, 1]).unwrap();
    let three = Array2::<f64>::zeros((4, 3));
    assert!(matches!(
        m.predict(three.view()),
        Err(KsvmError::InputDim {
            expected: 2,
            found: 3
        })
    ));
    assert!(matches!(
        m.get_scores(three.view()),
        Err(KsvmError::InputDim { .. })
    ));
    assert!(matches!(
        m.predict(bad.view()),
        Err(KsvmError::NonFinite { row: 2, .. })
    ));
    assert!(m.predict(Array2::zeros((0, 2)).view()).unwrap().is_empty());
}

#[test]
fn the_svm_fits_a_three_class_mixture() {
    // sample_gauss_2d(3, 30) with seed 7, C = 1, γ = auto: measured 90 of 90
    // training points right (the three Gaussians of this draw barely overlap).
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (x, y) = data::sample_gauss_2d(3, 30, &mut rng).unwrap();
    let y = y.to_vec();
    let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    assert_eq!(m.pairs(), [(0, 1), (0, 2), (1, 2)]);
    let pred = m.predict(x.view()).unwrap();
    assert_eq!(correct(&pred, &y), 90);
}

#[test]
fn gamma_scale_is_resolved_on_the_training_inputs() {
    let (x, y) = gmm(100, 6, 2, 10);
    let p = KsvmParams {
        kernel: Kernel::Rbf {
            gamma: Gamma::Scale,
        },
        ..KsvmParams::default()
    };
    let m = KSVMWrap::fit(x.view(), &y, &p).unwrap();
    let want = 1.0 / (2.0 * x.var(0.0));
    assert_eq!(m.gamma(), Some(want));
    let flat = Array2::<f64>::ones((4, 2));
    assert!(matches!(
        KSVMWrap::fit(flat.view(), &[0, 1, 0, 1], &p),
        Err(KsvmError::ZeroVariance)
    ));
}

#[test]
fn class_scores_need_every_label_below_c() {
    let x = arr2(&[[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]);
    let m = KSVMWrap::new(x.view(), &[0, 3, 3], 1.0, Gamma::Auto).unwrap();
    let s = m.class_scores(x.view(), 4).unwrap();
    assert_eq!(s.dim(), (3, 4));
    assert!(
        s.column(1).iter().all(|&v| v == 0.0),
        "absent label: zero column"
    );
    assert!(matches!(
        m.class_scores(x.view(), 3),
        Err(KsvmError::LabelOutOfRange {
            label: 3,
            classes: 3
        })
    ));
}

#[test]
fn fit_stats_count_the_smo_kernel_rows_by_hand() {
    use crate::pairs::PairFit;
    use crate::svm::FitStats;
    let fit = |rows| PairFit {
        alpha: vec![],
        rho: 0.0,
        kernel_rows: rows,
    };
    // Two pairs of 3 and 2 points in 4-D; 2 and 1 kernel rows computed:
    // 2·4·(3·2 + 2·1) = 64 FLOPs.
    let rows = [vec![0, 1, 2], vec![3, 4]];
    let s = FitStats::of(&[fit(Some(2)), fit(Some(1))], &rows, 4);
    assert_eq!(s.kernel_rows, Some(3));
    assert_eq!(s.kernel_flops, Some(64.0));
    // One pair from linfa-svm, which does not count: no figure at all.
    let s = FitStats::of(&[fit(Some(2)), fit(None)], &rows, 4);
    assert_eq!((s.kernel_rows, s.kernel_flops), (None, None));

    // A real fit: the SMO backend counts, linfa-svm does not.
    let (x, y) = gmm(5, 3, 3, 30);
    let smo = KsvmParams {
        backend: Backend::Smo,
        ..Default::default()
    };
    let (_, s) = KSVMWrap::fit_with_stats(x.view(), &y, &smo, &mut |_, _| {}).unwrap();
    let k = s.kernel_rows.unwrap();
    assert!(k >= 3, "every pair computes at least one row, got {k}");
    let linfa = KsvmParams {
        backend: Backend::Linfa,
        ..smo
    };
    let (_, s) = KSVMWrap::fit_with_stats(x.view(), &y, &linfa, &mut |_, _| {}).unwrap();
    assert_eq!(s.kernel_flops, None);
}
