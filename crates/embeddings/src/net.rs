//! The networks of parts 2–5, trained on all seeds at once, and their loop.
//!
//! **Seeds as a batch.** A 30-flower problem is far too small to keep a CPU
//! busy: a training step costs libtorch's per-operation overhead, not
//! arithmetic. So the S seeds of a run are stacked: every weight has a leading
//! seed dimension (`w: S × in × out`), inputs are `S × N × D`, and each layer is
//! one batched product (`baddbmm`). The loss is the *sum* of the per-seed mean
//! losses, so seed s's weights receive exactly the gradient of seed s's loss,
//! and element-wise optimisers (SGD, Adam, AdamW) update every seed as if it
//! were trained alone. Ten seeds then cost about as much as one.
//!
//! **Initialisation.** Weights are drawn the way `torch.nn.Linear` draws them,
//! U(−1/√fan_in, 1/√fan_in) for weights and biases, from each seed's own Rust
//! RNG rather than libtorch's global one: a seed's network does not depend on
//! which other seeds share its batch. (tch's `nn::linear` uses a Kaiming bound
//! √6 times larger, which is not the course's network.)

use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use tch::{nn, Device, Kind, Tensor};

use crate::params::{rng_for, Hidden, TrainParams};
use crate::EmbeddingsError;

/// Draws `n` numbers from `sample` as an f32 vector.
fn draws<R: Rng + ?Sized>(
    n: usize,
    rng: &mut R,
    mut sample: impl FnMut(&mut R) -> f64,
) -> Vec<f32> {
    (0..n).map(|_| sample(rng) as f32).collect()
}

/// One standard normal draw.
pub fn std_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng)
}

/// An `S × shape` tensor whose slice s holds draws from `sample` with `rngs[s]`.
pub fn per_seed(
    rngs: &mut [StdRng],
    shape: &[i64],
    device: Device,
    mut sample: impl FnMut(&mut StdRng) -> f64,
) -> Tensor {
    let n: i64 = shape.iter().product();
    let mut v = Vec::with_capacity(rngs.len() * n as usize);
    for r in rngs.iter_mut() {
        v.extend(draws(n as usize, r, &mut sample));
    }
    let mut full = vec![rngs.len() as i64];
    full.extend_from_slice(shape);
    Tensor::from_slice(&v)
        .view(full.as_slice())
        .to_device(device)
}

/// One RNG per (seed, member), seed-major: member 0 of a seed draws from
/// `rng_for(seed, stream)`, so a one-network "ensemble" is the plain network.
pub fn member_rngs(seeds: &[u64], stream: u64, members: usize) -> Vec<StdRng> {
    seeds
        .iter()
        .flat_map(|&s| (0..members as u64).map(move |m| rng_for(s, stream + 1000 * m)))
        .collect()
}

/// Repeats each seed's slice `members` times along the first dimension: S × … → S·K × ….
pub fn per_member(t: &Tensor, members: usize) -> Tensor {
    if members == 1 {
        return t.shallow_clone();
    }
    t.repeat_interleave_self_int(members as i64, 0, None)
}

/// Averages the members of each seed: S·K × … → S × ….
pub fn member_mean(t: &Tensor, members: usize) -> Tensor {
    if members == 1 {
        return t.shallow_clone();
    }
    let mut shape = t.size();
    let sk = shape[0];
    shape[0] = members as i64;
    shape.insert(0, sk / members as i64);
    t.view(shape.as_slice())
        .mean_dim([1i64].as_slice(), false, t.kind())
}

/// Averages consecutive groups of `members` numbers (per-member → per-seed).
pub fn chunk_mean(v: &[f64], members: usize) -> Vec<f64> {
    v.chunks(members.max(1))
        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
        .collect()
}

/// Whether each of the `layers` linear layers of a network is followed by
/// ReLU, for the placement `hidden`. With `trunk` the network feeds heads, so
/// its last layer is a hidden layer too; otherwise the last layer gives the
/// outputs and never has an activation.
pub fn relu_after(hidden: Hidden, layers: usize, trunk: bool) -> Vec<bool> {
    // exercise(embeddings.classifier) begin
    (0..layers)
        .map(|k| {
            let is_hidden = k + 1 < layers || trunk;
            match hidden {
                Hidden::Course => k == 0 && is_hidden,
                Hidden::AllRelu => is_hidden,
            }
        })
        .collect()
    // exercise(embeddings.classifier) end
}

/// A fully connected network `sizes = [D, h1, …, out]`, one copy per seed,
/// with ReLU after the layers `relu` marks.
#[derive(Debug)]
pub struct Mlp {
    /// (weight S × in × out, bias S × 1 × out) per layer.
    layers: Vec<(Tensor, Tensor)>,
    /// Apply ReLU after layer k (one flag per layer; see [`relu_after`]).
    relu: Vec<bool>,
}

impl Mlp {
    /// Creates the layers under `vs` with PyTorch's default initialisation,
    /// seed s's weights drawn from `rngs[s]`; `relu` holds one flag per layer.
    pub fn new(
        vs: &nn::Path,
        sizes: &[usize],
        relu: &[bool],
        rngs: &mut [StdRng],
    ) -> Result<Self, EmbeddingsError> {
        let n_layers = sizes.len().saturating_sub(1);
        if relu.len() != n_layers {
            return Err(EmbeddingsError::BadActivations {
                layers: n_layers,
                flags: relu.len(),
            });
        }
        let device = vs.device();
        let mut layers = Vec::new();
        for (k, pair) in sizes.windows(2).enumerate() {
            let (i, o) = (pair[0] as i64, pair[1] as i64);
            let bound = 1.0 / (pair[0] as f64).sqrt();
            let u = |r: &mut StdRng| r.gen_range(-bound..bound);
            let w = per_seed(rngs, &[i, o], device, u);
            let b = per_seed(rngs, &[1, o], device, u);
            layers.push((
                vs.f_var_copy(&format!("w{}", k + 1), &w)?,
                vs.f_var_copy(&format!("b{}", k + 1), &b)?,
            ));
        }
        Ok(Mlp {
            layers,
            relu: relu.to_vec(),
        })
    }

    /// x (S × N × D) → S × N × out: each layer is b + h·w, one batched
    /// product per layer (`baddbmm`), followed by ReLU where `relu` says.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        // exercise(embeddings.classifier) begin
        let mut h = x.shallow_clone();
        for ((w, b), &relu) in self.layers.iter().zip(&self.relu) {
            h = b.baddbmm(&h, w, 1.0, 1.0);
            if relu {
                h = h.relu();
            }
        }
        h
        // exercise(embeddings.classifier) end
    }
}

/// The Gaussian model of part 4: a trunk 4→100→100 with a mean head
/// (100→2) and a variance head (100→2, softplus); ReLU in the trunk as
/// `hidden` places it (the course's: after the first layer only). Its variables live under
/// `trunk/`, `mean/` and `var/` (`w1`, `b1`, … in each), created in that
/// order from the same RNGs.
#[derive(Debug)]
pub struct GaussianNet {
    trunk: Mlp,
    mean: Mlp,
    var: Mlp,
}

impl GaussianNet {
    pub fn new(
        vs: &nn::Path,
        sizes: &[usize],
        out: usize,
        hidden: Hidden,
        rngs: &mut [StdRng],
    ) -> Result<Self, EmbeddingsError> {
        // exercise(embeddings.gaussian) begin
        let h = sizes.last().copied().unwrap_or(1);
        let trunk_relu = relu_after(hidden, sizes.len().saturating_sub(1), true);
        Ok(GaussianNet {
            trunk: Mlp::new(&(vs / "trunk"), sizes, &trunk_relu, rngs)?,
            mean: Mlp::new(&(vs / "mean"), &[h, out], &[false], rngs)?,
            var: Mlp::new(&(vs / "var"), &[h, out], &[false], rngs)?,
        })
        // exercise(embeddings.gaussian) end
    }

    /// x (S × N × D) → (mean S × N × out, variance S × N × out, all > 0).
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        // exercise(embeddings.gaussian) begin
        let h = self.trunk.forward(x);
        (self.mean.forward(&h), self.var.forward(&h).softplus())
        // exercise(embeddings.gaussian) end
    }
}

/// The optimiser of `spec` over every variable of `vs`.
pub fn optimizer(vs: &nn::VarStore, spec: &TrainParams) -> Result<nn::Optimizer, EmbeddingsError> {
    Ok(spec.optimizer.build(vs, spec.lr, spec.weight_decay)?)
}

/// The training inputs of one epoch: `x` plus N(0, noise²) per entry, drawn
/// from each seed's RNG (`x` is S × N × D).
pub fn noisy(x: &Tensor, noise: f64, rngs: &mut [StdRng]) -> Tensor {
    if noise == 0.0 {
        return x.shallow_clone();
    }
    let shape = &x.size()[1..];
    x + per_seed(rngs, shape, x.device(), |r| noise * std_normal(r))
}

/// The per-seed loss of every epoch of a training run.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// `losses[epoch][seed]`.
    pub losses: Vec<Vec<f64>>,
}

impl Fitted {
    /// Each seed's loss in the last epoch.
    pub fn final_loss(&self) -> Result<&[f64], EmbeddingsError> {
        self.losses
            .last()
            .map(Vec::as_slice)
            .ok_or(EmbeddingsError::NothingLogged("a training run's losses"))
    }

    /// Seed `s`'s loss as the course's notebooks print it: at steps
    /// 0, `every`, 2·`every`, … (0-based, the loss computed before that
    /// step's update), and at the last step; the `members` of an ensemble
    /// are averaged.
    pub fn course_log(&self, s: usize, members: usize, every: usize) -> Vec<(usize, f64)> {
        let last = self.losses.len().saturating_sub(1);
        self.losses
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every.max(1) == 0 || *i == last)
            .map(|(i, row)| {
                (
                    i,
                    chunk_mean(row, members).get(s).copied().unwrap_or(f64::NAN),
                )
            })
            .collect()
    }
}

/// Trains by whole-batch steps: `loss(x)` gives the per-seed losses (length S)
/// on (possibly noisy) training inputs `x`; their sum is minimised. The losses
/// are read back from the device once, at the end.
pub fn fit(
    vs: &nn::VarStore,
    spec: &TrainParams,
    x_train: &Tensor,
    rngs: &mut [StdRng],
    what: &'static str,
    mut loss: impl FnMut(&Tensor) -> Tensor,
) -> Result<Fitted, EmbeddingsError> {
    spec.check()?;
    let mut opt = optimizer(vs, spec)?;
    let mut history = Vec::with_capacity(spec.epochs);
    for _ in 0..spec.epochs {
        let x = noisy(x_train, spec.input_noise, rngs);
        let l = loss(&x);
        opt.backward_step(&l.sum(Kind::Float));
        history.push(l.detach());
    }
    let all = Tensor::stack(&history, 0)
        .to_kind(Kind::Double)
        .to_device(Device::Cpu);
    let losses = torch_util::to_array2(&all)?;
    check_finite(losses.outer_iter().map(|r| r.to_vec()), what).map(|losses| Fitted { losses })
}

/// Fails with [`EmbeddingsError::Diverged`] at the first non-finite loss.
pub fn check_finite(
    rows: impl Iterator<Item = Vec<f64>>,
    what: &'static str,
) -> Result<Vec<Vec<f64>>, EmbeddingsError> {
    let mut out = Vec::new();
    for (i, r) in rows.enumerate() {
        if let Some(&l) = r.iter().find(|l| !l.is_finite()) {
            return Err(EmbeddingsError::Diverged {
                what,
                epoch: i + 1,
                loss: l,
            });
        }
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::per_seed_mean;
    use crate::params::Optimizer;
    use tch::nn::VarStore;

    fn rngs(seeds: &[u64]) -> Vec<StdRng> {
        seeds.iter().map(|&s| rng_for(s, 0)).collect()
    }

    #[test]
    fn relu_placement_course_and_all_relu() {
        // the course: relu(fc1) → fc2 → fc3; all-ReLU: relu(fc1) → relu(fc2) → fc3
        assert_eq!(relu_after(Hidden::Course, 3, false), [true, false, false]);
        assert_eq!(relu_after(Hidden::AllRelu, 3, false), [true, true, false]);
        // a trunk feeding heads: its last layer is hidden
        assert_eq!(relu_after(Hidden::AllRelu, 2, true), [true, true]);
        assert_eq!(relu_after(Hidden::Course, 2, true), [true, false]);
        let vs = VarStore::new(Device::Cpu);
        let err = Mlp::new(&vs.root(), &[4, 3, 2], &[true], &mut rngs(&[1]));
        assert!(matches!(
            err,
            Err(EmbeddingsError::BadActivations {
                layers: 2,
                flags: 1
            })
        ));
    }

    #[test]
    fn a_seed_does_not_depend_on_its_batch_and_init_matches_pytorch_bounds() {
        let x = Tensor::ones([1, 2, 4], (Kind::Float, Device::Cpu));
        let run = |seeds: &[u64]| {
            let vs = VarStore::new(Device::Cpu);
            let m = Mlp::new(&vs.root(), &[4, 100, 3], &[true, false], &mut rngs(seeds)).unwrap();
            let out = m.forward(&x.expand([seeds.len() as i64, 2, 4], false));
            (vs, m, out)
        };
        let (_, a, out_a) = run(&[1, 2]);
        let (_, _, out_b) = run(&[2]);
        let (_, _, out_c) = run(&[1]);
        assert!(out_a.get(1).allclose(&out_b.get(0), 1e-6, 1e-6, false));
        assert!(out_a.get(0).allclose(&out_c.get(0), 1e-6, 1e-6, false));
        assert!(!out_a.get(0).allclose(&out_a.get(1), 1e-3, 1e-3, false));
        // fan_in 4 → |w| < 0.5; fan_in 100 → |w| < 0.1
        let max = |t: &Tensor| t.abs().max().double_value(&[]);
        assert!(max(&a.layers[0].0) < 0.5 && max(&a.layers[0].0) > 0.45);
        assert!(max(&a.layers[1].0) < 0.1);
        assert_eq!(a.layers[0].0.size(), vec![2, 4, 100]);
    }

    #[test]
    fn summed_losses_train_each_seed_as_if_alone() {
        // Two seeds trained together reach the weights each reaches alone.
        let x = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.3, 1.5, -0.7, 0.1, 0.9]).view([1, 2, 4]);
        let target = Tensor::from_slice(&[1.0f32, -1.0, 0.0, 2.0]).view([1, 2, 2]);
        let spec = TrainParams::new(Optimizer::Adam, 1e-2, 0.0, 20);
        let train = |seeds: &[u64]| {
            let s = seeds.len() as i64;
            let vs = VarStore::new(Device::Cpu);
            let mut r = rngs(seeds);
            let m = Mlp::new(&vs.root(), &[4, 8, 2], &[true, false], &mut r).unwrap();
            let xs = x.expand([s, 2, 4], false);
            let f = fit(&vs, &spec, &xs, &mut r, "test", |x| {
                per_seed_mean(&(m.forward(x) - &target).square())
            })
            .unwrap();
            (m.forward(&xs), f)
        };
        let (both, f2) = train(&[3, 4]);
        let (alone, f1) = train(&[4]);
        assert!(both.get(1).allclose(&alone.get(0), 1e-5, 1e-5, false));
        assert!((f2.final_loss().unwrap()[1] - f1.final_loss().unwrap()[0]).abs() < 1e-6);
        assert_eq!(f2.losses.len(), 20);
    }

    #[test]
    fn variance_head_is_positive() {
        let vs = VarStore::new(Device::Cpu);
        let mut r = rngs(&[0, 1, 2]);
        let m = GaussianNet::new(&vs.root(), &[4, 10, 10], 2, Hidden::AllRelu, &mut r).unwrap();
        let x = per_seed(&mut r, &[7, 4], Device::Cpu, |r| 3.0 * std_normal(r));
        let (mu, var) = m.forward(&x);
        assert_eq!(mu.size(), vec![3, 7, 2]);
        assert!(var.min().double_value(&[]) > 0.0);
        assert_eq!(vs.trainable_variables().len(), 8);
    }
}
