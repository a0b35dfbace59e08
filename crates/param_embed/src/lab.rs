//! One run of the lab: load MNIST, score the PCA baseline, train the chosen
//! routine, score and draw its embeddings, write metrics.json.

use std::time::Instant;

use data::mnist::{load_mnist, Split};
use indicatif::ProgressBar;
use labkit::RunDir;
use ndarray::{s, Array2, ArrayView2};
use plot::scatter_classes;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::config::{LabConfig, Routine};
use crate::grid::{save_sweep, Panel, SweepFigure};
use crate::model::Head;
use crate::phase::{Phase, PhaseLog};
use crate::quality::{quality, Quality};
use crate::routines::{self, Fitted, Labelled};
use crate::transforms::Pca;
use crate::EmbedError;
use torch_util::with_precision;

/// Training and held-out images of a run.
#[derive(Debug)]
pub struct Sets {
    pub train_x: Array2<f32>,
    pub train_y: Vec<usize>,
    pub held_x: Array2<f32>,
    pub held_y: Vec<usize>,
    /// Where the held-out images come from, in words.
    pub held_from: String,
}

fn rows(split: &Split, from: usize, to: usize) -> (Array2<f32>, Vec<usize>) {
    (
        split.images.slice(s![from..to, ..]).to_owned(),
        split.labels.slice(s![from..to]).to_vec(),
    )
}

/// Picks the images of a run, or says that there are not enough.
pub fn sets(cfg: &LabConfig, train: &Split, test: &Split) -> Result<Sets, EmbedError> {
    let (n, h) = (cfg.sizes.n_train, cfg.sizes.n_held_out);
    let (held_split, from) = if cfg.routine == Routine::Umap {
        (test, 0)
    } else {
        (train, n)
    };
    if n > train.len() || from + h > held_split.len() {
        return Err(EmbedError::NotEnoughImages {
            requested: n,
            held_out: h,
            available: held_split.len(),
        });
    }
    let (train_x, train_y) = rows(train, 0, n);
    let (held_x, held_y) = rows(held_split, from, from + h);
    let held_from = if cfg.routine == Routine::Umap {
        format!("test images 0..{h}")
    } else {
        format!("training images {n}..{}", n + h)
    };
    Ok(Sets {
        train_x,
        train_y,
        held_x,
        held_y,
        held_from,
    })
}

/// A progress bar per phase, driven by the epoch callback.
#[derive(Debug, Default)]
struct Bars {
    current: Option<(String, ProgressBar)>,
}

impl Bars {
    fn on_epoch(&mut self, ph: &Phase, epoch: usize, loss: f64) {
        if self.current.as_ref().map(|c| c.0.as_str()) != Some(ph.name.as_str()) {
            self.done();
            self.current = Some((
                ph.name.clone(),
                labkit::progress(ph.epochs as u64, &ph.name),
            ));
        }
        if let Some((_, pb)) = &self.current {
            pb.set_position(epoch as u64);
            pb.set_message(format!("loss {loss:.4}"));
        }
    }

    fn done(&mut self) {
        if let Some((_, pb)) = self.current.take() {
            pb.finish_and_clear();
        }
    }
}

/// What `metrics.json` holds: one run of one routine.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub routine: &'static str,
    pub seed: u64,
    pub config: LabConfig,
    pub device: String,
    pub n_train: usize,
    pub n_held_out: usize,
    /// Where the held-out images come from, in words.
    pub held_out: String,
    /// The PCA baseline on the held-out images.
    pub pca: Quality,
    /// Plot files by name, relative to the output folder.
    pub plots: BTreeMap<String, String>,
    /// k-NN, affinities and the initial layout.
    pub relation_seconds: f64,
    pub train_seconds: f64,
    /// What the routine gave (its fields sit at the top level of the JSON).
    #[serde(flatten)]
    pub result: RoutineResult,
    pub total_seconds: f64,
}

/// A routine's own part of the report.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RoutineResult {
    /// t-SNE or UMAP: one embedding.
    Embedding {
        /// Its held-out quality.
        embedding: Quality,
        phases: Vec<PhaseLog>,
        n_params: i64,
        /// UMAP as the course: the net applied to all training images.
        #[serde(skip_serializing_if = "Option::is_none")]
        embed_all_seconds: Option<f64>,
    },
    /// The hybrid: one row per t-SNE weight.
    Sweep { sweep: Vec<SweepRow> },
}

/// One weight of the hybrid sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    pub weight: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub embedding: Quality,
    pub train_seconds: f64,
    /// Mean loss per batch of every epoch, and the course's sums.
    pub losses: Vec<f64>,
    pub loss_sums: Vec<f64>,
    pub batches: usize,
}

/// One seed of a several-seed run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedRow {
    pub seed: u64,
    pub knn5: f64,
    pub trustworthiness: f64,
    pub relation_seconds: f64,
    pub train_seconds: f64,
}

/// What `seeds.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct SeedsReport {
    pub lab: &'static str,
    pub routine: &'static str,
    pub config: LabConfig,
    pub device: String,
    pub seeds: Vec<SeedRow>,
    pub knn5: metrics::OverSeeds,
    pub trustworthiness: metrics::OverSeeds,
}

/// The embedding of the training images, of the held-out images, and the
/// held-out quality.
fn embed_quality(
    f: &Fitted,
    d: &Sets,
    cfg: &LabConfig,
) -> Result<(Array2<f64>, Array2<f64>, Quality), EmbedError> {
    let tr = f.net.apply(d.train_x.view(), Head::Embed)?;
    let he = f.net.apply(d.held_x.view(), Head::Embed)?;
    let q = quality(
        tr.view(),
        &d.train_y,
        d.held_x.view(),
        he.view(),
        &d.held_y,
        cfg.device,
    )?;
    Ok((tr, he, q))
}

/// The course's printed losses (sums over an epoch's batches), first and
/// last epoch, by routine and phase name (for the hybrid: by weight).
/// (As the course prints them.)
pub const COURSE_LOSSES: [(&str, &str, &str, &str); 4] = [
    ("umap", "spectral init", "15.80", "0.457"),
    ("umap", "UMAP", "3.60", "2.158"),
    ("hybrid", "w = 0", "23.37", "0.99"),
    ("hybrid", "w = 500", "71.36", "30.71"),
];

/// One line per phase: the loss of its first and last epoch as the course
/// prints it (sum over the epoch's batches) and as a mean per batch, with
/// the course's values where it gives them (`key`: the phase name, or
/// "w = W" in the hybrid sweep).
pub fn loss_lines(routine: &str, key: &str, log: &PhaseLog) -> String {
    let (Some(s0), Some(s1), Some(m0), Some(m1)) = (
        log.loss_sums.first(),
        log.loss_sums.last(),
        log.losses.first(),
        log.losses.last(),
    ) else {
        return String::new();
    };
    let course = COURSE_LOSSES
        .iter()
        .find(|(r, k, _, _)| *r == routine && *k == key)
        .map(|(_, _, a, b)| format!("; course: {a} → {b}"))
        .unwrap_or_default();
    format!(
        "  {key}: loss summed over the epoch's {} batches {s0:.4} → {s1:.4} \
         (mean per batch {m0:.4} → {m1:.4}){course}\n",
        log.batches
    )
}

fn plot<'a>(
    dir: &RunDir,
    cfg: &LabConfig,
    name: &str,
    title: &'a str,
    pts: ArrayView2<'a, f64>,
    y: &'a [usize],
) -> Result<String, EmbedError> {
    let file = format!("{name}.{}", cfg.format.ext());
    scatter_classes(&dir.path(&file), title, pts, y)?;
    Ok(file)
}

/// Runs the lab; returns the metrics written to metrics.json.
/// Trains `cfg`'s embedding routine (tsne or umap) on `x` in the run's
/// precision; the hybrid sweep is not one routine ([`EmbedError::BenchRoutine`]).
pub fn fit_embedding(
    cfg: &LabConfig,
    x: ndarray::ArrayView2<f32>,
    on_epoch: routines::OnEpoch,
) -> Result<Fitted, EmbedError> {
    with_precision(cfg.precision, cfg.device, || match cfg.routine {
        Routine::Tsne => routines::parametric_tsne(x, &cfg.tsne, cfg.seed, cfg.device, on_epoch),
        Routine::Umap => routines::parametric_umap(x, &cfg.umap, cfg.seed, cfg.device, on_epoch),
        Routine::Hybrid => Err(EmbedError::BenchRoutine),
    })
}

pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, EmbedError> {
    cfg.check()?;
    let t0 = Instant::now();
    let mnist = load_mnist(&cfg.mnist_dir)?;
    let d = sets(cfg, &mnist.train, &mnist.test)?;
    let dir = RunDir::create(&cfg.out)?;
    let pca = Pca::fit(d.train_x.view(), 2, cfg.device)?;
    let (pt, ph) = (
        pca.transform(d.train_x.view()),
        pca.transform(d.held_x.view()),
    );
    let pca_q = quality(
        pt.view(),
        &d.train_y,
        d.held_x.view(),
        ph.view(),
        &d.held_y,
        cfg.device,
    )?;
    let mut plots = BTreeMap::new();
    plots.insert(
        "pca".to_string(),
        plot(
            &dir,
            cfg,
            "pca",
            "PCA of held-out images",
            ph.view(),
            &d.held_y,
        )?,
    );
    labkit::say!(
        "PCA baseline: 5-NN {:.4}, trustworthiness {:.4}",
        pca_q.knn5,
        pca_q.trustworthiness
    );
    let mut bars = Bars::default();
    let mut on_epoch = |p: &Phase, e: usize, l: f64| bars.on_epoch(p, e, l);
    let (relation_seconds, train_seconds, result) = match cfg.routine {
        Routine::Tsne | Routine::Umap => {
            let f = fit_embedding(cfg, d.train_x.view(), &mut on_epoch)?;
            let title = if cfg.routine == Routine::Tsne {
                "parametric t-SNE"
            } else {
                "parametric UMAP"
            };
            let (tr, he, q) = embed_quality(&f, &d, cfg)?;
            let name = cfg.routine.name();
            // the course's figure: the training images
            let file = plot(
                &dir,
                cfg,
                name,
                &format!("{title}: the {} training images", d.train_x.nrows()),
                tr.view(),
                &d.train_y,
            )?;
            plots.insert(name.to_string(), file);
            let held_name = format!("{name}_held_out");
            let file = plot(
                &dir,
                cfg,
                &held_name,
                &format!(
                    "{title}: {} held-out images ({})",
                    d.held_x.nrows(),
                    d.held_from
                ),
                he.view(),
                &d.held_y,
            )?;
            plots.insert(held_name, file);
            labkit::say!(
                "{title}: 5-NN {:.4}, trustworthiness {:.4}; relations {:.1} s, training {:.1} s",
                q.knn5,
                q.trustworthiness,
                f.relation_seconds,
                f.train_seconds
            );
            for log in &f.logs {
                labkit::say!("{}", loss_lines(name, &log.name, log).trim_end());
            }
            let mut embed_all_seconds = None;
            if cfg.routine == Routine::Umap && cfg.sizes.embed_all {
                // as the course: the trained net applied to all 60,000
                // training images (the course loads only the training set)
                let t = Instant::now();
                let all_y: Vec<usize> = mnist.train.labels.to_vec();
                let all = f.net.apply(mnist.train.images.view(), Head::Embed)?;
                embed_all_seconds = Some(t.elapsed().as_secs_f64());
                let file = plot(
                    &dir,
                    cfg,
                    "umap_all",
                    &format!(
                        "parametric UMAP applied to all {} training images",
                        all_y.len()
                    ),
                    all.view(),
                    &all_y,
                )?;
                plots.insert("umap_all".to_string(), file);
            }
            let result = RoutineResult::Embedding {
                embedding: q,
                n_params: f.net.n_params(),
                phases: f.logs,
                embed_all_seconds,
            };
            (f.relation_seconds, f.train_seconds, result)
        }
        Routine::Hybrid => {
            let (rel, train, sweep, file) = hybrid_sweep(cfg, &d, &dir, &mut on_epoch)?;
            plots.insert("hybrid_grid".to_string(), file);
            (rel, train, RoutineResult::Sweep { sweep })
        }
    };
    bars.done();
    let report = LabReport {
        lab: "param_embed",
        routine: cfg.routine.name(),
        seed: cfg.seed,
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        n_train: d.train_x.nrows(),
        n_held_out: d.held_x.nrows(),
        held_out: d.held_from.clone(),
        pca: pca_q,
        plots,
        relation_seconds,
        train_seconds,
        result,
        total_seconds: t0.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// Runs `cfg` on `n` seeds (`cfg.seed`, `cfg.seed + 1`, …), each into
/// `cfg.out/seed-S/`, and writes `cfg.out/seeds.json`: every seed's held-out
/// 5-NN accuracy and trustworthiness with their mean ± std (t-SNE, UMAP).
pub fn run_seeds(cfg: &LabConfig, n: usize) -> Result<SeedsReport, EmbedError> {
    cfg.check()?;
    if n == 0 {
        return Err(EmbedError::ZeroSeeds);
    }
    if cfg.routine == Routine::Hybrid {
        return Err(EmbedError::SeedsNotForHybrid);
    }
    let dir = RunDir::create(&cfg.out)?;
    let mut seeds = Vec::new();
    for k in 0..n as u64 {
        let seed = cfg.seed.wrapping_add(k);
        let one = LabConfig {
            seed,
            out: cfg.out.join(format!("seed-{seed}")),
            ..cfg.clone()
        };
        let m = run_lab(&one)?;
        let RoutineResult::Embedding { embedding: q, .. } = m.result else {
            return Err(EmbedError::SeedsNotForHybrid);
        };
        seeds.push(SeedRow {
            seed,
            knn5: q.knn5,
            trustworthiness: q.trustworthiness,
            relation_seconds: m.relation_seconds,
            train_seconds: m.train_seconds,
        });
    }
    let of = |f: fn(&SeedRow) -> f64| {
        metrics::OverSeeds::new(seeds.iter().map(f).collect()).ok_or(EmbedError::ZeroSeeds)
    };
    let summary = SeedsReport {
        lab: "param_embed",
        routine: cfg.routine.name(),
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        knn5: of(|r| r.knn5)?,
        trustworthiness: of(|r| r.trustworthiness)?,
        seeds,
    };
    dir.write_json("seeds.json", &summary)?;
    Ok(summary)
}

fn accuracy(logits: &Array2<f64>, y: &[usize]) -> f64 {
    let pred = metrics::argmax_rows(logits.view());
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len().max(1) as f64
}

/// The hybrid sweep: relation seconds, total training seconds, one row per
/// weight, and the grid figure's file.
fn hybrid_sweep(
    cfg: &LabConfig,
    d: &Sets,
    dir: &RunDir,
    on_epoch: routines::OnEpoch,
) -> Result<(f64, f64, Vec<SweepRow>, String), EmbedError> {
    let t = Instant::now();
    let p = routines::tsne_relations(d.train_x.view(), cfg.hybrid.perplexity, cfg.device)?;
    let relation_seconds = t.elapsed().as_secs_f64();
    let data = Labelled {
        x: d.train_x.view(),
        labels: &d.train_y,
        p: &p,
    };
    let mut rows = Vec::new();
    let mut fig = SweepFigure {
        panels: Vec::new(),
        accuracy: Vec::new(),
    };
    let mut train_total = 0.0;
    let weights = cfg.weights.clone();
    // The sweep's evaluations run inside the precision region too.
    with_precision(cfg.precision, cfg.device, || {
        routines::sweep(
            data,
            &weights,
            &cfg.hybrid,
            cfg.seed,
            cfg.device,
            on_epoch,
            |w, f| {
                train_total += f.train_seconds;
                let train_acc =
                    accuracy(&f.net.apply(d.train_x.view(), Head::Classify)?, &d.train_y);
                let test_acc = accuracy(&f.net.apply(d.held_x.view(), Head::Classify)?, &d.held_y);
                let (tr, _, q) = embed_quality(&f, d, cfg)?;
                labkit::say!("w = {w:>5}: train accuracy {train_acc:.4}, test {test_acc:.4}; embedding 5-NN {:.4}, trustworthiness {:.4} ({:.1} s)",
            q.knn5, q.trustworthiness, f.train_seconds);
                if let Some(log) = f.logs.first() {
                    labkit::say!(
                        "{}",
                        loss_lines("hybrid", &format!("w = {w}"), log).trim_end()
                    );
                }
                let log = f.logs.first();
                rows.push(SweepRow {
                    weight: w,
                    train_accuracy: train_acc,
                    test_accuracy: test_acc,
                    embedding: q,
                    train_seconds: f.train_seconds,
                    losses: log.map(|l| l.losses.clone()).unwrap_or_default(),
                    loss_sums: log.map(|l| l.loss_sums.clone()).unwrap_or_default(),
                    batches: log.map_or(0, |l| l.batches),
                });
                fig.accuracy.push((w, train_acc, test_acc));
                // the course's grid: the training images
                fig.panels.push(Panel {
                    title: format!("w = {w}: test {test_acc:.3}, 5-NN {:.3}", q.knn5),
                    points: tr,
                    labels: d.train_y.clone(),
                });
                Ok(())
            },
        )
    })?;
    let file = format!("hybrid_grid.{}", cfg.format.ext());
    save_sweep(&dir.path(&file), &fig)?;
    Ok((relation_seconds, train_total, rows, file))
}
