//! # Assignment 2 · `configs`: how deep, chosen on validation
//!
//! Task: train [784,10], [784,100,10], [784,100,100,10] and
//! [784,100,100,100,10] (SGD, lr 0.1, batch 100, λ = 1e-4) on 4/5 of the
//! training set; after every epoch score the held-out 1/5 (validation). The
//! most successful configuration is the one with the highest validation
//! accuracy after the last epoch; each model's test accuracy is computed once,
//! at the end, and never used to choose. For the chosen model, show the 20
//! training images with the highest loss.
//!
//! Expect (`--full`): [784,10] about 0.92 on validation and test; the deeper
//! nets about 0.975–0.98, with the chosen one's training accuracy near 1.
//! Quick mode: [784,10] 0.91, the deeper nets 0.94–0.96.
//! Figures: `configs_loss.png` (training and validation loss per epoch),
//! `hardest_train_images.png`.

use ::plot::{image_grid, line_plot, ImageMap};
use serde::Serialize;
use tch::{Device, Kind};

use crate::assignment::Assignment;
use crate::run::{curve, tag, Ctx, Job, Summary};
use crate::train::{evaluate, logits, Optimizer};
use crate::ShootoutError;

/// The four configurations of the course.
pub const CONFIGS: [&[usize]; 4] = [
    &[784, 10],
    &[784, 100, 10],
    &[784, 100, 100, 10],
    &[784, 100, 100, 100, 10],
];

/// How `configs` chooses.
pub const CHOSEN_BY: &str = "highest validation accuracy after the last epoch";

#[derive(Debug, Clone, Serialize)]
pub struct ConfigRun {
    pub config: Vec<usize>,
    pub n_params: usize,
    pub result: Summary,
}

/// A training image the chosen model finds hard.
#[derive(Debug, Clone, Serialize)]
pub struct Hard {
    /// Position in the MNIST training file.
    pub index: usize,
    #[serde(rename = "true")]
    pub truth: usize,
    pub predicted: usize,
    pub loss: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigsReport {
    pub n_fit: usize,
    pub n_validation: usize,
    pub runs: Vec<ConfigRun>,
    pub chosen: Vec<usize>,
    pub chosen_by: &'static str,
    pub hardest: Vec<Hard>,
}

pub fn run(cx: &mut Ctx) -> Result<ConfigsReport, ShootoutError> {
    let (cfg, holdout) = (cx.cfg, cx.holdout);
    let spec = cfg.spec(Optimizer::Sgd, cfg.lr, cfg.lambda);
    let mut runs = Vec::new();
    let mut series = Vec::new();
    let mut best = None;
    for layers in CONFIGS {
        let t = cx.fit(Job {
            assignment: Assignment::Configs,
            name: &tag(layers),
            layers,
            batch_norm: false,
            spec,
            train: &holdout.fit,
            validation: Some(&holdout.validation),
        })?;
        series.push(curve(
            format!("{} train", tag(layers)),
            &t.summary.epoch_loss,
        ));
        series.push(curve(
            format!("{} validation", tag(layers)),
            &t.summary.validation_loss,
        ));
        let val = evaluate(&t.model, &holdout.validation)?.accuracy;
        runs.push(ConfigRun {
            config: layers.to_vec(),
            n_params: t.model.count_params().total,
            result: t.summary.clone(),
        });
        // Strictly better only: on a tie the smaller model stays.
        if best.as_ref().is_none_or(|(v, _)| val > *v) {
            best = Some((val, t));
        }
    }
    line_plot(
        &cfg.path("configs_loss"),
        "loss per epoch: training (mean over batches) and validation",
        "epoch",
        "mean loss",
        &series,
        true,
    )?;
    let Some((_, best)) = best else {
        return Err(ShootoutError::NoChosenConfig);
    };
    let chosen = best.model.config().to_vec();
    cx.chosen = Some(chosen.clone());

    // The training images with the highest loss under the chosen model.
    let fit = &holdout.fit;
    let scores = logits(&best.model, fit);
    let per_example = tch::no_grad(|| {
        -scores
            .log_softmax(-1, Kind::Float)
            .gather(1, &fit.y.unsqueeze(1), false)
            .squeeze_dim(1)
    });
    let (top_loss, top_idx) = per_example.topk(20.min(fit.len() as i64), 0, true, true);
    let rows = torch_util::to_labels(&top_idx)?;
    let losses = Vec::<f64>::try_from(&top_loss.to_kind(Kind::Double).to_device(Device::Cpu))?;
    let pred = torch_util::to_labels(&scores.argmax(-1, false).index_select(0, &top_idx))?;
    let hardest: Vec<Hard> = rows
        .iter()
        .zip(&pred)
        .zip(&losses)
        .map(|((&r, &p), &l)| Hard {
            index: fit.index[r],
            truth: fit.labels[r],
            predicted: p,
            loss: l,
        })
        .collect();
    let images: Vec<Vec<f32>> = rows.iter().map(|&r| fit.images.row(r).to_vec()).collect();
    let captions: Vec<String> = hardest
        .iter()
        .map(|h| format!("{}→{} ({:.1})", h.truth, h.predicted, h.loss))
        .collect();
    image_grid(
        &cfg.path("hardest_train_images"),
        &format!(
            "highest-loss training images under {} (true→predicted, loss)",
            tag(&chosen)
        ),
        &images,
        (28, 28),
        &captions,
        10,
        ImageMap::Gray,
    )?;
    Ok(ConfigsReport {
        n_fit: holdout.fit.len(),
        n_validation: holdout.validation.len(),
        runs,
        chosen,
        chosen_by: CHOSEN_BY,
        hardest,
    })
}
