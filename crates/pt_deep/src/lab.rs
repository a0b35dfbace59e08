//! The lab's runs: each data set × each configuration, with metrics and plots.

use std::time::{Duration, Instant};

use data::GmmSpec;
use labkit::RunDir;
use ndarray::ArrayView2;
use plot::{graph_data, save_gif, Figure2d, Rect};
use rand::SeedableRng;
use serde::Serialize;

use crate::config::{reference, LabConfig, LayerConfig};
use crate::fit::{fit, model_surface, FitSpec};
use crate::train::{predict, TrainParams};
use crate::{Activation, PtDeepError};

/// The numbers of one run (one data set, one configuration).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub data: GmmSpec,
    pub n_examples: usize,
    pub config: Vec<usize>,
    pub activation: Activation,
    pub seed: u64,
    pub device: String,
    pub n_params: usize,
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub confusion: Vec<Vec<usize>>,
    /// AP of P(class 1) for two classes; mean one-vs-rest AP otherwise.
    /// `null` when no class has a positive example to rank.
    pub ap: Option<f64>,
    pub final_loss: f64,
    pub loss_curve: Vec<(usize, f64)>,
    pub train_seconds: f64,
    pub us_per_iter: f64,
    pub plot: String,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    pub runs: Vec<RunReport>,
    pub animation: Option<String>,
    pub total_seconds: f64,
}

fn file_tag(spec: &GmmSpec, layers: &[usize]) -> String {
    let cfg: Vec<String> = layers.iter().map(|d| d.to_string()).collect();
    format!("gmm{}-{}-{}_{}", spec.k, spec.c, spec.n, cfg.join("-"))
}

/// Runs every data set × configuration, writes plots and `metrics.json` under `cfg.out`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, PtDeepError> {
    cfg.check()?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let mut runs = Vec::new();
    let mut animation = None;
    let (ref_data, ref_cfg) = reference();
    for (i, spec) in cfg.datasets.iter().enumerate() {
        // One data set per spec, shared by all configurations so they are comparable.
        let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed.wrapping_add(i as u64));
        let (x, y) = spec.sample(&mut rng)?;
        let y = y.to_vec();
        for layers in &cfg.configs {
            let animate = cfg.animate && *spec == ref_data && *layers == ref_cfg;
            let (report, frames) = run_one(cfg, spec, x.view(), &y, &layers.0, &dir, animate)?;
            if let Some(frames) = frames {
                let name = format!("training_{}.gif", file_tag(spec, &layers.0));
                save_gif(&dir.path(&name), (520, 480), 120, &frames)?;
                animation = Some(name);
            }
            runs.push(report);
        }
    }
    let report = LabReport {
        lab: "pt_deep",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        runs,
        animation,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// Trains one model on (x, y), evaluates it, saves its surface plot.
/// With `animate`, also returns 50 frames of the surface during training.
pub fn run_one(
    cfg: &LabConfig,
    spec: &GmmSpec,
    x: ArrayView2<f64>,
    y: &[usize],
    layers: &[usize],
    dir: &RunDir,
    animate: bool,
) -> Result<(RunReport, Option<Vec<Figure2d>>), PtDeepError> {
    let device = cfg.device;
    let rect = Rect::around(x, 0.1)?;
    let label = format!("{spec} {}", LayerConfig(layers.to_vec()));
    let n_logs = if animate { 50 } else { 100 };
    let fit_spec = FitSpec {
        layers,
        activation: cfg.activation,
        train: TrainParams {
            log_every: (cfg.train.niter / n_logs).max(1),
            ..cfg.train
        },
        standardize: cfg.standardize,
        torch_seed: cfg.seed,
        device,
    };
    // The frames need the same scaling as the model; fit() derives it from x.
    let scale = data::Standardizer::fit_if(cfg.standardize, x)?;
    let xt = torch_util::to_tensor(scale.transform(x).view(), device);

    let pb = labkit::progress(cfg.train.niter as u64, &label);
    let mut frames = animate.then(Vec::new);
    let mut frame_time = Duration::ZERO;
    let mut frame_err = None;
    let fitted = fit(x, y, &fit_spec, |it, loss, m| {
        pb.set_position(it as u64);
        pb.set_message(format!("loss {loss:.4}"));
        let Some(frames) = frames.as_mut() else {
            return;
        };
        let tf = Instant::now();
        let frame = (|| -> Result<Figure2d, PtDeepError> {
            let pred = torch_util::to_labels(&predict(m, &xt))?;
            Ok(Figure2d::new(format!("{label}  iter {it}  loss {loss:.3}"))
                .with_surface(model_surface(m, &scale, device, rect, 96)?)
                .with_data(graph_data(x, y, &pred, &[])?))
        })();
        match frame {
            Ok(f) => frames.push(f),
            Err(e) => frame_err = Some(e),
        }
        frame_time += tf.elapsed();
    })?;
    pb.finish_and_clear();
    if let Some(e) = frame_err {
        return Err(e);
    }
    let train_seconds = (fitted.train_seconds - frame_time.as_secs_f64()).max(0.0);

    let score = fitted.score(x, y)?;
    let plot = format!("surface_{}.{}", file_tag(spec, layers), cfg.format.ext());
    let title = format!(
        "{label} {:?}: accuracy {:.3}",
        cfg.activation, score.perf.accuracy
    )
    .to_lowercase();
    Figure2d::new(title)
        .with_surface(fitted.surface(rect, cfg.grid)?)
        .with_data(graph_data(x, y, &score.pred, &[])?)
        .save(&dir.path(&plot))?;

    let report = RunReport {
        data: *spec,
        n_examples: y.len(),
        config: layers.to_vec(),
        activation: cfg.activation,
        seed: cfg.seed,
        device: torch_util::device_name(device),
        n_params: fitted.model.count_params().total,
        accuracy: score.perf.accuracy,
        precision: score.perf.precision,
        recall: score.perf.recall,
        confusion: score.perf.confusion,
        ap: score.ap,
        final_loss: fitted.log.final_loss().ok_or(PtDeepError::ZeroIterations)?,
        loss_curve: fitted.log.losses,
        train_seconds,
        us_per_iter: train_seconds * 1e6 / cfg.train.niter as f64,
        plot,
    };
    Ok((report, frames))
}

/// The printed summary: one row per run.
pub fn summary_table(r: &LabReport) -> String {
    let pr = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join("/")
    };
    let rows: Vec<Vec<String>> = r
        .runs
        .iter()
        .map(|run| {
            vec![
                run.data.to_string(),
                LayerConfig(run.config.clone()).to_string(),
                run.n_params.to_string(),
                format!("{:.3}", run.accuracy),
                pr(&run.precision),
                pr(&run.recall),
                run.ap.map_or("n/a".into(), |a| format!("{a:.3}")),
                format!("{:.4}", run.final_loss),
                format!("{:.0}", run.us_per_iter),
            ]
        })
        .collect();
    labkit::table(
        &[
            "data",
            "config",
            "params",
            "accuracy",
            "precision c0/c1",
            "recall c0/c1",
            "AP",
            "loss",
            "µs/iter",
        ],
        &rows,
    )
}
