//! Fixed transforms of the data used as starting points: PCA (t-SNE's
//! initialisation and the baseline) and UMAP's spectral layout.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
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

/// M = (I + D^(−1/2) W D^(−1/2)) / 2 without its diagonal ½: W's pattern
/// with every weight scaled once, `0.5 · w_ij / √(d_i d_j)`.
struct Shifted<'a> {
    w: &'a Sparse,
    scaled: Vec<f64>,
}

impl<'a> Shifted<'a> {
    fn new(w: &'a Sparse, inv_sqrt_deg: &[f64]) -> Shifted<'a> {
        let mut scaled = Vec::with_capacity(w.nnz());
        for i in 0..w.n {
            for (j, v) in w.row(i) {
                scaled.push(0.5 * v * inv_sqrt_deg[i] * inv_sqrt_deg[j]);
            }
        }
        Shifted { w, scaled }
    }

    /// y ← M y: each row of the result is ½ y_i plus its neighbours' rows,
    /// scaled, added in the order of W's row (contiguous rows of `y`).
    fn apply(&self, y: &Array2<f64>) -> Array2<f64> {
        let b = y.ncols();
        let y = y.as_standard_layout();
        let ys = y.as_slice().expect("standard layout");
        let mut out = &y * 0.5;
        let o = out.as_slice_mut().expect("a new array is contiguous");
        for i in 0..self.w.n {
            let oi = &mut o[i * b..(i + 1) * b];
            for k in self.w.indptr[i]..self.w.indptr[i + 1] {
                let (j, s) = (self.w.indices[k], self.scaled[k]);
                for (o, &v) in oi.iter_mut().zip(&ys[j * b..(j + 1) * b]) {
                    *o += s * v;
                }
            }
        }
        out
    }
}

/// Orthonormal columns (modified Gram–Schmidt), after removing `v0`; the
/// columns are worked on as contiguous rows of the transpose.
fn orthonormalize(y: &mut Array2<f64>, v0: &Array1<f64>) {
    let mut cols = y.t().as_standard_layout().into_owned();
    for c in 0..cols.nrows() {
        let (done, mut rest) = cols.view_mut().split_at(Axis(0), c);
        let mut col = rest.row_mut(0);
        let d = v0.dot(&col);
        col.zip_mut_with(v0, |x, &v| *x -= v * d);
        for prev in done.rows() {
            let d = prev.dot(&col);
            col.zip_mut_with(&prev, |x, &v| *x -= v * d);
        }
        let norm = col.dot(&col).sqrt().max(1e-300);
        col.mapv_inplace(|x| x / norm);
    }
    y.assign(&cols.t());
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
    let mut rng = labkit::seeds::rng(seed, crate::streams::SPECTRAL);
    let mut y = Array2::from_shape_fn((n, block), |_| rng.gen::<f64>() - 0.5);
    orthonormalize(&mut y, &v0);
    let m = Shifted::new(w, &inv_sqrt);
    for _ in 0..iters {
        y = m.apply(&y);
        orthonormalize(&mut y, &v0);
    }
    // Rayleigh–Ritz: eigenvectors of the small Yᵀ M Y, largest first.
    let my = m.apply(&y);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The former y ← M y, entry by entry, for comparison.
    fn apply_by_entries(w: &Sparse, inv_sqrt_deg: &[f64], y: &Array2<f64>) -> Array2<f64> {
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

    /// The former Gram–Schmidt on owned column copies, for comparison.
    fn orthonormalize_by_copies(y: &mut Array2<f64>, v0: &Array1<f64>) {
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

    #[test]
    fn the_spectral_steps_give_the_same_bits_as_the_entrywise_ones() {
        // A ring of 40 points, each joined to its 3 neighbours on either side.
        let n = 40;
        let mut t = Vec::new();
        for i in 0..n {
            for k in 1..=3 {
                let w = 1.0 / (k as f64 + 0.3 * (i % 5) as f64);
                t.push((i, (i + k) % n, w));
                t.push(((i + k) % n, i, w));
            }
        }
        let w = Sparse::from_triplets(n, t);
        let deg: Vec<f64> = (0..n).map(|i| w.row(i).map(|(_, v)| v).sum()).collect();
        let inv: Vec<f64> = deg.iter().map(|d| 1.0 / d.sqrt()).collect();
        let y = Array2::from_shape_fn((n, 5), |(i, c)| ((i * 7 + c * 13) % 11) as f64 - 5.0);
        assert_eq!(
            Shifted::new(&w, &inv).apply(&y),
            apply_by_entries(&w, &inv, &y)
        );
        let mut v0 = Array1::from_iter(deg.iter().map(|d| d.sqrt()));
        v0 /= v0.dot(&v0).sqrt();
        let (mut a, mut b) = (y.clone(), y);
        orthonormalize(&mut a, &v0);
        orthonormalize_by_copies(&mut b, &v0);
        assert_eq!(a, b);
        let gram = a.t().dot(&a);
        for ((r, c), &g) in gram.indexed_iter() {
            let want = if r == c { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-12, "({r}, {c}): {g}");
        }
        assert!(a.t().dot(&v0).iter().all(|d| d.abs() < 1e-12));
    }
}
