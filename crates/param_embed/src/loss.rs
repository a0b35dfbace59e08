//! Losses of a batch, and the weighted sum a phase minimises.

use serde::Serialize;
use tch::{Kind, Reduction, Tensor};

use crate::batch;

/// The losses a training phase can combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// t-SNE's KL(P‖Q) with P renormalised over the batch.
    Kl,
    /// UMAP's fuzzy cross-entropy over positive and negative pairs.
    UmapCe,
    /// Mean squared distance to given target coordinates.
    Position,
    /// Mean cross-entropy of the `classify` head's logits.
    Classification,
}

impl LossKind {
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Kl => "kl",
            LossKind::UmapCe => "umap_ce",
            LossKind::Position => "position",
            LossKind::Classification => "classification",
        }
    }
}

/// One term of a compound loss: weight · loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Term {
    pub loss: LossKind,
    pub weight: f64,
}

impl Term {
    pub fn new(loss: LossKind, weight: f64) -> Self {
        Term { loss, weight }
    }
}

/// KL(P‖Q) of one batch: P = P[idx, idx] renormalised to sum 1 (`p_batch`),
/// Q the Student-t of the embedded batch `y`;
/// (1/B)·Σ_{i≠j} p_ij·(ln(p_ij + 1e-7) − ln(q_ij + 1e-7)).
pub fn kl(p_batch: &Tensor, y: &Tensor) -> Tensor {
    let b = y.size()[0] as f64;
    let s = p_batch.sum(Kind::Float);
    let p = p_batch / s.clamp_min(1e-30);
    let q = batch::student_t(y);
    let eye = Tensor::eye(y.size()[0], (Kind::Float, y.device()));
    let off = Tensor::ones_like(&eye) - eye;
    ((&p * ((&p + 1e-7).log() - (q + 1e-7).log())) * off).sum(Kind::Float) / b
}

/// UMAP's cross-entropy, mean over pairs: −p·ln q − (1 − p)·ln(1 − q), with
/// q the modified Cauchy of (u, v) and both logs clamped at 1e-7.
pub fn umap_ce(u: &Tensor, v: &Tensor, target: &Tensor, a: f64, b: f64) -> Tensor {
    let q = batch::modified_cauchy(u, v, a, b);
    let pos = -(target * q.clamp(1e-7, 1.0).log());
    let one_minus_q: Tensor = 1.0 - &q;
    let one_minus_t: Tensor = 1.0 - target;
    let neg = -(one_minus_t * one_minus_q.clamp(1e-7, 1.0).log());
    (pos + neg).mean(Kind::Float)
}

/// The mean squared error to the targets over every coordinate of every
/// point (PyTorch's `MSELoss`, the course's position loss): half the mean
/// squared distance for 2-D points.
pub fn position(y: &Tensor, target: &Tensor) -> Tensor {
    (y - target).square().mean(Kind::Float)
}

/// Mean cross-entropy of logits against class indices.
pub fn classification(logits: &Tensor, labels: &Tensor) -> Tensor {
    logits.cross_entropy_loss::<Tensor>(labels, None, Reduction::Mean, -100, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kl_by_hand() {
        // Points 0, 1, 2 on a line: Q = (1/2, 1/5, 1/2)/2.4 for pairs 01, 02, 12.
        // P (given unnormalised, twice the true values) = 0.3, 0.1, 0.1 per pair.
        let y = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 0.0, 2.0, 0.0]).view([3, 2]);
        let p = Tensor::from_slice(&[0.0f32, 0.6, 0.2, 0.6, 0.0, 0.2, 0.2, 0.2, 0.0]).view([3, 3]);
        let pairs = [(0.3, 0.5 / 2.4), (0.1, 0.2 / 2.4), (0.1, 0.5 / 2.4)];
        let want: f64 = pairs
            .iter()
            .map(|&(p, q): &(f64, f64)| 2.0 * p * ((p + 1e-7).ln() - (q + 1e-7).ln()))
            .sum::<f64>()
            / 3.0;
        let got = kl(&p, &y).double_value(&[]);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn umap_ce_by_hand() {
        // a = 1, b = 1: q = 1/(1 + d²). Pair 1: d² = 1, q = 1/2, target 1;
        // pair 2: d² = 4, q = 1/5, target 0.
        let u = Tensor::from_slice(&[0.0f32, 0.0, 0.0, 0.0]).view([2, 2]);
        let v = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 2.0]).view([2, 2]);
        let t = Tensor::from_slice(&[1.0f32, 0.0]);
        let want = (-(0.5f64).ln() - (0.8f64).ln()) / 2.0;
        let got = umap_ce(&u, &v, &t, 1.0, 1.0).double_value(&[]);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn position_and_classification_by_hand() {
        let y = Tensor::from_slice(&[0.0f32, 0.0, 1.0, 1.0]).view([2, 2]);
        let t = Tensor::from_slice(&[1.0f32, 0.0, 1.0, 1.0]).view([2, 2]);
        // squared errors 1, 0, 0, 0: their mean 0.25 (not the mean distance² 0.5)
        assert!((position(&y, &t).double_value(&[]) - 0.25).abs() < 1e-7);
        let logits = Tensor::from_slice(&[0.0f32, 0.0]).view([1, 2]);
        let labels = Tensor::from_slice(&[1i64]);
        let ce = classification(&logits, &labels).double_value(&[]);
        assert!((ce - 2f64.ln()).abs() < 1e-6);
    }
}
