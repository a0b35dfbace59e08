//! # Assignment 9 · `svm`: support vector machines for comparison
//!
//! Task: an RBF kernel SVM through `ksvm_wrap` (one-vs-one: 45 binary SVMs
//! and a vote, as scikit-learn's SVC does; C = 1, γ = 1/(D·Var(X)), which is
//! scikit-learn's 'scale'), trained on the first `svm_train` images; compare
//! it with the deep models in accuracy, training time and model size.
//! The course's linear SVM goes through the same one-vs-one machinery with a
//! linear kernel, on the first `svm_linear_train` images (1,000 quick, 10,000
//! full: SMO converges slowly on raw pixels with a linear kernel).
//! Extra, not the course's linear SVM: a linear model trained by SGD on the
//! multi-class (Weston–Watkins) hinge loss, Σ_{j≠y} max(0, 1 + s_j − s_y)
//! + λ/2·‖W‖², on every training image.
//!
//! Expect (`--full`, all 60,000 images): RBF 0.979 test accuracy with about
//! 12,300 support vectors, close to the best deep net; the hinge model about
//! 0.92, like logistic regression. Quick mode (10,000 images): RBF 0.96.

use std::time::Instant;

use pt_deep::{Activation, PTDeep};
use serde::Serialize;
use tch::{nn::VarStore, Kind, Tensor};

use crate::assignment::Assignment;
use crate::run::Ctx;
use crate::train::{evaluate, train_mb, Optimizer};
use crate::ShootoutError;

/// The RBF SVM's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Rbf {
    pub backend: ksvm_wrap::Backend,
    pub n_train: usize,
    pub n_test: usize,
    pub c: f64,
    pub gamma: f64,
    pub gamma_rule: &'static str,
    pub pairs: usize,
    pub test_accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub n_support: usize,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
}

/// The linear-kernel SVM, one-vs-one.
#[derive(Debug, Clone, Serialize)]
pub struct LinearOvo {
    pub n_train: usize,
    pub n_test: usize,
    pub c: f64,
    pub pairs: usize,
    pub test_accuracy: f64,
    pub n_support: usize,
    pub fit_seconds: f64,
}

/// The extra linear model with the multi-class hinge loss.
#[derive(Debug, Clone, Serialize)]
pub struct Hinge {
    pub loss: &'static str,
    pub lambda: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub train_seconds: f64,
    pub epoch_loss: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SvmReport {
    pub rbf: Rbf,
    pub linear_ovo: LinearOvo,
    pub linear_hinge_extra: Hinge,
}

/// λ of the hinge model.
const HINGE_LAMBDA: f64 = 1e-4;

pub fn run(cx: &mut Ctx) -> Result<SvmReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let (n_tr, n_te) = (cfg.svm_train, cfg.svm_test);
    let x = data
        .train
        .images
        .slice(ndarray::s![..n_tr, ..])
        .mapv(f64::from);
    let y = &data.train.labels[..n_tr];
    let xt = data
        .test
        .images
        .slice(ndarray::s![..n_te, ..])
        .mapv(f64::from);
    // gamma = 1 / (D · Var(X)), scikit-learn's 'scale'.
    let var = x.var(0.0);
    if var.is_nan() || var <= 0.0 {
        return Err(ShootoutError::SvmConstantInputs { n: n_tr });
    }
    let gamma = 1.0 / (x.ncols() as f64 * var);
    let params = cfg.svm_params(ksvm_wrap::Kernel::Rbf {
        gamma: ksvm_wrap::Gamma::Value(gamma),
    });
    let t0 = Instant::now();
    let pb = labkit::progress(45, "RBF SVM pairs");
    let svm = ksvm_wrap::KSVMWrap::fit_with_progress(x.view(), y, &params, &mut |done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    })?;
    pb.finish_and_clear();
    let fit_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pred = svm.predict(xt.view())?;
    let predict_s = t1.elapsed().as_secs_f64();
    let rbf = metrics::eval_perf_multi(&pred, &data.test.labels[..n_te], Some(10))?;
    let backend = format!("{:?}", cfg.svm_backend).to_lowercase();
    cx.row(
        Assignment::Svm,
        &format!("RBF SVM one-vs-one ({backend}, {n_tr} train)"),
        None,
        None,
        rbf.accuracy,
        fit_s,
    );

    // The course's linear SVM: the same one-vs-one machinery, linear kernel.
    let n_lin = cfg.svm_linear_train.min(n_tr);
    let t0 = Instant::now();
    let pb = labkit::progress(45, "linear SVM pairs");
    let lin_svm = ksvm_wrap::KSVMWrap::fit_with_progress(
        x.slice(ndarray::s![..n_lin, ..]),
        &y[..n_lin],
        &cfg.svm_params(ksvm_wrap::Kernel::Linear),
        &mut |done, total| {
            pb.set_length(total as u64);
            pb.set_position(done as u64);
        },
    )?;
    pb.finish_and_clear();
    let lin_fit_s = t0.elapsed().as_secs_f64();
    let lin_pred = lin_svm.predict(xt.view())?;
    let lin_perf = metrics::eval_perf_multi(&lin_pred, &data.test.labels[..n_te], Some(10))?;
    cx.row(
        Assignment::Svm,
        &format!("linear SVM one-vs-one ({backend}, {n_lin} train)"),
        None,
        None,
        lin_perf.accuracy,
        lin_fit_s,
    );
    let linear_ovo = LinearOvo {
        n_train: n_lin,
        n_test: n_te,
        c: cfg.svm_c,
        pairs: lin_svm.pairs().len(),
        test_accuracy: lin_perf.accuracy,
        n_support: lin_svm.n_support(),
        fit_seconds: lin_fit_s,
    };

    // Extra: scores X·W + b, Weston–Watkins hinge, λ/2·‖W‖², SGD.
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(cfg.device);
    let lin = PTDeep::new(&vs.root(), &[784, 10], Activation::Relu)?;
    let spec = cfg.spec(Optimizer::Sgd, cfg.lr, HINGE_LAMBDA);
    let hinge = |x: &Tensor, y: &Tensor| {
        let s = lin.logits_t(x, true);
        let sy = s.gather(1, &y.unsqueeze(1), false);
        let margins = (s - sy + 1.0).clamp_min(0.0);
        // The sum includes j = y, whose margin is exactly 1: subtract it.
        let total = margins.sum_dim_intlist([1i64].as_slice(), false, Kind::Float) - 1.0;
        total.mean(Kind::Float) + lin.weights()[0].square().sum(Kind::Float) * (HINGE_LAMBDA / 2.0)
    };
    let hist = train_mb(&vs, &data.train, &spec, "linear hinge", &hinge, |_, _| {
        Ok(())
    })?;
    let lin_train = evaluate(&lin, &data.train)?.accuracy;
    let lin_test = evaluate(&lin, &data.test)?.accuracy;
    cx.row(
        Assignment::Svm,
        "extra: linear, multi-class hinge (SGD)",
        Some(lin_train),
        None,
        lin_test,
        hist.seconds,
    );
    Ok(SvmReport {
        rbf: Rbf {
            backend: cfg.svm_backend,
            n_train: n_tr,
            n_test: n_te,
            c: cfg.svm_c,
            gamma,
            gamma_rule: "scale = 1/(D·Var(X))",
            pairs: svm.pairs().len(),
            test_accuracy: rbf.accuracy,
            precision: rbf.precision,
            recall: rbf.recall,
            n_support: svm.n_support(),
            fit_seconds: fit_s,
            predict_seconds: predict_s,
        },
        linear_ovo,
        linear_hinge_extra: Hinge {
            loss: "Weston-Watkins multi-class hinge + λ/2·‖W‖² (an extra, not the one-vs-one linear SVM)",
            lambda: HINGE_LAMBDA,
            train_accuracy: lin_train,
            test_accuracy: lin_test,
            train_seconds: hist.seconds,
            epoch_loss: hist.epoch_loss,
        },
    })
}
