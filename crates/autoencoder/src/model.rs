//! The autoencoder: encoder 784 → 1000 → 25 → 50, decoder 50 → 1000 → 784.
//!
//! Encoder: Linear(784, 1000), ReLU, Linear(1000, 25), ReLU, Linear(25, 50);
//! the 50 outputs are the code z (no activation on it). Decoder: ReLU,
//! Linear(50, 1000), ReLU, Linear(1000, 784). With biases: 1,647,109 parameters.

use tch::{nn, nn::Module, Tensor};

/// Layer sizes, input to output, of the encoder and of the decoder.
pub const ENCODER: [i64; 4] = [784, 1000, 25, 50];
pub const DECODER: [i64; 3] = [50, 1000, 784];

/// The network; its weights live in the `VarStore` it was built from.
#[derive(Debug)]
pub struct Autoencoder {
    enc: Vec<nn::Linear>,
    dec: Vec<nn::Linear>,
}

/// A layer initialised as PyTorch's `nn.Linear` is: weights and biases
/// uniform in ±1/√fan_in. (tch's default weight init is Kaiming-uniform with
/// the ReLU gain, √6 times wider, which trains this network differently.)
fn linear(p: nn::Path, fan_in: i64, fan_out: i64) -> nn::Linear {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let init = nn::Init::Uniform {
        lo: -bound,
        up: bound,
    };
    let cfg = nn::LinearConfig {
        ws_init: init,
        bs_init: Some(init),
        bias: true,
    };
    nn::linear(p, fan_in, fan_out, cfg)
}

/// One [`linear`] layer per consecutive pair of `sizes`, named
/// `<prefix>1`, `<prefix>2`, … under `p`.
fn layers(p: &nn::Path, prefix: &str, sizes: &[i64]) -> Vec<nn::Linear> {
    sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| linear(p / format!("{prefix}{}", i + 1), w[0], w[1]))
        .collect()
}

impl Autoencoder {
    /// Builds the layers under `p`, initialised as PyTorch's `nn.Linear` does
    /// (uniform in ±1/√fan_in), from libtorch's seeded generator.
    pub fn new(p: &nn::Path) -> Self {
        // exercise(autoencoder.model) begin
        Autoencoder {
            enc: layers(p, "enc", &ENCODER),
            dec: layers(p, "dec", &DECODER),
        }
        // exercise(autoencoder.model) end
    }

    /// x (N × 784) → z (N × 50).
    pub fn encode(&self, x: &Tensor) -> Tensor {
        // exercise(autoencoder.model) begin
        let mut h = self.enc[0].forward(x);
        for l in &self.enc[1..] {
            h = l.forward(&h.relu());
        }
        h
        // exercise(autoencoder.model) end
    }

    /// z (N × 50) → x̂ (N × 784).
    pub fn decode(&self, z: &Tensor) -> Tensor {
        // exercise(autoencoder.model) begin
        let mut h = z.shallow_clone();
        for l in &self.dec {
            h = l.forward(&h.relu());
        }
        h
        // exercise(autoencoder.model) end
    }

    /// x (N × 784) → (z, x̂).
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        // exercise(autoencoder.model) begin
        let z = self.encode(x);
        let xhat = self.decode(&z);
        (z, xhat)
        // exercise(autoencoder.model) end
    }
}

/// Number of scalar parameters in a VarStore.
pub fn count_params(vs: &nn::VarStore) -> usize {
    vs.trainable_variables().iter().map(|t| t.numel()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn has_the_courses_parameter_count_and_shapes() {
        let vs = VarStore::new(Device::Cpu);
        let ae = torch_util::with_seed(1, || Autoencoder::new(&vs.root()));
        // 784·1000+1000 + 1000·25+25 + 25·50+50 + 50·1000+1000 + 1000·784+784
        assert_eq!(count_params(&vs), 1_647_109);
        let x = torch_util::with_seed(3, || Tensor::rand([3, 784], (Kind::Float, Device::Cpu)));
        let (z, xhat) = ae.forward(&x);
        assert_eq!(z.size(), vec![3, 50]);
        assert_eq!(xhat.size(), vec![3, 784]);
        // PyTorch's nn.Linear init: every weight of the first layer within ±1/√784.
        let w = vs.variables()["enc1.weight"].abs().max().double_value(&[]);
        assert!(w <= 1.0 / 28.0 + 1e-6 && w > 0.9 / 28.0, "{w}");
    }
}
