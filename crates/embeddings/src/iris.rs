//! The Iris flowers split into a small training set and a large test set.
//!
//! The course uses `train_test_split(X, y, test_size=0.8)`: 30 flowers drawn
//! from all 150, so a class can get 6 training flowers or 14. The stratified
//! split draws the same share from every class (10 + 10 + 10).

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rand::Rng;
use tch::{Device, Tensor};

use crate::params::{rng_for, split_sizes};

/// The random stream of the split.
pub const SPLIT_STREAM: u64 = 0;

/// The species names, in label order.
pub const SPECIES: [&str; 3] = ["setosa", "versicolor", "virginica"];

/// Indices of the training and test flowers (into the 150 rows of Iris).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// A seeded split of the 150 flowers: `fraction` of them for training,
/// drawn from all flowers or, when `stratified`, from each class alike.
pub fn split<R: Rng + ?Sized>(y: &[usize], fraction: f64, stratified: bool, rng: &mut R) -> Split {
    let (n_train, _) = split_sizes(fraction, stratified);
    let mut train = Vec::with_capacity(n_train);
    let mut test = Vec::new();
    if stratified {
        let per_class = n_train / 3;
        for c in 0..3 {
            let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
            idx.shuffle(rng);
            let k = per_class.min(idx.len());
            train.extend_from_slice(&idx[..k]);
            test.extend_from_slice(&idx[k..]);
        }
    } else {
        let mut idx: Vec<usize> = (0..y.len()).collect();
        idx.shuffle(rng);
        let k = n_train.min(idx.len());
        train.extend_from_slice(&idx[..k]);
        test.extend_from_slice(&idx[k..]);
    }
    Split { train, test }
}

/// The splits of several seeds stacked as tensors on a device: features
/// S × N × 4 (f32), labels S × N (i64), with the labels also on the host.
#[derive(Debug)]
pub struct IrisBatch {
    pub seeds: Vec<u64>,
    pub x_train: Tensor,
    pub y_train: Tensor,
    pub x_test: Tensor,
    pub y_test: Tensor,
    pub labels_train: Vec<Vec<usize>>,
    pub labels_test: Vec<Vec<usize>>,
    pub splits: Vec<Split>,
}

impl IrisBatch {
    /// Loads Iris and splits it once per seed (with `rng_for(seed, SPLIT_STREAM)`);
    /// optionally standardises each split with its training flowers' statistics.
    pub fn new(
        seeds: &[u64],
        fraction: f64,
        stratified: bool,
        standardize: bool,
        device: Device,
    ) -> Result<Self, data::DataError> {
        let (x, y) = data::iris::load_iris();
        let y = y.to_vec();
        let mut b = IrisBatch {
            seeds: seeds.to_vec(),
            x_train: Tensor::new(),
            y_train: Tensor::new(),
            x_test: Tensor::new(),
            y_test: Tensor::new(),
            labels_train: Vec::new(),
            labels_test: Vec::new(),
            splits: Vec::new(),
        };
        let (mut xtr, mut xte, mut ytr, mut yte) = (vec![], vec![], vec![], vec![]);
        for &seed in seeds {
            let split = split(&y, fraction, stratified, &mut rng_for(seed, SPLIT_STREAM));
            let pick = |idx: &[usize]| -> Array2<f64> { x.select(Axis(0), idx) };
            let (a, t) = (pick(&split.train), pick(&split.test));
            let scale = data::Standardizer::fit_if(standardize, a.view())?;
            xtr.push(torch_util::to_tensor(
                scale.transform(a.view()).view(),
                device,
            ));
            xte.push(torch_util::to_tensor(
                scale.transform(t.view()).view(),
                device,
            ));
            let lt: Vec<usize> = split.train.iter().map(|&i| y[i]).collect();
            let le: Vec<usize> = split.test.iter().map(|&i| y[i]).collect();
            ytr.push(torch_util::labels_to_tensor(&lt, device));
            yte.push(torch_util::labels_to_tensor(&le, device));
            b.labels_train.push(lt);
            b.labels_test.push(le);
            b.splits.push(split);
        }
        b.x_train = Tensor::stack(&xtr, 0);
        b.x_test = Tensor::stack(&xte, 0);
        b.y_train = Tensor::stack(&ytr, 0);
        b.y_test = Tensor::stack(&yte, 0);
        Ok(b)
    }

    /// The same data restricted to the first (default) seed.
    pub fn first_seed(&self) -> Result<IrisBatch, tch::TchError> {
        let one = |t: &Tensor| t.f_narrow(0, 0, 1);
        Ok(IrisBatch {
            seeds: self.seeds.iter().take(1).copied().collect(),
            x_train: one(&self.x_train)?,
            y_train: one(&self.y_train)?,
            x_test: one(&self.x_test)?,
            y_test: one(&self.y_test)?,
            labels_train: self.labels_train.iter().take(1).cloned().collect(),
            labels_test: self.labels_test.iter().take(1).cloned().collect(),
            splits: self.splits.iter().take(1).cloned().collect(),
        })
    }

    /// Number of seeds.
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    pub fn device(&self) -> Device {
        self.x_train.device()
    }

    /// Training flowers per class, for each seed.
    pub fn train_counts(&self) -> Vec<[usize; 3]> {
        self.labels_train
            .iter()
            .map(|l| {
                let mut n = [0; 3];
                for &c in l {
                    if let Some(k) = n.get_mut(c) {
                        *k += 1;
                    }
                }
                n
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn splits_are_seeded_and_partition_the_flowers() {
        let (_, y) = data::iris::load_iris();
        let y = y.to_vec();
        let a = split(&y, 0.2, false, &mut rand::rngs::StdRng::seed_from_u64(1));
        let b = split(&y, 0.2, false, &mut rand::rngs::StdRng::seed_from_u64(1));
        let c = split(&y, 0.2, false, &mut rand::rngs::StdRng::seed_from_u64(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!((a.train.len(), a.test.len()), (30, 120));
        let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..150).collect::<Vec<_>>());
        let s = split(&y, 0.2, true, &mut rand::rngs::StdRng::seed_from_u64(1));
        for cl in 0..3 {
            assert_eq!(s.train.iter().filter(|&&i| y[i] == cl).count(), 10);
        }
    }
}
