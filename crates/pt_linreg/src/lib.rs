//! # Linear regression with autograd (Lab 1, warm-up)
//!
//! Fit `y ≈ a·x + b` by gradient descent on the **mean** squared error
//!
//! `L(a, b) = (1/N) · Σ_i (a·x_i + b − y_i)²`,
//!
//! letting libtorch's autograd compute ∂L/∂a and ∂L/∂b, and checking them
//! against the derivatives worked out by hand:
//!
//! `∂L/∂a = (2/N) · Σ_i (a·x_i + b − y_i)·x_i`,  `∂L/∂b = (2/N) · Σ_i (a·x_i + b − y_i)`.
//!
//! Because the loss is a mean, its size and its gradients do not grow with N,
//! so the same learning rate works for 2 points or 2,000.
//! Everything runs in f64 so the two gradients can be compared to 1e-6 and better.
//!
//! - this file: [`fit_line`] (gradient descent with both gradients at every
//!   step), [`hand_gradient`], [`least_squares`] and [`noisy_line`];
//! - [`lab`]: the lab run ([`lab::LabConfig`], [`lab::run_lab`]) that prints
//!   every step and writes `metrics.json` and the plots.

pub mod lab;

use serde::Serialize;
use tch::{Device, Kind, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum LinregError {
    #[error("x has {x} values but y has {y}")]
    LengthMismatch { x: usize, y: usize },
    #[error("no data points")]
    Empty,
    #[error("data point {index} is not a finite number")]
    NonFinite { index: usize },
    #[error("steps must be at least 1")]
    ZeroSteps,
    #[error("learning rate must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("gradient descent diverged at step {step} (loss {loss}); lower the learning rate")]
    Diverged { step: usize, loss: f64 },
    #[error("every x is {value}: the slope of the least-squares line is undefined")]
    ConstantX { value: f64 },
    #[error("the N-point fit needs at least 2 points, got {0}")]
    TooFewPoints(usize),
    #[error("the print interval must be at least 1 step")]
    ZeroPrintEvery,
    #[error(transparent)]
    Plot(#[from] plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
}

impl labkit::cli::NamesSetting for LinregError {
    /// The setting (the name of its flag) an error is about, if one.
    fn setting(&self) -> Option<&'static str> {
        Some(match self {
            LinregError::ZeroSteps => "steps",
            LinregError::BadLearningRate(_) | LinregError::Diverged { .. } => "lr",
            LinregError::TooFewPoints(_) => "n",
            LinregError::ZeroPrintEvery => "print_every",
            _ => return None,
        })
    }
}

impl From<tch::TchError> for LinregError {
    fn from(e: tch::TchError) -> Self {
        LinregError::Torch(e.into())
    }
}

/// Hyper-parameters, validated by [`TrainParams::check`] before any work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    pub steps: usize,
    pub lr: f64,
}

impl Default for TrainParams {
    /// The lab's setting: 100 steps at learning rate 0.1.
    fn default() -> Self {
        TrainParams {
            steps: 100,
            lr: 0.1,
        }
    }
}

impl TrainParams {
    pub fn check(&self) -> Result<(), LinregError> {
        if self.steps == 0 {
            return Err(LinregError::ZeroSteps);
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(LinregError::BadLearningRate(self.lr));
        }
        Ok(())
    }
}

/// One step: the parameters *before* the update, the loss there, and the
/// gradient from autograd next to the one from the formulas above.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    pub step: usize,
    pub loss: f64,
    pub a: f64,
    pub b: f64,
    pub grad_a: f64,
    pub grad_b: f64,
    pub hand_grad_a: f64,
    pub hand_grad_b: f64,
}

/// The fitted line and the whole history.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub a: f64,
    pub b: f64,
    pub loss: f64,
    pub steps: Vec<Step>,
    /// Largest |autograd − hand| over all steps and both parameters.
    pub max_grad_diff: f64,
}

fn check_data(x: &[f64], y: &[f64]) -> Result<(), LinregError> {
    if x.len() != y.len() {
        return Err(LinregError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    if x.is_empty() {
        return Err(LinregError::Empty);
    }
    if let Some(index) = x
        .iter()
        .zip(y)
        .position(|(a, b)| !a.is_finite() || !b.is_finite())
    {
        return Err(LinregError::NonFinite { index });
    }
    Ok(())
}

/// `L = mean((a·x + b − y)²)` as a tensor (a, b are scalars that may require grad).
pub fn mse(a: &Tensor, b: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
    // exercise(pt_linreg.train) begin
    (a * x + b - y).square().mean(Kind::Double)
    // exercise(pt_linreg.train) end
}

/// The gradient of the mean squared error, by hand.
pub fn hand_gradient(a: f64, b: f64, x: &[f64], y: &[f64]) -> (f64, f64) {
    // exercise(pt_linreg.train) begin
    let n = x.len() as f64;
    let (mut ga, mut gb) = (0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let r = a * xi + b - yi;
        ga += r * xi;
        gb += r;
    }
    (2.0 * ga / n, 2.0 * gb / n)
    // exercise(pt_linreg.train) end
}

/// Gradient descent from `(a0, b0)`; each step's gradient is compared with
/// the hand-derived one. `on_step` sees every step as it is taken (the lab
/// prints it, as the course's loop does).
pub fn fit_line(
    x: &[f64],
    y: &[f64],
    start: (f64, f64),
    params: &TrainParams,
    device: Device,
    mut on_step: impl FnMut(&Step),
) -> Result<Fit, LinregError> {
    params.check()?;
    check_data(x, y)?;
    let xt = Tensor::from_slice(x).to_device(device);
    let yt = Tensor::from_slice(y).to_device(device);
    // exercise(pt_linreg.train) begin
    let mut a = Tensor::from(start.0)
        .to_device(device)
        .set_requires_grad(true);
    let mut b = Tensor::from(start.1)
        .to_device(device)
        .set_requires_grad(true);
    let mut steps = Vec::with_capacity(params.steps);
    let mut max_diff = 0.0f64;
    for step in 0..params.steps {
        let loss = mse(&a, &b, &xt, &yt);
        loss.f_backward()?;
        let (ga, gb) = (a.f_grad()?, b.f_grad()?);
        let (av, bv, lv) = (
            a.f_double_value(&[])?,
            b.f_double_value(&[])?,
            loss.f_double_value(&[])?,
        );
        if !lv.is_finite() {
            return Err(LinregError::Diverged { step, loss: lv });
        }
        let (ha, hb) = hand_gradient(av, bv, x, y);
        let s = Step {
            step,
            loss: lv,
            a: av,
            b: bv,
            grad_a: ga.f_double_value(&[])?,
            grad_b: gb.f_double_value(&[])?,
            hand_grad_a: ha,
            hand_grad_b: hb,
        };
        max_diff = max_diff
            .max((s.grad_a - ha).abs())
            .max((s.grad_b - hb).abs());
        on_step(&s);
        steps.push(s);
        // a ← a − lr·∂L/∂a, b ← b − lr·∂L/∂b, outside the graph; then the
        // gradients are cleared (autograd would add the next ones to them).
        tch::no_grad(|| -> Result<(), tch::TchError> {
            a.f_copy_(&a.f_sub(&ga.f_mul_scalar(params.lr)?)?)?;
            b.f_copy_(&b.f_sub(&gb.f_mul_scalar(params.lr)?)?)
        })?;
        a.zero_grad();
        b.zero_grad();
    }
    let (av, bv) = (a.f_double_value(&[])?, b.f_double_value(&[])?);
    let loss = tch::no_grad(|| mse(&a, &b, &xt, &yt)).f_double_value(&[])?;
    if !loss.is_finite() {
        return Err(LinregError::Diverged {
            step: params.steps,
            loss,
        });
    }
    Ok(Fit {
        a: av,
        b: bv,
        loss,
        steps,
        max_grad_diff: max_diff,
    })
    // exercise(pt_linreg.train) end
}

/// The least-squares line in closed form (for comparison): (a, b). When
/// every x is the same the slope is undefined: [`LinregError::ConstantX`].
pub fn least_squares(x: &[f64], y: &[f64]) -> Result<(f64, f64), LinregError> {
    check_data(x, y)?;
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    if sxx == 0.0 {
        return Err(LinregError::ConstantX { value: x[0] });
    }
    let a = sxy / sxx;
    Ok((a, my - a * mx))
}

/// `n` points x ~ U(0, 2), y = a·x + b + N(0, noise²).
pub fn noisy_line<R: rand::Rng>(
    n: usize,
    a: f64,
    b: f64,
    noise: f64,
    rng: &mut R,
) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = (0..n).map(|_| rng.gen::<f64>() * 2.0).collect();
    let y = x
        .iter()
        .map(|&xi| a * xi + b + noise * rng.sample::<f64, _>(rand_distr::StandardNormal))
        .collect();
    (x, y)
}

#[cfg(test)]
mod hidden_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn autograd_matches_hand_gradient_on_random_data() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for n in [1usize, 2, 17, 200] {
            let (x, y) = noisy_line(n, -1.5, 0.7, 0.3, &mut rng);
            let start = (rng.gen::<f64>() * 4.0 - 2.0, rng.gen::<f64>() * 4.0 - 2.0);
            let fit = fit_line(
                &x,
                &y,
                start,
                &TrainParams {
                    steps: 20,
                    lr: 0.05,
                },
                Device::Cpu,
                |_| {},
            )
            .unwrap();
            assert!(
                fit.max_grad_diff < 1e-6,
                "n = {n}: max |autograd − hand| = {}",
                fit.max_grad_diff
            );
            // and the first step's gradient is the hand value at the start
            let (ha, hb) = hand_gradient(start.0, start.1, &x, &y);
            assert!(
                (fit.steps[0].grad_a - ha).abs() < 1e-9 && (fit.steps[0].grad_b - hb).abs() < 1e-9
            );
        }
    }

    #[test]
    fn two_points_converge_towards_a2_b1() {
        let fit = fit_line(
            &[1.0, 2.0],
            &[3.0, 5.0],
            (0.0, 0.0),
            &TrainParams::default(),
            Device::Cpu,
            |_| {},
        )
        .unwrap();
        assert_eq!(fit.steps.len(), 100);
        // The exact line through (1,3) and (2,5) is a = 2, b = 1.
        assert!(
            (fit.a - 2.0).abs() < 0.2 && (fit.b - 1.0).abs() < 0.3,
            "a {} b {}",
            fit.a,
            fit.b
        );
        assert!(fit.loss < 0.01, "loss {}", fit.loss);
        assert!(fit.loss < fit.steps[0].loss / 100.0);
    }

    #[test]
    fn mean_loss_does_not_grow_with_duplicated_data() {
        let (x, y) = (vec![0.5, 1.0, 1.5], vec![1.0, 2.5, 2.0]);
        let (x2, y2) = (
            [x.clone(), x.clone(), x.clone()].concat(),
            [y.clone(), y.clone(), y.clone()].concat(),
        );
        let p = TrainParams { steps: 30, lr: 0.1 };
        let f1 = fit_line(&x, &y, (0.3, -0.2), &p, Device::Cpu, |_| {}).unwrap();
        let f3 = fit_line(&x2, &y2, (0.3, -0.2), &p, Device::Cpu, |_| {}).unwrap();
        assert!((f1.steps[0].loss - f3.steps[0].loss).abs() < 1e-12);
        assert!((f1.a - f3.a).abs() < 1e-12 && (f1.b - f3.b).abs() < 1e-12);
    }

    #[test]
    fn gradient_descent_reaches_least_squares() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let (x, y) = noisy_line(500, 2.0, 1.0, 0.2, &mut rng);
        let fit = fit_line(
            &x,
            &y,
            (0.0, 0.0),
            &TrainParams {
                steps: 2000,
                lr: 0.1,
            },
            Device::Cpu,
            |_| {},
        )
        .unwrap();
        let (a, b) = least_squares(&x, &y).unwrap();
        assert!((fit.a - a).abs() < 1e-4 && (fit.b - b).abs() < 1e-4);
    }

    #[test]
    fn on_step_sees_every_step_in_order() {
        let mut seen = Vec::new();
        let p = TrainParams { steps: 7, lr: 0.1 };
        let fit = fit_line(&[1.0, 2.0], &[3.0, 5.0], (0.0, 0.0), &p, Device::Cpu, |s| {
            seen.push(*s)
        })
        .unwrap();
        assert_eq!(seen, fit.steps);
        assert_eq!(
            seen.iter().map(|s| s.step).collect::<Vec<_>>(),
            (0..7).collect::<Vec<_>>()
        );
        // From (0, 0) on (1,3), (2,5): L = (9 + 25)/2 = 17, ∂L/∂a = −13, ∂L/∂b = −8.
        assert_eq!(
            (seen[0].loss, seen[0].grad_a, seen[0].grad_b),
            (17.0, -13.0, -8.0)
        );
        // One step of lr 0.1: a = 1.3, b = 0.8.
        assert!((seen[1].a - 1.3).abs() < 1e-12 && (seen[1].b - 0.8).abs() < 1e-12);
    }

    #[test]
    fn bad_input_is_typed() {
        let p = TrainParams::default();
        let fit = |x: &[f64], y: &[f64], p: &TrainParams| {
            fit_line(x, y, (0.0, 0.0), p, Device::Cpu, |_| {})
        };
        assert!(matches!(
            fit(&[1.0], &[1.0, 2.0], &p),
            Err(LinregError::LengthMismatch { x: 1, y: 2 })
        ));
        assert!(matches!(fit(&[], &[], &p), Err(LinregError::Empty)));
        assert!(matches!(
            fit(&[1.0, f64::NAN], &[1.0, 2.0], &p),
            Err(LinregError::NonFinite { index: 1 })
        ));
        let bad = TrainParams { steps: 0, lr: 0.1 };
        assert!(matches!(bad.check(), Err(LinregError::ZeroSteps)));
        let bad = TrainParams { steps: 5, lr: 0.0 };
        assert!(matches!(
            fit(&[1.0], &[1.0], &bad),
            Err(LinregError::BadLearningRate(l)) if l == 0.0
        ));
        let huge = TrainParams {
            steps: 500,
            lr: 10.0,
        };
        assert!(matches!(
            fit(&[1.0, 2.0], &[3.0, 5.0], &huge),
            Err(LinregError::Diverged { .. })
        ));
        assert!(matches!(
            least_squares(&[2.0, 2.0], &[1.0, 3.0]),
            Err(LinregError::ConstantX { value }) if value == 2.0
        ));
    }
}
