//! The lab run: seeded Gaussian-mixture data, training, metrics, plots and
//! `metrics.json`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use data::Standardizer;
use labkit::{PlotFormat, RunDir};
use ndarray::{Array2, ArrayView2};
use plot::{decision_surface, graph_data, line_plot, Figure2d, Rect, Series};
use rand::SeedableRng;
use serde::Serialize;

use crate::{check_data, fcann2_classify, fcann2_train, Fcann2Error, Fcann2Model, TrainParams};

pub use data::GmmSpec;

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    /// Seeds one generator that draws the data first, then the initial weights.
    pub seed: u64,
    pub data: GmmSpec,
    pub params: TrainParams,
    /// Train on (x − mean)/std per feature instead of the raw coordinates;
    /// plots stay in the original coordinates either way.
    pub standardize: bool,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
    /// The decision surface is sampled on grid × grid points.
    pub grid: usize,
    /// How many loss lines to print while training (0: none).
    pub print_lines: usize,
}

impl Default for LabConfig {
    /// The course's setting: gmm(6, 2, 10), seed 100, H = 5, 10⁵ steps,
    /// δ = 0.05, λ = 10⁻³, raw inputs; written to `results/fcann2`.
    fn default() -> Self {
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            data: GmmSpec { k: 6, c: 2, n: 10 },
            params: TrainParams::default(),
            standardize: false,
            out: labkit::cli::default_out("fcann2"),
            format: PlotFormat::Png,
            grid: 256,
            print_lines: 10,
        }
    }
}

impl LabConfig {
    pub fn check(&self) -> Result<(), Fcann2Error> {
        self.params.check()?;
        data::check_gmm_args(self.data.k, self.data.c, self.data.n)?;
        plot::check_grid(self.grid)?;
        Ok(())
    }
}

/// The trained weights (and the input scaling they expect), for reloading.
#[derive(Debug, Clone, Serialize)]
pub struct WeightsRecord {
    pub w1: Vec<Vec<f64>>,
    pub b1: Vec<f64>,
    pub w2: Vec<Vec<f64>>,
    pub b2: Vec<f64>,
    /// The model sees (x − input_mean) / input_std.
    pub input_mean: Vec<f64>,
    pub input_std: Vec<f64>,
}

fn rows(a: ArrayView2<f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

impl WeightsRecord {
    fn new(m: &Fcann2Model, scale: &Standardizer) -> Self {
        WeightsRecord {
            w1: rows(m.w1()),
            b1: m.b1().to_vec(),
            w2: rows(m.w2()),
            b2: m.b2().to_vec(),
            input_mean: scale.mean.to_vec(),
            input_std: scale.std.to_vec(),
        }
    }
}

/// What `metrics.json` holds: every printed number and the config behind it.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub n_examples: usize,
    pub n_classes: usize,
    pub n_params: usize,
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub support: Vec<usize>,
    /// Rows: true class, columns: predicted class.
    pub confusion: Vec<Vec<usize>>,
    /// AP of P(class 1) for two classes, the mean one-vs-rest AP for more.
    pub ap: Option<f64>,
    pub initial_loss: f64,
    pub final_loss: f64,
    /// (iteration, loss); see [`crate::TrainLog`].
    pub loss_curve: Vec<(usize, f64)>,
    pub train_seconds: f64,
    /// Training time per step in this run (its build profile, logging included).
    pub us_per_iter: f64,
    pub model: WeightsRecord,
    pub surface_plot: String,
    pub loss_plot: String,
    pub total_seconds: f64,
}

/// Generates the data, trains, evaluates, and writes `metrics.json`,
/// `surface.<ext>` and `loss.<ext>` under `cfg.out`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, Fcann2Error> {
    cfg.check()?;
    let start = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let (x, y) = data::sample_gmm_2d(cfg.data.k, cfg.data.c, cfg.data.n, &mut rng)?;
    let y = y.to_vec();
    let scale = Standardizer::fit_if(cfg.standardize, x.view())?;
    let xs: Array2<f64> = scale.transform(x.view());
    // A seed whose mixture draws a single class is refused before any file is written.
    check_data(xs.view(), &y)?;
    let dir = RunDir::create(&cfg.out)?;

    let p = &cfg.params;
    let pb = labkit::progress(p.niter as u64, &format!("fcann2 {}", cfg.data));
    let print_every = if cfg.print_lines == 0 {
        usize::MAX
    } else {
        p.niter.div_ceil(cfg.print_lines).max(1)
    };
    let mut next_print = print_every;
    let mut log_time = Duration::ZERO;
    let t0 = Instant::now();
    let (model, log) = fcann2_train(xs.view(), &y, p, &mut rng, |i, loss, _| {
        let tl = Instant::now();
        pb.set_position(i as u64);
        pb.set_message(format!("loss {loss:.5}"));
        if i >= next_print || (i == 1 && cfg.print_lines > 0) {
            pb.suspend(|| labkit::say!("iter {i:>8}  loss {loss:.6}"));
            if i >= next_print {
                next_print = (i / print_every + 1) * print_every;
            }
        }
        log_time += tl.elapsed();
    })?;
    let train_time = t0.elapsed().saturating_sub(log_time);
    pb.finish_and_clear();

    let probs = fcann2_classify(xs.view(), &model)?;
    let pred = metrics::argmax_rows(probs.view());
    let n_classes = model.n_classes();
    let perf = metrics::eval_perf_multi(&pred, &y, Some(n_classes))?;
    let ap = metrics::average_precision_of_proba(probs.view(), &y)?;

    // P(class 1) for two classes, the predicted class for more, on grid
    // points given in the original coordinates.
    let rect = Rect::around(x.view(), 0.1)?;
    let surface = decision_surface(
        |g: ArrayView2<f64>| fcann2_classify(scale.transform(g).view(), &model),
        rect,
        cfg.grid,
    )?;
    let surface_plot = format!("surface.{}", cfg.format.ext());
    let title = format!(
        "fcann2 {} H={} {}: accuracy {:.3}",
        cfg.data,
        p.hidden,
        if cfg.standardize {
            "standardised"
        } else {
            "raw"
        },
        perf.accuracy
    );
    Figure2d::new(title)
        .with_surface(surface)
        .with_data(graph_data(x.view(), &y, &pred, &[])?)
        .save(&dir.path(&surface_plot))?;

    let loss_plot = format!("loss.{}", cfg.format.ext());
    let curve: Vec<(f64, f64)> = log.losses.iter().map(|&(i, l)| (i as f64, l)).collect();
    line_plot(
        &dir.path(&loss_plot),
        &format!("fcann2 training loss (δ = {}, λ = {})", p.delta, p.lambda),
        "iteration",
        "loss",
        &[Series::new("mean NLL + λ/2·(‖W1‖² + ‖W2‖²)", curve)],
        true,
    )?;

    let us_per_iter = train_time.as_secs_f64() * 1e6 / p.niter as f64;
    let report = LabReport {
        lab: "fcann2",
        config: cfg.clone(),
        n_examples: y.len(),
        n_classes,
        n_params: model.n_params(),
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        support: perf.support,
        confusion: perf.confusion,
        ap,
        initial_loss: log.initial_loss,
        final_loss: log.final_loss,
        loss_curve: log.losses,
        train_seconds: train_time.as_secs_f64(),
        us_per_iter,
        model: WeightsRecord::new(&model, &scale),
        surface_plot,
        loss_plot,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// The printed summary: per-class precision and recall, then the overall numbers.
pub fn summary_table(r: &LabReport) -> String {
    let per_class: Vec<Vec<String>> = (0..r.n_classes)
        .map(|c| {
            vec![
                c.to_string(),
                r.support[c].to_string(),
                format!("{:.3}", r.precision[c]),
                format!("{:.3}", r.recall[c]),
            ]
        })
        .collect();
    let mut out = labkit::table(&["class", "support", "precision", "recall"], &per_class);
    out.push('\n');
    let overall = vec![vec![
        r.n_examples.to_string(),
        format!("{:.3}", r.accuracy),
        r.ap.map_or("n/a".into(), |a| format!("{a:.3}")),
        format!("{:.4}", r.initial_loss),
        format!("{:.4}", r.final_loss),
        format!("{:.2}", r.us_per_iter),
    ]];
    out.push_str(&labkit::table(
        &["N", "accuracy", "AP", "first loss", "final loss", "µs/iter"],
        &overall,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_before_work() {
        let out = std::env::temp_dir().join(format!("fcann2-never-{}", std::process::id()));
        let mut cfg = LabConfig {
            out: out.clone(),
            ..LabConfig::default()
        };
        cfg.params.delta = 0.0;
        assert!(matches!(run_lab(&cfg), Err(Fcann2Error::BadDelta(_))));
        cfg.params.delta = 0.05;
        cfg.data = GmmSpec { k: 1, c: 2, n: 10 };
        assert!(matches!(
            run_lab(&cfg),
            Err(Fcann2Error::Data(
                data::DataError::FewerComponentsThanClasses { k: 1, c: 2 }
            ))
        ));
        cfg.data = GmmSpec { k: 6, c: 2, n: 10 };
        cfg.grid = 1;
        assert!(matches!(run_lab(&cfg), Err(Fcann2Error::Plot(_))));
        assert!(!out.exists(), "nothing is written for an invalid config");
    }
}
