//! Exact nearest neighbours by blocked distance matrices on libtorch: fast on
//! high-dimensional rows (784-D pixels) and on a GPU when there is one.

use ndarray::{Array2, ArrayView2};
use tch::{Device, Kind, Tensor};

use crate::TorchError;

/// The squared Euclidean distances between the rows of a matrix, one block
/// of rows at a time (the whole N × N matrix never exists at once):
/// ‖a‖² + ‖b‖² − 2·a·b, clamped at 0 against rounding.
#[derive(Debug)]
pub struct SquaredDistances {
    x: Tensor,
    sq: Tensor,
}

impl SquaredDistances {
    /// The rows of `x` (N × D), copied to `device`.
    pub fn new(x: ArrayView2<f32>, device: Device) -> Self {
        let x = crate::to_tensor_f32(x, device);
        let sq = (&x * &x).sum_dim_intlist(1, false, Kind::Float);
        SquaredDistances { x, sq }
    }

    /// Rows `start..start + len` against every row: a len × N tensor.
    pub fn block(&self, start: usize, len: usize) -> Tensor {
        let (start, len) = (start as i64, len as i64);
        let xb = self.x.narrow(0, start, len);
        (self.sq.narrow(0, start, len).unsqueeze(1) + self.sq.unsqueeze(0)
            - xb.matmul(&self.x.tr()) * 2.0)
            .clamp_min(0.0)
    }
}

/// The `k` nearest other rows of every row of `x` (Euclidean distance),
/// nearest first: indices (N × k) and distances (N × k). A row is never its
/// own neighbour. Errors when `k` is not below the number of rows.
pub fn nearest_neighbors(
    x: ArrayView2<f32>,
    k: usize,
    device: Device,
) -> Result<(Array2<usize>, Array2<f32>), TorchError> {
    let n = x.nrows();
    if k == 0 || k >= n {
        return Err(TorchError::BadNeighbourCount { k, n });
    }
    let dist = SquaredDistances::new(x, device);
    let mut idx_out = Array2::<usize>::zeros((n, k));
    let mut dist_out = Array2::<f32>::zeros((n, k));
    let block = 2048;
    for start in (0..n).step_by(block) {
        let len = block.min(n - start);
        let d2 = dist.block(start, len);
        let (vals, idx) = d2.topk((k + 1) as i64, 1, false, true);
        let vals = crate::to_array2(&vals.sqrt())?;
        let idx = crate::to_array2(&idx.to_kind(Kind::Double))?;
        for r in 0..len {
            let me = start + r;
            // Drop the row itself (or, among exact duplicates, the last candidate).
            let mut kept = 0;
            for (&i, &d) in idx.row(r).iter().zip(vals.row(r)) {
                let i = i as usize;
                if i == me || kept == k {
                    continue;
                }
                idx_out[[me, kept]] = i;
                dist_out[[me, kept]] = d as f32;
                kept += 1;
            }
        }
    }
    Ok((idx_out, dist_out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn neighbours_are_exact_and_exclude_the_point_itself() {
        let x = arr2(&[[0.0f32, 0.0], [1.0, 0.0], [3.0, 0.0], [0.0, 2.5]]);
        let (idx, dist) = nearest_neighbors(x.view(), 2, Device::Cpu).unwrap();
        assert_eq!(idx, arr2(&[[1, 3], [0, 2], [1, 0], [0, 1]]));
        assert!((dist[[3, 1]] - (1.0f32 + 6.25).sqrt()).abs() < 1e-5);
        assert!(matches!(
            nearest_neighbors(x.view(), 4, Device::Cpu),
            Err(TorchError::BadNeighbourCount { k: 4, n: 4 })
        ));
    }
}
