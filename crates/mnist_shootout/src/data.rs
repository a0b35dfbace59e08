//! MNIST on the device: loaded once, kept there for the whole run, and the
//! 1/5 validation hold-out that every choice of the lab is made on.

use std::path::Path;

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tch::{Device, Tensor};

use crate::ShootoutError;

/// One fifth of the training images is held out for validation.
pub const VALIDATION_DENOMINATOR: usize = 5;

/// One split on the device, plus the host copy of its labels (for metrics)
/// and images (for figures).
#[derive(Debug)]
pub struct Split {
    /// N × 784, f32 in [0, 1].
    pub x: Tensor,
    /// N, i64 class indices.
    pub y: Tensor,
    pub labels: Vec<usize>,
    pub images: Array2<f32>,
    /// Position of each row in its MNIST file.
    pub index: Vec<usize>,
}

impl Split {
    pub fn new(images: Array2<f32>, labels: Array1<usize>, device: Device) -> Self {
        let x = torch_util::to_tensor_f32(images.view(), device);
        let labels = labels.to_vec();
        let y = torch_util::labels_to_tensor(&labels, device);
        Split {
            x,
            y,
            index: (0..labels.len()).collect(),
            labels,
            images,
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows at `rows` (positions in this split), gathered on the device.
    pub fn select(&self, rows: &[usize]) -> Split {
        let ids: Vec<i64> = rows.iter().map(|&i| i as i64).collect();
        let t = Tensor::from_slice(&ids).to_device(self.x.device());
        Split {
            x: self.x.index_select(0, &t),
            y: self.y.index_select(0, &t),
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
            images: self.images.select(ndarray::Axis(0), rows),
            index: rows.iter().map(|&i| self.index[i]).collect(),
        }
    }
}

/// The training set cut in two at random (seeded): `fit` trains, `validation`
/// chooses (a configuration, an epoch, a λ). The test set is never used to choose.
#[derive(Debug)]
pub struct Holdout {
    pub fit: Split,
    pub validation: Split,
}

impl Holdout {
    /// Holds out `len / VALIDATION_DENOMINATOR` random rows of `train`.
    pub fn new(train: &Split, seed: u64) -> Holdout {
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        let n_val = train.len() / VALIDATION_DENOMINATOR;
        Holdout {
            validation: train.select(&order[..n_val]),
            fit: train.select(&order[n_val..]),
        }
    }
}

/// Training and test sets on one device.
#[derive(Debug)]
pub struct Dataset {
    pub train: Split,
    pub test: Split,
    /// The folder the data came from.
    pub source: String,
}

impl Dataset {
    /// Loads an MNIST-format folder and keeps the first `n_train` / `n_test`
    /// images; asking for more than the files hold is an error.
    pub fn load(
        dir: &Path,
        n_train: usize,
        n_test: usize,
        device: Device,
    ) -> Result<Self, ShootoutError> {
        let m = data::mnist::load_mnist(dir)?;
        for (split, asked, available) in [
            ("training", n_train, m.train.len()),
            ("test", n_test, m.test.len()),
        ] {
            if asked > available {
                return Err(ShootoutError::NotEnoughImages {
                    split,
                    asked,
                    available,
                });
            }
        }
        let (tr, te) = (m.train.head(n_train), m.test.head(n_test));
        Ok(Dataset {
            train: Split::new(tr.images, tr.labels, device),
            test: Split::new(te.images, te.labels, device),
            source: dir.display().to_string(),
        })
    }
}
