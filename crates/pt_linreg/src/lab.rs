//! The lab run: the course's two-point fit, printed step by step, then N
//! noisy points with a mean loss; `metrics.json`, `fit.<ext>` and `loss.<ext>`.
//!
//! Every number is computed (and every argument checked) before the output
//! folder is created, so a bad setting or a diverging fit writes nothing.

use std::path::PathBuf;

use labkit::{PlotFormat, RunDir};
use plot::{line_plot, points_and_lines, Series};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tch::Device;

use crate::{fit_line, least_squares, noisy_line, Fit, LinregError, Step, TrainParams};

/// The course's two points: (1, 3) and (2, 5), on the line a = 2, b = 1.
pub const TWO_POINTS: ([f64; 2], [f64; 2]) = ([1.0, 2.0], [3.0, 5.0]);
/// The line the N noisy points are drawn around: y = 2x + 1 ...
pub const TRUE_LINE: (f64, f64) = (2.0, 1.0);
/// ... plus Gaussian noise of this standard deviation.
pub const NOISE: f64 = 0.3;

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    /// Seeds the starting point (a, b) ~ N(0, 1) and then the noisy points.
    pub seed: u64,
    /// Learning rate of both fits.
    pub lr: f64,
    /// Gradient steps of the two-point fit.
    pub steps: usize,
    /// Number of noisy points of the second fit.
    pub n: usize,
    /// Gradient steps of the N-point fit.
    pub steps_n: usize,
    /// Print every this many steps of the two-point fit (1: every step, as the course does).
    pub print_every: usize,
    pub format: PlotFormat,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
}

impl Default for LabConfig {
    /// The course's setting: 100 steps at learning rate 0.1, every step
    /// printed; then 50 noisy points for 1000 steps; seed 100, on the CPU.
    fn default() -> Self {
        let p = TrainParams::default();
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            lr: p.lr,
            steps: p.steps,
            n: 50,
            steps_n: 1000,
            print_every: 1,
            format: PlotFormat::Png,
            device: Device::Cpu,
            out: labkit::default_out("pt_linreg"),
        }
    }
}

impl LabConfig {
    pub fn two_point_params(&self) -> TrainParams {
        TrainParams {
            steps: self.steps,
            lr: self.lr,
        }
    }

    pub fn n_point_params(&self) -> TrainParams {
        TrainParams {
            steps: self.steps_n,
            lr: self.lr,
        }
    }

    pub fn check(&self) -> Result<(), LinregError> {
        self.two_point_params().check()?;
        self.n_point_params().check()?;
        if self.n < 2 {
            return Err(LinregError::TooFewPoints(self.n));
        }
        if self.print_every == 0 {
            return Err(LinregError::ZeroPrintEvery);
        }
        Ok(())
    }
}

/// The N-point fit with the closed-form answer next to it.
#[derive(Debug, Clone, Serialize)]
pub struct NPoints {
    pub n: usize,
    pub true_line: (f64, f64),
    pub noise: f64,
    pub least_squares: (f64, f64),
    pub fit: Fit,
}

/// What `metrics.json` holds: every printed number and the config behind it.
/// The loss curves are `two_points.steps[i].loss` and `n_points.fit.steps[i].loss`.
#[derive(Debug, Clone, Serialize)]
pub struct LabReport {
    pub lab: &'static str,
    pub config: LabConfig,
    pub device: String,
    /// The random starting point (a, b) of both fits.
    pub start: (f64, f64),
    pub two_points: Fit,
    pub n_points: NPoints,
    pub fit_plot: String,
    pub loss_plot: String,
}

/// The header of the printed steps, aligned with [`step_line`].
pub fn step_header() -> String {
    format!(
        "{:>4}  {:>8}  {:>7}  {:>7}  {:>15}  {:>9}  {:>15}  {:>9}",
        "step", "loss", "a", "b", "∂L/∂a autograd", "hand", "∂L/∂b autograd", "hand"
    )
}

/// One printed step: the parameters before the update, the loss there, and
/// both gradients (autograd, then by hand).
pub fn step_line(s: &Step) -> String {
    format!(
        "{:>4}  {:>8.6}  {:>7.4}  {:>7.4}  {:>15.6}  {:>9.6}  {:>15.6}  {:>9.6}",
        s.step, s.loss, s.a, s.b, s.grad_a, s.hand_grad_a, s.grad_b, s.hand_grad_b
    )
}

/// Runs both fits, printing as it goes, then writes the plots and `metrics.json`.
pub fn run_lab(cfg: &LabConfig) -> Result<LabReport, LinregError> {
    cfg.check()?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let start: (f64, f64) = (
        rng.sample(rand_distr::StandardNormal),
        rng.sample(rand_distr::StandardNormal),
    );

    let (p1, p2) = (cfg.two_point_params(), cfg.n_point_params());
    labkit::say!(
        "1) y = a·x + b through (1, 3) and (2, 5), lr {}, {} steps; start a = {:.4}, b = {:.4} (seed {})",
        cfg.lr, p1.steps, start.0, start.1, cfg.seed
    );
    labkit::say!("{}", step_header());
    let (x1, y1) = TWO_POINTS;
    let two_points = fit_line(&x1, &y1, start, &p1, cfg.device, |s| {
        if s.step % cfg.print_every == 0 || s.step + 1 == p1.steps {
            labkit::say!("{}", step_line(s));
        }
    })?;
    labkit::say!(
        "after {} steps: a = {:.4}, b = {:.4}, loss = {:.2e} (exact: a = 2, b = 1); max |autograd − hand| = {:.1e}\n",
        p1.steps, two_points.a, two_points.b, two_points.loss, two_points.max_grad_diff
    );

    let (xn, yn) = noisy_line(cfg.n, TRUE_LINE.0, TRUE_LINE.1, NOISE, &mut rng);
    let ls = least_squares(&xn, &yn)?;
    labkit::say!(
        "2) {} noisy points around y = 2x + 1 (noise σ {NOISE}), mean loss, {} steps (every {}th printed)",
        cfg.n,
        p2.steps,
        p2.steps.div_ceil(10)
    );
    labkit::say!("{}", step_header());
    let every_n = p2.steps.div_ceil(10);
    let fit_n = fit_line(&xn, &yn, start, &p2, cfg.device, |s| {
        if s.step % every_n == 0 || s.step + 1 == p2.steps {
            labkit::say!("{}", step_line(s));
        }
    })?;
    labkit::say!(
        "   gradient descent: a = {:.4}, b = {:.4}, loss = {:.4}",
        fit_n.a,
        fit_n.b,
        fit_n.loss
    );
    labkit::say!("   least squares:    a = {:.4}, b = {:.4}", ls.0, ls.1);
    labkit::say!("   max |autograd − hand| = {:.1e}", fit_n.max_grad_diff);

    let dir = RunDir::create(&cfg.out)?;
    let ext = cfg.format.ext();
    let line = |name: &str, a: f64, b: f64| Series::new(name, vec![(0.0, b), (2.0, 2.0 * a + b)]);
    let pts: Vec<(f64, f64)> = xn.iter().copied().zip(yn.iter().copied()).collect();
    let fit_plot = format!("fit.{ext}");
    points_and_lines(
        &dir.path(&fit_plot),
        &format!("{} points: gradient descent vs least squares", cfg.n),
        ("x", "y"),
        &pts,
        &[
            line("gradient descent", fit_n.a, fit_n.b),
            line("least squares", ls.0, ls.1),
            line("true y = 2x + 1", TRUE_LINE.0, TRUE_LINE.1),
        ],
    )?;
    let curve =
        |f: &Fit| -> Vec<(f64, f64)> { f.steps.iter().map(|s| (s.step as f64, s.loss)).collect() };
    let loss_plot = format!("loss.{ext}");
    line_plot(
        &dir.path(&loss_plot),
        "mean squared error during gradient descent",
        "step",
        "loss",
        &[
            Series::new("two points", curve(&two_points)),
            Series::new(format!("{} points", cfg.n), curve(&fit_n)),
        ],
        true,
    )?;
    let report = LabReport {
        lab: "pt_linreg",
        config: cfg.clone(),
        device: torch_util::device_name(cfg.device),
        start,
        two_points,
        n_points: NPoints {
            n: cfg.n,
            true_line: TRUE_LINE,
            noise: NOISE,
            least_squares: ls,
            fit: fit_n,
        },
        fit_plot,
        loss_plot,
    };
    dir.write_json("metrics.json", &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_before_work() {
        let out = std::env::temp_dir().join(format!("pt_linreg-never-{}", std::process::id()));
        let base = LabConfig {
            out: out.clone(),
            ..LabConfig::default()
        };
        let with = |f: fn(&mut LabConfig)| {
            let mut c = base.clone();
            f(&mut c);
            run_lab(&c)
        };
        assert!(matches!(
            with(|c| c.n = 1),
            Err(LinregError::TooFewPoints(1))
        ));
        assert!(matches!(
            with(|c| c.steps_n = 0),
            Err(LinregError::ZeroSteps)
        ));
        assert!(matches!(
            with(|c| c.print_every = 0),
            Err(LinregError::ZeroPrintEvery)
        ));
        assert!(matches!(
            with(|c| c.lr = -0.1),
            Err(LinregError::BadLearningRate(_))
        ));
        // lr 1.5 diverges on the two points: reported before the folder exists.
        assert!(matches!(
            with(|c| c.lr = 1.5),
            Err(LinregError::Diverged { .. })
        ));
        assert!(!out.exists(), "nothing is written for an invalid config");
    }

    #[test]
    fn step_line_matches_header_columns() {
        let s = Step {
            step: 12,
            loss: 0.5,
            a: 1.0,
            b: -1.0,
            grad_a: 0.25,
            grad_b: -0.25,
            hand_grad_a: 0.25,
            hand_grad_b: -0.25,
        };
        let line = step_line(&s);
        assert_eq!(
            line.chars().count(),
            step_header().chars().count(),
            "{line}"
        );
        assert!(line.starts_with("  12  0.500000   1.0000  -1.0000"));
    }
}
