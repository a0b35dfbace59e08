//! # Assignment 7 · `adam_decay`: Adam with exponential decay
//!
//! Task: as `adam` (Adam, lr 1e-4, [784,100,10]), with the learning rate
//! multiplied by gamma = 1 − 1e-4 after every epoch (the course's scheduler
//! is stepped once per epoch).
//!
//! Expect: the same numbers as `adam` to three decimals — after 30 epochs the
//! learning rate is still 0.9971 of its start (`lr_per_epoch` in the JSON).
//! Figure: `adam_decay_loss.png`.

use super::adam::{train_adam, AdamReport};
use crate::run::Ctx;
use crate::ShootoutError;

/// The course's decay factor per epoch.
pub const GAMMA: f64 = 1.0 - 1e-4;

pub fn run(cx: &mut Ctx) -> Result<AdamReport, ShootoutError> {
    train_adam(cx, Some(GAMMA))
}
