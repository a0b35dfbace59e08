//! The optimiser spec every lab shares: which update rule, built over a
//! variable store with a learning rate and a weight decay.

use serde::Serialize;
use tch::nn::{self, OptimizerConfig};

/// The update rule of one training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    /// Plain SGD (no momentum), as `torch.optim.SGD(params, lr)`.
    Sgd,
    /// Adam with L2 weight decay added to the gradient, as `torch.optim.Adam`.
    Adam,
    /// Adam with decoupled weight decay, as `torch.optim.AdamW`.
    AdamW,
}

impl Optimizer {
    /// This rule over every variable of `vs`, with learning rate `lr` and
    /// weight decay `wd` (0: none).
    pub fn build(
        self,
        vs: &nn::VarStore,
        lr: f64,
        wd: f64,
    ) -> Result<nn::Optimizer, tch::TchError> {
        match self {
            Optimizer::Sgd => nn::Sgd {
                wd,
                ..Default::default()
            }
            .build(vs, lr),
            Optimizer::Adam => nn::Adam::default().wd(wd).build(vs, lr),
            Optimizer::AdamW => nn::AdamW::default().wd(wd).build(vs, lr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    /// One step on f(w) = ½‖w‖² from w = 1 (gradient 1): SGD moves w by lr,
    /// Adam's first step by lr whatever the gradient's scale.
    #[test]
    fn each_rule_takes_its_first_step() {
        for (rule, scale, want) in [
            (Optimizer::Sgd, 3.0, 1.0 - 0.1 * 3.0),
            (Optimizer::Adam, 3.0, 1.0 - 0.1),
            (Optimizer::AdamW, 3.0, 1.0 - 0.1),
        ] {
            let vs = nn::VarStore::new(Device::Cpu);
            let w = vs.root().ones("w", &[1]);
            let mut opt = rule.build(&vs, 0.1, 0.0).unwrap();
            let loss = (&w * scale).sum(Kind::Float);
            opt.backward_step(&loss);
            let got = w.double_value(&[0]);
            assert!((got - want).abs() < 1e-6, "{rule:?}: {got} vs {want}");
        }
    }
}
