//! # Assignment 8 · `random`: the untrained baseline
//!
//! Task: score an untrained [784,100,10] on the training and test sets, once
//! with the course's initialisation (every weight drawn from N(0, 1), as
//! `torch.randn` does) and once with PTDeep's He initialisation
//! (N(0, 2/fan_in)); biases start at 0 in both.
//!
//! Expect: accuracy about 0.1 (chance) under both. The loss tells them apart:
//! about ln 10 ≈ 2.30 (a little above) under He, because the logits start
//! small; far above it under N(0, 1) — the hidden units sum 784 unscaled
//! terms, the logits come out in the tens and the softmax is confidently
//! wrong nine times in ten.

use serde::Serialize;

use crate::assignment::Assignment;
use crate::run::{model, Ctx, Init};
use crate::train::{evaluate, Eval};
use crate::ShootoutError;

/// One initialisation, untrained.
#[derive(Debug, Clone, Serialize)]
pub struct Untrained {
    pub init: Init,
    /// The distribution of the weights, in words.
    pub weights: &'static str,
    pub train: Eval,
    pub test: Eval,
}

#[derive(Debug, Clone, Serialize)]
pub struct RandomReport {
    pub config: [usize; 3],
    /// ln 10: the loss of a uniform guess over ten classes.
    pub chance_loss: f64,
    pub chance_accuracy: f64,
    /// The course's N(0, 1).
    pub std_normal: Untrained,
    /// PTDeep's He initialisation.
    pub he: Untrained,
}

pub fn run(cx: &mut Ctx) -> Result<RandomReport, ShootoutError> {
    let (cfg, data) = (cx.cfg, cx.data);
    let layers = [784, 100, 10];
    let mut score = |init: Init, weights: &'static str, name: &str| {
        let (_vs, m) = model(cfg, &layers, false, init)?;
        let (train, test) = (evaluate(&m, &data.train)?, evaluate(&m, &data.test)?);
        cx.row(
            Assignment::Random,
            name,
            Some(train.accuracy),
            None,
            test.accuracy,
            0.0,
        );
        Ok::<_, ShootoutError>(Untrained {
            init,
            weights,
            train,
            test,
        })
    };
    let std_normal = score(
        Init::StdNormal,
        "N(0, 1)",
        "[784,100,10] untrained, N(0,1) init",
    )?;
    let he = score(
        Init::He,
        "N(0, 2/fan_in)",
        "[784,100,10] untrained, He init",
    )?;
    Ok(RandomReport {
        config: layers,
        chance_loss: 10f64.ln(),
        chance_accuracy: 0.1,
        std_normal,
        he,
    })
}
