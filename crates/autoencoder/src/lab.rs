//! The lab's runs: train each variant (and seed), classify by nearest class
//! mean in pixel and code space, draw the loss curves, reconstructions and
//! t-SNE views, and write `metrics.json`.

use std::path::PathBuf;
use std::time::Instant;

use data::mnist::{load_mnist, Mnist};
use labkit::RunDir;
use ndarray::Array2;
use plot::{line_plot, Series};
use serde::Serialize;

use crate::config::{LabConfig, Variant};
use crate::train::{encode_all, EpochLoss, TrainData, Trainer};
use crate::{checkpoint, ncm, AeError};

/// Test-set scores of a nearest-class-mean classifier.
#[derive(Debug, Clone, Serialize)]
pub struct NcmReport {
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub confusion: Vec<Vec<usize>>,
}

impl From<metrics::MultiPerf> for NcmReport {
    fn from(p: metrics::MultiPerf) -> Self {
        NcmReport {
            accuracy: p.accuracy,
            precision: p.precision,
            recall: p.recall,
            confusion: p.confusion,
        }
    }
}

/// One trained autoencoder.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub variant: Variant,
    pub seed: u64,
    pub epochs: usize,
    /// Epochs trained by this invocation (the rest came from a checkpoint).
    pub epochs_this_run: usize,
    pub final_loss: f64,
    pub final_mse: f64,
    pub losses: Vec<EpochLoss>,
    /// NCM on the codes, Euclidean (the course's).
    pub latent_ncm: NcmReport,
    /// NCM on unit-length codes (cosine).
    pub latent_ncm_cosine: NcmReport,
    /// Mean seconds per epoch over the epochs trained by this invocation.
    pub seconds_per_epoch: Option<f64>,
    pub weights: String,
}

/// Mean ± standard deviation of the latent NCM accuracy over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct SeedSummary {
    pub variant: Variant,
    pub seeds: Vec<u64>,
    /// Euclidean NCM (the course's).
    pub accuracies: Vec<f64>,
    pub mean: f64,
    /// Sample standard deviation (n − 1); 0 for a single seed.
    pub std: f64,
    /// Cosine NCM.
    pub cosine_accuracies: Vec<f64>,
    pub cosine_mean: f64,
    pub cosine_std: f64,
}

pub use crate::figures::TsneReport;

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    pub n_params: usize,
    pub n_train: usize,
    pub n_test: usize,
    pub pixel_ncm: NcmReport,
    pub pixel_ncm_cosine: NcmReport,
    pub runs: Vec<RunReport>,
    pub summary: Vec<SeedSummary>,
    pub tsne: Vec<TsneReport>,
    pub total_seconds: f64,
}

/// `checkpoint_<variant>_seed<seed>.ot` in the output folder.
pub fn checkpoint_path(out: &std::path::Path, variant: Variant, seed: u64) -> PathBuf {
    out.join(format!("checkpoint_{}_seed{seed}.ot", variant.name()))
}

/// Checks the settings and the data before anything is written.
pub fn prepare(cfg: &LabConfig) -> Result<Mnist, AeError> {
    cfg.check()?;
    if cfg.resume {
        let any = cfg.variant.runs().into_iter().any(|v| {
            cfg.seeds
                .iter()
                .any(|&s| checkpoint_path(&cfg.out, v, s).exists())
        });
        if !any {
            return Err(AeError::NoCheckpoint(checkpoint_path(
                &cfg.out,
                cfg.variant.runs()[0],
                cfg.seeds[0],
            )));
        }
    }
    let mnist = load_mnist(&cfg.mnist_dir)?;
    if cfg.train.n_train > mnist.train.len() {
        return Err(AeError::NotEnoughImages {
            requested: cfg.train.n_train,
            available: mnist.train.len(),
        });
    }
    Ok(mnist)
}

/// Runs the whole lab and writes every output under `cfg.out`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, AeError> {
    let mnist = prepare(cfg)?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let train = mnist.train.head(cfg.train.n_train);
    let (y_train, y_test) = (train.labels.to_vec(), mnist.test.labels.to_vec());
    let pixel_ncm = ncm::evaluate(
        train.images.view(),
        &y_train,
        mnist.test.images.view(),
        &y_test,
        10,
    )?;
    let pixel_ncm_cosine = ncm::evaluate_with(
        ncm::Metric::Cosine,
        train.images.view(),
        &y_train,
        mnist.test.images.view(),
        &y_test,
        10,
    )?;
    crate::figures::training_image(cfg, &dir, &train.images, &y_train)?;
    let data = TrainData {
        x: torch_util::to_tensor_f32(train.images.view(), cfg.device),
        labels: y_train.clone(),
    };
    let x_test = torch_util::to_tensor_f32(mnist.test.images.view(), cfg.device);

    let mut runs = Vec::new();
    let mut codes: Vec<(Variant, Array2<f32>)> = Vec::new();
    let mut loss_series = Vec::new();
    let mut n_params = 0;
    for variant in cfg.variant.runs() {
        for (k, &seed) in cfg.seeds.iter().enumerate() {
            let (trainer, info) = train_one(cfg, &dir, &data, variant, seed)?;
            n_params = crate::model::count_params(&trainer.vs);
            let z_train = encode_all(&trainer.model, &data.x)?;
            let z_test = encode_all(&trainer.model, &x_test)?;
            let perf = ncm::evaluate(z_train.view(), &y_train, z_test.view(), &y_test, 10)?;
            let perf_cos = ncm::evaluate_with(
                ncm::Metric::Cosine,
                z_train.view(),
                &y_train,
                z_test.view(),
                &y_test,
                10,
            )?;
            let last = trainer
                .losses
                .last()
                .copied()
                .ok_or(AeError::NothingLogged(seed))?;
            let report = RunReport {
                variant,
                seed,
                epochs: trainer.epoch,
                epochs_this_run: info.epochs_this_run,
                final_loss: last.total,
                final_mse: last.mse,
                losses: trainer.losses.clone(),
                latent_ncm: perf.into(),
                latent_ncm_cosine: perf_cos.into(),
                seconds_per_epoch: info.seconds_per_epoch,
                weights: info.weights,
            };
            if k == 0 {
                loss_series.push(Series::new(
                    format!("{} (seed {seed})", variant.name()),
                    report
                        .losses
                        .iter()
                        .map(|l| (l.epoch as f64, l.total))
                        .collect(),
                ));
                crate::figures::reconstructions(
                    cfg,
                    &dir,
                    &trainer,
                    &mnist.test.images,
                    &y_test,
                    variant,
                )?;
                codes.push((variant, z_train));
            }
            runs.push(report);
        }
    }
    let ext = cfg.format.ext();
    line_plot(
        &dir.path(&format!("loss_curves.{ext}")),
        "autoencoder training loss (per epoch)",
        "epoch",
        "loss",
        &loss_series,
        true,
    )?;
    let tsne = if cfg.tsne.enabled {
        crate::figures::tsne_views(cfg, &dir, &train.images, &y_train, &codes)?
    } else {
        Vec::new()
    };
    let report = LabReport {
        lab: "autoencoder",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        n_params,
        n_train: train.len(),
        n_test: mnist.test.len(),
        pixel_ncm: pixel_ncm.into(),
        pixel_ncm_cosine: pixel_ncm_cosine.into(),
        summary: summarize(cfg, &runs),
        runs,
        tsne,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// What [`train_one`] adds to a trained model.
struct TrainInfo {
    epochs_this_run: usize,
    seconds_per_epoch: Option<f64>,
    weights: String,
}

/// Trains (or resumes) one variant with one seed, checkpointing as it goes.
fn train_one(
    cfg: &LabConfig,
    dir: &RunDir,
    data: &TrainData,
    variant: Variant,
    seed: u64,
) -> Result<(Trainer, TrainInfo), AeError> {
    let mut t = Trainer::new(cfg.train, variant, seed, cfg.device);
    let ck = checkpoint_path(dir.root(), variant, seed);
    if cfg.resume && ck.exists() {
        let expect = checkpoint::Meta::of(&t);
        let meta = checkpoint::load(&ck, &mut t.vs, &mut t.adam, &expect)?;
        t.epoch = meta.epoch;
        t.losses = meta.losses;
    }
    let resumed_at = t.epoch;
    let label = format!("{} seed {seed}", variant.name());
    let pb = labkit::progress(cfg.train.epochs as u64, &label);
    pb.set_position(t.epoch as u64);
    let t0 = Instant::now();
    while t.epoch < cfg.train.epochs {
        // The epoch's forward passes, losses and backward passes in the
        // run's precision; the weights and Adam's state stay fp32.
        let e = torch_util::with_precision(cfg.train.precision, cfg.device, || t.run_epoch(data))?;
        pb.set_position(e.epoch as u64);
        pb.set_message(format!("loss {:.5}", e.total));
        if e.epoch % cfg.checkpoint_every == 0 || e.epoch == cfg.train.epochs {
            checkpoint::save(&ck, &t.vs, &t.adam, &checkpoint::Meta::of(&t))?;
        }
    }
    pb.finish_and_clear();
    let trained = t.epoch - resumed_at;
    let weights = format!("weights_{}_seed{seed}.ot", variant.name());
    labkit::write_atomically(&dir.path(&weights), |tmp| -> Result<(), AeError> {
        t.vs.save(tmp)?;
        Ok(())
    })?;
    let info = TrainInfo {
        epochs_this_run: trained,
        seconds_per_epoch: (trained > 0).then(|| t0.elapsed().as_secs_f64() / trained as f64),
        weights,
    };
    Ok((t, info))
}

fn summarize(cfg: &LabConfig, runs: &[RunReport]) -> Vec<SeedSummary> {
    cfg.variant
        .runs()
        .into_iter()
        .map(|variant| {
            let mine: Vec<&RunReport> = runs.iter().filter(|r| r.variant == variant).collect();
            let acc: Vec<f64> = mine.iter().map(|r| r.latent_ncm.accuracy).collect();
            let cos: Vec<f64> = mine.iter().map(|r| r.latent_ncm_cosine.accuracy).collect();
            let (mean, std) = metrics::mean_std(&acc).unwrap_or_default();
            let (cosine_mean, cosine_std) = metrics::mean_std(&cos).unwrap_or_default();
            SeedSummary {
                variant,
                seeds: mine.iter().map(|r| r.seed).collect(),
                accuracies: acc,
                mean,
                std,
                cosine_accuracies: cos,
                cosine_mean,
                cosine_std,
            }
        })
        .collect()
}

/// The printed summary.
pub fn summary_table(r: &LabReport) -> String {
    let mut rows = vec![vec![
        "pixels".to_string(),
        "-".into(),
        "-".into(),
        format!("{:.4}", r.pixel_ncm.accuracy),
        format!("{:.4}", r.pixel_ncm_cosine.accuracy),
        "-".into(),
    ]];
    for run in &r.runs {
        rows.push(vec![
            format!("{} codes", run.variant.name()),
            run.seed.to_string(),
            run.epochs.to_string(),
            format!("{:.4}", run.latent_ncm.accuracy),
            format!("{:.4}", run.latent_ncm_cosine.accuracy),
            format!("{:.5}", run.final_loss),
        ]);
    }
    let mut out = labkit::table(
        &[
            "NCM space",
            "seed",
            "epochs",
            "test acc. (L2, course)",
            "test acc. (cosine)",
            "final loss",
        ],
        &rows,
    );
    let lead = r.config.ncm;
    for s in r.summary.iter().filter(|s| s.seeds.len() > 1) {
        let (m, sd, other, om, osd) = match lead {
            ncm::Metric::L2 => (s.mean, s.std, "cosine", s.cosine_mean, s.cosine_std),
            ncm::Metric::Cosine => (s.cosine_mean, s.cosine_std, "l2", s.mean, s.std),
        };
        out.push_str(&format!(
            "{} codes over {} seeds: NCM {} {m:.4} ± {sd:.4} ({other} {om:.4} ± {osd:.4})\n",
            s.variant.name(),
            s.seeds.len(),
            lead.name(),
        ));
    }
    for t in &r.tsne {
        out.push_str(&format!(
            "t-SNE of {} ({} points): {}, 5-NN accuracy {:.3}\n",
            t.space,
            t.points,
            labkit::fmt_duration(std::time::Duration::from_secs_f64(t.seconds)),
            t.knn5_cv_accuracy
        ));
    }
    out
}
