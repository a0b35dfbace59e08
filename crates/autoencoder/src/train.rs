//! Training: shuffled mini-batches, one loss per epoch, checkpoints.
//!
//! Each epoch's order comes from a generator seeded with (seed, epoch), and
//! the losses stay on the device until the epoch ends (one host read per
//! epoch), so a step never waits for the host.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Device, Kind, Tensor};

use crate::adam::Adam;
use crate::config::{PairRule, TrainParams, Variant};
use crate::loss::{contrastive, reconstruction};
use crate::model::Autoencoder;
use crate::AeError;

/// The mean losses of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochLoss {
    pub epoch: usize,
    /// Reconstruction MSE + contrastive term (MSE alone for the plain variant).
    pub total: f64,
    pub mse: f64,
    pub contrastive: f64,
    pub seconds: f64,
}

/// The training images on the device and their labels on the host.
#[derive(Debug)]
pub struct TrainData {
    /// N × 784, f32 in [0, 1].
    pub x: Tensor,
    pub labels: Vec<usize>,
}

/// The generator of epoch `epoch` (1-based) of a run seeded `seed`: the
/// seed stream numbered by the epoch ([`labkit::seeds`]).
pub fn epoch_rng(seed: u64, epoch: usize) -> rand::rngs::StdRng {
    labkit::seeds::rng(seed, epoch as u64)
}

/// A model with its optimiser, trained one epoch at a time.
#[derive(Debug)]
pub struct Trainer {
    pub vs: VarStore,
    pub model: Autoencoder,
    pub adam: Adam,
    pub cfg: TrainParams,
    pub variant: Variant,
    pub seed: u64,
    /// Epochs completed.
    pub epoch: usize,
    pub losses: Vec<EpochLoss>,
}

impl Trainer {
    /// A fresh model, initialised from `tch::manual_seed(seed)` (under
    /// [`torch_util::with_seed`]'s lock, so that parallel tests cannot
    /// interleave their draws).
    pub fn new(cfg: TrainParams, variant: Variant, seed: u64, device: Device) -> Self {
        let vs = VarStore::new(device);
        let model = torch_util::with_seed(seed, || Autoencoder::new(&vs.root()));
        let adam = Adam::new(&vs, cfg.adam);
        Trainer {
            vs,
            model,
            adam,
            cfg,
            variant,
            seed,
            epoch: 0,
            losses: Vec::new(),
        }
    }

    /// Trains one more epoch over `data`: the images in the order of
    /// [`epoch_rng`]`(seed, epoch)` shuffling `0..N`, cut into consecutive
    /// batches of `batch_size` (the last one may be shorter); per batch the
    /// reconstruction MSE (plus, for the contrastive variant,
    /// [`Trainer::contrastive_term`]) and one Adam step. The epoch's losses
    /// are means over the images (each batch weighted by its length).
    pub fn run_epoch(&mut self, data: &TrainData) -> Result<EpochLoss, AeError> {
        // exercise(autoencoder.train) begin
        let t0 = Instant::now();
        let epoch = self.epoch + 1;
        let n = data.labels.len();
        let mut rng = epoch_rng(self.seed, epoch);
        let mut order: Vec<i64> = (0..n as i64).collect();
        order.shuffle(&mut rng);
        let device = data.x.device();
        let order_t = Tensor::from_slice(&order).to_device(device);
        let zero = || Tensor::zeros([], (Kind::Float, device));
        let (mut sum_mse, mut sum_con) = (zero(), zero());
        let with_contrast = self.variant == Variant::Contrastive;
        for start in (0..n).step_by(self.cfg.batch_size) {
            let len = self.cfg.batch_size.min(n - start);
            let idx = order_t.narrow(0, start as i64, len as i64);
            let xb = data.x.index_select(0, &idx);
            let (z, xhat) = self.model.forward(&xb);
            let mse = reconstruction(&xhat, &xb);
            let contrast = if with_contrast {
                let batch = &order[start..start + len];
                self.contrastive_term(&z, batch, &data.labels, &mut rng)
            } else {
                None
            };
            // A new node, not `+=` (that would add in place into the graph's MSE).
            let loss = match &contrast {
                Some(c) => {
                    sum_con += c.detach() * len as f64;
                    &mse + c
                }
                None => mse.shallow_clone(),
            };
            sum_mse += mse.detach() * len as f64;
            self.adam.zero_grad()?;
            loss.backward();
            self.adam.step()?;
        }
        let mse = sum_mse.f_double_value(&[])? / n as f64;
        let con = sum_con.f_double_value(&[])? / n as f64;
        let total = mse + con;
        if !total.is_finite() {
            return Err(AeError::Diverged {
                variant: self.variant.name(),
                epoch,
                loss: total,
            });
        }
        self.epoch = epoch;
        let rec = EpochLoss {
            epoch,
            total,
            mse,
            contrastive: con,
            seconds: t0.elapsed().as_secs_f64(),
        };
        self.losses.push(rec);
        Ok(rec)
        // exercise(autoencoder.train) end
    }

    /// The contrastive term of one batch: `z` holds the codes of the images
    /// `batch` (indices into `labels`), row by row. The two digits of
    /// [`pick_pair`] under the run's pair rule, the codes of each one's
    /// images, and [`contrastive`] between them (added unscaled to the MSE);
    /// `None` when the rule gives no pair for this batch.
    pub fn contrastive_term(
        &self,
        z: &Tensor,
        batch: &[i64],
        labels: &[usize],
        rng: &mut impl Rng,
    ) -> Option<Tensor> {
        // exercise(autoencoder.contrastive_train) begin
        let (pos_a, pos_b) = pick_pair(batch, labels, self.cfg.pair_rule, rng)?;
        let rows = |p: &[i64]| z.index_select(0, &Tensor::from_slice(p).to_device(z.device()));
        Some(contrastive(&rows(&pos_a), &rows(&pos_b), self.cfg.tau))
        // exercise(autoencoder.contrastive_train) end
    }
}

/// The digits of MNIST.
pub const DIGITS: usize = 10;

/// Picks the two digits of a contrastive step and returns the positions in
/// the batch (given as image indices into `labels`) of each one's images, in
/// batch order; `None` when the step has no contrastive term.
///
/// - [`PairRule::Course`]: a1 = `rng.gen_range(0..DIGITS)`, then a2 the same
///   way (they may be equal); `None` unless both occur in the batch.
/// - [`PairRule::Present`]: the first digit drawn uniformly from the digits
///   present (`rng.gen_range` over them in ascending order), the second
///   uniformly from the others; `None` when the batch holds a single digit.
pub fn pick_pair(
    batch: &[i64],
    labels: &[usize],
    rule: PairRule,
    rng: &mut impl Rng,
) -> Option<(Vec<i64>, Vec<i64>)> {
    // exercise(autoencoder.contrastive_train) begin
    let positions = |c: usize| -> Vec<i64> {
        batch
            .iter()
            .enumerate()
            .filter(|(_, &i)| labels[i as usize] == c)
            .map(|(p, _)| p as i64)
            .collect()
    };
    let (a, b) = match rule {
        PairRule::Course => (rng.gen_range(0..DIGITS), rng.gen_range(0..DIGITS)),
        PairRule::Present => {
            let mut present: Vec<usize> = batch.iter().map(|&i| labels[i as usize]).collect();
            present.sort_unstable();
            present.dedup();
            if present.len() < 2 {
                return None;
            }
            let a = present[rng.gen_range(0..present.len())];
            let others: Vec<usize> = present.into_iter().filter(|&c| c != a).collect();
            (a, others[rng.gen_range(0..others.len())])
        }
    };
    let (pa, pb) = (positions(a), positions(b));
    if pa.is_empty() || pb.is_empty() {
        return None;
    }
    Some((pa, pb))
    // exercise(autoencoder.contrastive_train) end
}

/// The codes (N × 50) of `x` (N × 784), computed in chunks without autograd.
pub fn encode_all(model: &Autoencoder, x: &Tensor) -> Result<ndarray::Array2<f32>, AeError> {
    let z = tch::no_grad(|| {
        let n = x.size()[0];
        let parts: Vec<Tensor> = (0..n)
            .step_by(4096)
            .map(|s| model.encode(&x.narrow(0, s, 4096.min(n - s))))
            .collect();
        Tensor::cat(&parts, 0)
    });
    let a = torch_util::to_array2(&z)?;
    Ok(a.mapv(|v| v as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libtorch has one global generator: tests that seed it take turns.
    fn torch_rng() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        LOCK.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tiny_data() -> TrainData {
        let x = torch_util::with_seed(7, || Tensor::rand([64, 784], (Kind::Float, Device::Cpu)));
        TrainData {
            x,
            labels: (0..64).map(|i| i % 10).collect(),
        }
    }

    fn cfg() -> TrainParams {
        TrainParams {
            epochs: 3,
            batch_size: 16,
            n_train: 64,
            ..TrainParams::default()
        }
    }

    #[test]
    fn pairs_are_two_different_digits_of_the_batch() {
        let labels = [3, 3, 5, 7, 5];
        let mut rng = epoch_rng(1, 1);
        for _ in 0..20 {
            let (a, b) = pick_pair(&[0, 1, 2, 3, 4], &labels, PairRule::Present, &mut rng).unwrap();
            let la = labels[a[0] as usize];
            let lb = labels[b[0] as usize];
            assert_ne!(la, lb);
            assert!(a.iter().all(|&p| labels[p as usize] == la));
        }
        assert!(pick_pair(&[0, 1], &labels, PairRule::Present, &mut rng).is_none());
    }

    #[test]
    fn the_course_pair_rule_skips_batches_without_a1_or_a2() {
        // Digits 3, 5 and 7 in the batch: a1 and a2 are drawn from 0–9, so a
        // step has a contrastive term only when both fall in {3, 5, 7}
        // (9 of 100 draws), and a1 = a2 is allowed.
        let labels = [3, 3, 5, 7, 5];
        let batch = [0i64, 1, 2, 3, 4];
        let mut rng = epoch_rng(2, 1);
        let (mut some, mut equal) = (0, 0);
        for _ in 0..20_000 {
            if let Some((a, b)) = pick_pair(&batch, &labels, PairRule::Course, &mut rng) {
                some += 1;
                let (la, lb) = (labels[a[0] as usize], labels[b[0] as usize]);
                assert!([3, 5, 7].contains(&la) && [3, 5, 7].contains(&lb));
                assert!(a.iter().all(|&p| labels[p as usize] == la));
                assert!(b.iter().all(|&p| labels[p as usize] == lb));
                if la == lb {
                    equal += 1;
                    assert_eq!(a, b);
                }
            }
        }
        let f = some as f64 / 20_000.0;
        assert!((f - 0.09).abs() < 0.01, "steps with a term: {f}");
        let e = equal as f64 / some as f64;
        assert!((e - 1.0 / 3.0).abs() < 0.06, "a1 = a2 in {e} of them");
        // one digit only: a term only when a1 = a2 = that digit (1 in 100)
        let mut n = 0;
        for _ in 0..20_000 {
            n += pick_pair(&[0, 1], &labels, PairRule::Course, &mut rng).is_some() as usize;
        }
        assert!((n as f64 / 20_000.0 - 0.01).abs() < 0.004, "{n}");
    }

    #[test]
    fn resuming_from_a_checkpoint_continues_bit_for_bit() {
        resuming_continues_bit_for_bit(Variant::Plain);
    }

    #[test]
    fn resuming_the_contrastive_variant_continues_bit_for_bit() {
        resuming_continues_bit_for_bit(Variant::Contrastive);
    }

    fn resuming_continues_bit_for_bit(variant: Variant) {
        let _rng = torch_rng();
        let data = tiny_data();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.ot");
        {
            let mut straight = Trainer::new(cfg(), variant, 11, Device::Cpu);
            for _ in 0..3 {
                straight.run_epoch(&data).unwrap();
            }
            let mut first = Trainer::new(cfg(), variant, 11, Device::Cpu);
            first.run_epoch(&data).unwrap();
            crate::checkpoint::save(
                &path,
                &first.vs,
                &first.adam,
                &crate::checkpoint::Meta::of(&first),
            )
            .unwrap();
            drop(first);
            // A different seed initialises other weights: the checkpoint must replace them.
            let mut resumed = Trainer::new(cfg(), variant, 99, Device::Cpu);
            resumed.seed = 11;
            let expect = crate::checkpoint::Meta::of(&resumed);
            let meta = crate::checkpoint::load(&path, &mut resumed.vs, &mut resumed.adam, &expect)
                .unwrap();
            resumed.epoch = meta.epoch;
            resumed.losses = meta.losses;
            resumed.run_epoch(&data).unwrap();
            resumed.run_epoch(&data).unwrap();
            let l = |t: &Trainer| t.losses.iter().map(|e| e.total).collect::<Vec<_>>();
            assert_eq!(l(&straight), l(&resumed), "{variant:?}");
            assert!(l(&straight)[2] < l(&straight)[0], "the loss falls");
        }
    }

    #[test]
    fn a_checkpoint_of_other_settings_is_refused() {
        let _rng = torch_rng();
        let data = tiny_data();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.ot");
        let mut t = Trainer::new(cfg(), Variant::Plain, 5, Device::Cpu);
        t.run_epoch(&data).unwrap();
        crate::checkpoint::save(&path, &t.vs, &t.adam, &crate::checkpoint::Meta::of(&t)).unwrap();
        let mut other = Trainer::new(
            TrainParams {
                batch_size: 32,
                ..cfg()
            },
            Variant::Plain,
            5,
            Device::Cpu,
        );
        let expect = crate::checkpoint::Meta::of(&other);
        assert!(matches!(
            crate::checkpoint::load(&path, &mut other.vs, &mut other.adam, &expect),
            Err(AeError::CheckpointMismatch {
                field: "training settings",
                ..
            })
        ));
        let mut wrong_seed = Trainer::new(cfg(), Variant::Plain, 6, Device::Cpu);
        let expect = crate::checkpoint::Meta::of(&wrong_seed);
        assert!(matches!(
            crate::checkpoint::load(&path, &mut wrong_seed.vs, &mut wrong_seed.adam, &expect),
            Err(AeError::CheckpointMismatch { field: "seed", .. })
        ));
    }

    #[test]
    fn a_nan_loss_stops_with_the_epoch_named() {
        let _rng = torch_rng();
        let data = tiny_data();
        let _filled = data.x.get(3).get(5).fill_(f64::NAN);
        let mut t = Trainer::new(cfg(), Variant::Plain, 1, Device::Cpu);
        let err = t.run_epoch(&data).unwrap_err();
        assert!(matches!(err, AeError::Diverged { epoch: 1, .. }), "{err}");
        assert!(err.to_string().contains("epoch 1"));
    }
}
