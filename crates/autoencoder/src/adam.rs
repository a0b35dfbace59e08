//! Adam, written out so that its state (two moment estimates per parameter
//! and the step count) can be saved in a checkpoint and restored exactly.
//!
//! The update is PyTorch's `torch.optim.Adam` with L2 weight decay:
//! g ← ∇ + wd·θ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
//! θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).

use std::collections::HashMap;

use tch::{nn::VarStore, Tensor};

use crate::AeError;

/// Runs an in-place tensor operation, keeping only its error.
fn in_place(r: Result<Tensor, tch::TchError>) -> Result<(), AeError> {
    r.map(drop).map_err(AeError::from)
}

/// Adam's hyper-parameters (PyTorch's defaults for the betas and ε).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamParams {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamParams {
    /// The lab's setting: lr 1e-3, weight decay 1e-8.
    fn default() -> Self {
        AdamParams {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 1e-8,
        }
    }
}

/// The optimiser and its state, over every trainable variable of a VarStore.
#[derive(Debug)]
pub struct Adam {
    cfg: AdamParams,
    names: Vec<String>,
    params: Vec<Tensor>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    step: i64,
}

impl Adam {
    pub fn new(vs: &VarStore, cfg: AdamParams) -> Self {
        let mut named: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let (names, params): (Vec<String>, Vec<Tensor>) = named.into_iter().unzip();
        let m = params.iter().map(Tensor::zeros_like).collect();
        let v = params.iter().map(Tensor::zeros_like).collect();
        Adam {
            cfg,
            names,
            params,
            m,
            v,
            step: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> i64 {
        self.step
    }

    pub fn zero_grad(&mut self) -> Result<(), AeError> {
        for p in &self.params {
            let mut g = p.grad();
            if g.defined() {
                in_place(g.f_zero_())?;
            }
        }
        Ok(())
    }

    /// One update from the gradients accumulated by `backward()`.
    pub fn step(&mut self) -> Result<(), AeError> {
        self.step += 1;
        let c = self.cfg;
        let t = self.step as i32;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        tch::no_grad(|| -> Result<(), AeError> {
            for ((p, m), v) in self.params.iter_mut().zip(&mut self.m).zip(&mut self.v) {
                let mut g = p.grad();
                if !g.defined() {
                    continue;
                }
                if c.weight_decay != 0.0 {
                    g = g.f_add(&(&*p * c.weight_decay))?;
                }
                in_place(m.f_mul_scalar_(c.beta1))?;
                in_place(m.f_add_(&(&g * (1.0 - c.beta1))))?;
                in_place(v.f_mul_scalar_(c.beta2))?;
                in_place(v.f_addcmul_(&(&g * (1.0 - c.beta2)), &g))?;
                let mut denom = v.f_sqrt()?;
                in_place(denom.f_div_scalar_(bc2.sqrt()))?;
                in_place(denom.f_add_scalar_(c.eps))?;
                in_place(p.f_addcdiv_(&(&*m * (-c.lr / bc1)), &denom))?;
            }
            Ok(())
        })
    }

    /// The state as named tensors: `adam.m.<param>`, `adam.v.<param>`, `adam.step`.
    pub fn state(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(2 * self.names.len() + 1);
        for (i, n) in self.names.iter().enumerate() {
            out.push((format!("adam.m.{n}"), self.m[i].shallow_clone()));
            out.push((format!("adam.v.{n}"), self.v[i].shallow_clone()));
        }
        out.push(("adam.step".into(), Tensor::from(self.step)));
        out
    }

    /// Restores a state written by [`Adam::state`]; `None` when a tensor is
    /// missing or has the wrong shape.
    pub fn load_state(&mut self, named: &HashMap<String, Tensor>) -> Option<()> {
        for (i, n) in self.names.iter().enumerate() {
            for (prefix, dst) in [("adam.m.", &mut self.m[i]), ("adam.v.", &mut self.v[i])] {
                let src = named.get(&format!("{prefix}{n}"))?;
                if src.size() != dst.size() {
                    return None;
                }
                tch::no_grad(|| dst.f_copy_(src)).ok()?;
            }
        }
        self.step = named.get("adam.step")?.f_int64_value(&[]).ok()?;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device, Kind};

    #[test]
    fn matches_libtorchs_adam_step_for_step() {
        // The same quadratic loss, minimised by ours and by tch's built-in Adam
        // (libtorch's torch::optim::Adam): the weights agree after 20 steps.
        let target = Tensor::from_slice(&[1.0f32, -2.0, 0.5]);
        let run = |ours: bool| -> Vec<f32> {
            let vs = VarStore::new(Device::Cpu);
            let w = vs
                .root()
                .var_copy("w", &Tensor::from_slice(&[0.3f32, 0.1, -0.4]));
            let cfg = AdamParams {
                lr: 0.05,
                weight_decay: 0.01,
                ..AdamParams::default()
            };
            let mut own = Adam::new(&vs, cfg);
            let lib = nn::Adam {
                beta1: cfg.beta1,
                beta2: cfg.beta2,
                wd: cfg.weight_decay,
                eps: cfg.eps,
                amsgrad: false,
            };
            let mut opt = nn::OptimizerConfig::build(lib, &vs, cfg.lr).unwrap();
            for _ in 0..20 {
                let loss = (&w - &target).square().sum(Kind::Float);
                if ours {
                    own.zero_grad().unwrap();
                    loss.backward();
                    own.step().unwrap();
                } else {
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                }
            }
            Vec::<f32>::try_from(&w.detach()).unwrap()
        };
        let (a, b) = (run(true), run(false));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-6, "ours {a:?} vs libtorch {b:?}");
        }
        assert!((a[0] - 0.3).abs() > 0.5, "the weights moved: {a:?}");
    }

    #[test]
    fn state_round_trips() {
        let vs = VarStore::new(Device::Cpu);
        let w = vs.root().var("w", &[4], nn::Init::Const(1.0));
        let mut a = Adam::new(&vs, AdamParams::default());
        w.square().sum(Kind::Float).backward();
        a.step().unwrap();
        let saved: HashMap<String, Tensor> = a.state().into_iter().collect();
        let mut b = Adam::new(&vs, AdamParams::default());
        b.load_state(&saved).unwrap();
        assert_eq!(b.steps(), 1);
        assert!(b.m[0].allclose(&a.m[0], 0.0, 0.0, false));
        let mut broken: HashMap<String, Tensor> = a.state().into_iter().collect();
        broken.remove("adam.step");
        assert!(Adam::new(&vs, AdamParams::default())
            .load_state(&broken)
            .is_none());
    }
}
