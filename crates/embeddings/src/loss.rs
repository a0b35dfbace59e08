//! Losses and scores on label embeddings.

use tch::{Kind, Tensor};

/// The variance floor of `torch.nn.GaussianNLLLoss` (its default `eps`).
pub const VAR_EPS: f64 = 1e-6;

/// Gaussian negative log-likelihood without its constant, averaged over all
/// entries, as `torch.nn.GaussianNLLLoss()` (full=False, reduction='mean'):
///
/// `mean( ½·(ln max(var, ε) + (target − mean)² / max(var, ε)) )`.
///
/// As in PyTorch, the floor changes the value but not the gradient path: the
/// variance is clamped as a constant offset, so a variance below ε still
/// receives a gradient.
pub fn gaussian_nll(mean: &Tensor, target: &Tensor, var: &Tensor) -> Tensor {
    let floor = (var.clamp_min(VAR_EPS) - var).detach();
    let v = var + floor;
    ((v.log() + (target - mean).square() / &v) * 0.5).mean(Kind::Float)
}

/// Per-seed mean over every entry but the first dimension: S × … → S.
pub fn per_seed_mean(t: &Tensor) -> Tensor {
    t.flatten(1, -1)
        .mean_dim([1i64].as_slice(), false, Kind::Float)
}

/// Per-seed mean squared error (`torch.nn.MSELoss()` of each seed): S.
pub fn mse(pred: &Tensor, target: &Tensor) -> Tensor {
    // exercise(embeddings.regression) begin
    per_seed_mean(&(pred - target).square())
    // exercise(embeddings.regression) end
}

/// Per-seed Gaussian NLL (see [`gaussian_nll`]): S. With `beta` > 0 each
/// entry is weighted by its variance to the power `beta`, held constant
/// (β-NLL, Seitzer et al., ICLR 2022): the mean's gradient becomes the MSE's
/// times var^(β−1) instead of 1/var, so flowers with a large predicted
/// variance are not ignored when the means are fitted. `beta = 0` is the plain NLL.
pub fn gaussian_nll_per_seed(mean: &Tensor, target: &Tensor, var: &Tensor, beta: f64) -> Tensor {
    let floor = (var.clamp_min(VAR_EPS) - var).detach();
    let v = var + floor;
    let nll = (v.log() + (target - mean).square() / &v) * 0.5;
    if beta == 0.0 {
        return per_seed_mean(&nll);
    }
    per_seed_mean(&(nll * v.detach().pow_tensor_scalar(beta)))
}

/// Per-seed mean absolute error (`torch.nn.L1Loss()` of each seed).
pub fn mae(pred: &Tensor, target: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    let m = tch::no_grad(|| per_seed_mean(&(pred - target).abs()));
    Vec::<f64>::try_from(&m.to_kind(Kind::Double).to_device(tch::Device::Cpu))
}

/// The rows of `table` (S × C × d) picked by labels `y` (S × N): S × N × d.
pub fn lookup(table: &Tensor, y: &Tensor) -> Tensor {
    // exercise(embeddings.regression) begin
    let s = y.size();
    let d = table.size().last().copied().unwrap_or(1);
    table.gather(1, &y.unsqueeze(-1).expand([s[0], s[1], d], false), false)
    // exercise(embeddings.regression) end
}

/// Clips each coordinate of the predictions (S × N × d) to the range of the
/// label embedding's rows (S × C × d) on that coordinate. The target of every
/// prediction is one of those rows, so no coordinate's error can grow.
pub fn clip_to_labels(pred: &Tensor, table: &Tensor) -> Tensor {
    let lo = table.amin([1i64].as_slice(), true);
    let hi = table.amax([1i64].as_slice(), true);
    pred.clamp_tensor(Some(&lo), Some(&hi))
}

/// Squared distances from predictions (… × N × d) to label embeddings
/// (… × C × d): … × N × C.
pub fn sq_distances(pred: &Tensor, table: &Tensor) -> Tensor {
    (pred.unsqueeze(-2) - table.unsqueeze(-3))
        .square()
        .sum_dim_intlist([-1i64].as_slice(), false, Kind::Float)
}

/// The label whose embedding is nearest to each prediction: … × N (i64).
pub fn nearest_label(pred: &Tensor, table: &Tensor) -> Tensor {
    // exercise(embeddings.regression) begin
    tch::no_grad(|| sq_distances(pred, table).argmin(-1, false))
    // exercise(embeddings.regression) end
}

/// Per seed, the mean distance between the rows of a label embedding (S × C × d).
pub fn spread(table: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    tch::no_grad(|| {
        let c = table.size()[1];
        let d = sq_distances(table, table).clamp_min(0.0).sqrt();
        let pairs = (c * (c - 1)).max(1) as f64;
        let v = d
            .flatten(1, -1)
            .sum_dim_intlist([1i64].as_slice(), false, Kind::Double)
            / pairs;
        Vec::<f64>::try_from(&v.to_device(tch::Device::Cpu))
    })
}

/// Per seed, the smallest distance between two rows of a label embedding (S × C × d).
pub fn min_distance(table: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    tch::no_grad(|| {
        let c = table.size()[1];
        let d = sq_distances(table, table).clamp_min(0.0).sqrt();
        let big = Tensor::eye(c, (Kind::Float, table.device())) * 1e30;
        let v = (d + big).flatten(1, -1).amin([1i64].as_slice(), false);
        Vec::<f64>::try_from(&v.to_kind(Kind::Double).to_device(tch::Device::Cpu))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], shape: &[i64]) -> Tensor {
        Tensor::from_slice(v).view(shape)
    }

    #[test]
    fn gaussian_nll_matches_a_hand_computed_value() {
        // Entries (mean, target, var): (0, 1, 1), (1, 1, 2), (0.5, −0.5, 0.25), (0, 0, 1e−8)
        // ½(ln 1 + 1/1)       = 0.5
        // ½(ln 2 + 0/2)       = 0.346573590
        // ½(ln 0.25 + 1/0.25) = ½(−1.386294361 + 4) = 1.306852819
        // ½(ln 1e−6 + 0)      = −6.907755279  (variance floored at ε = 1e−6)
        // mean = (0.5 + 0.346573590 + 1.306852819 − 6.907755279) / 4 = −1.188582218
        let mean = t(&[0.0, 1.0, 0.5, 0.0], &[2, 2]);
        let target = t(&[1.0, 1.0, -0.5, 0.0], &[2, 2]);
        let var = t(&[1.0, 2.0, 0.25, 1e-8], &[2, 2]);
        let l = gaussian_nll(&mean, &target, &var).double_value(&[]);
        assert!((l - (-1.188_582_218)).abs() < 1e-5, "{l}");
        // The same four entries as one seed of a batch, and a second seed
        // holding only the first entry twice (½(ln 1 + 1) = 0.5).
        let b = |a: &Tensor, extra: [f32; 2]| {
            Tensor::cat(
                &[
                    a.view([1, 2, 2]),
                    t(&[extra[0], extra[1], extra[0], extra[1]], &[1, 2, 2]),
                ],
                0,
            )
        };
        let per = gaussian_nll_per_seed(
            &b(&mean, [0.0, 0.0]),
            &b(&target, [1.0, 1.0]),
            &b(&var, [1.0, 1.0]),
            0.0,
        );
        let per = Vec::<f32>::try_from(&per).unwrap();
        assert!((f64::from(per[0]) + 1.188_582_218).abs() < 1e-5);
        assert!((per[1] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn beta_nll_weights_each_entry_by_its_variance() {
        // one entry: mean 0, target 1, var 2 → NLL ½(ln 2 + ½) = 0.596574;
        // β = 1 multiplies it by var = 2, β = 0.5 by √2.
        let one = |v: f32| Tensor::from_slice(&[v]).view([1, 1]);
        let nll =
            |beta| gaussian_nll_per_seed(&one(0.0), &one(1.0), &one(2.0), beta).double_value(&[0]);
        assert!((nll(0.0) - 0.596_574).abs() < 1e-5);
        assert!((nll(1.0) - 2.0 * 0.596_574).abs() < 1e-5);
        assert!((nll(0.5) - 2f64.sqrt() * 0.596_574).abs() < 1e-5);
    }

    #[test]
    fn gaussian_nll_gradient_passes_the_floor() {
        let var = Tensor::from_slice(&[1e-8f32]).set_requires_grad(true);
        let z = Tensor::from_slice(&[0.0f32]);
        gaussian_nll(&z, &(&z + 1e-4), &var).backward();
        // d/dv ½(ln v + r²/v) at the floored value is (1/ε − r²/ε²)/2 ≈ 5·10⁵, not 0.
        assert!(var.grad().abs().double_value(&[0]) > 1.0);
    }

    #[test]
    fn nearest_label_spread_lookup_and_errors() {
        // One seed: label points (0,0), (3,0), (0,4).
        let table = t(&[0.0, 0.0, 3.0, 0.0, 0.0, 4.0], &[1, 3, 2]);
        let pred = t(&[0.1, 0.2, 2.0, 0.1, 0.3, 3.0], &[1, 3, 2]);
        let got = Vec::<i64>::try_from(&nearest_label(&pred, &table).view([-1])).unwrap();
        assert_eq!(got, vec![0, 1, 2]);
        // distances 3, 4, 5 → mean 4; smallest 3
        assert!((spread(&table).unwrap()[0] - 4.0).abs() < 1e-6);
        assert!((min_distance(&table).unwrap()[0] - 3.0).abs() < 1e-6);
        let y = Tensor::from_slice(&[2i64, 0]).view([1, 2]);
        let rows = Vec::<f32>::try_from(&lookup(&table, &y).view([-1])).unwrap();
        assert_eq!(rows, vec![0.0, 4.0, 0.0, 0.0]);
        let z = Tensor::zeros([1, 3, 2], (Kind::Float, tch::Device::Cpu));
        // |table| sums to 7 over 6 entries, table² to 25
        assert!((mae(&table, &z).unwrap()[0] - 7.0 / 6.0).abs() < 1e-6);
        assert!((mse(&table, &z).double_value(&[0]) - 25.0 / 6.0).abs() < 1e-5);
    }
}
