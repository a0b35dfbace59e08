//! `ksvm_wrap mnist`: check, load, fit with one backend (or both for
//! `--bench`), measure scikit-learn when asked or benchmarking, print, and
//! write `mnist.json` / `mnist_bench.json`. Nothing is written before the
//! settings, the Python (for `--sklearn`) and the data have been checked.

use serde::Serialize;
use torch_util::roofline::{matmul_peak, Roofline, PEAK_SIZE};

use super::sklearn::{self, Reference, SklearnRun};
use super::{fit_and_score, load, FitTask, MnistConfig, MnistRun, MnistTask, BENCH_REPEATS};
use crate::{Backend, KsvmError, ResolvedKernel};

/// Two figures measured in the same run and their ratio (`ours / theirs`).
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub ours: String,
    pub theirs: String,
    /// Fit + predict, seconds.
    pub ours_seconds: f64,
    pub theirs_seconds: f64,
    pub ratio: f64,
}

impl Ratio {
    fn new(ours: &str, a: f64, theirs: &str, b: f64) -> Ratio {
        Ratio {
            ours: ours.into(),
            theirs: theirs.into(),
            ours_seconds: a,
            theirs_seconds: b,
            ratio: a / b,
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fit + predict: {} {:.1} s, {} {:.1} s: {} takes {:.3}× {}'s time",
            self.ours,
            self.ours_seconds,
            self.theirs,
            self.theirs_seconds,
            self.ours,
            self.ratio,
            self.theirs
        )
    }
}

/// What `mnist.json` / `mnist_bench.json` hold.
#[derive(Debug, Clone, Serialize)]
pub struct MnistReport {
    pub lab: &'static str,
    pub seed: u64,
    pub config: MnistConfig,
    pub runs: Vec<MnistRun>,
    /// scikit-learn on the same images: `None` when not asked for.
    pub sklearn: Option<Reference>,
    pub ratios: Vec<Ratio>,
    /// The SMO fit's kernel rows under the fp32 matrix-product peak measured
    /// in the same run (all cores): `None` for linfa-svm, which does not
    /// count its kernel rows.
    pub roofline: Option<Roofline>,
    /// The file written, relative to the output folder.
    pub file: &'static str,
}

fn seconds(r: &MnistRun) -> f64 {
    r.fit_seconds + r.predict_seconds
}

fn kernel_text(k: ResolvedKernel) -> String {
    match k {
        ResolvedKernel::Rbf { gamma } => format!("RBF SVM (γ = {gamma:.5})"),
        ResolvedKernel::Linear => "linear SVM".into(),
    }
}

/// Runs the task of `cfg`, printing as it goes; returns what it wrote.
pub fn run(cfg: &MnistConfig) -> Result<MnistReport, KsvmError> {
    cfg.check()?;
    if let MnistTask::Fit(FitTask { sklearn: true, .. }) = cfg.task {
        // Asked for explicitly: without scikit-learn the run would not be what was asked.
        sklearn::probe(&cfg.python).map_err(|reason| KsvmError::SklearnUnavailable {
            python: cfg.python.clone(),
            reason,
        })?;
    }
    let (n_train, n_test) = (cfg.n_train(), cfg.n_test);
    let d = load(&cfg.mnist_dir, n_train, n_test)?;
    let backends = match cfg.task {
        MnistTask::Fit(f) => vec![f.backend],
        MnistTask::Bench => vec![Backend::Smo, Backend::Linfa],
    };
    let mut runs: Vec<MnistRun> = Vec::new();
    for backend in backends {
        let params = cfg.params(backend);
        // The benchmark keeps the best of a few runs of ours (and of
        // scikit-learn's): the ratio is of two bests measured side by side.
        // linfa, 50× slower, runs once.
        let repeats = if cfg.task == MnistTask::Bench && backend == Backend::Smo {
            BENCH_REPEATS
        } else {
            1
        };
        let (best, _) = labkit::progress::best_of(
            repeats,
            || {
                let pb = labkit::progress(45, "one-vs-one pairs");
                let r = fit_and_score(&d, n_train, &params, &mut |done, total| {
                    pb.set_length(total as u64);
                    pb.set_position(done as u64);
                })?;
                pb.finish_and_clear();
                labkit::say!(
                    "{} on {n_train} MNIST images, {backend} backend, C = {}: fit {:.1} s, \
                     predict {:.1} s, test accuracy {:.4} on {n_test} images, {} support vectors, \
                     memory peak {}",
                    kernel_text(r.kernel),
                    cfg.c,
                    r.fit_seconds,
                    r.predict_seconds,
                    r.test_accuracy,
                    r.n_support,
                    r.peak_memory_mib
                        .map_or("not reported".into(), |m| format!("{m:.0} MiB"))
                );
                Ok::<_, KsvmError>(r)
            },
            seconds,
        )?;
        runs.push(best);
    }
    let kernel = runs.first().map(|r| r.kernel);
    let measure = match cfg.task {
        MnistTask::Fit(f) => f.sklearn,
        MnistTask::Bench => true,
    };
    let sklearn = match (measure, kernel) {
        (true, Some(kernel)) => {
            let repeats = if cfg.task == MnistTask::Bench {
                BENCH_REPEATS
            } else {
                1
            };
            Some(reference(cfg, n_train, kernel, repeats)?)
        }
        _ => None,
    };

    let mut ratios = Vec::new();
    if let [smo, linfa] = runs.as_slice() {
        ratios.push(Ratio::new("SMO", seconds(smo), "linfa", seconds(linfa)));
    }
    if let (Some(Reference::Measured(sk)), Some(ours)) = (&sklearn, runs.first()) {
        ratios.push(Ratio::new(
            &format!("ours ({})", ours.backend),
            seconds(ours),
            "scikit-learn",
            sk.fit_seconds + sk.predict_seconds,
        ));
    }
    for r in &ratios {
        labkit::say!("{r}");
    }
    let roofline = runs.first().and_then(|r| {
        let flops = r.fit_stats.kernel_flops?;
        let peak = matmul_peak(torch_util::Precision::Fp32, tch::Device::Cpu, PEAK_SIZE, 5);
        Some(Roofline::new(flops, r.fit_seconds, peak))
    });
    if let Some(rl) = &roofline {
        labkit::say!(
            "SMO fit: {} kernel rows, {:.0} GFLOP of dot products in {:.1} s: {:.1} GFLOP/s, \
             {:.1} % of a {PEAK_SIZE}×{PEAK_SIZE} fp32 product's {:.0} GFLOP/s in this run",
            runs[0].fit_stats.kernel_rows.unwrap_or(0),
            rl.flops / 1e9,
            rl.seconds,
            rl.gflops,
            rl.percent_of_peak,
            rl.peak_gflops
        );
    }
    let file = match cfg.task {
        MnistTask::Fit(_) => "mnist.json",
        MnistTask::Bench => "mnist_bench.json",
    };
    let report = MnistReport {
        lab: "ksvm_wrap mnist",
        seed: cfg.seed,
        config: cfg.clone(),
        runs,
        sklearn,
        ratios,
        roofline,
        file,
    };
    let path = labkit::RunDir::create(&cfg.out)?.write_json(file, &report)?;
    labkit::say!("wrote {}", path.display());
    Ok(report)
}

/// scikit-learn on the same images, or why it was not measured.
fn reference(
    cfg: &MnistConfig,
    n_train: usize,
    kernel: ResolvedKernel,
    repeats: usize,
) -> Result<Reference, KsvmError> {
    if let Err(reason) = sklearn::probe(&cfg.python) {
        labkit::say!(
            "scikit-learn: not measured: {} cannot import it ({reason}). Only our figures are \
             printed; to compare in the same run: `{} -m pip install scikit-learn`, or --python PATH.",
            cfg.python.display(),
            cfg.python.display()
        );
        return Ok(Reference::NotMeasured {
            python: cfg.python.clone(),
            reason,
        });
    }
    let once = || -> Result<SklearnRun, KsvmError> {
        labkit::say!("scikit-learn SVC on the same images (libsvm, one thread)…");
        let sk = sklearn::run(
            &cfg.python,
            &cfg.mnist_dir,
            n_train,
            cfg.n_test,
            cfg.c,
            kernel,
        )?;
        labkit::say!(
            "scikit-learn {} SVC: fit {:.1} s, predict {:.1} s, test accuracy {:.4} on {} images, {} support vectors",
            sk.sklearn, sk.fit_seconds, sk.predict_seconds, sk.test_accuracy, sk.n_test, sk.n_support
        );
        Ok(sk)
    };
    let total = |m: &SklearnRun| m.fit_seconds + m.predict_seconds;
    let (best, _) = labkit::progress::best_of(repeats, once, total)?;
    Ok(Reference::Measured(best))
}
