//! Fixed transforms of the data used as starting points: PCA (t-SNE's
//! initialisation and the baseline) and UMAP's spectral layout.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use tch::{Device, Kind, Tensor};

use crate::relations::Sparse;
use crate::EmbedError;

/// A fitted PCA: the mean and the top components (D × dims).
#[derive(Debug, Clone)]
pub struct Pca {
    pub mean: Array1<f64>,
    pub components: Array2<f64>,
}

impl Pca {
    /// The top `dims` principal axes of the rows of `x` (eigenvectors of the
    /// covariance, each signed so that its largest entry is positive).
    pub fn fit(x: ArrayView2<f32>, dims: usize, device: Device) -> Result<Pca, EmbedError> {
        let (n, d) = x.dim();
        if n < 2 || dims == 0 || dims > d {
            return Err(EmbedError::TooFewPoints {
                min: 2.max(dims),
                found: n,
            });
        }
        let xt = torch_util::to_tensor_f32(x, device).to_kind(Kind::Double);
        let mean = xt.mean_dim(0, true, Kind::Double);
        let c = &xt - &mean;
        let cov = c.tr().matmul(&c) / (n as f64 - 1.0);
        let (_, vecs) = cov.linalg_eigh("L");
        // Ascending eigenvalues: the last `dims` columns, largest first.
        let top = vecs.narrow(1, (d - dims) as i64, dims as i64).flip([1]);
        let mut comp = torch_util::to_array2(&top)?;
        for mut col in comp.columns_mut() {
            let big = col
                .iter()
                .copied()
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            if big < 0.0 {
                col.mapv_inplace(|v| -v);
            }
        }
        let mean = torch_util::to_array2(&mean)?.row(0).to_owned();
        Ok(Pca {
            mean,
            components: comp,
        })
    }

    /// Coordinates of rows of `x` on the components.
    pub fn transform(&self, x: ArrayView2<f32>) -> Array2<f64> {
        let xc = x.mapv(f64::from) - self.mean.view().insert_axis(Axis(0));
        xc.dot(&self.components)
    }
}

/// y ← M y for M = (I + D^(−1/2) W D^(−1/2)) / 2, column by column.
fn apply_shifted(w: &Sparse, inv_sqrt_deg: &[f64], y: &Array2<f64>) -> Array2<f64> {
    let mut out = y * 0.5;
    for i in 0..w.n {
        for (j, v) in w.row(i) {
            let s = 0.5 * v * inv_sqrt_deg[i] * inv_sqrt_deg[j];
            for c in 0..y.ncols() {
                out[[i, c]] += s * y[[j, c]];
            }
        }
    }
    out
}

/// Orthonormal columns (modified Gram–Schmidt), after removing `v0`.
fn orthonormalize(y: &mut Array2<f64>, v0: &Array1<f64>) {
    for c in 0..y.ncols() {
        let mut col = y.column(c).to_owned();
        col -= &(v0 * v0.dot(&col));
        for p in 0..c {
            let prev = y.column(p).to_owned();
            col -= &(&prev * prev.dot(&col));
        }
        let norm = col.dot(&col).sqrt().max(1e-300);
        y.column_mut(c).assign(&(col / norm));
    }
}

/// UMAP's spectral layout of a symmetric graph: the `dims` smallest
/// non-trivial eigenvectors of the normalised Laplacian I − D^(−1/2) W D^(−1/2)
/// (by block power iteration with Rayleigh–Ritz, the trivial √degree vector
/// projected out), divided by √degree, each column standardised.
pub fn spectral(
    w: &Sparse,
    dims: usize,
    iters: usize,
    seed: u64,
) -> Result<Array2<f64>, EmbedError> {
    let n = w.n;
    if n <= dims + 1 {
        return Err(EmbedError::TooFewPoints {
            min: dims + 2,
            found: n,
        });
    }
    let deg: Vec<f64> = (0..n)
        .map(|i| w.row(i).map(|(_, v)| v).sum::<f64>())
        .collect();
    if let Some(i) = deg.iter().position(|&d| d <= 0.0) {
        return Err(EmbedError::BadDistance {
            row: i,
            col: i,
            value: deg[i],
        });
    }
    let inv_sqrt: Vec<f64> = deg.iter().map(|d| 1.0 / d.sqrt()).collect();
    let mut v0 = Array1::from_iter(deg.iter().map(|d| d.sqrt()));
    let nv0 = v0.dot(&v0).sqrt();
    v0 /= nv0;
    let block = (dims + 6).min(n - 1);
    // A seeded start that does not touch libtorch's global generator.
    let mut y = Array2::from_shape_fn((n, block), |(i, c)| {
        let h =
            (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (c as u64 + 1).wrapping_mul(seed | 1);
        ((h >> 11) as f64 / (1u64 << 53) as f64) - 0.5
    });
    orthonormalize(&mut y, &v0);
    for _ in 0..iters {
        y = apply_shifted(w, &inv_sqrt, &y);
        orthonormalize(&mut y, &v0);
    }
    // Rayleigh–Ritz: eigenvectors of the small Yᵀ M Y, largest first.
    let my = apply_shifted(w, &inv_sqrt, &y);
    let h = y.t().dot(&my);
    let flat: Vec<f64> = h.iter().copied().collect();
    let ht = Tensor::from_slice(&flat).view([block as i64, block as i64]);
    let ht = (&ht + ht.tr()) / 2.0;
    let (_, vecs) = ht.linalg_eigh("L");
    let vecs = torch_util::to_array2(&vecs.flip([1]))?;
    let mut out = y.dot(&vecs.slice(ndarray::s![.., ..dims]));
    for (i, mut row) in out.rows_mut().into_iter().enumerate() {
        row *= inv_sqrt[i];
    }
    for mut col in out.columns_mut() {
        let m = col.sum() / n as f64;
        let sd = (col.mapv(|v| (v - m) * (v - m)).sum() / n as f64)
            .sqrt()
            .max(1e-300);
        col.mapv_inplace(|v| (v - m) / sd);
    }
    Ok(out)
}
