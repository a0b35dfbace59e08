//! # PTLogreg: multinomial logistic regression with autograd (Lab 1)
//!
//! `P = softmax(X·W + b)` with W (D × C) and b (C). The loss is
//!
//! `L = −(1/N) · Σ_i log P[i, y_i] + λ/2 · ‖W‖²`,
//!
//! computed with `log_softmax` (never `log(softmax(·))`, which underflows to
//! −∞ for confident wrong answers). The 1/N makes the loss and the gradients
//! independent of the number of examples. Training is whole-batch gradient
//! descent with a hand-written update under `no_grad`.

pub mod lab;

use serde::Serialize;
use tch::{nn, Kind, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum LogregError {
    #[error("D and C must be at least 1, got D = {d}, C = {c}")]
    BadShape { d: usize, c: usize },
    #[error("niter must be at least 1")]
    ZeroIterations,
    #[error("learning rate delta must be a positive finite number, got {0}")]
    BadLearningRate(f64),
    #[error("param_lambda must be a finite number ≥ 0, got {0}")]
    BadLambda(f64),
    #[error("X is {x:?} and Yoh_ is {yoh:?}; expected N × {d} and N × {c} with N ≥ 1")]
    InputShape {
        x: Vec<i64>,
        yoh: Vec<i64>,
        d: usize,
        c: usize,
    },
    #[error("X contains NaN or infinite values")]
    NonFinite,
    #[error("the targets contain a single class ({present} of {c} present); a classifier needs at least two")]
    SingleClass { present: usize, c: usize },
    #[error("training diverged at iteration {iter} (loss {loss}); lower delta")]
    Diverged { iter: usize, loss: f64 },
    #[error(transparent)]
    Data(#[from] data::DataError),
    #[error(transparent)]
    Metrics(#[from] metrics::MetricsError),
    #[error(transparent)]
    Plot(#[from] data::plot::PlotError),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error(transparent)]
    Torch(#[from] torch_util::TorchError),
}

/// W (D × C) and b (C), created in a VarStore (whose device they live on).
#[derive(Debug)]
pub struct PTLogreg {
    pub w: Tensor,
    pub b: Tensor,
    d: usize,
    c: usize,
}

impl PTLogreg {
    /// W ~ N(0, 1) as in the course, b = 0.
    pub fn new(vs: &nn::Path, d: usize, c: usize) -> Result<Self, LogregError> {
        if d == 0 || c == 0 {
            return Err(LogregError::BadShape { d, c });
        }
        let w = vs.randn("W", &[d as i64, c as i64], 0.0, 1.0);
        let b = vs.zeros("b", &[c as i64]);
        Ok(PTLogreg { w, b, d, c })
    }

    /// X (N × D) → scores (N × C).
    pub fn logits(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.w) + &self.b
    }

    /// X (N × D) → P (N × C).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.logits(x).softmax(-1, Kind::Float)
    }

    /// Mean NLL of one-hot `yoh` + λ/2·‖W‖².
    pub fn loss(&self, x: &Tensor, yoh: &Tensor, param_lambda: f64) -> Tensor {
        let logp = self.logits(x).log_softmax(-1, Kind::Float);
        let nll = -(yoh * logp)
            .sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
            .mean(Kind::Float);
        nll + self.w.square().sum(Kind::Float) * (param_lambda / 2.0)
    }

    /// ‖W‖ (Frobenius norm).
    pub fn weight_norm(&self) -> f64 {
        self.w.norm().double_value(&[])
    }
}

/// Hyper-parameters of [`train`], validated by [`LogregParams::check`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogregParams {
    pub niter: usize,
    pub delta: f64,
    pub param_lambda: f64,
}

impl LogregParams {
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
        Ok(())
    }
}

/// Gradient descent on the whole batch; returns the loss every `niter / 100` steps.
pub fn train(
    model: &mut PTLogreg,
    x: &Tensor,
    yoh: &Tensor,
    params: &LogregParams,
) -> Result<Vec<(usize, f64)>, LogregError> {
    params.check()?;
    let (xs, ys) = (x.size(), yoh.size());
    if xs.len() != 2
        || ys.len() != 2
        || xs[1] != model.d as i64
        || ys[1] != model.c as i64
        || xs[0] != ys[0]
        || xs[0] == 0
    {
        return Err(LogregError::InputShape {
            x: xs,
            yoh: ys,
            d: model.d,
            c: model.c,
        });
    }
    if !bool::try_from(x.isfinite().all()).map_err(torch_util::TorchError::from)? {
        return Err(LogregError::NonFinite);
    }
    let present = i64::try_from(
        yoh.sum_dim_intlist([0i64].as_slice(), false, Kind::Float)
            .gt(0.0)
            .sum(Kind::Int64),
    )
    .map_err(torch_util::TorchError::from)? as usize;
    if present < 2 {
        return Err(LogregError::SingleClass {
            present,
            c: model.c,
        });
    }
    let every = (params.niter / 100).max(1);
    let mut curve = Vec::new();
    for i in 1..=params.niter {
        let loss = model.loss(x, yoh, params.param_lambda);
        model.w.zero_grad();
        model.b.zero_grad();
        loss.backward();
        tch::no_grad(|| {
            let _ = model.w.f_sub_(&(model.w.grad() * params.delta));
            let _ = model.b.f_sub_(&(model.b.grad() * params.delta));
        });
        if i % every == 0 || i == params.niter {
            let l = loss.double_value(&[]);
            if !l.is_finite() {
                return Err(LogregError::Diverged { iter: i, loss: l });
            }
            curve.push((i, l));
        }
    }
    Ok(curve)
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
    fn loss_does_not_depend_on_n_for_duplicated_data() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTLogreg::new(&vs.root(), 2, 3).unwrap();
        let x = ndarray::arr2(&[[0.1, 2.0], [1.5, -0.3], [-1.0, 0.4]]);
        let (xt, yt) = tensors(&x, &[0, 1, 2], 3);
        let (x3, y3) = (
            Tensor::cat(&[&xt, &xt, &xt], 0),
            Tensor::cat(&[&yt, &yt, &yt], 0),
        );
        for lambda in [0.0, 0.1] {
            let (l1, l3) = (
                m.loss(&xt, &yt, lambda).double_value(&[]),
                m.loss(&x3, &y3, lambda).double_value(&[]),
            );
            assert!((l1 - l3).abs() < 1e-6, "λ {lambda}: {l1} vs {l3}");
        }
    }

    #[test]
    fn loss_matches_hand_value() {
        let vs = VarStore::new(Device::Cpu);
        let mut m = PTLogreg::new(&vs.root(), 1, 2).unwrap();
        tch::no_grad(|| {
            m.w.copy_(&Tensor::from_slice(&[0.0f32, 2.0]).view([1, 2]));
        });
        // x = 1: scores (0, 2); target 0: NLL = log(1 + e²) = 2.126928
        let x = Tensor::from_slice(&[1.0f32]).view([1, 1]);
        let yoh = Tensor::from_slice(&[1.0f32, 0.0]).view([1, 2]);
        let want = (1.0f64 + 2.0f64.exp()).ln();
        assert!((m.loss(&x, &yoh, 0.0).double_value(&[]) - want).abs() < 1e-5);
        // + λ/2·‖W‖² = 0.5 · 0.5 · 4 = 1
        assert!((m.loss(&x, &yoh, 0.5).double_value(&[]) - want - 1.0).abs() < 1e-5);
    }

    #[test]
    fn bad_input_is_typed() {
        let vs = VarStore::new(Device::Cpu);
        assert!(matches!(
            PTLogreg::new(&vs.root(), 0, 2),
            Err(LogregError::BadShape { d: 0, c: 2 })
        ));
        let mut m = PTLogreg::new(&vs.root(), 2, 2).unwrap();
        let p = LogregParams {
            niter: 10,
            delta: 0.1,
            param_lambda: 0.0,
        };
        let x = ndarray::arr2(&[[0.0, 1.0], [1.0, 0.0]]);
        let (xt, yt) = tensors(&x, &[0, 1], 2);
        assert!(matches!(
            train(&mut m, &xt, &yt.narrow(0, 0, 1), &p),
            Err(LogregError::InputShape { .. })
        ));
        let bad = ndarray::arr2(&[[0.0, f64::NAN], [1.0, 0.0]]);
        let (bt, _) = tensors(&bad, &[0, 1], 2);
        assert!(matches!(
            train(&mut m, &bt, &yt, &p),
            Err(LogregError::NonFinite)
        ));
        let (_, one_class) = tensors(&x, &[1, 1], 2);
        assert!(matches!(
            train(&mut m, &xt, &one_class, &p),
            Err(LogregError::SingleClass { present: 1, c: 2 })
        ));
        let bad_p = LogregParams {
            param_lambda: -1.0,
            ..p
        };
        assert!(matches!(
            train(&mut m, &xt, &yt, &bad_p),
            Err(LogregError::BadLambda(_))
        ));
        let bad_p = LogregParams {
            delta: f64::INFINITY,
            ..p
        };
        assert!(matches!(
            bad_p.check(),
            Err(LogregError::BadLearningRate(_))
        ));
        assert!(matches!(
            LogregParams { niter: 0, ..p }.check(),
            Err(LogregError::ZeroIterations)
        ));
    }
}
