//! MNIST on the device: loaded once, kept there for the whole run.

use std::path::Path;

use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use tch::{Device, Kind, Tensor};

use crate::ShootoutError;

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
}

impl Split {
    pub fn new(images: Array2<f32>, labels: Array1<usize>, device: Device) -> Self {
        let x = torch_util::to_tensor_f32(images.view(), device);
        let labels = labels.to_vec();
        let y = torch_util::labels_to_tensor(&labels, device);
        Split {
            x,
            y,
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

    /// Rows `start..start + n` (a view: no copy on the device).
    pub fn slice(&self, start: usize, n: usize) -> Split {
        let end = (start + n).min(self.len());
        Split {
            x: self.x.narrow(0, start as i64, (end - start) as i64),
            y: self.y.narrow(0, start as i64, (end - start) as i64),
            labels: self.labels[start..end].to_vec(),
            images: self.images.slice(ndarray::s![start..end, ..]).to_owned(),
        }
    }
}

/// Training and test sets on one device.
#[derive(Debug)]
pub struct Dataset {
    pub train: Split,
    pub test: Split,
    /// Where the data came from (a folder, or "synthetic").
    pub source: String,
}

impl Dataset {
    /// Loads an MNIST-format folder; `n_train`/`n_test` keep the first examples.
    pub fn load(
        dir: &Path,
        n_train: usize,
        n_test: usize,
        device: Device,
    ) -> Result<Self, ShootoutError> {
        let m = data::mnist::load_mnist(dir)?;
        let (tr, te) = (m.train.head(n_train), m.test.head(n_test));
        if tr.is_empty() || te.is_empty() {
            return Err(ShootoutError::Config(
                "the MNIST subset is empty; raise --n-train / --n-test".into(),
            ));
        }
        Ok(Dataset {
            train: Split::new(tr.images, tr.labels, device),
            test: Split::new(te.images, te.labels, device),
            source: dir.display().to_string(),
        })
    }

    /// A stand-in for MNIST in tests: 10 classes, each a random 28 × 28
    /// prototype with per-example noise and random pixel dropout, in [0, 1].
    pub fn synthetic(n_train: usize, n_test: usize, seed: u64, device: Device) -> Self {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let protos: Vec<Vec<f32>> = (0..10)
            .map(|_| {
                (0..784)
                    .map(|_| if rng.gen::<f32>() < 0.2 { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        let mut make = |n: usize| {
            let labels: Array1<usize> = (0..n).map(|i| i % 10).collect();
            let images = Array2::from_shape_fn((n, 784), |(i, j)| {
                let p = protos[labels[i]][j];
                let keep = if rng.gen::<f32>() < 0.3 { 0.0 } else { p };
                (keep + 0.3 * rng.gen::<f32>()).clamp(0.0, 1.0)
            });
            Split::new(images, labels, device)
        };
        let train = make(n_train);
        let test = make(n_test);
        Dataset {
            train,
            test,
            source: "synthetic".into(),
        }
    }
}

/// Accuracy of integer predictions against labels, on the device.
pub fn accuracy(pred: &Tensor, y: &Tensor) -> f64 {
    pred.eq_tensor(y)
        .to_kind(Kind::Float)
        .mean(Kind::Float)
        .double_value(&[])
}
