//! The course's first exercise, the data module's own demo (`cargo run -p data`):
//! draw `sample_gmm_2d(4, 2, 30)`, colour the plane by a simple decision
//! function with [`graph_surface`], and draw the points over it with
//! [`graph_data`].
//!
//! The decision function is the course's `myDummyDecision`: f(x) = x₀ + x₁ − 5,
//! a straight line that knows nothing of the data. The contour f = 0 is drawn
//! (the course's `offset=0`) and a point is predicted class 1 where f > 0, so
//! circles (right) and squares (wrong) agree with the drawn line. (The
//! course's script thresholds at 0.5 while drawing the contour at 0.)
//! The plot spans the bounding box of the points, as the course's
//! `rect = (np.min(X, axis=0), np.max(X, axis=0))` does.

use std::path::PathBuf;

use labkit::{PlotFormat, RunDir};
use ndarray::{Array1, ArrayView2};
use rand::SeedableRng;
use serde::Serialize;

use crate::{DataError, GmmSpec};
use plot::{check_grid, graph_data, graph_surface, Figure2d, PlotError, Rect};

/// What can go wrong in the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
}

/// Settings of the demo; [`LabConfig::check`] runs before anything is written.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    pub data: GmmSpec,
    /// The surface is sampled on grid × grid points.
    pub grid: usize,
    pub format: PlotFormat,
    #[serde(skip)]
    pub out: PathBuf,
}

impl Default for LabConfig {
    /// The course's exercise: `sample_gmm_2d(4, 2, 30)`, seed 100, written to `results/data/`.
    fn default() -> Self {
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            data: GmmSpec { k: 4, c: 2, n: 30 },
            grid: 256,
            format: PlotFormat::Png,
            out: labkit::default_out("data"),
        }
    }
}

impl LabConfig {
    pub fn check(&self) -> Result<(), DemoError> {
        crate::check_gmm_args(self.data.k, self.data.c, self.data.n)?;
        check_grid(self.grid)?;
        Ok(())
    }
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub n_points: usize,
    /// Points per true class.
    pub class_counts: Vec<usize>,
    /// Share of points whose true class the dummy decision (f > 0) matches.
    pub accuracy: f64,
    pub plot: String,
}

/// The course's `myDummyDecision`: f(x) = x₀ + x₁ − 5 for every row of x (M × 2).
pub fn dummy_decision(x: ArrayView2<f64>) -> Array1<f64> {
    x.rows().into_iter().map(|r| r[0] + r[1] - 5.0).collect()
}

/// Draws the data, scores the dummy decision and writes `demo.<ext>` and `metrics.json`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, DemoError> {
    cfg.check()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let (x, y) = cfg.data.sample(&mut rng)?;
    let y = y.to_vec();
    let pred: Vec<usize> = dummy_decision(x.view())
        .iter()
        .map(|&f| usize::from(f > 0.0))
        .collect();
    let perf = metrics::eval_perf_multi(&pred, &y, Some(cfg.data.c.max(2)))?;
    let rect = Rect::around(x.view(), 0.0)?;
    let surface = graph_surface(dummy_decision, rect, 0.0, cfg.grid, cfg.grid)?;
    let layer = graph_data(x.view(), &y, &pred, &[])?;

    let dir = RunDir::create(&cfg.out)?;
    let plot = format!("demo.{}", cfg.format.ext());
    Figure2d::new(format!(
        "{}: f(x) = x0 + x1 - 5, accuracy {:.3}",
        cfg.data, perf.accuracy
    ))
    .with_surface(surface)
    .with_data(layer)
    .save(&dir.path(&plot))?;
    let report = LabReport {
        lab: "data",
        config: cfg.clone(),
        n_points: y.len(),
        class_counts: perf.support.clone(),
        accuracy: perf.accuracy,
        plot,
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_decision_is_the_course_line() {
        let x = ndarray::arr2(&[[0.0, 0.0], [2.0, 3.0], [10.0, 1.0]]);
        assert_eq!(dummy_decision(x.view()).to_vec(), vec![-5.0, 0.0, 6.0]);
    }

    #[test]
    fn bad_settings_are_rejected_before_writing() {
        let out = std::env::temp_dir().join(format!("data-demo-never-{}", std::process::id()));
        let mut cfg = LabConfig {
            out: out.clone(),
            ..LabConfig::default()
        };
        cfg.grid = 1;
        assert!(matches!(
            run_lab(&cfg),
            Err(DemoError::Plot(PlotError::GridTooSmall { .. }))
        ));
        cfg.grid = 16;
        cfg.data = GmmSpec { k: 1, c: 2, n: 30 };
        assert!(matches!(
            run_lab(&cfg),
            Err(DemoError::Data(DataError::FewerComponentsThanClasses {
                k: 1,
                c: 2
            }))
        ));
        assert!(!out.exists());
    }
}
