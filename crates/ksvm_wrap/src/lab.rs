//! The lab's runs: the reference data set with its decision surface, and
//! KSVMWrap against PTDeep over many random data sets.

use std::path::PathBuf;
use std::time::Instant;

use data::plot::{graph_classes, graph_data, graph_surface, Figure2d, Rect};
use data::GmmSpec;
use labkit::{PlotFormat, RunDir};
use ndarray::{Array1, Array2, ArrayView2};
use pt_deep::{Activation, TrainParams};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;
use tch::Device;

use crate::{KSVMWrap, KsvmError, KsvmParams};

/// The reference data set: `sample_gmm_2d(6, 2, 10)`.
pub fn reference_data() -> GmmSpec {
    GmmSpec { k: 6, c: 2, n: 10 }
}

/// The comparison's settings: the reference gmm(6,2,10) and the harder
/// gmm(10,2,10), where ten components share two classes in the same square,
/// so the classes overlap more and need a more winding boundary.
pub fn comparison_settings() -> Vec<GmmSpec> {
    vec![reference_data(), GmmSpec { k: 10, c: 2, n: 10 }]
}

/// PTDeep's training in the comparison: δ = 0.1, λ = 1e-4 as in pt_deep, but
/// 1,000 steps instead of 10⁴: at about 150 µs per step, 100 models then
/// train in about 15 s on one CPU thread (10⁴ steps would take 2.5 minutes).
pub fn comparison_train() -> TrainParams {
    TrainParams {
        niter: 1_000,
        log_every: 1_000,
        ..TrainParams::default()
    }
}

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    /// The SVM's C, γ and solver tolerance.
    pub svm: KsvmParams,
    /// The data set of the reference run and its plot.
    pub reference: GmmSpec,
    /// The data-set settings of the comparison.
    pub settings: Vec<GmmSpec>,
    /// Random data sets per setting.
    pub datasets: usize,
    /// PTDeep's hidden layers: the config is `[2, hidden…, C]`.
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub train: TrainParams,
    /// PTDeep trains on standardised inputs ((x − mean)/std, as in pt_deep's lab);
    /// the SVM sees the raw coordinates, as in the course.
    pub standardize: bool,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
    /// The decision surface is sampled on grid × grid points.
    pub grid: usize,
}

impl LabConfig {
    /// The lab's default protocol on `device`, written to `out`.
    pub fn lab_default(device: Device, out: PathBuf) -> Self {
        LabConfig {
            seed: 100,
            svm: KsvmParams::default(),
            reference: reference_data(),
            settings: comparison_settings(),
            datasets: 50,
            hidden: vec![10, 10],
            activation: Activation::Relu,
            train: comparison_train(),
            standardize: true,
            device,
            out,
            format: PlotFormat::Png,
            grid: 256,
        }
    }

    /// PTDeep's layer sizes for `c` classes.
    pub fn layers(&self, c: usize) -> Vec<usize> {
        let mut l = vec![2];
        l.extend(&self.hidden);
        l.push(c);
        l
    }

    pub fn check(&self) -> Result<(), KsvmError> {
        self.svm.check()?;
        self.train.check()?;
        for d in std::iter::once(&self.reference).chain(&self.settings) {
            data::check_gmm_args(d.k, d.c, d.n)?;
            if d.c < 2 {
                return Err(KsvmError::FewClasses(d.to_string()));
            }
            pt_deep::model::check_config(&self.layers(d.c))?;
        }
        if self.datasets == 0 && !self.settings.is_empty() {
            return Err(KsvmError::NoDatasets);
        }
        data::plot::check_grid(self.grid)?;
        Ok(())
    }
}

/// Draws `sample_gmm_2d(spec)` from `rng` until at least two classes occur
/// (each component's class is random, so all can fall in one class).
/// Returns X, Y_ and how many draws were rejected.
pub fn draw_dataset(
    spec: &GmmSpec,
    rng: &mut StdRng,
) -> Result<(Array2<f64>, Vec<usize>, usize), KsvmError> {
    const TRIES: usize = 1000;
    for rejected in 0..TRIES {
        let (x, y) = data::sample_gmm_2d(spec.k, spec.c, spec.n, rng)?;
        let y = y.to_vec();
        if y.iter().any(|&c| c != y[0]) {
            return Ok((x, y, rejected));
        }
    }
    Err(KsvmError::OnlySingleClassDraws {
        data: spec.to_string(),
        tries: TRIES,
    })
}

/// Mean, sample standard deviation (n − 1; 0 for one value), min and max.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stats> {
        let v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Some(Stats {
            n,
            mean,
            std: var.sqrt(),
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.3} ± {:.3}", self.mean, self.std)
    }
}

/// The reference run: one SVM on the reference data set.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    pub data: GmmSpec,
    pub seed: u64,
    pub n_examples: usize,
    /// The γ used (1/D for 'auto').
    pub gamma: f64,
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub confusion: Vec<Vec<usize>>,
    /// AP of the class-1 scores (two classes), mean one-vs-rest AP otherwise.
    pub ap: Option<f64>,
    pub n_support: usize,
    /// Training-set indices of the support vectors.
    pub support: Vec<usize>,
    pub fit_seconds: f64,
    pub plot: String,
}

/// One data set of the comparison: both models, trained and scored on it.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRun {
    pub index: usize,
    pub n_examples: usize,
    pub svm_accuracy: f64,
    pub svm_ap: Option<f64>,
    pub svm_support: usize,
    pub svm_seconds: f64,
    pub ptdeep_accuracy: f64,
    pub ptdeep_ap: Option<f64>,
    pub ptdeep_loss: f64,
    pub ptdeep_seconds: f64,
}

/// Summary of one model over the data sets of a setting.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    pub accuracy: Option<Stats>,
    pub ap: Option<Stats>,
    pub seconds: Option<Stats>,
}

/// The comparison on one setting.
#[derive(Debug, Clone, Serialize)]
pub struct SettingReport {
    pub data: GmmSpec,
    pub n_datasets: usize,
    /// Draws with a single class, rejected and drawn again.
    pub rejected_draws: usize,
    pub ptdeep_config: Vec<usize>,
    pub svm: ModelSummary,
    pub ptdeep: ModelSummary,
    pub svm_support: Option<Stats>,
    /// Data sets where the SVM's training accuracy is higher / equal / lower.
    pub svm_more_accurate: usize,
    pub equally_accurate: usize,
    pub ptdeep_more_accurate: usize,
    pub runs: Vec<DatasetRun>,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    pub reference: ReferenceReport,
    pub comparison: Vec<SettingReport>,
    pub total_seconds: f64,
}

/// Runs the reference run and the comparison; writes the plot and `metrics.json` under `cfg.out`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, KsvmError> {
    cfg.check()?;
    let start = Instant::now();
    let dir = RunDir::create(&cfg.out)?;
    let reference = run_reference(cfg, &dir)?;
    let total = (cfg.settings.len() * cfg.datasets) as u64;
    let pb = labkit::progress(total, "KSVMWrap vs PTDeep");
    let comparison = cfg
        .settings
        .iter()
        .enumerate()
        .map(|(s, spec)| compare_setting(cfg, s, spec, &pb))
        .collect::<Result<Vec<_>, _>>()?;
    pb.finish_and_clear();
    let report = LabReport {
        lab: "ksvm_wrap",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        reference,
        comparison,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

/// The SVM on the reference data set (seed `cfg.seed`): metrics and the surface plot.
pub fn run_reference(cfg: &LabConfig, dir: &RunDir) -> Result<ReferenceReport, KsvmError> {
    let spec = cfg.reference;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let (x, y, _) = draw_dataset(&spec, &mut rng)?;
    let t0 = Instant::now();
    let svm = KSVMWrap::fit(x.view(), &y, &cfg.svm)?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let pred = svm.predict(x.view())?;
    let perf = metrics::eval_perf_multi(&pred, &y, Some(spec.c))?;
    let ap = metrics::average_precision_of_proba(class_scores(&svm, x.view(), spec.c)?.view(), &y)?;
    let support = svm.support();

    let rect = Rect::around(x.view(), 0.1)?;
    let surface = if svm.classes().len() == 2 {
        // The raw decision value: its zero level is the boundary.
        let f = |g: ArrayView2<f64>| {
            svm.decision_function(g)
                .map(|d| d.column(0).to_owned())
                .unwrap_or_else(|_| Array1::zeros(0)) // reported by graph_surface
        };
        graph_surface(f, rect, 0.0, cfg.grid, cfg.grid)?
    } else {
        let f = |g: ArrayView2<f64>| {
            svm.predict(g)
                .map(|p| p.into_iter().map(|c| c as f64).collect())
                .unwrap_or_else(|_| Array1::zeros(0))
        };
        graph_classes(f, rect, cfg.grid, cfg.grid)?
    };
    let plot = format!("surface.{}", cfg.format.ext());
    let title = format!(
        "KSVMWrap {spec}, C = {}, γ = {:.3}: accuracy {:.3}, {} support vectors",
        cfg.svm.c,
        svm.gamma(),
        perf.accuracy,
        support.len()
    );
    Figure2d::new(title)
        .with_surface(surface)
        .with_data(graph_data(x.view(), &y, &pred, &support)?)
        .save(&dir.path(&plot))?;

    Ok(ReferenceReport {
        data: spec,
        seed: cfg.seed,
        n_examples: y.len(),
        gamma: svm.gamma(),
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        confusion: perf.confusion,
        ap,
        n_support: support.len(),
        support,
        fit_seconds,
        plot,
    })
}

/// The SVM's scores with one column per class 0..c, as average precision
/// expects them (a class absent from the training labels keeps a zero column).
fn class_scores(svm: &KSVMWrap, x: ArrayView2<f64>, c: usize) -> Result<Array2<f64>, KsvmError> {
    let s = svm.get_scores(x)?;
    let mut out = Array2::zeros((x.nrows(), c));
    for (k, &label) in svm.classes().iter().enumerate() {
        if label < c {
            out.column_mut(label).assign(&s.column(k));
        }
    }
    Ok(out)
}

/// Trains PTDeep through pt_deep's own library routine; returns its training
/// accuracy, AP and final loss.
fn run_ptdeep(
    cfg: &LabConfig,
    x: ArrayView2<f64>,
    y: &[usize],
    c: usize,
    torch_seed: u64,
) -> Result<(f64, Option<f64>, f64), KsvmError> {
    let layers = cfg.layers(c);
    let spec = pt_deep::FitSpec {
        layers: &layers,
        activation: cfg.activation,
        train: TrainParams {
            log_every: cfg.train.niter,
            ..cfg.train
        },
        standardize: cfg.standardize,
        torch_seed,
        device: cfg.device,
    };
    let fitted = pt_deep::fit(x, y, &spec, |_, _, _| {})?;
    let score = fitted.score(x, y)?;
    let final_loss = fitted
        .log
        .final_loss()
        .ok_or(pt_deep::PtDeepError::ZeroIterations)?;
    Ok((score.perf.accuracy, score.ap, final_loss))
}

/// Both models on `cfg.datasets` random data sets of one setting.
///
/// Setting `s` draws its data sets one after another from `StdRng(seed + s)`;
/// PTDeep's initial weights for data set `i` come from `tch::manual_seed(seed + i)`.
fn compare_setting(
    cfg: &LabConfig,
    s: usize,
    spec: &GmmSpec,
    pb: &indicatif::ProgressBar,
) -> Result<SettingReport, KsvmError> {
    let mut rng = StdRng::seed_from_u64(cfg.seed.wrapping_add(s as u64));
    let mut runs = Vec::with_capacity(cfg.datasets);
    let mut rejected_draws = 0;
    pb.set_message(spec.to_string());
    for index in 0..cfg.datasets {
        let (x, y, rejected) = draw_dataset(spec, &mut rng)?;
        rejected_draws += rejected;

        let t0 = Instant::now();
        let svm = KSVMWrap::fit(x.view(), &y, &cfg.svm)?;
        let svm_seconds = t0.elapsed().as_secs_f64();
        let pred = svm.predict(x.view())?;
        let svm_accuracy = metrics::eval_perf_multi(&pred, &y, Some(spec.c))?.accuracy;
        let svm_ap =
            metrics::average_precision_of_proba(class_scores(&svm, x.view(), spec.c)?.view(), &y)?;

        let t0 = Instant::now();
        let (ptdeep_accuracy, ptdeep_ap, ptdeep_loss) = run_ptdeep(
            cfg,
            x.view(),
            &y,
            spec.c,
            cfg.seed.wrapping_add(index as u64),
        )?;
        let ptdeep_seconds = t0.elapsed().as_secs_f64();

        runs.push(DatasetRun {
            index,
            n_examples: y.len(),
            svm_accuracy,
            svm_ap,
            svm_support: svm.n_support(),
            svm_seconds,
            ptdeep_accuracy,
            ptdeep_ap,
            ptdeep_loss,
            ptdeep_seconds,
        });
        pb.inc(1);
    }
    let cmp = |r: &DatasetRun| r.svm_accuracy.total_cmp(&r.ptdeep_accuracy);
    let count = |o: std::cmp::Ordering| runs.iter().filter(|r| cmp(r) == o).count();
    Ok(SettingReport {
        data: *spec,
        n_datasets: runs.len(),
        rejected_draws,
        ptdeep_config: cfg.layers(spec.c),
        svm: ModelSummary {
            accuracy: Stats::of(runs.iter().map(|r| r.svm_accuracy)),
            ap: Stats::of(runs.iter().filter_map(|r| r.svm_ap)),
            seconds: Stats::of(runs.iter().map(|r| r.svm_seconds)),
        },
        ptdeep: ModelSummary {
            accuracy: Stats::of(runs.iter().map(|r| r.ptdeep_accuracy)),
            ap: Stats::of(runs.iter().filter_map(|r| r.ptdeep_ap)),
            seconds: Stats::of(runs.iter().map(|r| r.ptdeep_seconds)),
        },
        svm_support: Stats::of(runs.iter().map(|r| r.svm_support as f64)),
        svm_more_accurate: count(std::cmp::Ordering::Greater),
        equally_accurate: count(std::cmp::Ordering::Equal),
        ptdeep_more_accurate: count(std::cmp::Ordering::Less),
        runs,
    })
}

/// The printed summary of the reference run.
pub fn reference_table(r: &ReferenceReport) -> String {
    let join = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join("/")
    };
    let classes: Vec<String> = (0..r.precision.len()).map(|c| format!("c{c}")).collect();
    let classes = classes.join("/");
    let rows = vec![vec![
        r.data.to_string(),
        format!("{:.3}", r.accuracy),
        join(&r.precision),
        join(&r.recall),
        r.ap.map_or("n/a".into(), |a| format!("{a:.3}")),
        format!("{} of {}", r.n_support, r.n_examples),
        format!("{:.1}", r.fit_seconds * 1e3),
    ]];
    labkit::table(
        &[
            "data",
            "accuracy",
            &format!("precision {classes}"),
            &format!("recall {classes}"),
            "AP",
            "support vectors",
            "fit ms",
        ],
        &rows,
    )
}

/// The printed comparison: one row per setting and model.
pub fn comparison_table(settings: &[SettingReport]) -> String {
    let st = |s: &Option<Stats>| s.map_or("n/a".into(), |s| s.to_string());
    let ms = |s: &Option<Stats>| s.map_or("n/a".into(), |s| format!("{:.1}", s.mean * 1e3));
    let mut rows = Vec::new();
    for s in settings {
        let wins = |n: usize| format!("{n} of {}", s.n_datasets);
        rows.push(vec![
            s.data.to_string(),
            "KSVMWrap".into(),
            st(&s.svm.accuracy),
            st(&s.svm.ap),
            wins(s.svm_more_accurate),
            ms(&s.svm.seconds),
        ]);
        let cfg: Vec<String> = s.ptdeep_config.iter().map(|d| d.to_string()).collect();
        rows.push(vec![
            s.data.to_string(),
            format!("PTDeep [{}]", cfg.join(",")),
            st(&s.ptdeep.accuracy),
            st(&s.ptdeep.ap),
            wins(s.ptdeep_more_accurate),
            ms(&s.ptdeep.seconds),
        ]);
    }
    labkit::table(
        &[
            "data",
            "model",
            "train accuracy",
            "AP",
            "more accurate on",
            "ms per fit",
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_use_the_sample_std() {
        let s = Stats::of([1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!((s.min, s.max, s.n), (1.0, 4.0, 4));
        assert_eq!(Stats::of([7.0]).unwrap().std, 0.0);
        assert!(Stats::of([]).is_none());
    }

    #[test]
    fn config_is_checked_before_work() {
        let out = std::env::temp_dir().join("ksvm_wrap_never_written");
        let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
        cfg.svm.c = 0.0;
        assert!(matches!(run_lab(&cfg), Err(KsvmError::BadC(c)) if c == 0.0));
        cfg.svm.c = 1.0;
        cfg.datasets = 0;
        assert!(matches!(cfg.check(), Err(KsvmError::NoDatasets)));
        cfg.datasets = 3;
        cfg.settings = vec![GmmSpec { k: 1, c: 2, n: 10 }];
        assert!(matches!(
            cfg.check(),
            Err(KsvmError::Data(
                data::DataError::FewerComponentsThanClasses { k: 1, c: 2 }
            ))
        ));
        assert!(!out.exists(), "nothing is written for an invalid config");
    }

    #[test]
    fn single_class_draws_are_redrawn() {
        // gmm(2,2,5): each of the two components is class 0 or 1 with
        // probability ½, so about half the draws have one class only.
        let mut rng = StdRng::seed_from_u64(0);
        let mut rejected = 0;
        for _ in 0..20 {
            let (_, y, r) = draw_dataset(&GmmSpec { k: 2, c: 2, n: 5 }, &mut rng).unwrap();
            assert!(y.contains(&0) && y.contains(&1));
            rejected += r;
        }
        assert!(rejected > 0, "some draws had a single class");
    }
}
