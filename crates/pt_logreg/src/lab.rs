//! The lab's runs: 2 and 3 classes of `sample_gauss_2d`, and a λ sweep.

use std::path::PathBuf;

use data::plot::{decision_surface, graph_data, line_plot, Figure2d, Rect, Series};
use data::Standardizer;
use labkit::{PlotFormat, RunDir};
use rand::SeedableRng;
use serde::Serialize;
use tch::{nn::VarStore, Device};

use crate::{eval, train, LogregError, LogregParams, PTLogreg};

/// Settings of a lab run; checked before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    /// Points per class.
    pub n: usize,
    pub niter: usize,
    pub delta: f64,
    /// λ of the 2- and 3-class runs.
    pub param_lambda: f64,
    /// λ values of the sweep on 3 classes.
    pub sweep: Vec<f64>,
    pub standardize: bool,
    pub grid: usize,
    pub format: PlotFormat,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
}

impl LabConfig {
    pub fn lab_default(device: Device, out: PathBuf) -> Self {
        LabConfig {
            seed: 100,
            n: 100,
            niter: 5000,
            delta: 0.1,
            param_lambda: 0.0,
            sweep: vec![0.0, 1e-3, 1e-2, 1e-1, 1.0],
            standardize: true,
            grid: 256,
            format: PlotFormat::Png,
            device,
            out,
        }
    }

    pub fn check(&self) -> Result<(), LogregError> {
        for &l in std::iter::once(&self.param_lambda).chain(&self.sweep) {
            LogregParams {
                niter: self.niter,
                delta: self.delta,
                param_lambda: l,
            }
            .check()?;
        }
        data::check_gmm_args(3, 3, self.n)?;
        data::plot::check_grid(self.grid)?;
        Ok(())
    }
}

/// One trained model's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub classes: usize,
    pub param_lambda: f64,
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub confusion: Vec<Vec<usize>>,
    pub ap: Option<f64>,
    pub weight_norm: f64,
    pub final_loss: f64,
    pub plot: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    /// 2 classes and 3 classes at `param_lambda`.
    pub runs: Vec<RunReport>,
    /// 3 classes, one run per λ of the sweep.
    pub sweep: Vec<RunReport>,
}

struct Problem {
    x: ndarray::Array2<f64>,
    y: Vec<usize>,
    c: usize,
}

fn problem(cfg: &LabConfig, c: usize) -> Result<Problem, LogregError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed.wrapping_add(c as u64));
    let (x, y) = data::sample_gauss_2d(c, cfg.n, &mut rng)?;
    Ok(Problem {
        x,
        y: y.to_vec(),
        c,
    })
}

/// Trains PTLogreg on `p` with λ, writes its surface plot `name`.
fn run_one(
    cfg: &LabConfig,
    p: &Problem,
    lambda: f64,
    dir: &RunDir,
    name: String,
) -> Result<RunReport, LogregError> {
    let device = cfg.device;
    let scale = Standardizer::fit_if(cfg.standardize, p.x.view())?;
    let xt = torch_util::to_tensor(scale.transform(p.x.view()).view(), device);
    let yoh = torch_util::to_tensor(data::class_to_onehot(&p.y, Some(p.c))?.view(), device);
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(device);
    let mut model = PTLogreg::new(&vs.root(), p.x.ncols(), p.c)?;
    let curve = train(
        &mut model,
        &xt,
        &yoh,
        &LogregParams {
            niter: cfg.niter,
            delta: cfg.delta,
            param_lambda: lambda,
        },
    )?;
    let probs = torch_util::to_array2(&eval(&model, &xt))?;
    let pred = metrics::argmax_rows(probs.view());
    let perf = metrics::eval_perf_multi(&pred, &p.y, Some(p.c))?;
    let rect = Rect::around(p.x.view(), 0.1)?;
    let surface = decision_surface(
        |g| {
            let gt = torch_util::to_tensor(scale.transform(g).view(), device);
            torch_util::to_array2(&eval(&model, &gt))
        },
        rect,
        cfg.grid,
    )?;
    let title = format!(
        "logistic regression, {} classes, λ = {lambda}: accuracy {:.3}",
        p.c, perf.accuracy
    );
    Figure2d::new(title)
        .with_surface(surface)
        .with_data(graph_data(p.x.view(), &p.y, &pred, &[])?)
        .save(&dir.path(&name))?;
    Ok(RunReport {
        classes: p.c,
        param_lambda: lambda,
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        confusion: perf.confusion,
        ap: metrics::average_precision_of_proba(probs.view(), &p.y)?,
        weight_norm: model.weight_norm(),
        final_loss: curve.last().map_or(f64::NAN, |l| l.1),
        plot: name,
    })
}

/// Runs everything and writes `metrics.json`, the surfaces and `lambda_sweep.png`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, LogregError> {
    cfg.check()?;
    let dir = RunDir::create(&cfg.out)?;
    let ext = cfg.format.ext();
    let two = problem(cfg, 2)?;
    let three = problem(cfg, 3)?;
    let runs = vec![
        run_one(
            cfg,
            &two,
            cfg.param_lambda,
            &dir,
            format!("surface_2class.{ext}"),
        )?,
        run_one(
            cfg,
            &three,
            cfg.param_lambda,
            &dir,
            format!("surface_3class.{ext}"),
        )?,
    ];
    let sweep = cfg
        .sweep
        .iter()
        .map(|&l| {
            run_one(
                cfg,
                &three,
                l,
                &dir,
                format!("surface_3class_lambda{l}.{ext}"),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    // log10 λ on the x axis; λ = 0 is left out of the plot (it is in the JSON).
    let pts = |f: fn(&RunReport) -> f64| -> Vec<(f64, f64)> {
        sweep
            .iter()
            .filter(|r| r.param_lambda > 0.0)
            .map(|r| (r.param_lambda.log10(), f(r)))
            .collect()
    };
    if pts(|r| r.accuracy).len() >= 2 {
        line_plot(
            &dir.path(&format!("lambda_sweep.{ext}")),
            "3 classes: effect of λ",
            "log10 λ",
            "value",
            &[
                Series::new("training accuracy", pts(|r| r.accuracy)),
                Series::new("‖W‖", pts(|r| r.weight_norm)),
            ],
            false,
        )?;
    }
    let report = LabReport {
        lab: "pt_logreg",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        runs,
        sweep,
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("pt_logreg-{}-{name}", std::process::id()))
    }

    #[test]
    fn separable_data_reaches_095_and_lambda_shrinks_weights() {
        tch::set_num_threads(1); // tiny problem: one thread is fastest, as in the binary
        let out = tmp("lab");
        let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
        cfg.grid = 24;
        cfg.niter = 2000;
        // Seed 3: the two Gaussians of sample_gauss_2d(2, 100) barely overlap.
        cfg.seed = 3;
        let r = run_lab(&cfg).unwrap();
        assert!(
            r.runs[0].accuracy >= 0.95,
            "2 classes: {}",
            r.runs[0].accuracy
        );
        let norms: Vec<f64> = r.sweep.iter().map(|s| s.weight_norm).collect();
        assert!(
            norms.windows(2).all(|w| w[1] <= w[0] + 1e-6),
            "‖W‖ falls as λ grows: {norms:?}"
        );
        assert!(
            norms[4] < 0.5 * norms[0],
            "λ = 1 shrinks ‖W‖ well below λ = 0: {norms:?}"
        );
        assert!(out.join("metrics.json").exists() && out.join("lambda_sweep.png").exists());
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn invalid_config_is_rejected_before_work() {
        let out = tmp("never");
        let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
        cfg.sweep = vec![0.1, -1.0];
        assert!(matches!(run_lab(&cfg), Err(LogregError::BadLambda(l)) if l == -1.0));
        cfg.sweep = vec![];
        cfg.n = 0;
        assert!(matches!(
            run_lab(&cfg),
            Err(LogregError::Data(data::DataError::ZeroSamples(0)))
        ));
        assert!(!out.exists());
    }
}
