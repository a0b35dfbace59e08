//! The lab's runs: each data set × each configuration, with metrics and plots.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use data::plot::{graph_classes, graph_data, graph_surface, save_gif, Figure2d, Rect, Surface};
use data::Standardizer;
use labkit::{PlotFormat, RunDir};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use serde::Serialize;
use tch::{nn::VarStore, Device, Tensor};

use crate::train::{eval, predict, train, TrainParams};
use crate::{model::check_config, Activation, PTDeep, PtDeepError};

use data::parse_list;
pub use data::GmmSpec;

/// Layer sizes `D,h1,…,C` on the command line, e.g. `2,10,10,2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerConfig(pub Vec<usize>);

impl FromStr for LayerConfig {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let v = parse_list(s)?;
        check_config(&v).map_err(|e| e.to_string())?;
        Ok(LayerConfig(v))
    }
}

impl fmt::Display for LayerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        write!(f, "[{}]", parts.join(","))
    }
}

/// The data sets of the lab: gmm(4,2,40) and gmm(6,2,10).
pub fn lab_datasets() -> Vec<GmmSpec> {
    vec![GmmSpec { k: 4, c: 2, n: 40 }, GmmSpec { k: 6, c: 2, n: 10 }]
}

/// The configurations of the lab: [2,2], [2,10,2], [2,10,10,2].
pub fn lab_configs() -> Vec<LayerConfig> {
    vec![
        LayerConfig(vec![2, 2]),
        LayerConfig(vec![2, 10, 2]),
        LayerConfig(vec![2, 10, 10, 2]),
    ]
}

/// The reference setting, animated during training: gmm(6,2,10) with [2,10,10,2].
pub fn reference() -> (GmmSpec, LayerConfig) {
    (
        GmmSpec { k: 6, c: 2, n: 10 },
        LayerConfig(vec![2, 10, 10, 2]),
    )
}

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    pub train: TrainParams,
    pub activation: Activation,
    pub configs: Vec<LayerConfig>,
    pub datasets: Vec<GmmSpec>,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
    /// Write a GIF of the decision surface while the reference setting trains.
    pub animate: bool,
    /// The decision surface is sampled on grid × grid points.
    pub grid: usize,
    /// Standardise the inputs ((x − mean)/std per feature) before training;
    /// plots stay in the original coordinates.
    pub standardize: bool,
}

impl LabConfig {
    /// The lab's default protocol on `device`, written to `out`.
    pub fn lab_default(device: Device, out: PathBuf) -> Self {
        LabConfig {
            seed: 100,
            train: TrainParams::default(),
            activation: Activation::Relu,
            configs: lab_configs(),
            datasets: lab_datasets(),
            device,
            out,
            format: PlotFormat::Png,
            animate: true,
            grid: 256,
            standardize: true,
        }
    }

    pub fn check(&self) -> Result<(), PtDeepError> {
        self.train.check()?;
        for d in &self.datasets {
            data::check_gmm_args(d.k, d.c, d.n)?;
        }
        for LayerConfig(cfg) in &self.configs {
            check_config(cfg)?;
            if cfg[0] != 2 {
                return Err(PtDeepError::InputDim {
                    config: cfg.clone(),
                    expected: cfg[0],
                    found: 2,
                });
            }
            for d in &self.datasets {
                let c = cfg[cfg.len() - 1];
                if c != d.c {
                    return Err(PtDeepError::ClassDim {
                        config: cfg.clone(),
                        expected: c,
                        found: d.c,
                    });
                }
            }
        }
        data::plot::check_grid(self.grid)?;
        Ok(())
    }
}

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

fn config_tag(cfg: &[usize]) -> String {
    cfg.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("-")
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
        let (x, y) = data::sample_gmm_2d(spec.k, spec.c, spec.n, &mut rng)?;
        for layers in &cfg.configs {
            let animate = cfg.animate && *spec == ref_data && *layers == ref_cfg;
            let (report, frames) = run_one(
                cfg,
                spec,
                x.view(),
                y.as_slice().unwrap_or(&[]),
                &layers.0,
                &dir,
                animate,
            )?;
            if let Some(frames) = frames {
                let name = format!(
                    "training_gmm{}-{}-{}_{}.gif",
                    spec.k,
                    spec.c,
                    spec.n,
                    config_tag(&layers.0)
                );
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

/// Probability of class 1 (two classes) or the predicted class (more), for every row.
fn decision_values(
    proba: &dyn Fn(&Tensor) -> Tensor,
    scale: &Standardizer,
    grid: ArrayView2<f64>,
    device: Device,
) -> Array1<f64> {
    let p = tch::no_grad(|| proba(&torch_util::to_tensor(scale.transform(grid).view(), device)));
    let Ok(p) = torch_util::to_array2(&p) else {
        return Array1::zeros(0); // graph_surface reports the empty answer as an error
    };
    if p.ncols() == 2 {
        p.column(1).to_owned()
    } else {
        p.map_axis(Axis(1), |r| argmax(r.iter().copied()) as f64)
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(it: impl Iterator<Item = f64>) -> usize {
    it.enumerate()
        .fold(
            (0, f64::MIN),
            |best, (i, v)| if v > best.1 { (i, v) } else { best },
        )
        .0
}

/// The decision surface of `model` (fed through `scale`) over `rect`.
pub fn surface(
    model: &PTDeep,
    scale: &Standardizer,
    rect: Rect,
    grid: usize,
    device: Device,
) -> Result<Surface, PtDeepError> {
    Ok(surface_of(
        &|x| model.forward(x),
        model.n_classes(),
        scale,
        rect,
        grid,
        device,
    )?)
}

/// The decision surface of any classifier given as `proba`: X (M × D, already
/// on `device`) → P (M × C). The grid is fed through `scale` first, so plots stay
/// in the original coordinates. Two classes: P(class 1) with the boundary at ½;
/// more: the predicted class as coloured regions.
pub fn surface_of(
    proba: &dyn Fn(&Tensor) -> Tensor,
    n_classes: usize,
    scale: &Standardizer,
    rect: Rect,
    grid: usize,
    device: Device,
) -> Result<Surface, data::plot::PlotError> {
    let f = |g: ArrayView2<f64>| decision_values(proba, scale, g, device);
    if n_classes == 2 {
        graph_surface(f, rect, 0.5, grid, grid)
    } else {
        graph_classes(f, rect, grid, grid)
    }
}

/// AP for two classes (scores P[:,1]); mean one-vs-rest AP over classes present otherwise.
pub fn average_precision(p: &Array2<f64>, y: &[usize]) -> Option<f64> {
    let ap_of = |c: usize| {
        let labels: Vec<bool> = y.iter().map(|&t| t == c).collect();
        metrics::eval_ap_from_scores(&p.column(c).to_vec(), &labels).ok()
    };
    if p.ncols() == 2 {
        return ap_of(1);
    }
    let aps: Vec<f64> = (0..p.ncols()).filter_map(ap_of).collect();
    (!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64)
}

struct View<'a, 'x> {
    x: ArrayView2<'x, f64>,
    y: &'a [usize],
    xt: &'a Tensor,
    scale: &'a Standardizer,
    rect: Rect,
}

fn snapshot(
    model: &PTDeep,
    v: &View<'_, '_>,
    title: String,
    device: Device,
) -> Result<Figure2d, PtDeepError> {
    let s = surface(model, v.scale, v.rect, 96, device)?;
    let pred = torch_util::to_labels(&predict(model, v.xt))?;
    let (x, y) = (v.x, v.y);
    Ok(Figure2d::new(title)
        .with_surface(s)
        .with_data(graph_data(x, y, &pred, &[])?))
}

type Frames = Option<Vec<Figure2d>>;

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
) -> Result<(RunReport, Frames), PtDeepError> {
    let device = cfg.device;
    tch::manual_seed(cfg.seed as i64);
    let vs = VarStore::new(device);
    let model = PTDeep::new(&vs.root(), layers, cfg.activation)?;
    let scale = if cfg.standardize {
        Standardizer::fit(x).ok_or(PtDeepError::Empty)?
    } else {
        Standardizer::identity(x.ncols())
    };
    let xt = torch_util::to_tensor(scale.transform(x).view(), device);
    let yoh: Tensor = torch_util::to_tensor(data::class_to_onehot(y, Some(spec.c))?.view(), device);
    let rect = Rect::around(x, 0.1)?;
    let view = View {
        x,
        y,
        xt: &xt,
        scale: &scale,
        rect,
    };
    let label = format!("{spec} {}", LayerConfig(layers.to_vec()));

    let n_logs = if animate { 50 } else { 100 };
    let params = TrainParams {
        log_every: (cfg.train.niter / n_logs).max(1),
        ..cfg.train
    };
    let pb = labkit::progress(cfg.train.niter as u64, &label);
    let mut frames = animate.then(Vec::new);
    let mut frame_time = Duration::ZERO;
    let mut frame_err = None;
    let t0 = Instant::now();
    let log = train(&vs, &model, &xt, &yoh, &params, |it, loss, m| {
        pb.set_position(it as u64);
        pb.set_message(format!("loss {loss:.4}"));
        if let Some(frames) = frames.as_mut() {
            let tf = Instant::now();
            match snapshot(
                m,
                &view,
                format!("{label}  iter {it}  loss {loss:.3}"),
                device,
            ) {
                Ok(f) => frames.push(f),
                Err(e) => frame_err = Some(e),
            }
            frame_time += tf.elapsed();
        }
    })?;
    let train_time = t0.elapsed().saturating_sub(frame_time);
    pb.finish_and_clear();
    if let Some(e) = frame_err {
        return Err(e);
    }

    let p = torch_util::to_array2(&eval(&model, &xt))?;
    let pred: Vec<usize> = p
        .rows()
        .into_iter()
        .map(|r| argmax(r.iter().copied()))
        .collect();
    let perf = metrics::eval_perf_multi(&pred, y, Some(spec.c))?;
    let ap = average_precision(&p, y);

    let plot = format!(
        "surface_gmm{}-{}-{}_{}.{}",
        spec.k,
        spec.c,
        spec.n,
        config_tag(layers),
        cfg.format.ext()
    );
    let title = format!(
        "{label} {:?}: accuracy {:.3}",
        cfg.activation, perf.accuracy
    )
    .to_lowercase();
    Figure2d::new(title)
        .with_surface(surface(&model, &scale, rect, cfg.grid, device)?)
        .with_data(graph_data(x, y, &pred, &[])?)
        .save(&dir.path(&plot))?;

    let report = RunReport {
        data: *spec,
        n_examples: y.len(),
        config: layers.to_vec(),
        activation: cfg.activation,
        seed: cfg.seed,
        device: torch_util::device_name(device),
        n_params: model.count_params().total,
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        confusion: perf.confusion,
        ap,
        final_loss: log.final_loss().unwrap_or(f64::NAN),
        loss_curve: log.losses,
        train_seconds: train_time.as_secs_f64(),
        us_per_iter: train_time.as_secs_f64() * 1e6 / cfg.train.niter as f64,
        plot,
    };
    Ok((report, frames))
}

/// The printed summary: one row per run.
pub fn summary_table(r: &LabReport) -> String {
    let rows: Vec<Vec<String>> = r
        .runs
        .iter()
        .map(|run| {
            let pr = |v: &[f64]| {
                v.iter()
                    .map(|x| format!("{x:.3}"))
                    .collect::<Vec<_>>()
                    .join("/")
            };
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

/// Time per training step of [2,10,10,2] on gmm(6,2,10) (seed 100), after a warm-up.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub device: String,
    pub threads: i32,
    pub iterations: usize,
    pub us_per_iter: f64,
}

pub fn bench_iterations(device: Device, iterations: usize) -> Result<BenchResult, PtDeepError> {
    let (spec, layers) = reference();
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let (x, y) = data::sample_gmm_2d(spec.k, spec.c, spec.n, &mut rng)?;
    let yoh = data::class_to_onehot(y.as_slice().unwrap_or(&[]), Some(spec.c))?;
    let x = Standardizer::fit(x.view())
        .ok_or(PtDeepError::Empty)?
        .transform(x.view());
    let (xt, yt) = (
        torch_util::to_tensor(x.view(), device),
        torch_util::to_tensor(yoh.view(), device),
    );
    tch::manual_seed(100);
    let vs = VarStore::new(device);
    let model = PTDeep::new(&vs.root(), &layers.0, Activation::Relu)?;
    let mut trainer = crate::Trainer::sgd(&vs, &model, 0.1, 1e-4)?;
    for _ in 0..200 {
        let _ = trainer.step(&xt, &yt);
    }
    let _ = trainer.step(&xt, &yt).double_value(&[]); // wait for the device
    let t0 = Instant::now();
    let mut last = None;
    for _ in 0..iterations {
        last = Some(trainer.step(&xt, &yt));
    }
    if let Some(l) = last {
        let _ = l.double_value(&[]); // include queued device work in the time
    }
    Ok(BenchResult {
        device: torch_util::device_name(device),
        threads: tch::get_num_threads(),
        iterations,
        us_per_iter: t0.elapsed().as_secs_f64() * 1e6 / iterations.max(1) as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_command_line_lists() {
        assert_eq!(
            "6,2,10".parse::<GmmSpec>().unwrap(),
            GmmSpec { k: 6, c: 2, n: 10 }
        );
        assert!("6,2".parse::<GmmSpec>().is_err());
        assert!("6,x,2".parse::<GmmSpec>().unwrap_err().contains("'x'"));
        assert_eq!(
            "2, 10,2".parse::<LayerConfig>().unwrap(),
            LayerConfig(vec![2, 10, 2])
        );
        assert!("2".parse::<LayerConfig>().is_err());
        assert!("2,0,2".parse::<LayerConfig>().is_err());
    }

    #[test]
    fn config_is_checked_before_work() {
        let out = std::env::temp_dir().join("pt_deep_never_written");
        let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
        cfg.configs = vec![LayerConfig(vec![2, 3])];
        assert!(matches!(
            cfg.check(),
            Err(PtDeepError::ClassDim {
                expected: 3,
                found: 2,
                ..
            })
        ));
        cfg.configs = vec![LayerConfig(vec![3, 2])];
        assert!(matches!(cfg.check(), Err(PtDeepError::InputDim { .. })));
        cfg.configs = lab_configs();
        cfg.datasets = vec![GmmSpec { k: 1, c: 2, n: 5 }];
        assert!(matches!(
            run_lab(&cfg),
            Err(PtDeepError::Data(
                data::DataError::FewerComponentsThanClasses { k: 1, c: 2 }
            ))
        ));
        assert!(
            !out.exists(),
            "nothing is written when the config is invalid"
        );
    }

    #[test]
    fn ap_uses_class_one_scores() {
        let p = ndarray::arr2(&[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]);
        assert_eq!(average_precision(&p, &[0, 1, 1]), Some(1.0));
        // scores of class 1 sorted: 0.1 (pos), 0.4 (pos), 0.8 (neg) -> (2/3 + 1/2) / 2
        let ap = average_precision(&p, &[1, 0, 1]).unwrap();
        assert!((ap - 7.0 / 12.0).abs() < 1e-12);
        assert_eq!(average_precision(&p, &[0, 0, 0]), None);
    }
}
