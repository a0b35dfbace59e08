//! The lab's settings, checked before any work starts.

use std::path::PathBuf;

use labkit::PlotFormat;
use serde::{Deserialize, Serialize};
use tch::Device;
use torch_util::Precision;

use crate::adam::AdamParams;
use crate::AeError;

/// Seeds of the course's protocol (`--full`): --seed, --seed + 1, --seed + 2.
pub const FULL_SEEDS: u64 = 3;

/// Which autoencoder(s) to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Reconstruction loss only.
    Plain,
    /// Reconstruction + the contrastive term.
    Contrastive,
    /// Both, one after the other.
    #[default]
    Both,
}

impl Variant {
    /// The variants a run trains, in order.
    pub fn runs(self) -> Vec<Variant> {
        match self {
            Variant::Both => vec![Variant::Plain, Variant::Contrastive],
            v => vec![v],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Contrastive => "contrastive",
            Variant::Both => "both",
        }
    }
}

/// How the contrastive variant picks the two digits of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairRule {
    /// The course's pseudo-code: a1 and a2 drawn from 0–9 (they may be
    /// equal); no contrastive term in a step whose batch lacks either.
    #[default]
    Course,
    /// Two different digits drawn from those present in the batch: every
    /// step of a batch with two digits has a contrastive term.
    Present,
}

impl PairRule {
    pub fn name(self) -> &'static str {
        match self {
            PairRule::Course => "course",
            PairRule::Present => "present",
        }
    }
}

/// How the autoencoder trains. Everything that changes the numbers is here,
/// and a checkpoint is only resumed under the same values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    pub epochs: usize,
    pub batch_size: usize,
    pub adam: AdamParams,
    /// Temperature τ of the contrastive term.
    pub tau: f64,
    /// How the contrastive variant picks its two digits.
    #[serde(default)]
    pub pair_rule: PairRule,
    /// Training images used (the first N of the training set).
    pub n_train: usize,
    /// Number format of the matrix products: fp32 (the course's) or bf16
    /// mixed precision (fp32 weights, losses and Adam state).
    #[serde(default)]
    pub precision: Precision,
}

impl Default for TrainParams {
    /// The quick default: 20 epochs on the first 10,000 training images.
    fn default() -> Self {
        TrainParams {
            epochs: 20,
            batch_size: 1024,
            adam: AdamParams::default(),
            tau: 0.5,
            pair_rule: PairRule::Course,
            n_train: 10_000,
            precision: Precision::Fp32,
        }
    }
}

impl TrainParams {
    /// The course's protocol: 500 epochs on all 60,000 images.
    pub fn full() -> Self {
        TrainParams {
            epochs: 500,
            n_train: 60_000,
            ..TrainParams::default()
        }
    }

    pub fn check(&self) -> Result<(), AeError> {
        if self.epochs == 0 {
            return Err(AeError::ZeroEpochs);
        }
        if self.batch_size == 0 {
            return Err(AeError::ZeroBatch);
        }
        let lr = self.adam.lr;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(AeError::BadLearningRate(lr));
        }
        let wd = self.adam.weight_decay;
        if !(wd.is_finite() && wd >= 0.0) {
            return Err(AeError::BadWeightDecay(wd));
        }
        if !(self.tau.is_finite() && self.tau > 0.0) {
            return Err(AeError::BadTemperature(self.tau));
        }
        if self.n_train < 10 {
            return Err(AeError::TooFewImages {
                min: 10,
                found: self.n_train,
            });
        }
        Ok(())
    }
}

/// The t-SNE views: every `every`-th training image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TsneParams {
    pub enabled: bool,
    pub every: usize,
    pub perplexity: f64,
    pub max_iter: usize,
}

impl Default for TsneParams {
    fn default() -> Self {
        TsneParams {
            enabled: true,
            every: 3,
            perplexity: 30.0,
            max_iter: 1000,
        }
    }
}

/// Everything a lab run needs; [`LabConfig::check`] validates it first.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    /// Seeds of the runs; the first one also draws the t-SNE views.
    pub seeds: Vec<u64>,
    pub variant: Variant,
    pub train: TrainParams,
    pub tsne: TsneParams,
    /// Write a checkpoint every this many epochs (and at the end).
    pub checkpoint_every: usize,
    /// Continue from the checkpoints in the output folder.
    pub resume: bool,
    /// The NCM comparison the summary leads with (both are always measured).
    pub ncm: crate::ncm::Metric,
    #[serde(skip)]
    pub mnist_dir: PathBuf,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
}

impl LabConfig {
    pub fn check(&self) -> Result<(), AeError> {
        self.train.check()?;
        torch_util::precision::check(self.train.precision, self.device)?;
        if self.seeds.is_empty() {
            return Err(AeError::NoSeeds);
        }
        if self.checkpoint_every == 0 {
            return Err(AeError::ZeroCheckpointEvery);
        }
        if self.tsne.enabled {
            if self.tsne.every == 0 {
                return Err(AeError::BadTsneStride(self.tsne.every));
            }
            let p = self.tsne.perplexity;
            if !(p.is_finite() && p > 0.0) {
                return Err(AeError::BadPerplexity(p));
            }
            let points = self.train.n_train.div_ceil(self.tsne.every);
            let needed = (3.0 * p).ceil() as usize + 1;
            if points <= needed {
                return Err(AeError::TsneTooFewPoints {
                    needed,
                    found: points,
                });
            }
        }
        Ok(())
    }
}
