//! The two losses: reconstruction MSE and the contrastive negative-only term.

use tch::{Reduction, Tensor};

/// Mean squared error between x̂ and x over every pixel of the batch.
pub fn reconstruction(xhat: &Tensor, x: &Tensor) -> Tensor {
    xhat.mse_loss(x, Reduction::Mean)
}

/// The contrastive term of the lab: `mean_i log(1 + exp(cos(z_i, n_i) / τ))`.
///
/// `z` holds the codes of one digit in the batch and `neg` those of a
/// different digit, one row per image; both are cut to the shorter length
/// (rows i of each are paired). Minimising it pushes the cosine similarity of
/// codes of different digits down towards −1. There is no positive term.
pub fn contrastive(z: &Tensor, neg: &Tensor, tau: f64) -> Tensor {
    let n = z.size()[0].min(neg.size()[0]);
    let (z, neg) = (z.narrow(0, 0, n), neg.narrow(0, 0, n));
    let cos = Tensor::cosine_similarity(&z, &neg, 1, 1e-8);
    (cos / tau).softplus().mean(tch::Kind::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrastive_matches_a_hand_computed_value() {
        // Pairs (row i of z with row i of neg; neg's third row is cut off):
        // (1,0)·(1,0): cos = 1;  (1,1)·(−1,1): cos = 0.
        // τ = 0.5: mean(ln(1 + e²), ln 2) = (2.126928 + 0.693147) / 2 = 1.410038.
        let z = Tensor::from_slice2(&[[1.0f32, 0.0], [1.0, 1.0]]);
        let neg = Tensor::from_slice2(&[[2.0f32, 0.0], [-1.0, 1.0], [5.0, 5.0]]);
        let l = contrastive(&z, &neg, 0.5).double_value(&[]);
        let want = ((1.0 + 2f64.exp()).ln() + 2f64.ln()) / 2.0;
        assert!((l - want).abs() < 1e-6, "{l} vs {want}");
        assert!((want - 1.410038).abs() < 1e-6);
        // Opposite codes (cos = −1) give the smallest value, ln(1 + e⁻²).
        let opp = contrastive(&z.narrow(0, 0, 1), &(-&z.narrow(0, 0, 1)), 0.5);
        assert!((opp.double_value(&[]) - (1.0 + (-2f64).exp()).ln()).abs() < 1e-6);
    }

    #[test]
    fn mse_is_the_mean_over_pixels() {
        let a = Tensor::from_slice2(&[[0.0f32, 1.0], [2.0, 3.0]]);
        let b = Tensor::from_slice2(&[[0.0f32, 0.0], [0.0, 0.0]]);
        assert_eq!(reconstruction(&a, &b).double_value(&[]), 14.0 / 4.0);
    }

    #[test]
    fn contrastive_on_more_values() {
        // z's third row has no partner. Pairs: (3,4)·(4,−3): cos 0; (1,0)·(−2,0): cos −1.
        let z = Tensor::from_slice2(&[[3.0f32, 4.0], [1.0, 0.0], [0.0, 2.0]]);
        let neg = Tensor::from_slice2(&[[4.0f32, -3.0], [-2.0, 0.0]]);
        let got = contrastive(&z, &neg, 0.25).double_value(&[]);
        let want = (2f64.ln() + (1.0 + (-4f64).exp()).ln()) / 2.0;
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
}
