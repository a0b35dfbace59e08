//! The reference run: one SVM on `sample_gmm_2d(6, 2, 10)` (seed 100), its
//! accuracy, precision, recall and AP, and its decision surface with the
//! support vectors drawn large.

use std::time::Instant;

use data::GmmSpec;
use labkit::RunDir;
use ndarray::{concatenate, Array2, Axis};
use plot::{decision_surface, graph_data, Figure2d, Rect, Surface};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Serialize;

use super::LabConfig;
use crate::{KSVMWrap, KsvmError, ResolvedKernel};

/// Draws `sample_gmm_2d(spec)` from `rng` until at least two classes occur
/// (each component's class is random, so all can fall in one class).
/// Returns X, Y_ and how many draws were rejected.
pub fn draw_dataset(
    spec: &GmmSpec,
    rng: &mut StdRng,
) -> Result<(Array2<f64>, Vec<usize>, usize), KsvmError> {
    const TRIES: usize = 1000;
    for rejected in 0..TRIES {
        let (x, y) = spec.sample(rng)?;
        let y = y.to_vec();
        if y.iter().any(|&c| c != y[0]) {
            return Ok((x, y, rejected));
        }
    }
    Err(KsvmError::OnlySingleClassDraws {
        data: *spec,
        tries: TRIES,
    })
}

/// The reference run: one SVM on the reference data set.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceReport {
    pub data: GmmSpec,
    pub seed: u64,
    pub n_examples: usize,
    /// The kernel with γ resolved (1/D for 'auto').
    pub kernel: ResolvedKernel,
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
    /// `training.gif`, when written: one frame per tolerance of
    /// [`TOLERANCES`] down to the run's own, with what the SVM of that frame
    /// gets (tolerance, accuracy, support vectors).
    pub animation: Option<String>,
    pub frames: Vec<(f64, f64, usize)>,
}

/// The stopping tolerances of the animation's frames, loosest first. SMO
/// stops once no pair of multipliers violates the optimality conditions by
/// more than the tolerance; a deterministic solver stopped earlier returns
/// an earlier point of the same run, so the frames show the decision
/// surface as training converges. The last frame is the run's own tolerance.
pub const TOLERANCES: [f64; 9] = [2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005];

/// Each frame's (tolerance, training accuracy, support vectors).
type FrameStats = Vec<(f64, f64, usize)>;

/// The animation's frames: the SVM fitted with each tolerance of
/// [`TOLERANCES`] looser than `cfg.svm.tol`, then with `cfg.svm.tol` itself.
fn animation_frames(
    cfg: &LabConfig,
    x: ndarray::ArrayView2<f64>,
    y: &[usize],
    rect: Rect,
) -> Result<(Vec<Figure2d>, FrameStats), KsvmError> {
    let tols: Vec<f64> = TOLERANCES
        .iter()
        .copied()
        .filter(|&t| t > cfg.svm.tol)
        .chain(std::iter::once(cfg.svm.tol))
        .collect();
    let c = cfg.reference.c;
    let grid = cfg.grid.min(128);
    let (mut frames, mut stats) = (Vec::new(), Vec::new());
    for tol in tols {
        let params = crate::KsvmParams { tol, ..cfg.svm };
        let svm = KSVMWrap::fit(x, y, &params)?;
        let pred = svm.predict(x)?;
        let acc = metrics::eval_perf_multi(&pred, y, Some(c))?.accuracy;
        let support = svm.support();
        let title = format!(
            "SMO stopped at tolerance {tol}: accuracy {acc:.3}, {} SVs",
            support.len()
        );
        frames.push(
            Figure2d::new(title)
                .with_surface(svm_surface(&svm, rect, grid, c)?)
                .with_data(graph_data(x, y, &pred, &support)?),
        );
        stats.push((tol, acc, support.len()));
    }
    Ok((frames, stats))
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
    let ap = metrics::average_precision_of_proba(svm.class_scores(x.view(), spec.c)?.view(), &y)?;
    let support = svm.support();

    let rect = Rect::around(x.view(), 0.1)?;
    let surface = svm_surface(&svm, rect, cfg.grid, spec.c)?;
    let plot = format!("surface.{}", cfg.format.ext());
    let kernel = match svm.kernel() {
        ResolvedKernel::Rbf { gamma } => format!("RBF γ = {gamma:.3}"),
        ResolvedKernel::Linear => "linear".into(),
    };
    let title = format!(
        "KSVMWrap {spec}, C = {}, {kernel}: accuracy {:.3}, {} SVs",
        cfg.svm.c,
        perf.accuracy,
        support.len()
    );
    Figure2d::new(title)
        .with_surface(surface)
        .with_data(graph_data(x.view(), &y, &pred, &support)?)
        .save(&dir.path(&plot))?;
    let (animation, frames) = if cfg.animate {
        let (figs, stats) = animation_frames(cfg, x.view(), &y, rect)?;
        let name = "training.gif".to_string();
        plot::save_gif(&dir.path(&name), (520, 480), 400, &figs)?;
        (Some(name), stats)
    } else {
        (None, Vec::new())
    };

    Ok(ReferenceReport {
        data: spec,
        seed: cfg.seed,
        n_examples: y.len(),
        kernel: svm.kernel(),
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        confusion: perf.confusion,
        ap,
        n_support: support.len(),
        support,
        fit_seconds,
        plot,
        animation,
        frames,
    })
}

/// The SVM's decision surface over `rect`, through `plot::decision_surface`.
///
/// Two classes: the raw decision value `f(x)` (blue below 0, red above, the
/// boundary `f = 0` in black). `decision_surface` colours column 1 of what it
/// is given around ½, so it gets `[−f, f]` and the level is moved to 0
/// afterwards. More classes: the predicted class of every cell, from the
/// one-vs-one scores with one column per label `0..c`.
pub fn svm_surface(
    svm: &KSVMWrap,
    rect: Rect,
    grid: usize,
    c: usize,
) -> Result<Surface, KsvmError> {
    if svm.classes().len() == 2 {
        let mut s = decision_surface(
            |g| {
                svm.decision_function(g)
                    .map(|f| concatenate![Axis(1), f.mapv(|v| -v), f])
            },
            rect,
            grid,
        )?;
        s.offset = 0.0;
        Ok(s)
    } else {
        Ok(decision_surface(|g| svm.class_scores(g, c), rect, grid)?)
    }
}
