//! The five parts of the lab, one file each, named as [`crate::Part`] names
//! them: [`table`] (an embedding table with padding), [`classifier`] (the
//! Iris classifier), [`regression`] (regression onto fixed label points),
//! [`gaussian`] (Gaussian regression onto them), [`joint`] (label points
//! learned with the net; its loop is [`joint_loop`]). Every part trains all
//! seeds at once. The helpers they share live here.

use tch::Tensor;

use crate::EmbeddingsError;

pub mod classifier;
pub mod gaussian;
pub mod joint;
pub mod joint_loop;
pub mod regression;
pub mod table;

/// Class indices S × N (any integer kind) as one label list per seed.
pub fn labels_by_seed(t: &Tensor) -> Result<Vec<Vec<usize>>, EmbeddingsError> {
    let n = t.size().last().copied().unwrap_or(0).max(1) as usize;
    let flat = torch_util::to_labels(t)?;
    Ok(flat.chunks(n).map(<[usize]>::to_vec).collect())
}

/// A 2-D tensor as rows of numbers (for JSON and plots).
pub fn rows(t: &Tensor) -> Result<Vec<Vec<f64>>, EmbeddingsError> {
    let a = torch_util::to_array2(t)?;
    Ok(a.outer_iter().map(|r| r.to_vec()).collect())
}
