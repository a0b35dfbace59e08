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

/// The initial-layout phase (an MSE fit to the initial 2-D positions) when
/// `epochs > 0`, else none.
fn init_phase(name: &str, epochs: usize, batch_size: usize, lr: f64) -> Option<Phase> {
    let t = vec![Term::new(LossKind::Position, 1.0)];
    (epochs > 0).then(|| std_phase(name, epochs, batch_size, lr, t))
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
        let init = init_phase("pca init", self.init_epochs, self.batch_size, self.init_lr);
        let t = vec![Term::new(LossKind::Kl, 1.0)];
        let main = std_phase("t-SNE", self.epochs, self.batch_size, self.lr, t);
        init.into_iter().chain([main]).collect()
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
    let data = TrainData {
        x: torch_util::to_tensor_f32(x, device),
        p: Some(p),
        graph: None,
        targets,
        labels: None,
    };
    let net = (x.ncols(), spec.hidden.as_slice());
    train_embedding(net, &data, &spec.phases(), seed, relation_seconds, on_epoch)
}

/// The second half of every embedding routine: a net of `hidden` layers on
/// `inputs` columns with a 2-D `embed` head, from `seed`, trained through
/// `phases` on `data` (batch order from `seed` too), and timed.
fn train_embedding(
    (inputs, hidden): (usize, &[usize]),
    data: &TrainData,
    phases: &[Phase],
    seed: u64,
    relation_seconds: f64,
    on_epoch: OnEpoch,
) -> Result<Fitted, EmbedError> {
    let net = Net::new(inputs, hidden, 2, None, seed, data.x.device())?;
    let t1 = Instant::now();
    let logs = phase::train(&net, data, phases, seed, on_epoch)?;
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
        let init = init_phase("spectral init", self.init_epochs, 500, self.init_lr);
        let main = Phase {
            name: "UMAP".to_string(),
            epochs: self.epochs,
            batch_size: self.edges_per_batch,
            lr: self.lr,
            sampling: Sampling::NegativeEdges {
                batches_per_epoch: self.batches_per_epoch,
                negatives: self.negatives,
            },
            terms: vec![Term::new(LossKind::UmapCe, 1.0)],
        };
        init.into_iter().chain([main]).collect()
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
    let data = TrainData {
        x: torch_util::to_tensor_f32(x, device),
        p: None,
        graph: Some((EdgeSampler::new(&graph)?, a, b)),
        targets,
        labels: None,
    };
    let net = (x.ncols(), spec.hidden.as_slice());
    train_embedding(net, &data, &spec.phases(), seed, relation_seconds, on_epoch)
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
    /// One phase named "hybrid" with this spec's epochs, batch size and
    /// learning rate, whose loss is w·KL + 1·classification.
    pub fn phases(&self, w: f64) -> Vec<Phase> {
        // exercise(param_embed.hybrid_sweep) begin
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
        // exercise(param_embed.hybrid_sweep) end
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

/// The hybrid model with t-SNE weight `w`: a [`Net`] from `seed` with a
/// 2-D `embed` head and a `classes`-way `classify` head, trained on the
/// images, their P and their labels by the phases of [`HybridSpec::phases`]
/// (batch order from `seed` too).
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
    let t1 = Instant::now();
    // exercise(param_embed.hybrid_sweep) begin
    let net = Net::new(x.ncols(), &spec.hidden, 2, Some(spec.classes), seed, device)?;
    let data = TrainData::labelled(x, d.p, d.labels, device);
    let logs = phase::train(&net, &data, &spec.phases(w), seed, on_epoch)?;
    Ok(Fitted {
        net,
        logs,
        relation_seconds: 0.0,
        train_seconds: t1.elapsed().as_secs_f64(),
    })
    // exercise(param_embed.hybrid_sweep) end
}

/// The loss-weight sweep: the hybrid model trained once per weight of
/// `weights`, in that order, every run from `seed` (the same initial network
/// and batch order, so that the weight is the only difference) and on the same
/// P. `on_fitted(w, model)` receives each model as soon as it is trained.
pub fn sweep(
    d: Labelled,
    weights: &[f64],
    spec: &HybridSpec,
    seed: u64,
    device: Device,
    on_epoch: OnEpoch,
    mut on_fitted: impl FnMut(f64, Fitted) -> Result<(), EmbedError>,
) -> Result<(), EmbedError> {
    spec.check(d.x.nrows(), weights)?;
    // exercise(param_embed.hybrid_sweep) begin
    for &w in weights {
        let f = hybrid(d, w, spec, seed, device, &mut *on_epoch)?;
        on_fitted(w, f)?;
    }
    Ok(())
    // exercise(param_embed.hybrid_sweep) end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Head;
    use ndarray::Array2;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_hybrid_phase_weighs_kl_by_w_and_classification_by_one() {
        let spec = HybridSpec {
            epochs: 7,
            batch_size: 40,
            lr: 0.02,
            ..HybridSpec::default()
        };
        let ph = spec.phases(0.3);
        assert_eq!(ph.len(), 1);
        let p = &ph[0];
        assert_eq!(p.name, "hybrid");
        assert_eq!((p.epochs, p.batch_size, p.lr), (7, 40, 0.02));
        assert_eq!(
            p.terms,
            vec![
                Term::new(LossKind::Kl, 0.3),
                Term::new(LossKind::Classification, 1.0)
            ]
        );
    }

    /// Two classes of 20 points in 6-D, and their P.
    pub(crate) fn two_classes() -> (Array2<f32>, Vec<usize>, Sparse) {
        let mut rng = StdRng::seed_from_u64(3);
        let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let x = Array2::from_shape_fn((40, 6), |(i, j)| {
            rng.gen_range(-1.0f32..1.0) + if j == 0 { 4.0 * labels[i] as f32 } else { 0.0 }
        });
        let p = tsne_relations(x.view(), 5.0, Device::Cpu).unwrap();
        (x, labels, p)
    }

    pub(crate) fn small_spec() -> HybridSpec {
        HybridSpec {
            perplexity: 5.0,
            hidden: vec![8],
            classes: 2,
            epochs: 3,
            batch_size: 20,
            lr: 1e-2,
        }
    }

    #[test]
    fn a_sweep_trains_one_model_per_weight_from_the_same_start() {
        let (x, labels, p) = two_classes();
        let d = Labelled {
            x: x.view(),
            labels: &labels,
            p: &p,
        };
        let spec = small_spec();
        let mut got = Vec::new();
        let mut epochs = 0;
        sweep(
            d,
            &[0.0, 2.0],
            &spec,
            5,
            Device::Cpu,
            &mut |_, _, _| epochs += 1,
            |w, f| {
                got.push((w, f));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(epochs, 6, "3 epochs for each weight");
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![0.0, 2.0]);
        let start = Net::new(6, &[8], 2, Some(2), 5, Device::Cpu).unwrap();
        let var = |n: &Net, name: &str| n.vs.variables()[name].shallow_clone();
        let (zero, two) = (&got[0].1.net, &got[1].1.net);
        // with w = 0 nothing pulls on the embed head; the classifier learns in both
        assert!(var(zero, "embed.weight").equal(&var(&start, "embed.weight")));
        assert!(!var(two, "embed.weight").equal(&var(&start, "embed.weight")));
        for n in [zero, two] {
            assert!(!var(n, "classify.weight").equal(&var(&start, "classify.weight")));
        }
        // each model is the one hybrid() trains alone with that weight and seed
        let alone = hybrid(d, 2.0, &spec, 5, Device::Cpu, &mut |_, _, _| {}).unwrap();
        let out = |n: &Net| n.apply(x.view(), Head::Classify).unwrap();
        assert_eq!(out(two), out(&alone.net));
        assert_eq!(got[1].1.logs[0].losses, alone.logs[0].losses);
    }
}
