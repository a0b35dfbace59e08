//! The model: W (D × C) and b (C), the softmax and the loss.

use tch::{nn, Kind, Tensor};

use crate::LogregError;

/// W (D × C) and b (C), created in a VarStore (whose device they live on).
#[derive(Debug)]
pub struct PTLogreg {
    pub w: Tensor,
    pub b: Tensor,
    d: usize,
    c: usize,
}

impl PTLogreg {
    /// W ~ N(0, 1) as in the course (`torch.randn(D, C)`), b = 0, created in
    /// `vs` under the names "W" and "b" (so that the optimiser and a saved
    /// checkpoint see them).
    pub fn new(vs: &nn::Path, d: usize, c: usize) -> Result<Self, LogregError> {
        if d == 0 || c == 0 {
            return Err(LogregError::BadShape { d, c });
        }
        // exercise(pt_logreg.model) begin
        let w = vs.randn("W", &[d as i64, c as i64], 0.0, 1.0);
        let b = vs.zeros("b", &[c as i64]);
        Ok(PTLogreg { w, b, d, c })
        // exercise(pt_logreg.model) end
    }

    /// D, the number of input features.
    pub fn n_inputs(&self) -> usize {
        self.d
    }

    /// C, the number of classes.
    pub fn n_classes(&self) -> usize {
        self.c
    }

    /// X (N × D) → scores (N × C).
    pub fn logits(&self, x: &Tensor) -> Tensor {
        // exercise(pt_logreg.model) begin
        x.matmul(&self.w) + &self.b
        // exercise(pt_logreg.model) end
    }

    /// X (N × D) → P (N × C).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        // exercise(pt_logreg.model) begin
        self.logits(x).softmax(-1, Kind::Float)
        // exercise(pt_logreg.model) end
    }

    /// Mean NLL of one-hot `yoh` + λ/2·‖W‖² ([`nll_l2`] of the scores).
    pub fn loss(&self, x: &Tensor, yoh: &Tensor, param_lambda: f64) -> Tensor {
        nll_l2(&self.logits(x), yoh, &[&self.w], param_lambda)
    }

    /// ‖W‖ (Frobenius norm).
    pub fn weight_norm(&self) -> Result<f64, LogregError> {
        Ok(self.w.norm().f_double_value(&[])?)
    }
}

/// The loss of a softmax classifier: the mean negative log-likelihood of the
/// one-hot rows `yoh` (N × C) under softmax(`scores`) (N × C), plus
/// λ/2·Σ‖W‖² over `weights`. PTLogreg's loss, and PTDeep's (which passes
/// every weight matrix of its layers).
pub fn nll_l2(scores: &Tensor, yoh: &Tensor, weights: &[&Tensor], param_lambda: f64) -> Tensor {
    // exercise(pt_logreg.loss) begin
    let logp = scores.log_softmax(-1, Kind::Float);
    let nll = -(yoh * logp)
        .sum_dim_intlist([1i64].as_slice(), false, Kind::Float)
        .mean(Kind::Float);
    let squares = weights.iter().map(|w| w.square().sum(Kind::Float));
    match squares.reduce(|a, b| a + b) {
        Some(l2) => nll + l2 * (param_lambda / 2.0),
        None => nll,
    }
    // exercise(pt_logreg.loss) end
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
        assert!((m.weight_norm().unwrap() - 2.0).abs() < 1e-6);
    }

    #[test]
    fn new_makes_w_from_n01_and_zero_b_in_the_var_store() {
        tch::manual_seed(3);
        let vs = VarStore::new(Device::Cpu);
        let m = PTLogreg::new(&vs.root(), 40, 50).unwrap();
        assert_eq!(m.w.size(), [40, 50]);
        assert_eq!(m.b.size(), [50]);
        let vars = vs.variables();
        assert_eq!(vars.len(), 2, "{:?}", vars.keys());
        assert!(
            vars.contains_key("W") && vars.contains_key("b"),
            "{:?}",
            vars.keys()
        );
        assert!(m.w.requires_grad() && m.b.requires_grad());
        assert_eq!(m.b.abs().sum(Kind::Float).double_value(&[]), 0.0);
        let (mean, std) = (
            m.w.mean(Kind::Float).double_value(&[]),
            m.w.std(true).double_value(&[]),
        );
        assert!(
            mean.abs() < 0.1 && (std - 1.0).abs() < 0.05,
            "mean {mean} std {std}"
        );
    }

    #[test]
    fn forward_is_the_softmax_of_x_w_plus_b() {
        let vs = VarStore::new(Device::Cpu);
        let mut m = PTLogreg::new(&vs.root(), 2, 2).unwrap();
        tch::no_grad(|| {
            m.w.copy_(&Tensor::from_slice(&[1.0f32, -1.0, 0.5, 2.0]).view([2, 2]));
            m.b.copy_(&Tensor::from_slice(&[0.25f32, -0.25]));
        });
        // x = (2, 1): scores (2 + 0.5 + 0.25, −2 + 2 − 0.25) = (2.75, −0.25).
        let x = Tensor::from_slice(&[2.0f32, 1.0]).view([1, 2]);
        let s = m.logits(&x);
        assert!((s.double_value(&[0, 0]) - 2.75).abs() < 1e-6);
        assert!((s.double_value(&[0, 1]) + 0.25).abs() < 1e-6);
        let p1 = 1.0 / (1.0 + 3f64.exp());
        let p = m.forward(&x);
        assert!((p.double_value(&[0, 1]) - p1).abs() < 1e-6, "{p}");
        assert!((p.sum(Kind::Float).double_value(&[]) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_shape_is_typed() {
        let vs = VarStore::new(Device::Cpu);
        assert!(matches!(
            PTLogreg::new(&vs.root(), 0, 2),
            Err(LogregError::BadShape { d: 0, c: 2 })
        ));
    }
}
