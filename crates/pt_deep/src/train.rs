//! Whole-batch gradient descent and evaluation.

use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Kind, Tensor};

use crate::{PTDeep, PtDeepError};

/// Hyper-parameters of [`train()`], validated by [`TrainParams::check`] before any work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    /// Number of gradient steps.
    pub niter: usize,
    /// Learning rate of plain SGD.
    pub delta: f64,
    /// L2 weight λ in `λ/2 · Σ‖W‖²`.
    pub lambda: f64,
    /// Read the loss back from the device every this many steps (and at the end).
    pub log_every: usize,
}

impl Default for TrainParams {
    /// The lab's reference setting: 10⁴ steps, δ = 0.1, λ = 10⁻⁴.
    fn default() -> Self {
        TrainParams {
            niter: 10_000,
            delta: 0.1,
            lambda: 1e-4,
            log_every: 1000,
        }
    }
}

impl TrainParams {
    pub fn check(&self) -> Result<(), PtDeepError> {
        if self.niter == 0 {
            return Err(PtDeepError::ZeroIterations);
        }
        if !(self.delta.is_finite() && self.delta > 0.0) {
            return Err(PtDeepError::BadLearningRate(self.delta));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(PtDeepError::BadLambda(self.lambda));
        }
        Ok(())
    }
}

/// Checks that x (N × D) and yoh (N × C) fit the model and hold finite numbers.
pub fn check_inputs(model: &PTDeep, x: &Tensor, yoh: &Tensor) -> Result<(), PtDeepError> {
    let (xs, ys) = (x.size(), yoh.size());
    let config = model.config().to_vec();
    let found = xs.get(1).copied().unwrap_or(0) as usize;
    if xs.len() != 2 || found != model.n_inputs() {
        return Err(PtDeepError::InputDim {
            expected: model.n_inputs(),
            found,
            config,
        });
    }
    let found = ys.get(1).copied().unwrap_or(0) as usize;
    if ys.len() != 2 || found != model.n_classes() {
        return Err(PtDeepError::ClassDim {
            expected: model.n_classes(),
            found,
            config,
        });
    }
    if xs[0] != ys[0] {
        return Err(PtDeepError::RowMismatch {
            x: xs[0] as usize,
            y: ys[0] as usize,
        });
    }
    if xs[0] == 0 {
        return Err(PtDeepError::Empty);
    }
    if !bool::try_from(x.isfinite().all())? {
        return Err(PtDeepError::NonFinite);
    }
    Ok(())
}

/// One optimiser bound to a model: call [`Trainer::step`] repeatedly.
#[derive(Debug)]
pub struct Trainer<'a> {
    model: &'a PTDeep,
    opt: nn::Optimizer,
    lambda: f64,
}

impl<'a> Trainer<'a> {
    /// Plain SGD with learning rate `delta` over every variable of `vs`.
    pub fn sgd(
        vs: &nn::VarStore,
        model: &'a PTDeep,
        delta: f64,
        lambda: f64,
    ) -> Result<Self, PtDeepError> {
        // exercise(pt_deep.train) begin
        let opt = nn::Sgd::default().build(vs, delta)?;
        Ok(Trainer { model, opt, lambda })
        // exercise(pt_deep.train) end
    }

    /// One gradient step on the whole batch; returns the loss (still on the device).
    pub fn step(&mut self, x: &Tensor, yoh: &Tensor) -> Tensor {
        // exercise(pt_deep.train) begin
        let loss = self.model.loss(x, yoh, self.lambda);
        self.opt.backward_step(&loss);
        loss
        // exercise(pt_deep.train) end
    }
}

/// The loss read back every `log_every` steps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrainLog {
    /// (iteration, loss) pairs; iteration counts completed steps.
    pub losses: Vec<(usize, f64)>,
}

impl TrainLog {
    pub fn final_loss(&self) -> Option<f64> {
        self.losses.last().map(|&(_, l)| l)
    }
}

/// Trains `model` (whose parameters live in `vs`) on x (N × D) and one-hot
/// yoh (N × C). `on_log(iter, loss, model)` runs every `log_every` steps.
/// The data stays on its device; the loss is copied back only when logged.
pub fn train(
    vs: &nn::VarStore,
    model: &PTDeep,
    x: &Tensor,
    yoh: &Tensor,
    params: &TrainParams,
    mut on_log: impl FnMut(usize, f64, &PTDeep),
) -> Result<TrainLog, PtDeepError> {
    params.check()?;
    check_inputs(model, x, yoh)?;
    // exercise(pt_deep.train) begin
    let mut trainer = Trainer::sgd(vs, model, params.delta, params.lambda)?;
    let every = params.log_every.max(1);
    let mut log = TrainLog::default();
    for i in 1..=params.niter {
        let loss = trainer.step(x, yoh);
        if i % every == 0 || i == params.niter {
            let l = loss.double_value(&[]);
            if !l.is_finite() {
                return Err(PtDeepError::Diverged { iter: i, loss: l });
            }
            log.losses.push((i, l));
            on_log(i, l, model);
        }
    }
    Ok(log)
    // exercise(pt_deep.train) end
}

/// Class probabilities P (N × C) without building a graph.
pub fn eval(model: &PTDeep, x: &Tensor) -> Tensor {
    tch::no_grad(|| model.forward(x))
}

/// Predicted classes (argmax of P), as an i64 tensor of length N.
pub fn predict(model: &PTDeep, x: &Tensor) -> Tensor {
    tch::no_grad(|| model.logits(x).argmax(-1, false)).to_kind(Kind::Int64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;
    use rand::SeedableRng;
    use tch::{nn::VarStore, Device};

    fn toy(seed: u64) -> (Tensor, Tensor, Vec<usize>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (x, y) = data::sample_gauss_2d(2, 50, &mut rng).unwrap();
        let yoh = data::class_to_onehot(y.as_slice().unwrap(), Some(2)).unwrap();
        (
            torch_util::to_tensor(x.view(), Device::Cpu),
            torch_util::to_tensor(yoh.view(), Device::Cpu),
            y.to_vec(),
        )
    }

    #[test]
    fn params_are_validated_first() {
        let p = TrainParams {
            niter: 0,
            ..Default::default()
        };
        assert!(matches!(p.check(), Err(PtDeepError::ZeroIterations)));
        let p = TrainParams {
            delta: -0.1,
            ..Default::default()
        };
        assert!(matches!(p.check(), Err(PtDeepError::BadLearningRate(d)) if d == -0.1));
        let p = TrainParams {
            lambda: f64::NAN,
            ..Default::default()
        };
        assert!(matches!(p.check(), Err(PtDeepError::BadLambda(_))));
    }

    #[test]
    fn input_shape_errors() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 5, 2], Activation::Relu).unwrap();
        let (x, yoh, _) = toy(1);
        let p = TrainParams {
            niter: 1,
            ..Default::default()
        };
        let x3 = Tensor::zeros([100, 3], (Kind::Float, Device::Cpu));
        assert!(matches!(
            train(&vs, &m, &x3, &yoh, &p, |_, _, _| {}),
            Err(PtDeepError::InputDim {
                expected: 2,
                found: 3,
                ..
            })
        ));
        let y3 = Tensor::zeros([100, 3], (Kind::Float, Device::Cpu));
        assert!(matches!(
            train(&vs, &m, &x, &y3, &p, |_, _, _| {}),
            Err(PtDeepError::ClassDim {
                expected: 2,
                found: 3,
                ..
            })
        ));
        let short = yoh.narrow(0, 0, 10);
        assert!(matches!(
            train(&vs, &m, &x, &short, &p, |_, _, _| {}),
            Err(PtDeepError::RowMismatch { x: 100, y: 10 })
        ));
        let bad = x.copy();
        let _ = bad.get(0).get(0).fill_(f64::NAN);
        assert!(matches!(
            train(&vs, &m, &bad, &yoh, &p, |_, _, _| {}),
            Err(PtDeepError::NonFinite)
        ));
    }

    #[test]
    fn loss_falls_and_logs_every_n() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 10, 2], Activation::Relu).unwrap();
        let (x, yoh, _) = toy(2);
        let p = TrainParams {
            niter: 1000,
            delta: 0.05,
            lambda: 1e-4,
            log_every: 250,
        };
        let mut calls = 0;
        let log = train(&vs, &m, &x, &yoh, &p, |_, _, _| calls += 1).unwrap();
        assert_eq!(calls, 4);
        let iters: Vec<usize> = log.losses.iter().map(|l| l.0).collect();
        assert_eq!(iters, vec![250, 500, 750, 1000]);
        assert!(log.losses[3].1 < log.losses[0].1);
    }

    #[test]
    fn divergence_is_reported() {
        tch::manual_seed(0);
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 10, 2], Activation::Relu).unwrap();
        let (x, yoh, _) = toy(3);
        let x = x * 1e6;
        let p = TrainParams {
            niter: 50,
            delta: 1e3,
            lambda: 0.0,
            log_every: 10,
        };
        assert!(matches!(
            train(&vs, &m, &x, &yoh, &p, |_, _, _| {}),
            Err(PtDeepError::Diverged { .. })
        ));
    }
}
