//! The two presets, quick (the default) and full (the course protocol), and
//! the checks every setting passes before any work or file.

use std::path::PathBuf;

use labkit::PlotFormat;
use serde::Serialize;
use tch::Device;
use torch_util::Precision;

use crate::assignment::Assignment;
use crate::data::VALIDATION_DENOMINATOR;
use crate::train::{Optimizer, TrainParams};
use crate::ShootoutError;

/// Which preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 20,000 training images, 8 epochs: all ten assignments in 1.5 min on a busy 2-core CPU.
    #[default]
    Quick,
    /// All 60,000 training images, 30 epochs.
    Full,
}

/// Everything a run needs; [`LabConfig::check`] runs before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub mode: Mode,
    pub seed: u64,
    /// Training images used (the first N of the 60,000).
    pub n_train: usize,
    pub n_test: usize,
    pub epochs: usize,
    pub batch: usize,
    /// Learning rate of SGD.
    pub lr: f64,
    /// λ of the deep configurations (loss = mean NLL + λ/2·Σ‖W‖²).
    pub lambda: f64,
    /// λ values of `weights` (assignment 1).
    pub weight_lambdas: Vec<f64>,
    /// λ values of `regularization` (assignment 3).
    pub reg_lambdas: Vec<f64>,
    /// Batch sizes of `train_mb` (assignment 5).
    pub batch_sizes: Vec<usize>,
    /// Steps of whole-batch gradient descent in `train_mb` (one step = one epoch).
    pub gd_steps: usize,
    /// Test batches whose own statistics `batchnorm` normalises with.
    pub bn_stat_batches: Vec<usize>,
    /// Training / test images of the RBF SVM (the first ones of the run's sets).
    pub svm_train: usize,
    /// Training images of the linear one-vs-one SVM (SMO converges slowly on
    /// raw pixels with a linear kernel, so it gets fewer).
    pub svm_linear_train: usize,
    pub svm_test: usize,
    pub svm_c: f64,
    /// Binary solver of the RBF SVM.
    pub svm_backend: ksvm_wrap::Backend,
    /// Number format of the MLPs' forward passes and losses (autocast; the
    /// backward pass follows it, weights and optimiser state stay fp32).
    #[serde(default)]
    pub precision: Precision,
    pub format: PlotFormat,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
}

impl LabConfig {
    /// The quick preset: 20,000 training images, 8 epochs.
    pub fn quick(device: Device, out: PathBuf) -> Self {
        LabConfig {
            mode: Mode::Quick,
            seed: labkit::DEFAULT_SEED,
            n_train: 20_000,
            n_test: 10_000,
            epochs: 8,
            batch: 100,
            lr: 0.1,
            lambda: 1e-4,
            weight_lambdas: vec![0.0, 1e-3, 1e-1],
            reg_lambdas: vec![0.0, 1e-4, 1e-3, 1e-2],
            batch_sizes: vec![32, 100, 1000],
            gd_steps: 40,
            bn_stat_batches: vec![100, 4],
            svm_train: 10_000,
            svm_linear_train: 1_000,
            svm_test: 10_000,
            svm_c: 1.0,
            svm_backend: ksvm_wrap::Backend::Smo,
            precision: Precision::Fp32,
            format: PlotFormat::Png,
            device,
            out,
        }
    }

    /// The course protocol: all 60,000 / 10,000 images, 30 epochs.
    pub fn full(device: Device, out: PathBuf) -> Self {
        LabConfig {
            mode: Mode::Full,
            n_train: 60_000,
            epochs: 30,
            weight_lambdas: vec![0.0, 1e-4, 1e-3, 1e-2, 1e-1],
            batch_sizes: vec![16, 100, 1000],
            gd_steps: 120,
            svm_train: 60_000,
            svm_linear_train: 10_000,
            ..LabConfig::quick(device, out)
        }
    }

    pub fn preset(mode: Mode, device: Device, out: PathBuf) -> Self {
        match mode {
            Mode::Quick => LabConfig::quick(device, out),
            Mode::Full => LabConfig::full(device, out),
        }
    }

    /// Validates every setting the chosen assignments use.
    pub fn check(&self, plan: &[Assignment]) -> Result<(), ShootoutError> {
        torch_util::precision::check(self.precision, self.device)?;
        let min = 2 * VALIDATION_DENOMINATOR;
        if self.n_train < min {
            return Err(ShootoutError::TooFewTraining {
                n_train: self.n_train,
                min,
            });
        }
        if self.n_test == 0 {
            return Err(ShootoutError::NoTestImages);
        }
        self.spec(Optimizer::Sgd, self.lr, self.lambda).check()?;
        for &l in self.weight_lambdas.iter().chain(&self.reg_lambdas) {
            self.spec(Optimizer::Sgd, self.lr, l).check()?;
        }
        if self.batch_sizes.contains(&0) {
            return Err(ShootoutError::ZeroBatch {
                what: "train_mb's batch sizes",
            });
        }
        if let Some(&b) = self.bn_stat_batches.iter().find(|&&b| b < 2) {
            return Err(ShootoutError::StatBatch(b));
        }
        if plan.contains(&Assignment::Batchnorm) && self.n_test < 2 {
            return Err(ShootoutError::StatBatch(self.n_test));
        }
        if self.gd_steps == 0 {
            return Err(ShootoutError::ZeroSteps);
        }
        if plan.contains(&Assignment::Batchnorm) && self.n_train % self.batch == 1 {
            return Err(ShootoutError::BatchNormSingleton {
                n_train: self.n_train,
                batch: self.batch,
            });
        }
        if plan.contains(&Assignment::Svm) {
            self.svm_params(ksvm_wrap::Kernel::Linear).check()?;
            if self.svm_train < 2
                || self.svm_linear_train < 2
                || self.svm_test < 1
                || self.svm_train > self.n_train
                || self.svm_test > self.n_test
            {
                return Err(ShootoutError::SvmSize {
                    train: self.svm_train,
                    test: self.svm_test,
                    n_train: self.n_train,
                    n_test: self.n_test,
                });
            }
        }
        Ok(())
    }

    /// SGD (or Adam) with the preset's epochs and batch size.
    pub fn spec(&self, optim: Optimizer, lr: f64, lambda: f64) -> TrainParams {
        TrainParams {
            epochs: self.epochs,
            batch: self.batch,
            optim,
            lr,
            lambda,
            gamma: None,
        }
    }

    /// The RBF SVM's settings for a kernel width `gamma`.
    pub fn svm_params(&self, kernel: ksvm_wrap::Kernel) -> ksvm_wrap::KsvmParams {
        ksvm_wrap::KsvmParams {
            c: self.svm_c,
            kernel,
            backend: self.svm_backend,
            ..Default::default()
        }
    }

    /// A figure's path in the output folder, in the chosen format.
    pub fn path(&self, name: &str) -> PathBuf {
        self.out.join(format!("{name}.{}", self.format.ext()))
    }
}
