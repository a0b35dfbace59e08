//! # Assignment 10 (extension) · `batchnorm`: normalisation layers
//!
//! Task: train [784,100,100,10] (SGD, lr 0.1, batch 100, λ = 1e-4) with and
//! without batch normalisation after each hidden affine layer (batch
//! statistics in training, running averages in evaluation). Then score the
//! batch-norm net on the test set the wrong way too — normalising each test
//! batch by its own statistics, as a forgotten switch to evaluation mode
//! does — for a large and a tiny batch.
//!
//! Expect (`--full`): batch norm lowers the training loss from the first epoch
//! on, and both nets end near 0.98 test accuracy (0.979 with, 0.981
//! without). Batch statistics of 100 test images cost half a point; batches
//! of 4 a quarter of the accuracy (about 0.75).
//! Figure: `batchnorm_loss.png`.

use ::plot::line_plot;
use serde::Serialize;
use tch::{nn::VarStore, Kind, Tensor};

use crate::assignment::Assignment;
use crate::data::Split;
use crate::run::{curve, Ctx, Job, Summary};
use crate::train::{Optimizer, Snapshot};
use crate::ShootoutError;

/// Test accuracy of the batch-norm net normalised by the statistics of each
/// test batch of `batch` images (training mode).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BatchStats {
    pub batch: usize,
    pub test_accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchnormReport {
    pub config: [usize; 4],
    pub plain: Summary,
    pub batch_norm: Summary,
    /// The batch-norm net's test accuracy with its running averages (evaluation mode).
    pub running_averages_test_accuracy: f64,
    pub batch_statistics: Vec<BatchStats>,
}

/// Accuracy on `split` when every chunk of `batch` rows is normalised by its
/// own statistics. A last chunk of one row (whose variance is undefined)
/// joins the chunk before it. The running averages are restored afterwards.
fn batch_stats_accuracy(
    vs: &VarStore,
    model: &pt_deep::PTDeep,
    split: &Split,
    batch: usize,
) -> f64 {
    let saved = Snapshot::take(vs);
    let n = split.len();
    let mut bounds: Vec<(usize, usize)> = (0..n)
        .step_by(batch)
        .map(|s| (s, batch.min(n - s)))
        .collect();
    if bounds.len() > 1 && bounds.last().map(|b| b.1) == Some(1) {
        bounds.pop();
        if let Some(last) = bounds.last_mut() {
            last.1 += 1;
        }
    }
    let correct = tch::no_grad(|| {
        let mut correct = Tensor::zeros([], (Kind::Int64, split.x.device()));
        for &(s, len) in &bounds {
            let x = split.x.narrow(0, s as i64, len as i64);
            let y = split.y.narrow(0, s as i64, len as i64);
            let pred = model.logits_t(&x, true).argmax(-1, false);
            correct += pred.eq_tensor(&y).sum(Kind::Int64);
        }
        correct
    });
    saved.restore();
    correct.double_value(&[]) / n as f64
}

pub fn run(cx: &mut Ctx) -> Result<BatchnormReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let layers = [784, 100, 100, 10];
    let spec = cfg.spec(Optimizer::Sgd, cfg.lr, cfg.lambda);
    let mut job = Job {
        assignment: Assignment::Batchnorm,
        name: "[784,100,100,10] plain",
        layers: &layers,
        batch_norm: false,
        spec,
        train: &data.train,
        validation: None,
    };
    let plain = cx.fit(job)?;
    job.name = "[784,100,100,10] batch norm";
    job.batch_norm = true;
    let bn = cx.fit(job)?;
    let batch_statistics = cfg
        .bn_stat_batches
        .iter()
        .map(|&b| BatchStats {
            batch: b,
            test_accuracy: batch_stats_accuracy(&bn.vs, &bn.model, &data.test, b),
        })
        .collect();
    line_plot(
        &cfg.path("batchnorm_loss"),
        "with and without batch norm",
        "epoch",
        "mean loss",
        &[
            curve("plain", &plain.summary.epoch_loss),
            curve("batch norm", &bn.summary.epoch_loss),
        ],
        true,
    )?;
    Ok(BatchnormReport {
        config: layers,
        running_averages_test_accuracy: bn.summary.test.accuracy,
        plain: plain.summary,
        batch_norm: bn.summary,
        batch_statistics,
    })
}
