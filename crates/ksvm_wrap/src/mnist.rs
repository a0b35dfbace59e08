//! RBF SVM on MNIST: `ksvm_wrap mnist` (fit and predict times, accuracy,
//! support vectors, memory peak) and the backend benchmark on 10,000 images.

use std::path::Path;
use std::time::Instant;

use ndarray::{s, Array2};
use serde::Serialize;

use crate::{Backend, Gamma, KSVMWrap, KsvmError, KsvmParams};

/// One fit + predict on MNIST.
#[derive(Debug, Clone, Serialize)]
pub struct MnistRun {
    pub backend: Backend,
    pub n_train: usize,
    pub n_test: usize,
    pub c: f64,
    pub gamma: f64,
    pub cache_mb: usize,
    pub threads: usize,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
    pub test_accuracy: f64,
    pub n_support: usize,
    /// Peak resident memory of the process so far (Linux VmHWM), in MiB.
    pub peak_memory_mib: Option<f64>,
}

/// Training and test images as f64 rows in [0, 1] with their labels.
#[derive(Debug)]
pub struct MnistData {
    pub x_train: Array2<f64>,
    pub y_train: Vec<usize>,
    pub x_test: Array2<f64>,
    pub y_test: Vec<usize>,
}

/// Loads the first `n_train` / `n_test` images of an MNIST-format folder.
pub fn load(
    dir: &Path,
    n_train: usize,
    n_test: usize,
) -> Result<MnistData, data::mnist::MnistError> {
    let m = data::mnist::load_mnist(dir)?;
    let (tr, te) = (m.train.head(n_train), m.test.head(n_test));
    Ok(MnistData {
        x_train: tr.images.mapv(f64::from),
        y_train: tr.labels.to_vec(),
        x_test: te.images.mapv(f64::from),
        y_test: te.labels.to_vec(),
    })
}

/// scikit-learn's gamma = 'scale': 1 / (D · Var(X)).
pub fn gamma_scale(x: &Array2<f64>) -> f64 {
    1.0 / (x.ncols() as f64 * x.var(0.0).max(1e-12))
}

/// Peak resident set size of this process in MiB (None off Linux).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Fits on the first `n` training images and scores the test images.
pub fn fit_and_score(
    d: &MnistData,
    n: usize,
    params: &KsvmParams,
    on_pair: &mut dyn FnMut(usize, usize),
) -> Result<MnistRun, KsvmError> {
    let n = n.min(d.x_train.nrows());
    let x = d.x_train.slice(s![..n, ..]);
    let y = &d.y_train[..n];
    let t0 = Instant::now();
    let svm = KSVMWrap::fit_with_progress(x, y, params, on_pair)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pred = svm.predict(d.x_test.view())?;
    let predict_seconds = t1.elapsed().as_secs_f64();
    let correct = pred.iter().zip(&d.y_test).filter(|(a, b)| a == b).count();
    Ok(MnistRun {
        backend: params.backend,
        n_train: n,
        n_test: d.y_test.len(),
        c: params.c,
        gamma: svm.gamma(),
        cache_mb: params.cache_mb,
        threads: std::thread::available_parallelism().map_or(1, |t| t.get()),
        fit_seconds,
        predict_seconds,
        test_accuracy: correct as f64 / d.y_test.len().max(1) as f64,
        n_support: svm.n_support(),
        peak_memory_mib: peak_memory_mib(),
    })
}

/// Parameters for MNIST: C, γ = 'scale' of the training images, a backend.
pub fn params_for(
    d: &MnistData,
    n: usize,
    c: f64,
    backend: Backend,
    cache_mb: usize,
) -> KsvmParams {
    let g = gamma_scale(
        &d.x_train
            .slice(s![..n.min(d.x_train.nrows()), ..])
            .to_owned(),
    );
    KsvmParams {
        c,
        gamma: Gamma::Value(g),
        backend,
        cache_mb,
        ..KsvmParams::default()
    }
}
