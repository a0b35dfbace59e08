//! The SVM on MNIST: `ksvm_wrap mnist` (fit and predict times, accuracy,
//! support vectors, memory peak), `--sklearn` (scikit-learn's SVC on the same
//! images in the same run) and `--bench` (both backends, and scikit-learn when
//! present, on the first 10,000 images).
//!
//! Settings: C = 1 and γ = 'scale' = 1/(784·Var(X)), scikit-learn's `SVC()`
//! defaults (the 2-D lab keeps the course's γ = auto; see the handout).

pub mod run;
pub mod sklearn;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{s, Array2};
use serde::Serialize;

use crate::{Backend, Gamma, KSVMWrap, Kernel, KsvmError, KsvmParams};
pub use run::{run, MnistReport};
pub use sklearn::{Reference, SklearnRun, Unavailable};

/// Training images of `--bench`: enough for the backends to differ, few
/// enough for linfa (about two minutes here).
pub const BENCH_TRAIN: usize = 10_000;

/// Runs of ours (SMO) and of scikit-learn in `--bench`; each keeps its best.
pub const BENCH_REPEATS: usize = 3;

/// γ of the MNIST mode: 'scale', as scikit-learn's `SVC()`.
pub const DEFAULT_GAMMA: Gamma = Gamma::Scale;

/// What `ksvm_wrap mnist` does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum MnistTask {
    /// One fit + predict with the chosen backend.
    Fit(FitTask),
    /// The SMO and linfa backends on the first [`BENCH_TRAIN`] images, and
    /// scikit-learn's SVC when the Python has it.
    Bench,
}

/// One fit: how many training images, which backend, and whether to measure
/// scikit-learn on the same images.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitTask {
    pub n_train: usize,
    pub backend: Backend,
    pub sklearn: bool,
}

impl Default for FitTask {
    /// All 60,000 training images, the SMO backend, no scikit-learn run.
    /// (Not `auto`: with 10,000 images or fewer MNIST's pairs have at most
    /// about 2,000 points, which `auto` gives to linfa, 50× slower here on
    /// 784-pixel images: 147 s against 2.6 s for 10,000.)
    fn default() -> Self {
        FitTask {
            n_train: 60_000,
            backend: Backend::Smo,
            sklearn: false,
        }
    }
}

/// Everything an MNIST run needs; [`MnistConfig::check`] runs before any work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MnistConfig {
    /// Saved with the results; nothing in this mode is random (the first N
    /// images, a deterministic solver).
    pub seed: u64,
    pub c: f64,
    pub kernel: Kernel,
    /// Kernel-row cache of the SMO backend, MiB.
    pub cache_mb: usize,
    /// Test images: the first N of 10,000.
    pub n_test: usize,
    pub mnist_dir: PathBuf,
    /// The Python that runs scikit-learn (`--sklearn`, `--bench`).
    pub python: PathBuf,
    pub task: MnistTask,
    #[serde(skip)]
    pub out: PathBuf,
}

impl Default for MnistConfig {
    /// scikit-learn's `SVC()`: C = 1, RBF with γ = 'scale'; all 10,000 test images.
    fn default() -> Self {
        MnistConfig {
            seed: labkit::DEFAULT_SEED,
            c: 1.0,
            kernel: Kernel::Rbf {
                gamma: DEFAULT_GAMMA,
            },
            cache_mb: KsvmParams::default().cache_mb,
            n_test: 10_000,
            mnist_dir: PathBuf::from("data/mnist"),
            python: labkit::pyref::reference_python(),
            task: MnistTask::Fit(FitTask::default()),
            out: labkit::default_out("ksvm_wrap"),
        }
    }
}

impl MnistConfig {
    /// The SVM's settings with `backend`.
    pub fn params(&self, backend: Backend) -> KsvmParams {
        KsvmParams {
            c: self.c,
            kernel: self.kernel,
            backend,
            cache_mb: self.cache_mb,
            ..KsvmParams::default()
        }
    }

    /// Training images of the run.
    pub fn n_train(&self) -> usize {
        match self.task {
            MnistTask::Fit(f) => f.n_train,
            MnistTask::Bench => BENCH_TRAIN,
        }
    }

    /// Checks the settings (MNIST's sizes are checked once it is loaded).
    pub fn check(&self) -> Result<(), KsvmError> {
        self.params(Backend::Auto).check()?;
        if self.n_train() < 2 {
            return Err(KsvmError::TooFewImages {
                setting: "n",
                split: "training",
                asked: self.n_train(),
                min: 2,
            });
        }
        if self.n_test == 0 {
            return Err(KsvmError::TooFewImages {
                setting: "n_test",
                split: "test",
                asked: 0,
                min: 1,
            });
        }
        Ok(())
    }
}

/// One fit + predict on MNIST.
#[derive(Debug, Clone, Serialize)]
pub struct MnistRun {
    pub backend: Backend,
    pub n_train: usize,
    pub n_test: usize,
    pub c: f64,
    pub kernel: crate::ResolvedKernel,
    pub cache_mb: usize,
    pub threads: usize,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
    pub test_accuracy: f64,
    pub n_support: usize,
    /// What the solver did (kernel rows and their FLOPs; SMO only).
    pub fit_stats: crate::FitStats,
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

/// Loads the first `n_train` / `n_test` images of an MNIST-format folder;
/// asking for more than there are is an error.
pub fn load(dir: &Path, n_train: usize, n_test: usize) -> Result<MnistData, KsvmError> {
    let m = data::mnist::load_mnist(dir)?;
    for (setting, split, asked, available) in [
        ("n", "training", n_train, m.train.len()),
        ("n_test", "test", n_test, m.test.len()),
    ] {
        if asked > available {
            return Err(KsvmError::TooManyImages {
                setting,
                split,
                asked,
                available,
            });
        }
    }
    let (tr, te) = (m.train.head(n_train), m.test.head(n_test));
    Ok(MnistData {
        x_train: tr.images.mapv(f64::from),
        y_train: tr.labels.to_vec(),
        x_test: te.images.mapv(f64::from),
        y_test: te.labels.to_vec(),
    })
}

/// Peak resident set size of this process in MiB (None where the system does not report it).
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
    let (svm, fit_stats) = KSVMWrap::fit_with_stats(x, y, params, on_pair)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pred = svm.predict(d.x_test.view())?;
    let predict_seconds = t1.elapsed().as_secs_f64();
    let test_accuracy = metrics::eval_perf_multi(&pred, &d.y_test, None)?.accuracy;
    Ok(MnistRun {
        backend: params.backend,
        n_train: n,
        n_test: d.y_test.len(),
        c: params.c,
        kernel: svm.kernel(),
        cache_mb: params.cache_mb,
        threads: std::thread::available_parallelism().map_or(1, |t| t.get()),
        fit_seconds,
        predict_seconds,
        test_accuracy,
        n_support: svm.n_support(),
        fit_stats,
        peak_memory_mib: peak_memory_mib(),
    })
}
