//! A checkpoint: the weights, Adam's state, the epoch reached and the loss
//! history, in one file written atomically (temporary name, then rename), so
//! an interrupted run never leaves a half-written checkpoint behind.
//!
//! The shuffling order of every epoch is derived from (seed, epoch), so the
//! epoch number is the whole random state: a resumed run draws the same
//! batches as an uninterrupted one.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Tensor};

use crate::adam::Adam;
use crate::config::{TrainParams, Variant};
use crate::train::{EpochLoss, Trainer};
use crate::AeError;

/// What a checkpoint records besides the tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub variant: Variant,
    pub seed: u64,
    /// Epochs completed.
    pub epoch: usize,
    pub train: TrainParams,
    pub losses: Vec<EpochLoss>,
}

impl Meta {
    /// The record of a trainer's current state.
    pub fn of(t: &Trainer) -> Meta {
        Meta {
            variant: t.variant,
            seed: t.seed,
            epoch: t.epoch,
            train: t.cfg,
            losses: t.losses.clone(),
        }
    }
}

const META: &str = "meta.json";

/// Writes `path` atomically.
pub fn save(path: &Path, vs: &VarStore, adam: &Adam, meta: &Meta) -> Result<(), AeError> {
    let mut named: Vec<(String, Tensor)> = vs
        .variables()
        .into_iter()
        .map(|(n, t)| (format!("param.{n}"), t))
        .collect();
    named.extend(adam.state());
    let json = serde_json::to_vec(meta)?;
    named.push((META.into(), Tensor::from_slice(&json)));
    labkit::write_atomically(path, |tmp| -> Result<(), AeError> {
        Tensor::save_multi(&named, tmp)?;
        Ok(())
    })
}

/// Loads `path` into `vs` and `adam` after checking that it was written by
/// the same variant, seed and training settings (`epochs` may differ).
pub fn load(
    path: &Path,
    vs: &mut VarStore,
    adam: &mut Adam,
    expect: &Meta,
) -> Result<Meta, AeError> {
    if !path.exists() {
        return Err(AeError::NoCheckpoint(path.to_owned()));
    }
    let bad = |what| AeError::BadCheckpoint {
        path: path.to_owned(),
        what,
    };
    let named: HashMap<String, Tensor> = Tensor::load_multi(path)
        .map_err(|_| bad("not a tensor file"))?
        .into_iter()
        .collect();
    let bytes = named.get(META).ok_or_else(|| bad("no metadata"))?;
    let bytes = Vec::<u8>::try_from(bytes).map_err(|_| bad("metadata is not bytes"))?;
    let meta: Meta = serde_json::from_slice(&bytes)?;
    let mismatch = |field: &'static str, expected: String, found: String| {
        Err(AeError::CheckpointMismatch {
            path: path.to_owned(),
            field,
            expected,
            found,
        })
    };
    if meta.variant != expect.variant {
        return mismatch(
            "variant",
            expect.variant.name().into(),
            meta.variant.name().into(),
        );
    }
    if meta.seed != expect.seed {
        return mismatch("seed", expect.seed.to_string(), meta.seed.to_string());
    }
    let (a, b) = (
        TrainParams {
            epochs: 0,
            ..expect.train
        },
        TrainParams {
            epochs: 0,
            ..meta.train
        },
    );
    if a != b {
        return mismatch("training settings", format!("{a:?}"), format!("{b:?}"));
    }
    if meta.epoch > expect.train.epochs {
        return Err(AeError::CheckpointPastEnd {
            path: path.to_owned(),
            found: meta.epoch,
            epochs: expect.train.epochs,
        });
    }
    tch::no_grad(|| -> Result<(), AeError> {
        for (name, mut var) in vs.variables() {
            let src = named
                .get(&format!("param.{name}"))
                .ok_or_else(|| bad("a weight is missing"))?;
            if src.size() != var.size() {
                return Err(bad("a weight has the wrong shape"));
            }
            var.f_copy_(src)?;
        }
        Ok(())
    })?;
    adam.load_state(&named)
        .ok_or_else(|| bad("the optimiser state is incomplete"))?;
    Ok(meta)
}
