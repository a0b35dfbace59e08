//! Mini-batch training written by hand, evaluation, parameter snapshots.

use std::time::Instant;

use pt_deep::PTDeep;
use serde::Serialize;
use tch::{nn, Kind, Tensor};

use crate::data::Split;
use crate::ShootoutError;

/// Which update rule (the workspace's one optimiser spec; this lab uses
/// SGD and Adam).
pub use torch_util::Optimizer;

/// How to train: validated by [`TrainParams::check`] before any work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainParams {
    pub epochs: usize,
    pub batch: usize,
    pub optim: Optimizer,
    pub lr: f64,
    /// L2 weight λ in λ/2·Σ‖W‖².
    pub lambda: f64,
    /// Multiply the learning rate by this after every epoch (exponential decay).
    pub gamma: Option<f64>,
}

impl TrainParams {
    pub fn check(&self) -> Result<(), ShootoutError> {
        if self.epochs == 0 {
            return Err(ShootoutError::ZeroEpochs);
        }
        if self.batch == 0 {
            return Err(ShootoutError::ZeroBatch {
                what: "the training batch",
            });
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ShootoutError::BadLearningRate(self.lr));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(ShootoutError::BadLambda(self.lambda));
        }
        if let Some(g) = self.gamma {
            if !(g > 0.0 && g <= 1.0) {
                return Err(ShootoutError::BadDecay(g));
            }
        }
        Ok(())
    }
}

/// What happened in each epoch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    /// Mean training loss over the epoch's mini-batches.
    pub epoch_loss: Vec<f64>,
    /// Training time at the end of each epoch, cumulative (callbacks excluded).
    pub epoch_seconds: Vec<f64>,
    /// Learning rate used in each epoch.
    pub lr: Vec<f64>,
    /// Total training time (callbacks excluded).
    pub seconds: f64,
}

/// Mini-batch training with a fresh shuffle every epoch, written by hand: one
/// random permutation per epoch, cut into consecutive batches of indices; each
/// batch gathers its rows on the device (no copy of the whole set per epoch).
/// The loss stays on the device until the epoch ends (one host read per epoch).
///
/// `loss_fn(x_batch, y_batch)` gives the scalar loss; `on_epoch(epoch, mean_loss)`
/// runs after each epoch (validation, snapshots) and is not timed.
pub fn train_mb(
    vs: &nn::VarStore,
    train: &Split,
    spec: &TrainParams,
    label: &str,
    loss_fn: &dyn Fn(&Tensor, &Tensor) -> Tensor,
    mut on_epoch: impl FnMut(usize, f64) -> Result<(), ShootoutError>,
) -> Result<History, ShootoutError> {
    spec.check()?;
    let n = train.len() as i64;
    if n == 0 {
        return Err(ShootoutError::TooFewTraining { n_train: 0, min: 1 });
    }
    let device = train.x.device();
    let mut lr = spec.lr;
    let mut opt = spec.optim.build(vs, lr, 0.0)?;
    let pb = labkit::progress(spec.epochs as u64, label);
    // exercise(mnist_shootout.train_mb) begin
    let batch = (spec.batch as i64).min(n);
    let mut hist = History::default();
    for epoch in 1..=spec.epochs {
        let t0 = Instant::now();
        // A fresh random order every epoch; each batch gathers its rows by index.
        let perm = Tensor::randperm(n, (Kind::Int64, device));
        let mut total = Tensor::zeros([], (Kind::Float, device));
        let mut start = 0;
        while start < n {
            let len = batch.min(n - start);
            let idx = perm.narrow(0, start, len);
            let loss = loss_fn(
                &train.x.index_select(0, &idx),
                &train.y.index_select(0, &idx),
            );
            opt.backward_step(&loss);
            total += loss.detach() * (len as f64);
            start += len;
        }
        let mean = total.double_value(&[]) / n as f64;
        hist.seconds += t0.elapsed().as_secs_f64();
        if !mean.is_finite() {
            return Err(ShootoutError::Diverged {
                what: label.to_string(),
                epoch,
                loss: mean,
            });
        }
        hist.epoch_loss.push(mean);
        hist.epoch_seconds.push(hist.seconds);
        hist.lr.push(lr);
        on_epoch(epoch, mean)?;
        if let Some(g) = spec.gamma {
            lr *= g;
            opt.set_lr(lr);
        }
        pb.set_message(format!("loss {mean:.4}"));
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(hist)
    // exercise(mnist_shootout.train_mb) end
}

/// Loss, accuracy and per-class precision/recall of a model on a split.
/// The loss is the data term only (mean NLL, no λ term), so that it compares
/// across λ.
#[derive(Debug, Clone, Serialize)]
pub struct Eval {
    pub loss: f64,
    pub accuracy: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub confusion: Vec<Vec<usize>>,
}

/// Logits of a whole split, in chunks (evaluation mode).
pub fn logits(model: &PTDeep, split: &Split) -> Tensor {
    tch::no_grad(|| {
        let chunks: Vec<Tensor> = (0..split.len())
            .step_by(10_000)
            .map(|s| {
                model.logits(
                    &split
                        .x
                        .narrow(0, s as i64, (split.len() - s).min(10_000) as i64),
                )
            })
            .collect();
        Tensor::cat(&chunks, 0)
    })
}

/// Evaluates scores (N × C) against a split's labels.
pub fn evaluate_logits(scores: &Tensor, split: &Split) -> Result<Eval, ShootoutError> {
    let loss =
        tch::no_grad(|| scores.log_softmax(-1, Kind::Float).nll_loss(&split.y)).double_value(&[]);
    let pred = torch_util::to_labels(&scores.argmax(-1, false))?;
    let perf = metrics::eval_perf_multi(&pred, &split.labels, Some(10))?;
    Ok(Eval {
        loss,
        accuracy: perf.accuracy,
        precision: perf.precision,
        recall: perf.recall,
        confusion: perf.confusion,
    })
}

pub fn evaluate(model: &PTDeep, split: &Split) -> Result<Eval, ShootoutError> {
    evaluate_logits(&logits(model, split), split)
}

/// A copy of every variable of a store (parameters and batch-norm running
/// statistics), each beside the variable it came from.
#[derive(Debug)]
pub struct Snapshot(Vec<(Tensor, Tensor)>);

impl Snapshot {
    pub fn take(vs: &nn::VarStore) -> Snapshot {
        tch::no_grad(|| {
            Snapshot(
                vs.variables()
                    .into_values()
                    .map(|v| {
                        let copy = v.copy();
                        (v, copy)
                    })
                    .collect(),
            )
        })
    }

    /// Writes the saved values back into their variables.
    pub fn restore(&self) {
        tch::no_grad(|| {
            for (var, saved) in &self.0 {
                let mut var = var.shallow_clone();
                var.copy_(saved);
            }
        });
    }
}

/// Early stopping's bookkeeping: the validation accuracy of every epoch and
/// a copy of the parameters of the best one, to put back after training.
#[derive(Debug, Default)]
pub struct EarlyStopping {
    /// The validation accuracy after each epoch, in order.
    pub accuracy: Vec<f64>,
    /// The best epoch so far, its accuracy and a copy of its variables.
    best: Option<(usize, f64, Snapshot)>,
}

impl EarlyStopping {
    /// Records the validation accuracy of `epoch` (1, 2, …); when it beats
    /// every earlier epoch (on a tie the earlier epoch stays), keeps a copy
    /// of every variable of `vs` ([`Snapshot::take`]).
    pub fn observe(&mut self, epoch: usize, accuracy: f64, vs: &nn::VarStore) {
        // exercise(mnist_shootout.early_stopping) begin
        self.accuracy.push(accuracy);
        if self.best.as_ref().is_none_or(|b| accuracy > b.1) {
            self.best = Some((epoch, accuracy, Snapshot::take(vs)));
        }
        // exercise(mnist_shootout.early_stopping) end
    }

    /// The best epoch so far and its validation accuracy.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best.as_ref().map(|(epoch, acc, _)| (*epoch, *acc))
    }

    /// Writes the best epoch's copy back into the variables it was taken
    /// from; returns that epoch and its accuracy. Before any epoch:
    /// [`ShootoutError::NoEpochObserved`].
    pub fn restore_best(&self) -> Result<(usize, f64), ShootoutError> {
        // exercise(mnist_shootout.early_stopping) begin
        let (epoch, accuracy, snapshot) =
            self.best.as_ref().ok_or(ShootoutError::NoEpochObserved)?;
        snapshot.restore();
        Ok((*epoch, *accuracy))
        // exercise(mnist_shootout.early_stopping) end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A store with one variable `w`, set to `v`.
    fn set(w: &Tensor, v: f32) {
        tch::no_grad(|| {
            let mut w = w.shallow_clone();
            w.copy_(&Tensor::from_slice(&[v]));
        });
    }

    #[test]
    fn early_stopping_keeps_the_first_best_epoch_and_restores_it() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let w = vs.root().zeros("w", &[1]);
        let mut es = EarlyStopping::default();
        assert!(matches!(
            es.restore_best(),
            Err(ShootoutError::NoEpochObserved)
        ));
        for (epoch, (acc, v)) in [(0.5, 1.0), (0.7, 2.0), (0.7, 3.0), (0.6, 4.0)]
            .into_iter()
            .enumerate()
        {
            set(&w, v);
            es.observe(epoch + 1, acc, &vs);
        }
        assert_eq!(es.accuracy, [0.5, 0.7, 0.7, 0.6]);
        assert_eq!(es.best(), Some((2, 0.7)));
        assert_eq!(
            w.double_value(&[0]),
            4.0,
            "observing leaves the model as it is"
        );
        assert_eq!(es.restore_best().unwrap(), (2, 0.7));
        assert_eq!(w.double_value(&[0]), 2.0, "the best epoch's w is back");
    }

    /// 200 points in 4-D, three classes around the corners (±3, 0, ±3, 0)
    /// plus noise: a linear softmax model separates them.
    fn toy_split() -> Split {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let centres = [
            [3.0f32, 0.0, 3.0, 0.0],
            [-3.0, 0.0, 0.0, 3.0],
            [0.0, 3.0, -3.0, 0.0],
        ];
        let n = 200;
        let labels = ndarray::Array1::from_shape_fn(n, |i| i % 3);
        let images = ndarray::Array2::from_shape_fn((n, 4), |(i, j)| {
            centres[i % 3][j] + rng.gen_range(-1.0f32..1.0)
        });
        Split::new(images, labels, tch::Device::Cpu)
    }

    #[test]
    fn train_mb_visits_every_row_once_per_epoch_in_a_new_order() {
        tch::manual_seed(3);
        let train = toy_split();
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let lin = nn::linear(vs.root(), 4, 3, Default::default());
        let spec = TrainParams {
            epochs: 3,
            batch: 16,
            optim: Optimizer::Sgd,
            lr: 0.1,
            lambda: 0.0,
            gamma: None,
        };
        // Every call's first feature column, to see which rows each batch held.
        let seen: RefCell<Vec<Vec<f32>>> = RefCell::new(Vec::new());
        let loss_fn = |x: &Tensor, y: &Tensor| {
            let col: Vec<f32> = Vec::try_from(x.select(1, 0).contiguous()).expect("f32 column");
            seen.borrow_mut().push(col);
            x.apply(&lin).cross_entropy_for_logits(y)
        };
        let mut epochs_seen = Vec::new();
        let hist = train_mb(&vs, &train, &spec, "test", &loss_fn, |e, l| {
            epochs_seen.push((e, l));
            Ok(())
        })
        .unwrap();
        let batches = seen.into_inner();
        // 200 rows in batches of 16: 12 full batches and one of 8, per epoch.
        assert_eq!(batches.len(), 3 * 13);
        let sizes: Vec<usize> = batches[..13].iter().map(Vec::len).collect();
        assert_eq!(sizes, [vec![16; 12], vec![8]].concat());
        let mut all: Vec<f32> = train.images.column(0).to_vec();
        all.sort_by(f32::total_cmp);
        for epoch in batches.chunks(13) {
            let mut rows: Vec<f32> = epoch.concat();
            rows.sort_by(f32::total_cmp);
            assert_eq!(rows, all, "each row exactly once per epoch");
        }
        assert_ne!(batches[0], batches[13], "epoch 2 is shuffled anew");
        assert_eq!(hist.epoch_loss.len(), 3);
        let called: Vec<usize> = epochs_seen.iter().map(|&(e, _)| e).collect();
        assert_eq!(called, [1, 2, 3]);
        for (&(_, l), &h) in epochs_seen.iter().zip(&hist.epoch_loss) {
            assert_eq!(l, h, "on_epoch gets the epoch's mean loss");
        }
    }

    #[test]
    fn train_mb_decays_the_rate_and_the_loss_falls() {
        tch::manual_seed(4);
        let train = toy_split();
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let lin = nn::linear(vs.root(), 4, 3, Default::default());
        let spec = TrainParams {
            epochs: 20,
            batch: 32,
            optim: Optimizer::Sgd,
            lr: 0.2,
            lambda: 0.0,
            gamma: Some(0.9),
        };
        let loss_fn = |x: &Tensor, y: &Tensor| x.apply(&lin).cross_entropy_for_logits(y);
        let hist = train_mb(&vs, &train, &spec, "test", &loss_fn, |_, _| Ok(())).unwrap();
        assert_eq!(hist.lr.len(), 20);
        for (k, &lr) in hist.lr.iter().enumerate() {
            assert!(
                (lr - 0.2 * 0.9f64.powi(k as i32)).abs() < 1e-12,
                "epoch {k}: {lr}"
            );
        }
        let (first, last) = (hist.epoch_loss[0], hist.epoch_loss[19]);
        println!("loss: epoch 1 {first:.4}, epoch 20 {last:.4}");
        // Measured (seed 4): epoch 1 2.74, epoch 20 0.0103.
        assert!(last < 0.1 && last < first / 4.0, "loss {first} → {last}");
        assert_eq!(hist.epoch_seconds.len(), 20);
        assert!(hist.epoch_seconds.windows(2).all(|w| w[0] <= w[1]));
    }
}
