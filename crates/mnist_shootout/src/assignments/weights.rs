//! # Assignment 1 · `weights`: what logistic regression learns
//!
//! Task: train PTDeep [784,10] (logistic regression; SGD, lr 0.1, batch 100)
//! for several λ and draw each digit's column of W as a 28 × 28 image
//! (red = evidence for the digit, blue = against).
//!
//! Expect (`--full`, 30 epochs): test accuracy about 0.92 for λ ≤ 1e-3, 0.905
//! at λ = 1e-2 and 0.87 at λ = 0.1; the weight norm shrinks as λ grows and the
//! templates turn smoother and fainter. Quick mode: about 0.91 at λ = 0.
//! Figures: `weights_lambda<λ>.png`.

use ::plot::{image_grid, ImageMap};
use serde::Serialize;

use crate::assignment::Assignment;
use crate::run::{weight_norm, Ctx, Job};
use crate::train::Optimizer;
use crate::ShootoutError;

/// One λ.
#[derive(Debug, Clone, Serialize)]
pub struct WeightsRun {
    pub lambda: f64,
    /// ‖W‖ (Frobenius norm of the 784 × 10 weight matrix).
    pub weight_norm: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub plot: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeightsReport {
    pub config: [usize; 2],
    pub runs: Vec<WeightsRun>,
}

pub fn run(cx: &mut Ctx) -> Result<WeightsReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let layers = [784, 10];
    let mut runs = Vec::new();
    for &l in &cfg.weight_lambdas {
        let name = format!("[784,10] λ={l}");
        let t = cx.fit(Job {
            assignment: Assignment::Weights,
            name: &name,
            layers: &layers,
            batch_norm: false,
            spec: cfg.spec(Optimizer::Sgd, cfg.lr, l),
            train: &data.train,
            validation: None,
        })?;
        let w = torch_util::to_array2(&t.model.weights()[0])?; // 784 × 10
        let images: Vec<Vec<f32>> = (0..10)
            .map(|d| w.column(d).iter().map(|&v| v as f32).collect())
            .collect();
        let captions: Vec<String> = (0..10).map(|d| d.to_string()).collect();
        let stem = format!("weights_lambda{l}");
        let file = cfg.path(&stem);
        image_grid(
            &file,
            &format!("[784,10] weights per digit, λ = {l} (red +, blue −)"),
            &images,
            (28, 28),
            &captions,
            10,
            ImageMap::Diverging,
        )?;
        runs.push(WeightsRun {
            lambda: l,
            weight_norm: weight_norm(&t.model),
            train_accuracy: t.summary.train.accuracy,
            test_accuracy: t.summary.test.accuracy,
            plot: format!("{stem}.{}", cfg.format.ext()),
        });
    }
    Ok(WeightsReport {
        config: layers,
        runs,
    })
}
