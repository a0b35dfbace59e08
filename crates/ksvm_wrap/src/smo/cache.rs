//! Kernel rows for the SMO solver: computed in f32 on demand from squared norms
//! and dot products, and kept in an LRU cache bounded in bytes (no n × n matrix).

use std::collections::HashMap;
use std::sync::Arc;

use ndarray::{ArrayView1, ArrayView2};

use crate::params::ResolvedKernel;

/// Dot product, the inner loop of every kernel row. On x86-64 CPUs with AVX2
/// and FMA (checked once per call, a cached flag) it runs a copy of the loop
/// compiled for them (8-wide fused multiply-adds); elsewhere the portable loop.
#[inline]
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // The one exception to the workspace's `unsafe_code = "deny"`:
            // calling a function compiled for CPU features, after checking
            // that this CPU has them.
            #[allow(unsafe_code)]
            // SAFETY: AVX2 and FMA are present (detected just above).
            let d = unsafe { dot_avx2_fma(a, b) };
            return d;
        }
    }
    dot_portable(a, b)
}

/// The loop for any CPU: eight independent sums, written for auto-vectorisation.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// The same product with AVX2 fused multiply-adds: four 8-wide sums (enough
/// to hide the FMA latency), then one 8-wide sum, folded in registers, then
/// the last < 8 terms. Written with intrinsics: the compiler's vectorised
/// version of the portable loop kept a scalar fold and tail, which for a
/// 784-pixel row cost as much as the main loop (17 against 26 GFLOP/s here).
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2_fma(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    // Chunks and constant pointer offsets, no index arithmetic: the dev
    // profile's overflow checks on `i + 8 * k` cost more than the products.
    let (ca, cb) = (a.chunks_exact(32), b.chunks_exact(32));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let (c8a, c8b) = (ra.chunks_exact(8), rb.chunks_exact(8));
    let (ta, tb) = (c8a.remainder(), c8b.remainder());
    // SAFETY: each load reads 8 floats from a chunk of 32 (offsets 0, 8, 16,
    // 24) or of 8 (offset 0); the features are the caller's promise.
    unsafe {
        let (mut s0, mut s1, mut s2, mut s3) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        for (x, y) in ca.zip(cb) {
            let (px, py) = (x.as_ptr(), y.as_ptr());
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(px), _mm256_loadu_ps(py), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(px.add(8)), _mm256_loadu_ps(py.add(8)), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(px.add(16)), _mm256_loadu_ps(py.add(16)), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(px.add(24)), _mm256_loadu_ps(py.add(24)), s3);
        }
        let mut s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        for (x, y) in c8a.zip(c8b) {
            s = _mm256_fmadd_ps(_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(y.as_ptr()), s);
        }
        let q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
        let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
        let q = _mm_add_ss(q, _mm_shuffle_ps::<1>(q, q));
        let mut total = _mm_cvtss_f32(q);
        for (x, y) in ta.iter().zip(tb) {
            total = x.mul_add(*y, total);
        }
        total
    }
}

/// Kernel rows of one training set, with an LRU cache bounded in bytes.
#[derive(Debug)]
pub struct KernelCache<'a> {
    x: ArrayView2<'a, f32>,
    /// ‖x_i‖² of every row.
    sq: Vec<f32>,
    kernel: ResolvedKernel,
    rows: HashMap<usize, (Arc<Vec<f32>>, u64)>,
    capacity_rows: usize,
    clock: u64,
    pub computed: usize,
    pub hits: usize,
}

/// A row of a standard-layout matrix as a slice. The solver only builds its
/// matrices with `select`/`mapv`, which give standard layout; a strided row
/// is still handled, through a copy.
fn row_values(r: ArrayView1<'_, f32>) -> std::borrow::Cow<'_, [f32]> {
    match r.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(r.to_vec()),
    }
}

impl<'a> KernelCache<'a> {
    pub fn new(x: ArrayView2<'a, f32>, kernel: ResolvedKernel, cache_bytes: usize) -> Self {
        let sq = x
            .rows()
            .into_iter()
            .map(|r| {
                let v = row_values(r);
                dot_f32(&v, &v)
            })
            .collect();
        let row_bytes = (x.nrows() * 4).max(1);
        KernelCache {
            x,
            sq,
            kernel,
            rows: HashMap::new(),
            capacity_rows: (cache_bytes / row_bytes).max(2),
            clock: 0,
            computed: 0,
            hits: 0,
        }
    }

    /// K(x_i, x_i): 1 for the RBF kernel, ‖x_i‖² for the linear one.
    pub fn diag(&self, i: usize) -> f64 {
        match self.kernel {
            ResolvedKernel::Rbf { .. } => 1.0,
            ResolvedKernel::Linear => f64::from(self.sq[i]),
        }
    }

    /// K(x_i, x_j) for every j, computed directly (no cache).
    pub fn compute_row(&self, i: usize) -> Vec<f32> {
        let xi = row_values(self.x.row(i));
        let si = self.sq[i];
        let dots = self
            .x
            .rows()
            .into_iter()
            .map(|xj| dot_f32(&xi, &row_values(xj)));
        match self.kernel {
            ResolvedKernel::Linear => dots.collect(),
            ResolvedKernel::Rbf { gamma } => {
                // exp(−γ‖x − z‖²) as exp(−γ(‖x‖² + ‖z‖² − 2·x·z)), clamped at 0 against rounding.
                let g = gamma as f32;
                dots.zip(&self.sq)
                    .map(|(d, &sj)| (-g * (si + sj - 2.0 * d).max(0.0)).exp())
                    .collect()
            }
        }
    }

    /// Row i, from the cache when present (least recently used rows are evicted).
    pub fn row(&mut self, i: usize) -> Arc<Vec<f32>> {
        self.clock += 1;
        if let Some(entry) = self.rows.get_mut(&i) {
            entry.1 = self.clock;
            self.hits += 1;
            return entry.0.clone();
        }
        if self.rows.len() >= self.capacity_rows {
            if let Some(&oldest) = self
                .rows
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k)
            {
                self.rows.remove(&oldest);
            }
        }
        let r = Arc::new(self.compute_row(i));
        self.computed += 1;
        self.rows.insert(i, (r.clone(), self.clock));
        r
    }

    pub fn cached_rows(&self) -> usize {
        self.rows.len()
    }

    pub fn capacity_rows(&self) -> usize {
        self.capacity_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};

    fn points(seed: u64, n: usize, d: usize) -> Array2<f32> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |_| rng.gen::<f32>() * 2.0 - 1.0)
    }

    #[test]
    fn cache_rows_equal_direct_computation_under_eviction() {
        let x = points(1, 50, 7);
        // room for 3 rows of 50 floats: most requests evict
        let mut cache = KernelCache::new(x.view(), ResolvedKernel::Rbf { gamma: 0.7 }, 3 * 50 * 4);
        assert_eq!(cache.capacity_rows(), 3);
        for &i in &[0usize, 5, 9, 5, 0, 31, 49, 9, 0, 5] {
            let r = cache.row(i);
            assert_eq!(*r, cache.compute_row(i));
            // and against the definition, in f64
            for j in [0usize, 13, 49] {
                let d2: f64 = x
                    .row(i)
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| f64::from(a - b).powi(2))
                    .sum();
                assert!((f64::from(r[j]) - (-0.7 * d2).exp()).abs() < 1e-5);
            }
            assert!(cache.cached_rows() <= 3);
        }
        // Requests 0 5 9 | 5 0 (hits) | 31 49 9 | 0 5: 8 computed, 2 served from the cache.
        assert_eq!((cache.computed, cache.hits), (8, 2));
        assert!((cache.row(3)[3] - 1.0).abs() < 1e-6, "K(x, x) = 1");
        assert_eq!(cache.diag(3), 1.0);
    }

    #[test]
    fn linear_rows_are_dot_products() {
        let x = points(2, 20, 11);
        let cache = KernelCache::new(x.view(), ResolvedKernel::Linear, 1 << 20);
        for i in [0usize, 7, 19] {
            let r = cache.compute_row(i);
            for (j, &v) in r.iter().enumerate() {
                let want: f64 = x
                    .row(i)
                    .iter()
                    .zip(x.row(j))
                    .map(|(a, b)| f64::from(*a) * f64::from(*b))
                    .sum();
                assert!((f64::from(v) - want).abs() < 1e-5);
            }
            assert!((cache.diag(i) - f64::from(r[i])).abs() < 1e-6);
        }
    }

    #[test]
    fn dot_matches_naive_sum() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot_f32(&a, &b) - naive).abs() < 1e-4);
        assert!((dot_portable(&a, &b) - naive).abs() < 1e-4);
        // Lengths around the 32-wide blocks of the FMA loop, against f64.
        for n in [0usize, 1, 31, 32, 33, 64, 784, 797] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.25).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.5).collect();
            let want: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            for got in [dot_f32(&a, &b), dot_portable(&a, &b)] {
                assert!(
                    (f64::from(got) - want).abs() < 1e-3 * (1.0 + want.abs()),
                    "n = {n}"
                );
            }
        }
    }
}
