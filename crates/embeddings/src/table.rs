//! An embedding table, as `torch.nn.Embedding`: a trainable `n × dim` matrix
//! looked up by index, with an optional padding entry and an optional max-norm.
//!
//! - **Padding** (`padding_idx`): the entry starts at zero and its gradient is
//!   always zero (libtorch's `embedding` backward skips it), so no optimiser
//!   step moves it.
//! - **Max-norm** (`max_norm`): before each lookup, every looked-up row whose
//!   norm exceeds `max_norm` is rescaled in place to norm `max_norm`
//!   (`embedding_renorm_`, outside autograd), exactly as PyTorch's forward does.

use rand::Rng;
use tch::{nn, Tensor};

use crate::net::std_normal;
use crate::EmbeddingsError;

/// PyTorch's renormalisation leaves a row at `max_norm / (norm + 1e-7)` of its length.
const RENORM_EPS: f64 = 1e-7;

#[derive(Debug)]
pub struct EmbeddingTable {
    /// n × dim, trainable.
    pub weight: Tensor,
    padding_idx: Option<i64>,
    max_norm: Option<f64>,
}

impl EmbeddingTable {
    /// An `n × dim` table drawn from N(0, init_std²) (PyTorch draws N(0, 1)),
    /// with the padding entry, if any, set to zero.
    pub fn new<R: Rng + ?Sized>(
        vs: &nn::Path,
        n: usize,
        dim: usize,
        init_std: f64,
        padding_idx: Option<i64>,
        max_norm: Option<f64>,
        rng: &mut R,
    ) -> Result<Self, EmbeddingsError> {
        let v: Vec<f32> = (0..n * dim)
            .map(|_| (init_std * std_normal(rng)) as f32)
            .collect();
        let w = Tensor::from_slice(&v).view([n as i64, dim as i64]);
        Self::from_tensor(vs, &w.to_device(vs.device()), padding_idx, max_norm)
    }

    /// A table that starts as a copy of `init` (n × dim); the padding entry,
    /// if any, is set to zero.
    pub fn from_tensor(
        vs: &nn::Path,
        init: &Tensor,
        padding_idx: Option<i64>,
        max_norm: Option<f64>,
    ) -> Result<Self, EmbeddingsError> {
        if let Some(m) = max_norm {
            if !(m.is_finite() && m > 0.0) {
                return Err(EmbeddingsError::BadMaxNorm(m));
            }
        }
        let weight = vs.f_var_copy("weight", init)?;
        if let Some(p) = padding_idx {
            check_index(p, weight.size()[0])?;
            tch::no_grad(|| weight.get(p).f_zero_().map(drop))?;
        }
        Ok(EmbeddingTable {
            weight,
            padding_idx,
            max_norm,
        })
    }

    pub fn len(&self) -> i64 {
        self.weight.size()[0]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn padding_idx(&self) -> Option<i64> {
        self.padding_idx
    }

    /// Rows of `indices` (any shape of i64) → indices.shape × dim.
    /// Renormalises the looked-up rows first when the table has a max-norm.
    pub fn forward(&self, indices: &Tensor) -> Result<Tensor, EmbeddingsError> {
        let n = self.len();
        let (lo, hi) = tch::no_grad(|| {
            (
                indices.min().int64_value(&[]),
                indices.max().int64_value(&[]),
            )
        });
        for i in [lo, hi] {
            check_index(i, n)?;
        }
        if let Some(m) = self.max_norm {
            self.renorm(indices, m)?;
        }
        Ok(Tensor::embedding(
            &self.weight,
            indices,
            self.padding_idx.unwrap_or(-1),
            false,
            false,
        ))
    }

    /// `embedding_renorm_`: rows of `indices` longer than `max_norm` are
    /// scaled to `max_norm / (norm + 1e-7)` of their length, in place.
    pub fn renorm(&self, indices: &Tensor, max_norm: f64) -> Result<(), EmbeddingsError> {
        tch::no_grad(|| {
            let mut w = self.weight.shallow_clone();
            w.f_embedding_renorm_(&indices.flatten(0, -1), max_norm, 2.0)
                .map(drop)
        })?;
        Ok(())
    }

    /// The whole table (detached copy), n × dim.
    pub fn snapshot(&self) -> Tensor {
        self.weight.detach().copy()
    }

    /// Row norms (length n).
    pub fn norms(&self) -> Tensor {
        tch::no_grad(|| self.weight.norm_scalaropt_dim(2, [1i64].as_slice(), false))
    }
}

fn check_index(index: i64, n: i64) -> Result<(), EmbeddingsError> {
    if index < 0 || index >= n {
        return Err(EmbeddingsError::IndexOutOfRange { index, n });
    }
    Ok(())
}

/// The norm a row of length `norm` has after one renormalisation to `max_norm`.
pub fn renormed_length(norm: f64, max_norm: f64) -> f64 {
    if norm > max_norm {
        norm * max_norm / (norm + RENORM_EPS)
    } else {
        norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use tch::{nn::OptimizerConfig, nn::VarStore, Device, Kind};

    fn rng() -> rand::rngs::StdRng {
        rand::rngs::StdRng::seed_from_u64(7)
    }

    #[test]
    fn padding_row_is_zero_before_and_after_a_step() {
        let vs = VarStore::new(Device::Cpu);
        let t = EmbeddingTable::new(&vs.root(), 10, 2, 1.0, Some(5), None, &mut rng()).unwrap();
        let before = t.snapshot();
        assert_eq!(
            Vec::<f32>::try_from(&before.get(5)).unwrap(),
            vec![0.0, 0.0]
        );
        let idx = Tensor::from_slice(&[1i64, 2, 4, 5, 4, 3, 2, 9, 5]).view([3, 3]);
        let mut opt = nn::Sgd::default().build(&vs, 0.5).unwrap();
        let out = t.forward(&idx).unwrap();
        assert_eq!(out.size(), vec![3, 3, 2]);
        // the looked-up padding entries are zero too
        assert_eq!(
            out.get(1).get(0).abs().sum(Kind::Float).double_value(&[]),
            0.0
        );
        // a loss that pulls every looked-up entry towards (1, 1)
        let loss = (out - 1.0).square().sum(Kind::Float);
        opt.backward_step(&loss);
        let after = t.snapshot();
        assert_eq!(Vec::<f32>::try_from(&after.get(5)).unwrap(), vec![0.0, 0.0]);
        for i in [1, 2, 3, 4, 9] {
            assert!(!after.get(i).equal(&before.get(i)), "row {i} moves");
        }
        for i in [0, 6, 7, 8] {
            assert!(
                after.get(i).equal(&before.get(i)),
                "row {i} is not looked up"
            );
        }
    }

    #[test]
    fn max_norm_rescales_looked_up_rows_in_place() {
        let vs = VarStore::new(Device::Cpu);
        let t = EmbeddingTable::new(&vs.root(), 3, 2, 5.0, None, Some(1.0), &mut rng()).unwrap();
        let n0 = Vec::<f32>::try_from(&t.norms()).unwrap();
        assert!(
            n0.iter().all(|&n| n > 1.0),
            "N(0, 25) rows are long: {n0:?}"
        );
        let looked_up = t.forward(&Tensor::from_slice(&[0i64, 2])).unwrap();
        assert_eq!(looked_up.size(), vec![2, 2]);
        let n1 = Vec::<f32>::try_from(&t.norms()).unwrap();
        assert!((n1[0] - 1.0).abs() < 1e-5 && (n1[2] - 1.0).abs() < 1e-5);
        assert_eq!(n1[1], n0[1], "row 1 was not looked up");
        assert!((renormed_length(7.0, 1.0) - 7.0 / (7.0 + 1e-7)).abs() < 1e-12);
    }

    #[test]
    fn bad_indices_and_settings_are_errors() {
        let vs = VarStore::new(Device::Cpu);
        let t = EmbeddingTable::new(&vs.root(), 4, 2, 1.0, None, None, &mut rng()).unwrap();
        assert!(matches!(
            t.forward(&Tensor::from_slice(&[0i64, 4])),
            Err(EmbeddingsError::IndexOutOfRange { index: 4, n: 4 })
        ));
        assert!(matches!(
            t.forward(&Tensor::from_slice(&[-1i64])),
            Err(EmbeddingsError::IndexOutOfRange { index: -1, .. })
        ));
        assert!(matches!(
            EmbeddingTable::new(&vs.root(), 4, 2, 1.0, Some(4), None, &mut rng()),
            Err(EmbeddingsError::IndexOutOfRange { index: 4, n: 4 })
        ));
        assert!(matches!(
            EmbeddingTable::new(&vs.root(), 4, 2, 1.0, None, Some(0.0), &mut rng()),
            Err(EmbeddingsError::BadMaxNorm(_))
        ));
    }
}
