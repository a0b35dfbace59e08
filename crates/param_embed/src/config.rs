//! The lab's settings: which routine, how many images, quick or the
//! reference protocol; checked before any file is written.

use std::path::PathBuf;

use labkit::PlotFormat;
use serde::Serialize;
use tch::Device;

use crate::routines::{HybridSpec, TsneSpec, UmapSpec};
use crate::EmbedError;

/// Which routine a run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Routine {
    /// Parametric UMAP (spectral init + negative-edge phase); held out: test images.
    Umap,
    /// Parametric t-SNE (PCA init + KL phase); held out: the next training images.
    Tsne,
    /// Hybrid classifier + embedding, swept over the t-SNE weight.
    Hybrid,
}

impl Routine {
    pub fn name(self) -> &'static str {
        match self {
            Routine::Umap => "umap",
            Routine::Tsne => "tsne",
            Routine::Hybrid => "hybrid",
        }
    }
}

/// The t-SNE weights of the hybrid sweep (LABS.md).
pub const WEIGHTS: [f64; 8] = [0.0, 5.0, 20.0, 50.0, 100.0, 200.0, 300.0, 500.0];

/// Epochs of the quick UMAP main phase (the protocol's 60 with `--full`).
pub const QUICK_UMAP_EPOCHS: usize = 20;
/// Epochs of each quick hybrid run (the protocol's 50 with `--full`).
pub const QUICK_HYBRID_EPOCHS: usize = 10;

/// Sizes of a run: quick by default, the reference protocol with `full`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sizes {
    /// Training images: the first N.
    pub n_train: usize,
    /// Held-out images scored (t-SNE, hybrid: the next training images;
    /// UMAP: the first test images).
    pub n_held_out: usize,
    /// UMAP: embed all 70,000 images too.
    pub embed_all: bool,
}

impl Sizes {
    /// Quick: 2,000 training and 2,000 held-out images.
    pub fn quick() -> Sizes {
        Sizes {
            n_train: 2000,
            n_held_out: 2000,
            embed_all: false,
        }
    }

    /// The reference protocol: 5,000 training images; held out 5,000
    /// (t-SNE, hybrid) or the 10,000 test images (UMAP); UMAP embeds all 70,000.
    pub fn full(routine: Routine) -> Sizes {
        Sizes {
            n_train: 5000,
            n_held_out: if routine == Routine::Umap {
                10_000
            } else {
                5000
            },
            embed_all: true,
        }
    }
}

/// Everything a run needs; [`LabConfig::check`] validates it first.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub routine: Routine,
    pub full: bool,
    pub seed: u64,
    pub sizes: Sizes,
    pub tsne: TsneSpec,
    pub umap: UmapSpec,
    pub hybrid: HybridSpec,
    pub weights: Vec<f64>,
    /// Number format of the routines' training (and of embedding with the
    /// trained net): libtorch's autocast over the whole routine, weights and
    /// Adam's state fp32.
    #[serde(default)]
    pub precision: torch_util::Precision,
    #[serde(skip)]
    pub mnist_dir: PathBuf,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
}

impl LabConfig {
    pub fn check(&self) -> Result<(), EmbedError> {
        torch_util::precision::check(self.precision, self.device)?;
        let s = self.sizes;
        // 5-NN and trustworthiness with 5 neighbours need > 10 held-out points.
        if s.n_held_out <= 10 {
            return Err(EmbedError::TooFewPoints {
                min: 11,
                found: s.n_held_out,
            });
        }
        match self.routine {
            Routine::Tsne => self.tsne.check(s.n_train),
            Routine::Umap => self.umap.check(s.n_train),
            Routine::Hybrid => self.hybrid.check(s.n_train, &self.weights),
        }
    }
}
