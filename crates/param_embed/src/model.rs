//! The network: a softplus trunk (e.g. 784 → 100 → 50) and named linear heads
//! (`embed` → 2, `classify` → 10). Weights are drawn from the run's seed, not
//! from libtorch's global generator, so runs in parallel threads stay exact.

use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tch::{nn, Device, Kind, Tensor};

use crate::EmbedError;

/// Which output of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Head {
    Embed,
    Classify,
}

/// A softplus MLP trunk with an `embed` head and, optionally, a `classify` head.
#[derive(Debug)]
pub struct Net {
    pub vs: nn::VarStore,
    trunk: Vec<nn::Linear>,
    embed: nn::Linear,
    classify: Option<nn::Linear>,
}

fn linear(p: nn::Path, i: usize, o: usize, rng: &mut StdRng) -> nn::Linear {
    let mut l = nn::linear(p, i as i64, o as i64, Default::default());
    // PyTorch's default: U(−1/√in, 1/√in) for weights and biases.
    let bound = 1.0 / (i as f64).sqrt();
    let w: Vec<f32> = (0..i * o)
        .map(|_| rng.gen_range(-bound..bound) as f32)
        .collect();
    let b: Vec<f32> = (0..o)
        .map(|_| rng.gen_range(-bound..bound) as f32)
        .collect();
    let dev = l.ws.device();
    tch::no_grad(|| {
        l.ws.copy_(&Tensor::from_slice(&w).view([o as i64, i as i64]).to(dev));
        if let Some(bs) = l.bs.as_mut() {
            bs.copy_(&Tensor::from_slice(&b).to(dev));
        }
    });
    l
}

impl Net {
    /// in → hidden… (softplus) → `embed_dim`, plus a `classes`-way head if given.
    pub fn new(
        input: usize,
        hidden: &[usize],
        embed_dim: usize,
        classes: Option<usize>,
        seed: u64,
        device: Device,
    ) -> Result<Net, EmbedError> {
        if hidden.contains(&0) || input == 0 || embed_dim == 0 {
            return Err(EmbedError::BadHidden(hidden.to_vec()));
        }
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let mut rng = StdRng::seed_from_u64(seed);
        let mut trunk = Vec::new();
        let mut last = input;
        for (k, &h) in hidden.iter().enumerate() {
            trunk.push(linear(&root / format!("trunk{k}"), last, h, &mut rng));
            last = h;
        }
        let embed = linear(&root / "embed", last, embed_dim, &mut rng);
        let classify = classes.map(|c| linear(&root / "classify", last, c, &mut rng));
        Ok(Net {
            vs,
            trunk,
            embed,
            classify,
        })
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    pub fn has_head(&self, head: Head) -> bool {
        head == Head::Embed || self.classify.is_some()
    }

    /// The shared features of a batch.
    pub fn features(&self, x: &Tensor) -> Tensor {
        self.trunk
            .iter()
            .fold(x.shallow_clone(), |h, l| h.apply(l).softplus())
    }

    /// One head on top of given features (the `embed` head when there is no
    /// `classify` head).
    pub fn head(&self, features: &Tensor, head: Head) -> Tensor {
        match (head, &self.classify) {
            (Head::Classify, Some(c)) => features.apply(c),
            _ => features.apply(&self.embed),
        }
    }

    /// Width of a head's output.
    pub fn out_dim(&self, head: Head) -> usize {
        let l = match (head, &self.classify) {
            (Head::Classify, Some(c)) => c,
            _ => &self.embed,
        };
        l.ws.size()[0] as usize
    }

    /// The trained map applied to all rows, without gradients, in chunks.
    pub fn apply(&self, x: ArrayView2<f32>, head: Head) -> Result<Array2<f64>, EmbedError> {
        let dev = self.device();
        let mut out = Array2::zeros((x.nrows(), self.out_dim(head)));
        tch::no_grad(|| -> Result<(), EmbedError> {
            for start in (0..x.nrows()).step_by(8192) {
                let end = (start + 8192).min(x.nrows());
                let xt = torch_util::to_tensor_f32(x.slice(ndarray::s![start..end, ..]), dev);
                let y = self.head(&self.features(&xt), head).to_kind(Kind::Double);
                out.slice_mut(ndarray::s![start..end, ..])
                    .assign(&torch_util::to_array2(&y)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    pub fn n_params(&self) -> i64 {
        self.vs
            .trainable_variables()
            .iter()
            .map(Tensor::numel)
            .sum::<usize>() as i64
    }
}
