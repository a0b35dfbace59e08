//! Quality of an embedding in numbers: 5-NN accuracy (a classifier fit on
//! the embedded training points, scored on embedded held-out points) and
//! trustworthiness with 5 neighbours on the held-out points.

use ndarray::{Array2, ArrayView2};
use serde::Serialize;
use tch::{Device, Kind};

use crate::EmbedError;

/// The two numbers of an embedding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    pub knn5: f64,
    pub trustworthiness: f64,
}

/// 5-NN accuracy of the held-out embedding given the training embedding.
pub fn knn5(
    train: ArrayView2<f64>,
    train_labels: &[usize],
    held_out: ArrayView2<f64>,
    held_out_labels: &[usize],
) -> Result<f64, EmbedError> {
    Ok(metrics::knn_accuracy(
        train,
        train_labels,
        held_out,
        held_out_labels,
        5,
    )?)
}

/// Trustworthiness (k neighbours) of `low` as an embedding of `high`, the
/// original space's distances computed in blocks on `device`.
pub fn trust(
    high: ArrayView2<f32>,
    low: ArrayView2<f64>,
    k: usize,
    device: Device,
) -> Result<f64, EmbedError> {
    if high.nrows() != low.nrows() {
        return Err(EmbedError::RowMismatch {
            what: "the embedding",
            expected: high.nrows(),
            found: low.nrows(),
        });
    }
    let dist = torch_util::SquaredDistances::new(high, device);
    metrics::trustworthiness_by_rows(low, k, |start, len| -> Result<Array2<f64>, EmbedError> {
        Ok(torch_util::to_array2(
            &dist.block(start, len).to_kind(Kind::Double),
        )?)
    })
}

/// Both numbers for an embedding of (train, held-out) points.
pub fn quality(
    train_emb: ArrayView2<f64>,
    train_labels: &[usize],
    held_x: ArrayView2<f32>,
    held_emb: ArrayView2<f64>,
    held_labels: &[usize],
    device: Device,
) -> Result<Quality, EmbedError> {
    Ok(Quality {
        knn5: knn5(train_emb, train_labels, held_emb, held_labels)?,
        trustworthiness: trust(held_x, held_emb, 5, device)?,
    })
}
