//! The network: weights and biases held as lists of parameters.

use std::fmt;

use serde::Serialize;
use tch::{nn, Tensor};

use crate::PtDeepError;

/// The non-linearity between hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Relu,
    Sigmoid,
    Tanh,
}

impl Activation {
    pub fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
        }
    }

    /// Standard deviation of the initial weights for fan-in `d`: He
    /// (√(2/d)) for ReLU, Glorot-like (√(1/d)) for the saturating ones.
    /// For D = 2 with ReLU this is N(0, 1), as in the course's `torch.randn`.
    fn init_std(self, fan_in: usize) -> f64 {
        let gain = if self == Activation::Relu { 2.0 } else { 1.0 };
        (gain / fan_in as f64).sqrt()
    }
}

/// A fully connected classifier `config = [D, h1, …, C]`.
#[derive(Debug)]
pub struct PTDeep {
    config: Vec<usize>,
    activation: Activation,
    /// `weights[k]`: config[k] × config[k+1]
    weights: Vec<Tensor>,
    /// `biases[k]`: config[k+1]
    biases: Vec<Tensor>,
    /// Batch normalisation after each hidden affine layer (empty when off).
    norms: Vec<nn::BatchNorm>,
}

/// Checks a layer-size list: at least two entries, none zero.
pub fn check_config(config: &[usize]) -> Result<(), PtDeepError> {
    if config.len() < 2 {
        return Err(PtDeepError::ConfigTooShort(config.to_vec()));
    }
    if let Some(index) = config.iter().position(|&d| d == 0) {
        return Err(PtDeepError::ZeroLayer {
            config: config.to_vec(),
            index,
        });
    }
    Ok(())
}

impl PTDeep {
    /// Creates the parameters `W1, b1, …, Wk, bk` under `vs` (their device is
    /// the VarStore's), one affine layer per consecutive pair of `config`:
    /// `Wk` (config[k−1] × config[k]) drawn from N(0, σ²) with σ from
    /// `Activation::init_std` of its fan-in, `bk` zero.
    pub fn new(
        vs: &nn::Path,
        config: &[usize],
        activation: Activation,
    ) -> Result<Self, PtDeepError> {
        check_config(config)?;
        // exercise(pt_deep.model) begin
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for (k, pair) in config.windows(2).enumerate() {
            let (d_in, d_out) = (pair[0] as i64, pair[1] as i64);
            let std = activation.init_std(pair[0]);
            weights.push(vs.randn(&format!("W{}", k + 1), &[d_in, d_out], 0.0, std));
            biases.push(vs.zeros(&format!("b{}", k + 1), &[d_out]));
        }
        Ok(PTDeep {
            config: config.to_vec(),
            activation,
            weights,
            biases,
            norms: Vec::new(),
        })
        // exercise(pt_deep.model) end
    }

    /// Like [`PTDeep::new`], with batch normalisation after every hidden affine
    /// layer (before the activation). Training uses the batch statistics and
    /// updates running averages; evaluation uses the running averages.
    pub fn with_batch_norm(
        vs: &nn::Path,
        config: &[usize],
        activation: Activation,
    ) -> Result<Self, PtDeepError> {
        let mut m = PTDeep::new(vs, config, activation)?;
        // exercise(pt_deep.model) begin
        let hidden = &config[1..config.len() - 1];
        m.norms = hidden
            .iter()
            .enumerate()
            .map(|(k, &h)| {
                nn::batch_norm1d(vs / format!("bn{}", k + 1), h as i64, Default::default())
            })
            .collect();
        Ok(m)
        // exercise(pt_deep.model) end
    }

    pub fn has_batch_norm(&self) -> bool {
        !self.norms.is_empty()
    }

    pub fn config(&self) -> &[usize] {
        &self.config
    }
    pub fn activation(&self) -> Activation {
        self.activation
    }
    pub fn n_inputs(&self) -> usize {
        self.config[0]
    }
    pub fn n_classes(&self) -> usize {
        self.config[self.config.len() - 1]
    }
    pub fn weights(&self) -> &[Tensor] {
        &self.weights
    }

    /// Scores before the softmax: x (N × D) → N × C.
    /// (Evaluation mode: batch norm, if any, uses its running averages.)
    pub fn logits(&self, x: &Tensor) -> Tensor {
        self.logits_t(x, false)
    }

    /// Scores with an explicit mode: `train = true` makes batch norm use and
    /// update batch statistics. Without batch norm both modes are the same.
    pub fn logits_t(&self, x: &Tensor, train: bool) -> Tensor {
        // exercise(pt_deep.forward) begin
        let last = self.weights.len() - 1;
        let mut h = x.shallow_clone();
        for (k, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            // b + h·W in one fused kernel (one autograd node instead of two)
            let mut s = b.addmm(&h, w);
            if k < last {
                if let Some(bn) = self.norms.get(k) {
                    s = s.apply_t(bn, train);
                }
            }
            h = if k < last {
                self.activation.apply(&s)
            } else {
                s
            };
        }
        h
        // exercise(pt_deep.forward) end
    }

    /// Class probabilities: x (N × D) → P (N × C), rows summing to 1.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.logits(x).softmax(-1, tch::Kind::Float)
    }

    /// mean NLL of one-hot targets `yoh` (N × C) + λ/2 · Σ‖W‖² (training mode).
    pub fn loss(&self, x: &Tensor, yoh: &Tensor, lambda: f64) -> Tensor {
        let weights: Vec<&Tensor> = self.weights.iter().collect();
        pt_logreg::nll_l2(&self.logits_t(x, true), yoh, &weights, lambda)
    }

    /// The same loss from class indices `y` (N, i64) instead of one-hot rows:
    /// cheaper for many classes and large N.
    pub fn loss_labels(&self, x: &Tensor, y: &Tensor, lambda: f64) -> Tensor {
        let nll = self
            .logits_t(x, true)
            .log_softmax(-1, tch::Kind::Float)
            .nll_loss(y);
        if lambda == 0.0 {
            return nll; // no extra kernels on the hot path
        }
        nll + self.l2_term(x.device(), lambda)
    }

    /// λ/2 · Σ‖W‖² (a zero scalar when λ = 0).
    fn l2_term(&self, device: tch::Device, lambda: f64) -> Tensor {
        if lambda == 0.0 {
            return Tensor::from(0.0f32).to_device(device);
        }
        let l2 = self
            .weights
            .iter()
            .map(|w| w.square().sum(tch::Kind::Float))
            .fold(Tensor::from(0.0f32).to_device(device), |a, b| a + b);
        l2 * (lambda / 2.0)
    }

    /// Names and shapes of all parameters and their total count.
    pub fn count_params(&self) -> ParamCount {
        // exercise(pt_deep.count_params) begin
        let mut params = Vec::new();
        for (k, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            params.push((format!("W{}", k + 1), w.size()));
            params.push((format!("b{}", k + 1), b.size()));
            if let Some(bn) = self.norms.get(k) {
                if let (Some(g), Some(beta)) = (&bn.ws, &bn.bs) {
                    params.push((format!("bn{}.gamma", k + 1), g.size()));
                    params.push((format!("bn{}.beta", k + 1), beta.size()));
                }
            }
        }
        let total = params
            .iter()
            .map(|(_, s)| s.iter().product::<i64>() as usize)
            .sum();
        ParamCount { params, total }
        // exercise(pt_deep.count_params) end
    }
}

/// The answer of [`PTDeep::count_params`]; `Display` prints one line per parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamCount {
    pub params: Vec<(String, Vec<i64>)>,
    pub total: usize,
}

impl fmt::Display for ParamCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, shape) in &self.params {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            writeln!(f, "  {name:<4} {:>10}", dims.join(" × "))?;
        }
        write!(f, "  total: {} parameters", self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    #[test]
    fn new_makes_named_layers_with_their_initial_spread() {
        tch::manual_seed(1);
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[50, 200, 3], Activation::Relu).unwrap();
        let vars = vs.variables();
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        assert_eq!(names, ["W1", "W2", "b1", "b2"]);
        assert_eq!(vars["W1"].size(), [50, 200]);
        assert_eq!(vars["W2"].size(), [200, 3]);
        assert_eq!(vars["b1"].size(), [200]);
        assert_eq!(vars["b2"].size(), [3]);
        assert_eq!(m.weights().len(), 2);
        assert_eq!(m.weights()[0].size(), [50, 200]);
        for b in ["b1", "b2"] {
            assert_eq!(vars[b].abs().sum(Kind::Float).double_value(&[]), 0.0, "{b}");
        }
        // He for ReLU: σ = √(2/50) = 0.2 for W1.
        let std = vars["W1"].std(true).double_value(&[]);
        assert!((std - 0.2).abs() < 0.01, "std of W1 {std}");
        assert_eq!(vs.trainable_variables().len(), 4);
    }

    #[test]
    fn with_batch_norm_adds_one_norm_per_hidden_layer() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::with_batch_norm(&vs.root(), &[3, 6, 5, 2], Activation::Tanh).unwrap();
        assert!(m.has_batch_norm());
        let vars = vs.variables();
        for (name, size) in [
            ("bn1.weight", 6),
            ("bn1.bias", 6),
            ("bn2.weight", 5),
            ("bn2.bias", 5),
        ] {
            assert_eq!(vars[name].size(), [size], "{name}");
        }
        assert!(
            !vars.contains_key("bn3.weight"),
            "no norm after the output layer"
        );
    }

    #[test]
    fn logistic_regression_has_nine_parameters() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 3], Activation::Relu).unwrap();
        let c = m.count_params();
        assert_eq!(c.total, 9);
        assert_eq!(
            c.params,
            vec![("W1".into(), vec![2, 3]), ("b1".into(), vec![3])]
        );
        assert_eq!(vs.trainable_variables().len(), 2);
    }

    #[test]
    fn deep_config_counts_and_shapes() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[2, 10, 10, 2], Activation::Tanh).unwrap();
        // (2·10 + 10) + (10·10 + 10) + (10·2 + 2) = 30 + 110 + 22
        assert_eq!(m.count_params().total, 162);
        let p = m.forward(&Tensor::randn([7, 2], (Kind::Float, Device::Cpu)));
        assert_eq!(p.size(), vec![7, 2]);
        let sums = p.sum_dim_intlist([1i64].as_slice(), false, Kind::Float);
        assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
    }

    #[test]
    fn batch_norm_respects_train_and_eval_modes() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::with_batch_norm(&vs.root(), &[3, 4, 2], Activation::Relu).unwrap();
        // 3·4 + 4 + (γ, β) 4 + 4 + 4·2 + 2
        assert_eq!(m.count_params().total, 34);
        let x = Tensor::randn([16, 3], (Kind::Float, Device::Cpu)) * 5.0 + 3.0;
        let eval_before = m.logits(&x);
        let train_out = m.logits_t(&x, true); // normalises by batch statistics
        assert!((&train_out - &eval_before).abs().max().double_value(&[]) > 1e-3);
        // evaluation is deterministic and does not depend on the batch
        let one = m.logits(&x.narrow(0, 0, 1));
        let all = m.logits(&x).narrow(0, 0, 1);
        assert!((one - all).abs().max().double_value(&[]) < 1e-5);
        let plain = PTDeep::new(&(vs.root() / "plain"), &[3, 4, 2], Activation::Relu).unwrap();
        assert!(!plain.has_batch_norm());
        assert!(
            (plain.logits(&x) - plain.logits_t(&x, true))
                .abs()
                .max()
                .double_value(&[])
                < 1e-7
        );
    }

    #[test]
    fn the_activation_is_between_layers_only() {
        // s1 = x·W1 = (−3, 3); ReLU → (0, 3); s2 = h·W2 = −6 (no ReLU after it).
        for (act, want) in [
            (Activation::Relu, -6.0),
            (Activation::Tanh, -3f64.tanh() * 3.0),
        ] {
            let vs = VarStore::new(Device::Cpu);
            let mut m = PTDeep::new(&vs.root(), &[1, 2, 1], act).unwrap();
            tch::no_grad(|| {
                m.weights[0].copy_(&Tensor::from_slice(&[1.0f32, -1.0]).view([1, 2]));
                m.weights[1].copy_(&Tensor::from_slice(&[1.0f32, -2.0]).view([2, 1]));
            });
            let s = m.logits(&Tensor::from_slice(&[-3.0f32]).view([1, 1]));
            let got = s.double_value(&[0, 0]);
            assert!((got - want).abs() < 1e-5, "{act:?}: {got}, want {want}");
        }
    }

    #[test]
    fn label_loss_equals_onehot_loss() {
        let vs = VarStore::new(Device::Cpu);
        let m = PTDeep::new(&vs.root(), &[3, 5, 4], Activation::Tanh).unwrap();
        let x = Tensor::randn([9, 3], (Kind::Float, Device::Cpu));
        let y = Tensor::from_slice(&[0i64, 1, 2, 3, 0, 1, 2, 3, 3]);
        let yoh = y.one_hot(4).to_kind(Kind::Float);
        let (a, b) = (
            m.loss(&x, &yoh, 0.01).double_value(&[]),
            m.loss_labels(&x, &y, 0.01).double_value(&[]),
        );
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }

    #[test]
    fn bad_configs_are_typed_errors() {
        let vs = VarStore::new(Device::Cpu);
        assert!(matches!(
            PTDeep::new(&vs.root(), &[2], Activation::Relu),
            Err(PtDeepError::ConfigTooShort(_))
        ));
        assert!(matches!(
            PTDeep::new(&vs.root(), &[2, 0, 2], Activation::Relu),
            Err(PtDeepError::ZeroLayer { index: 1, .. })
        ));
    }

    #[test]
    fn loss_is_stable_for_huge_logits_and_matches_hand_value() {
        let vs = VarStore::new(Device::Cpu);
        let mut m = PTDeep::new(&vs.root(), &[1, 2], Activation::Relu).unwrap();
        tch::no_grad(|| {
            m.weights[0].copy_(&Tensor::from_slice(&[0.0f32, 1000.0]).view([1, 2]));
        });
        // x = 1: logits (0, 1000). Target class 0 -> NLL = 1000 (finite, not inf).
        let x = Tensor::from_slice(&[1.0f32]).view([1, 1]);
        let yoh = Tensor::from_slice(&[1.0f32, 0.0]).view([1, 2]);
        let l = m.loss(&x, &yoh, 0.0).double_value(&[]);
        assert!((l - 1000.0).abs() < 1e-2, "{l}");
        // λ/2·‖W‖² = 0.5 · 0.1 · 1000² = 50000
        let l2 = m.loss(&x, &yoh, 0.1).double_value(&[]);
        assert!((l2 - 1000.0 - 50_000.0).abs() < 1.0, "{l2}");
    }
}
