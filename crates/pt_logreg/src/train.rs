//! Whole-batch gradient descent with the update written by hand, and
//! evaluation. The course's `train(model, X, Yoh_, param_niter, param_delta,
//! param_lambda)` is [`train()`] with a [`TrainParams`].

use serde::Serialize;
use tch::{Kind, Tensor};

use crate::{LogregError, PTLogreg};

/// Hyper-parameters of [`train()`], validated by [`TrainParams::check`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    /// Number of gradient steps (the course's `param_niter`).
    pub niter: usize,
    /// Learning rate (the course's `param_delta`).
    pub delta: f64,
    /// Weight λ of the L2 term λ/2·‖W‖² (the course's `param_lambda`).
    pub param_lambda: f64,
    /// Keep the loss every this many steps (and at steps 1 and niter).
    pub log_every: usize,
}

impl Default for TrainParams {
    /// The course's demo: `train(ptlr, X, Yoh_, 1000, 0.5)`, λ = 0; the
    /// loss kept every 10 steps.
    fn default() -> Self {
        TrainParams {
            niter: 1000,
            delta: 0.5,
            param_lambda: 0.0,
            log_every: 10,
        }
    }
}

impl TrainParams {
    pub fn check(&self) -> Result<(), LogregError> {
        if self.niter == 0 {
            return Err(LogregError::ZeroIterations);
        }
        if !(self.delta.is_finite() && self.delta > 0.0) {
            return Err(LogregError::BadLearningRate(self.delta));
        }
        if !(self.param_lambda.is_finite() && self.param_lambda >= 0.0) {
            return Err(LogregError::BadLambda(self.param_lambda));
        }
        if self.log_every == 0 {
            return Err(LogregError::ZeroLogEvery);
        }
        Ok(())
    }
}

/// The losses kept during training.
#[derive(Debug, Clone, Serialize)]
pub struct TrainLog {
    /// (i, loss): the loss computed in step i, before its update; kept at
    /// step 1, every `log_every` steps and at the last step.
    pub losses: Vec<(usize, f64)>,
    /// The loss of step 1 (the initial weights).
    pub initial_loss: f64,
    /// The loss of the last step.
    pub final_loss: f64,
}

/// Checks that x (N × D) and yoh (N × C) fit `model`, that x is finite and
/// that at least two classes occur.
fn check_inputs(model: &PTLogreg, x: &Tensor, yoh: &Tensor) -> Result<(), LogregError> {
    let (d, c) = (model.n_inputs(), model.n_classes());
    let (xs, ys) = (x.size(), yoh.size());
    if xs.len() != 2
        || ys.len() != 2
        || xs[1] != d as i64
        || ys[1] != c as i64
        || xs[0] != ys[0]
        || xs[0] == 0
    {
        return Err(LogregError::InputShape {
            x: xs,
            yoh: ys,
            d,
            c,
        });
    }
    if !bool::try_from(x.isfinite().all())? {
        return Err(LogregError::NonFinite);
    }
    let present = i64::try_from(
        yoh.sum_dim_intlist([0i64].as_slice(), false, Kind::Float)
            .gt(0.0)
            .sum(Kind::Int64),
    )? as usize;
    if present < 2 {
        return Err(LogregError::SingleClass { present, c });
    }
    Ok(())
}

/// One gradient step on the whole batch; returns the loss before the update.
fn gd_step(
    model: &mut PTLogreg,
    x: &Tensor,
    yoh: &Tensor,
    params: &TrainParams,
) -> Result<Tensor, LogregError> {
    // exercise(pt_logreg.train) begin
    let loss = model.loss(x, yoh, params.param_lambda);
    model.w.zero_grad();
    model.b.zero_grad();
    loss.f_backward()?;
    // W ← W − δ·∂L/∂W, b ← b − δ·∂L/∂b, outside the graph.
    tch::no_grad(|| -> Result<(), tch::TchError> {
        let gw = model.w.f_grad()?.f_mul_scalar(params.delta)?;
        let gb = model.b.f_grad()?.f_mul_scalar(params.delta)?;
        model.w.f_copy_(&model.w.f_sub(&gw)?)?;
        model.b.f_copy_(&model.b.f_sub(&gb)?)
    })?;
    Ok(loss)
    // exercise(pt_logreg.train) end
}

/// Gradient descent on the whole batch. `on_log(i, loss)` sees every kept
/// loss (see [`TrainLog`]); a loss that is not finite there stops training
/// with [`LogregError::Diverged`].
pub fn train(
    model: &mut PTLogreg,
    x: &Tensor,
    yoh: &Tensor,
    params: &TrainParams,
    mut on_log: impl FnMut(usize, f64),
) -> Result<TrainLog, LogregError> {
    params.check()?;
    check_inputs(model, x, yoh)?;
    // exercise(pt_logreg.train) begin
    let mut losses = Vec::with_capacity(params.niter / params.log_every + 2);
    // Reads a step's loss back from the device and keeps it.
    let mut keep = |i: usize, loss: &Tensor| -> Result<f64, LogregError> {
        let l = loss.f_double_value(&[])?;
        if !l.is_finite() {
            return Err(LogregError::Diverged { iter: i, loss: l });
        }
        losses.push((i, l));
        on_log(i, l);
        Ok(l)
    };
    let initial_loss = keep(1, &gd_step(model, x, yoh, params)?)?;
    let mut final_loss = initial_loss;
    for i in 2..=params.niter {
        let loss = gd_step(model, x, yoh, params)?;
        if i % params.log_every == 0 || i == params.niter {
            final_loss = keep(i, &loss)?;
        }
    }
    Ok(TrainLog {
        losses,
        initial_loss,
        final_loss,
    })
    // exercise(pt_logreg.train) end
}

/// P (N × C) without building a graph.
pub fn eval(model: &PTLogreg, x: &Tensor) -> Tensor {
    tch::no_grad(|| model.forward(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device};

    fn tensors(x: &ndarray::Array2<f64>, y: &[usize], c: usize) -> (Tensor, Tensor) {
        let yoh = data::class_to_onehot(y, Some(c)).unwrap();
        (
            torch_util::to_tensor(x.view(), Device::Cpu),
            torch_util::to_tensor(yoh.view(), Device::Cpu),
        )
    }

    #[test]
    fn loss_is_logged_on_schedule_and_falls() {
        let vs = VarStore::new(Device::Cpu);
        let mut m = PTLogreg::new(&vs.root(), 2, 2).unwrap();
        let x = ndarray::arr2(&[[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.8, 0.1]]);
        let (xt, yt) = tensors(&x, &[0, 1, 0, 1], 2);
        let p = TrainParams {
            niter: 25,
            delta: 0.5,
            param_lambda: 0.0,
            log_every: 10,
        };
        let mut seen = Vec::new();
        let log = train(&mut m, &xt, &yt, &p, |i, l| seen.push((i, l))).unwrap();
        let iters: Vec<usize> = log.losses.iter().map(|l| l.0).collect();
        assert_eq!(iters, vec![1, 10, 20, 25]);
        assert_eq!(seen, log.losses);
        assert_eq!(log.initial_loss, log.losses[0].1);
        assert_eq!(log.final_loss, log.losses[3].1);
        assert!(log.final_loss < log.initial_loss);
    }

    #[test]
    fn bad_input_is_typed() {
        let vs = VarStore::new(Device::Cpu);
        let mut m = PTLogreg::new(&vs.root(), 2, 2).unwrap();
        let p = TrainParams {
            niter: 10,
            ..TrainParams::default()
        };
        let x = ndarray::arr2(&[[0.0, 1.0], [1.0, 0.0]]);
        let (xt, yt) = tensors(&x, &[0, 1], 2);
        let mut run = |x: &Tensor, y: &Tensor, p: &TrainParams| train(&mut m, x, y, p, |_, _| {});
        assert!(matches!(
            run(&xt, &yt.narrow(0, 0, 1), &p),
            Err(LogregError::InputShape { .. })
        ));
        let bad = ndarray::arr2(&[[0.0, f64::NAN], [1.0, 0.0]]);
        let (bt, _) = tensors(&bad, &[0, 1], 2);
        assert!(matches!(run(&bt, &yt, &p), Err(LogregError::NonFinite)));
        let (_, one_class) = tensors(&x, &[1, 1], 2);
        assert!(matches!(
            run(&xt, &one_class, &p),
            Err(LogregError::SingleClass { present: 1, c: 2 })
        ));
        let bad_p = TrainParams {
            param_lambda: -1.0,
            ..p
        };
        assert!(matches!(
            run(&xt, &yt, &bad_p),
            Err(LogregError::BadLambda(l)) if l == -1.0
        ));
        // δ·∂W overflows f32 in the first update: the next loss is NaN.
        let diverge = TrainParams {
            delta: 1e300,
            log_every: 1,
            ..p
        };
        assert!(matches!(
            run(&xt, &yt, &diverge),
            Err(LogregError::Diverged { .. })
        ));
        let bad_p = TrainParams {
            delta: f64::INFINITY,
            ..p
        };
        assert!(matches!(
            bad_p.check(),
            Err(LogregError::BadLearningRate(_))
        ));
        assert!(matches!(
            TrainParams { niter: 0, ..p }.check(),
            Err(LogregError::ZeroIterations)
        ));
        assert!(matches!(
            TrainParams { log_every: 0, ..p }.check(),
            Err(LogregError::ZeroLogEvery)
        ));
    }
}
