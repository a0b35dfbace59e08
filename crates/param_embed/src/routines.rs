//! The three routines, each assembled from the library's parts: relations →
//! (initial transform) → phases → a trained network.
//!
//! - parametric t-SNE: P from perplexity 30 on 90 neighbours; a PCA phase
//!   (MSE to the raw 2-D PCA coordinates), then KL with Student-t batches;
//! - parametric UMAP: fuzzy-union connectivities on 30 neighbours; a spectral
//!   phase, then UMAP's cross-entropy on negative-edge batches;
//! - hybrid: one trunk with `embed` and `classify` heads; w·KL + 1·CE.

use std::time::Instant;

use ndarray::ArrayView2;
use serde::Serialize;
use tch::Device;

use crate::batch::fit_ab;
use crate::loss::{LossKind, Term};
use crate::model::Net;
use crate::phase::{self, Phase, PhaseLog, TrainData};
use crate::relations::{self, Sparse};
use crate::sampling::{EdgeSampler, Sampling};
use crate::transforms::{spectral, Pca};
use crate::EmbedError;

/// Called after every epoch of every phase: (phase, epoch, mean loss).
pub type OnEpoch<'a> = &'a mut dyn FnMut(&Phase, usize, f64);

/// A trained network and how long its parts took.
#[derive(Debug)]
pub struct Fitted {
    pub net: Net,
    pub logs: Vec<PhaseLog>,
    /// k-NN, affinities and the initial layout.
    pub relation_seconds: f64,
    pub train_seconds: f64,
}

fn std_phase(name: &str, epochs: usize, batch_size: usize, lr: f64, terms: Vec<Term>) -> Phase {
    Phase {
        name: name.to_string(),
        epochs,
        batch_size,
        lr,
        sampling: Sampling::Standard,
        terms,
    }
}

/// Parametric t-SNE's settings (the reference library's defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TsneSpec {
    pub perplexity: f64,
    pub hidden: Vec<usize>,
    /// Epochs of the PCA phase (0: none).
    pub init_epochs: usize,
    pub init_lr: f64,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
}

impl Default for TsneSpec {
    fn default() -> Self {
        TsneSpec {
            perplexity: 30.0,
            hidden: vec![100, 50],
            init_epochs: 10,
            init_lr: 0.01,
            epochs: 30,
            batch_size: 500,
            lr: 0.01,
        }
    }
}

impl TsneSpec {
    /// The phases: PCA fit (if any), then KL.
    pub fn phases(&self) -> Vec<Phase> {
        let mut v = Vec::new();
        if self.init_epochs > 0 {
            let t = vec![Term::new(LossKind::Position, 1.0)];
            v.push(std_phase(
                "pca init",
                self.init_epochs,
                self.batch_size,
                self.init_lr,
                t,
            ));
        }
        let t = vec![Term::new(LossKind::Kl, 1.0)];
        v.push(std_phase("t-SNE", self.epochs, self.batch_size, self.lr, t));
        v
    }

    /// Checks everything against N points, before any work.
    pub fn check(&self, n: usize) -> Result<(), EmbedError> {
        check_perplexity(self.perplexity, n)?;
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(EmbedError::BadHidden(self.hidden.clone()));
        }
        self.phases().iter().try_for_each(Phase::check)
    }
}

fn check_perplexity(perplexity: f64, n: usize) -> Result<(), EmbedError> {
    if !(perplexity.is_finite() && perplexity > 1.0 && perplexity < n as f64) {
        return Err(EmbedError::BadPerplexity { perplexity, n });
    }
    Ok(())
}

/// t-SNE's joint P on the rows of `x`: k = min(N − 1, 3·perplexity) exact neighbours.
pub fn tsne_relations(
    x: ArrayView2<f32>,
    perplexity: f64,
    device: Device,
) -> Result<Sparse, EmbedError> {
    let n = x.nrows();
    check_perplexity(perplexity, n)?;
    let k = ((3.0 * perplexity) as usize).min(n - 1);
    let (idx, dist) = relations::knn(x, k, device)?;
    relations::tsne_p(idx.view(), dist.view(), perplexity)
}

/// Parametric t-SNE of the rows of `x`.
pub fn parametric_tsne(
    x: ArrayView2<f32>,
    spec: &TsneSpec,
    seed: u64,
    device: Device,
    on_epoch: OnEpoch,
) -> Result<Fitted, EmbedError> {
    spec.check(x.nrows())?;
    let t0 = Instant::now();
    let p = tsne_relations(x, spec.perplexity, device)?;
    let targets = if spec.init_epochs > 0 {
        let pca = Pca::fit(x, 2, device)?;
        Some(torch_util::to_tensor(pca.transform(x).view(), device))
    } else {
        None
    };
    let relation_seconds = t0.elapsed().as_secs_f64();
    let net = Net::new(x.ncols(), &spec.hidden, 2, None, seed, device)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(x, device),
        p: Some(p),
        graph: None,
        targets,
        labels: None,
    };
    let t1 = Instant::now();
    let logs = phase::train(&net, &data, &spec.phases(), seed, on_epoch)?;
    Ok(Fitted {
        net,
        logs,
        relation_seconds,
        train_seconds: t1.elapsed().as_secs_f64(),
    })
}

/// Parametric UMAP's settings (the reference protocol).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UmapSpec {
    pub k: usize,
    pub min_dist: f64,
    pub spread: f64,
    pub hidden: Vec<usize>,
    /// Epochs of the spectral phase (0: none), batch 500.
    pub init_epochs: usize,
    pub init_lr: f64,
    pub epochs: usize,
    pub batches_per_epoch: usize,
    pub edges_per_batch: usize,
    pub negatives: usize,
    pub lr: f64,
    /// Block power iterations of the spectral layout.
    pub spectral_iters: usize,
}

impl Default for UmapSpec {
    fn default() -> Self {
        UmapSpec {
            k: 30,
            min_dist: 0.1,
            spread: 1.0,
            hidden: vec![100, 100, 100],
            init_epochs: 10,
            init_lr: 0.01,
            epochs: 60,
            batches_per_epoch: 10,
            edges_per_batch: 500,
            negatives: 3,
            lr: 0.01,
            spectral_iters: 300,
        }
    }
}

impl UmapSpec {
    pub fn phases(&self) -> Vec<Phase> {
        let mut v = Vec::new();
        if self.init_epochs > 0 {
            let t = vec![Term::new(LossKind::Position, 1.0)];
            v.push(std_phase(
                "spectral init",
                self.init_epochs,
                500,
                self.init_lr,
                t,
            ));
        }
        v.push(Phase {
            name: "UMAP".to_string(),
            epochs: self.epochs,
            batch_size: self.edges_per_batch,
            lr: self.lr,
            sampling: Sampling::NegativeEdges {
                batches_per_epoch: self.batches_per_epoch,
                negatives: self.negatives,
            },
            terms: vec![Term::new(LossKind::UmapCe, 1.0)],
        });
        v
    }

    pub fn check(&self, n: usize) -> Result<(), EmbedError> {
        if self.k == 0 || self.k >= n {
            return Err(EmbedError::BadNeighbourCount { k: self.k, n });
        }
        fit_ab(self.min_dist, self.spread)?;
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(EmbedError::BadHidden(self.hidden.clone()));
        }
        self.phases().iter().try_for_each(Phase::check)
    }
}

/// Parametric UMAP of the rows of `x`.
pub fn parametric_umap(
    x: ArrayView2<f32>,
    spec: &UmapSpec,
    seed: u64,
    device: Device,
    on_epoch: OnEpoch,
) -> Result<Fitted, EmbedError> {
    spec.check(x.nrows())?;
    let t0 = Instant::now();
    let (a, b) = fit_ab(spec.min_dist, spec.spread)?;
    let (idx, dist) = relations::knn(x, spec.k, device)?;
    let graph = relations::umap_graph(idx.view(), dist.view())?;
    let targets = if spec.init_epochs > 0 {
        let s = spectral(&graph, 2, spec.spectral_iters, seed)?;
        Some(torch_util::to_tensor(s.view(), device))
    } else {
        None
    };
    let relation_seconds = t0.elapsed().as_secs_f64();
    let net = Net::new(x.ncols(), &spec.hidden, 2, None, seed, device)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(x, device),
        p: None,
        graph: Some((EdgeSampler::new(&graph)?, a, b)),
        targets,
        labels: None,
    };
    let t1 = Instant::now();
    let logs = phase::train(&net, &data, &spec.phases(), seed, on_epoch)?;
    Ok(Fitted {
        net,
        logs,
        relation_seconds,
        train_seconds: t1.elapsed().as_secs_f64(),
    })
}

/// The hybrid model's settings: the t-SNE routine's parts plus a classifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HybridSpec {
    pub perplexity: f64,
    pub hidden: Vec<usize>,
    pub classes: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
}

impl Default for HybridSpec {
    fn default() -> Self {
        HybridSpec {
            perplexity: 30.0,
            hidden: vec![100, 50],
            classes: 10,
            epochs: 50,
            batch_size: 500,
            lr: 1e-3,
        }
    }
}

impl HybridSpec {
    /// One phase: w·KL + 1·classification.
    pub fn phases(&self, w: f64) -> Vec<Phase> {
        let t = vec![
            Term::new(LossKind::Kl, w),
            Term::new(LossKind::Classification, 1.0),
        ];
        vec![std_phase(
            "hybrid",
            self.epochs,
            self.batch_size,
            self.lr,
            t,
        )]
    }

    pub fn check(&self, n: usize, weights: &[f64]) -> Result<(), EmbedError> {
        check_perplexity(self.perplexity, n)?;
        if weights.is_empty() {
            return Err(EmbedError::NoWeights);
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(EmbedError::BadHidden(self.hidden.clone()));
        }
        if self.classes < 2 {
            return Err(EmbedError::ZeroCount {
                phase: "hybrid".into(),
                what: "classes − 1",
            });
        }
        weights.iter().try_for_each(|&w| self.phases(w)[0].check())
    }
}

/// Training images with their classes and t-SNE's P (computed once by
/// [`tsne_relations`] and shared by every weight of a sweep).
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    pub x: ArrayView2<'a, f32>,
    pub labels: &'a [usize],
    pub p: &'a Sparse,
}

/// The hybrid model with t-SNE weight `w`.
pub fn hybrid(
    d: Labelled,
    w: f64,
    spec: &HybridSpec,
    seed: u64,
    device: Device,
    on_epoch: OnEpoch,
) -> Result<Fitted, EmbedError> {
    let x = d.x;
    spec.check(x.nrows(), &[w])?;
    for (what, found) in [("labels", d.labels.len()), ("P", d.p.n)] {
        if found != x.nrows() {
            return Err(EmbedError::RowMismatch {
                what,
                expected: x.nrows(),
                found,
            });
        }
    }
    if let Some(&label) = d.labels.iter().find(|&&c| c >= spec.classes) {
        return Err(EmbedError::BadLabel {
            label,
            classes: spec.classes,
        });
    }
    let net = Net::new(x.ncols(), &spec.hidden, 2, Some(spec.classes), seed, device)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(x, device),
        p: Some(d.p.clone()),
        graph: None,
        targets: None,
        labels: Some(torch_util::labels_to_tensor(d.labels, device)),
    };
    let t1 = Instant::now();
    let logs = phase::train(&net, &data, &spec.phases(w), seed, on_epoch)?;
    Ok(Fitted {
        net,
        logs,
        relation_seconds: 0.0,
        train_seconds: t1.elapsed().as_secs_f64(),
    })
}
