//! Training phases: each runs its epochs with its own batch size, learning
//! rate (fresh Adam), sampling and weighted losses, on what [`TrainData`]
//! provides. [`check`] rejects a bad phase list before any work.

use std::time::Instant;

use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Kind, Tensor};

use crate::loss::{self, LossKind, Term};
use crate::model::{Head, Net};
use crate::relations::Sparse;
use crate::sampling::{shuffled_batches, EdgeSampler, Sampling};
use crate::EmbedError;

/// One phase of training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    pub epochs: usize,
    /// Points per batch (standard sampling) or edges per batch (negative edges).
    pub batch_size: usize,
    pub lr: f64,
    pub sampling: Sampling,
    pub terms: Vec<Term>,
}

impl Phase {
    pub fn check(&self) -> Result<(), EmbedError> {
        let phase = || self.name.clone();
        if self.epochs == 0 {
            return Err(EmbedError::ZeroCount {
                phase: phase(),
                what: "epochs",
            });
        }
        if self.batch_size == 0 {
            return Err(EmbedError::ZeroCount {
                phase: phase(),
                what: "the batch size",
            });
        }
        if let Sampling::NegativeEdges {
            batches_per_epoch: 0,
            ..
        } = self.sampling
        {
            return Err(EmbedError::ZeroCount {
                phase: phase(),
                what: "batches per epoch",
            });
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(EmbedError::BadLearningRate {
                phase: phase(),
                lr: self.lr,
            });
        }
        if self.terms.is_empty() {
            return Err(EmbedError::NoLosses { phase: phase() });
        }
        for t in &self.terms {
            if !(t.weight.is_finite() && t.weight >= 0.0) {
                return Err(EmbedError::BadLossWeight {
                    phase: phase(),
                    loss: t.loss.name(),
                    weight: t.weight,
                });
            }
        }
        if self.terms.iter().all(|t| t.weight == 0.0) {
            return Err(EmbedError::AllWeightsZero { phase: phase() });
        }
        Ok(())
    }
}

/// What the losses may need, for N training points.
#[derive(Debug)]
pub struct TrainData {
    /// N × D inputs on the network's device.
    pub x: Tensor,
    /// t-SNE's joint P (for [`LossKind::Kl`]).
    pub p: Option<Sparse>,
    /// UMAP's graph and curve a, b (for [`LossKind::UmapCe`]).
    pub graph: Option<(EdgeSampler, f64, f64)>,
    /// N × 2 target coordinates (for [`LossKind::Position`]).
    pub targets: Option<Tensor>,
    /// N class indices (for [`LossKind::Classification`]).
    pub labels: Option<Tensor>,
}

impl TrainData {
    /// The inputs of a labelled run (the hybrid model): `x` (N × D), t-SNE's
    /// P and the N class labels, on `device`.
    pub fn labelled(
        x: ndarray::ArrayView2<f32>,
        p: &Sparse,
        labels: &[usize],
        device: tch::Device,
    ) -> TrainData {
        TrainData {
            x: torch_util::to_tensor_f32(x, device),
            p: Some(p.clone()),
            graph: None,
            targets: None,
            labels: Some(torch_util::labels_to_tensor(labels, device)),
        }
    }

    pub fn n(&self) -> usize {
        self.x.size()[0] as usize
    }
}

/// Rejects an empty phase list, a bad phase, or a loss whose relation,
/// sampling or head is missing.
pub fn check(phases: &[Phase], data: &TrainData, net: &Net) -> Result<(), EmbedError> {
    if phases.is_empty() {
        return Err(EmbedError::NoPhases);
    }
    for ph in phases {
        ph.check()?;
        let standard = ph.sampling == Sampling::Standard;
        for t in &ph.terms {
            let (has, needs, wants_standard) = match t.loss {
                LossKind::Kl => (data.p.is_some(), "a t-SNE P", true),
                LossKind::UmapCe => (data.graph.is_some(), "a UMAP graph", false),
                LossKind::Position => (data.targets.is_some(), "target positions", true),
                LossKind::Classification => (
                    data.labels.is_some() && net.has_head(Head::Classify),
                    "labels and a classify head",
                    true,
                ),
            };
            if !has {
                return Err(EmbedError::MissingRelation {
                    phase: ph.name.clone(),
                    loss: t.loss.name(),
                    needs,
                });
            }
            if wants_standard != standard {
                return Err(EmbedError::WrongSampling {
                    phase: ph.name.clone(),
                    loss: t.loss.name(),
                    sampling: if wants_standard {
                        "standard"
                    } else {
                        "negative-edge"
                    },
                });
            }
        }
    }
    Ok(())
}

/// The record of a phase: the loss per epoch in two conventions, and its time.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseLog {
    pub name: String,
    /// Mean over the epoch's batches of each batch's loss.
    pub losses: Vec<f64>,
    /// Sum over the epoch's batches of each batch's loss: the convention of
    /// the reference library's logs, which the course prints.
    pub loss_sums: Vec<f64>,
    /// Batches per epoch (so `loss_sums = losses × batches`).
    pub batches: usize,
    pub seconds: f64,
}

fn idx_tensor(idx: &[usize], dev: tch::Device) -> Tensor {
    let v: Vec<i64> = idx.iter().map(|&i| i as i64).collect();
    Tensor::from_slice(&v).to_device(dev)
}

/// Loss of one standard batch.
fn standard_loss(net: &Net, data: &TrainData, terms: &[Term], idx: &[usize]) -> Tensor {
    let dev = net.device();
    let it = idx_tensor(idx, dev);
    let feats = net.features(&data.x.index_select(0, &it));
    let mut total = Tensor::zeros([], (Kind::Float, dev));
    for t in terms.iter().filter(|t| t.weight > 0.0) {
        let l = match (t.loss, &data.p, &data.targets, &data.labels) {
            (LossKind::Kl, Some(p), _, _) => {
                let flat: Vec<f32> = p.submatrix(idx).iter().copied().collect();
                let pb = Tensor::from_slice(&flat)
                    .view([idx.len() as i64, idx.len() as i64])
                    .to_device(dev);
                loss::kl(&pb, &net.head(&feats, Head::Embed))
            }
            (LossKind::Position, _, Some(tg), _) => {
                loss::position(&net.head(&feats, Head::Embed), &tg.index_select(0, &it))
            }
            (LossKind::Classification, _, _, Some(y)) => {
                loss::classification(&net.head(&feats, Head::Classify), &y.index_select(0, &it))
            }
            // Ruled out by `check`.
            _ => continue,
        };
        total += l * t.weight;
    }
    total
}

/// Embeddings of the pairs of a negative-edge batch, computing each row of
/// the network once: all N points when that is fewer rows, else the edges'
/// heads (each repeated for its `per` pairs) and the tails.
fn edge_embeddings(
    net: &Net,
    data: &TrainData,
    heads: &[usize],
    tails: &[usize],
    per: usize,
) -> (Tensor, Tensor) {
    let dev = net.device();
    let embed = |x: &Tensor| net.head(&net.features(x), Head::Embed);
    let edges = heads.len() / per.max(1);
    if data.n() <= edges + tails.len() {
        let all = embed(&data.x);
        return (
            all.index_select(0, &idx_tensor(heads, dev)),
            all.index_select(0, &idx_tensor(tails, dev)),
        );
    }
    let uh: Vec<usize> = heads.iter().step_by(per.max(1)).copied().collect();
    let pos: Vec<usize> = (0..heads.len()).map(|k| k / per.max(1)).collect();
    let yh = embed(&data.x.index_select(0, &idx_tensor(&uh, dev)))
        .index_select(0, &idx_tensor(&pos, dev));
    (yh, embed(&data.x.index_select(0, &idx_tensor(tails, dev))))
}

/// Runs the phases in order (after [`check`]); `seed` draws the batches.
/// `on_epoch(phase, epoch, loss)` is called after every epoch.
pub fn train(
    net: &Net,
    data: &TrainData,
    phases: &[Phase],
    seed: u64,
    mut on_epoch: impl FnMut(&Phase, usize, f64),
) -> Result<Vec<PhaseLog>, EmbedError> {
    check(phases, data, net)?;
    let mut rng = labkit::seeds::rng(seed, crate::streams::BATCHES);
    let mut logs = Vec::new();
    for ph in phases {
        let t0 = Instant::now();
        let mut opt = nn::Adam::default().build(&net.vs, ph.lr)?;
        let mut losses = Vec::with_capacity(ph.epochs);
        let mut loss_sums = Vec::with_capacity(ph.epochs);
        let mut batches = 0;
        for epoch in 0..ph.epochs {
            let (mut sum, mut count) = (0.0, 0usize);
            let mut step = |l: Tensor| -> f64 {
                opt.backward_step(&l);
                l.double_value(&[])
            };
            match ph.sampling {
                Sampling::Standard => {
                    for idx in shuffled_batches(data.n(), ph.batch_size, &mut rng) {
                        sum += step(standard_loss(net, data, &ph.terms, &idx));
                        count += 1;
                    }
                }
                Sampling::NegativeEdges {
                    batches_per_epoch,
                    negatives,
                } => {
                    if let Some((sampler, a, b)) = &data.graph {
                        let dev = net.device();
                        for _ in 0..batches_per_epoch {
                            let eb = sampler.batch(ph.batch_size, negatives, &mut rng);
                            let (yh, yt) =
                                edge_embeddings(net, data, &eb.heads, &eb.tails, 1 + negatives);
                            let target = Tensor::from_slice(&eb.target).to_device(dev);
                            let w: f64 = ph.terms.iter().map(|t| t.weight).sum();
                            sum += step(loss::umap_ce(&yh, &yt, &target, *a, *b) * w);
                            count += 1;
                        }
                    }
                }
            }
            let mean = sum / count.max(1) as f64;
            if !mean.is_finite() {
                return Err(EmbedError::Diverged {
                    phase: ph.name.clone(),
                    epoch: epoch + 1,
                    loss: mean,
                });
            }
            losses.push(mean);
            loss_sums.push(sum);
            batches = count;
            on_epoch(ph, epoch + 1, mean);
        }
        logs.push(PhaseLog {
            name: ph.name.clone(),
            losses,
            loss_sums,
            batches,
            seconds: t0.elapsed().as_secs_f64(),
        });
    }
    Ok(logs)
}
