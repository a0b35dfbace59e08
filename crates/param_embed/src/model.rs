//! The network: a softplus trunk (e.g. 784 → 100 → 50) and named linear heads
//! (`embed` → 2, `classify` → 10). Weights are drawn from the run's weight
//! stream ([`crate::streams`]), not from libtorch's global generator, so runs
//! in parallel threads stay exact.

use ndarray::{Array2, ArrayView2};
use rand::rngs::StdRng;
use rand::Rng;
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
    /// The layers are drawn in that order from one RNG seeded with `seed`
    /// (trunk layers first, then `embed`, then `classify`) and named
    /// `trunk0`, `trunk1`, …, `embed`, `classify` in the VarStore.
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
        let mut rng = labkit::seeds::rng(seed, crate::streams::WEIGHTS);
        // exercise(param_embed.hybrid_model) begin
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
        // exercise(param_embed.hybrid_model) end
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    pub fn has_head(&self, head: Head) -> bool {
        head == Head::Embed || self.classify.is_some()
    }

    /// The shared features of a batch.
    pub fn features(&self, x: &Tensor) -> Tensor {
        // exercise(param_embed.hybrid_model) begin
        self.trunk
            .iter()
            .fold(x.shallow_clone(), |h, l| h.apply(l).softplus())
        // exercise(param_embed.hybrid_model) end
    }

    /// One head on top of given features (the `embed` head when there is no
    /// `classify` head).
    pub fn head(&self, features: &Tensor, head: Head) -> Tensor {
        // exercise(param_embed.hybrid_model) begin
        match (head, &self.classify) {
            (Head::Classify, Some(c)) => features.apply(c),
            _ => features.apply(&self.embed),
        }
        // exercise(param_embed.hybrid_model) end
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hybrid_net_has_a_softplus_trunk_and_two_linear_heads() {
        let net = Net::new(5, &[4, 3], 2, Some(6), 1, Device::Cpu).unwrap();
        let mut names: Vec<String> = net.vs.variables().into_keys().collect();
        names.sort();
        assert_eq!(
            names,
            [
                "classify.bias",
                "classify.weight",
                "embed.bias",
                "embed.weight",
                "trunk0.bias",
                "trunk0.weight",
                "trunk1.bias",
                "trunk1.weight"
            ]
        );
        assert_eq!(
            net.n_params(),
            (5 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 2) + (3 * 6 + 6)
        );
        assert_eq!(
            (net.out_dim(Head::Embed), net.out_dim(Head::Classify)),
            (2, 6)
        );
        // the trunk's features are softplus values: > 0, and ln 2 + … at zero input
        let x = Tensor::zeros([7, 5], (Kind::Float, Device::Cpu));
        let f = net.features(&x);
        assert_eq!(f.size(), vec![7, 3]);
        assert!(f.min().double_value(&[]) > 0.0);
        // the heads are linear: a head of 2·f − f is 2·head(f) − head(f)
        for head in [Head::Embed, Head::Classify] {
            let a = net.head(&(&f * 2.0), head) - net.head(&f, head);
            let b = net.head(&f, head) - net.head(&(&f * 0.0), head);
            assert!(a.allclose(&b, 1e-5, 1e-5, false), "{head:?} is affine");
        }
        // one seed, one network
        let again = Net::new(5, &[4, 3], 2, Some(6), 1, Device::Cpu).unwrap();
        let y = |n: &Net| n.head(&n.features(&(&x + 0.5)), Head::Classify);
        assert!(y(&net).allclose(&y(&again), 0.0, 0.0, false));
        // without classes there is no classify head, and asking for it gives the embedding
        let plain = Net::new(5, &[4], 2, None, 1, Device::Cpu).unwrap();
        assert!(!plain.has_head(Head::Classify));
        assert_eq!(plain.out_dim(Head::Classify), 2);
    }
}
