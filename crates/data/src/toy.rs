//! Random Gaussian-mixture data in the plane (Lab 1).

use ndarray::{concatenate, Array1, Array2, Axis};
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::StandardNormal;

/// Invalid arguments of a generator or conversion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("the number of classes C must be at least 1, got {0}")]
    ZeroClasses(usize),
    #[error("the number of samples per component N must be at least 1, got {0}")]
    ZeroSamples(usize),
    #[error("need at least as many components as classes: K = {k} < C = {c}")]
    FewerComponentsThanClasses { k: usize, c: usize },
    #[error("label {label} at index {index} does not fit {n_classes} classes")]
    LabelOutOfRange {
        index: usize,
        label: usize,
        n_classes: usize,
    },
    #[error("no labels given")]
    Empty,
    #[error("no data: a {what} needs at least one row")]
    NoRows { what: &'static str },
    #[error("'{part}' in '{list}' is not a whole number")]
    NotANumber { part: String, list: String },
    #[error("expected {expected} (e.g. {example}), got '{list}'")]
    WrongCount {
        expected: &'static str,
        example: &'static str,
        list: String,
    },
}

/// A bivariate Gaussian with a random mean, spread and orientation.
///
/// Mean uniform in [0, 10]²; eigenvalues ((u·10)/5)² with u ~ U(0, 1) per axis;
/// rotation by a uniform angle θ; covariance Σ = Rᵀ·diag(eig)·R.
#[derive(Debug, Clone, PartialEq)]
pub struct Random2dGaussian {
    pub mean: [f64; 2],
    pub eigvals: [f64; 2],
    pub angle: f64,
}

impl Random2dGaussian {
    const RANGE: f64 = 10.0;

    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mean = [
            rng.gen::<f64>() * Self::RANGE,
            rng.gen::<f64>() * Self::RANGE,
        ];
        let mut eig = || (rng.gen::<f64>() * Self::RANGE / 5.0).powi(2);
        let eigvals = [eig(), eig()];
        let angle = rng.gen::<f64>() * std::f64::consts::TAU;
        Random2dGaussian {
            mean,
            eigvals,
            angle,
        }
    }

    /// The rotation R = [[cos θ, −sin θ], [sin θ, cos θ]].
    fn rotation(&self) -> Array2<f64> {
        let (s, c) = self.angle.sin_cos();
        ndarray::arr2(&[[c, -s], [s, c]])
    }

    /// Σ = Rᵀ·diag(eig)·R.
    pub fn covariance(&self) -> Array2<f64> {
        let r = self.rotation();
        let d = Array2::from_diag(&ndarray::arr1(&self.eigvals));
        r.t().dot(&d).dot(&r)
    }

    /// `n` points (rows). With z ~ N(0, I): x = z·diag(√eig)·R + mean, whose
    /// covariance is Rᵀ·diag(eig)·R = Σ.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Array2<f64> {
        let z: Array2<f64> = Array2::random_using((n, 2), StandardNormal, rng);
        let sqrt_d = Array2::from_diag(&ndarray::arr1(&[
            self.eigvals[0].sqrt(),
            self.eigvals[1].sqrt(),
        ]));
        z.dot(&sqrt_d).dot(&self.rotation()) + &ndarray::arr1(&self.mean)
    }
}

/// C random Gaussians with N points each; the points of Gaussian i have class i.
/// Returns X (C·N × 2) and Y_ (C·N). Each Gaussian draws its points right
/// after its own parameters.
pub fn sample_gauss_2d<R: Rng + ?Sized>(
    c: usize,
    n: usize,
    rng: &mut R,
) -> Result<(Array2<f64>, Array1<usize>), DataError> {
    if c == 0 {
        return Err(DataError::ZeroClasses(c));
    }
    if n == 0 {
        return Err(DataError::ZeroSamples(n));
    }
    let mut x = Array2::zeros((0, 2));
    for _ in 0..c {
        let points = Random2dGaussian::random(rng).sample(n, rng);
        x.append(Axis(0), points.view())
            .map_err(|_| DataError::Empty)?;
    }
    let y = Array1::from_iter((0..c).flat_map(|class| std::iter::repeat_n(class, n)));
    Ok((x, y))
}

/// K random Gaussians, each given a class drawn uniformly from {0..C-1}, N
/// points from each. Returns X (K·N × 2) and Y_ (K·N): the N rows of
/// component i are rows i·N … i·N + N − 1, all of its class.
///
/// The draws, in this order, component after component: its
/// [`Random2dGaussian::random`], then its class `rng.gen_range(0..C)`, then
/// its N points ([`Random2dGaussian::sample`]). The same seed then gives the
/// same data as the lab's (and as the tests expect).
pub fn sample_gmm_2d<R: Rng + ?Sized>(
    k: usize,
    c: usize,
    n: usize,
    rng: &mut R,
) -> Result<(Array2<f64>, Array1<usize>), DataError> {
    // exercise(data.sample_gmm_2d) begin
    check_gmm_args(k, c, n)?;
    let mut blocks = Vec::with_capacity(k);
    let mut labels = Vec::with_capacity(k * n);
    for _ in 0..k {
        let g = Random2dGaussian::random(rng);
        let class = rng.gen_range(0..c);
        blocks.push(g.sample(n, rng));
        labels.extend(std::iter::repeat_n(class, n));
    }
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    let x = concatenate(Axis(0), &views).map_err(|_| DataError::Empty)?;
    Ok((x, Array1::from(labels)))
    // exercise(data.sample_gmm_2d) end
}

/// Arguments of `sample_gmm_2d(K, C, N)`; written `K,C,N` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GmmSpec {
    pub k: usize,
    pub c: usize,
    pub n: usize,
}

impl std::fmt::Display for GmmSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "gmm({},{},{})", self.k, self.c, self.n)
    }
}

/// Comma-separated whole numbers, e.g. `2,10,10,2`.
pub fn parse_list(s: &str) -> Result<Vec<usize>, DataError> {
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<usize>()
                .map_err(|_| DataError::NotANumber {
                    part: p.to_string(),
                    list: s.to_string(),
                })
        })
        .collect()
}

impl std::str::FromStr for GmmSpec {
    type Err = DataError;
    fn from_str(s: &str) -> Result<Self, DataError> {
        match parse_list(s)?.as_slice() {
            &[k, c, n] => Ok(GmmSpec { k, c, n }),
            _ => Err(DataError::WrongCount {
                expected: "K,C,N (three numbers)",
                example: "6,2,10",
                list: s.to_string(),
            }),
        }
    }
}

impl GmmSpec {
    /// Draws the data set: X (K·N × 2) and Y_ (K·N).
    pub fn sample<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<(Array2<f64>, Array1<usize>), DataError> {
        sample_gmm_2d(self.k, self.c, self.n, rng)
    }
}

/// The checks of [`sample_gmm_2d`], for validating a configuration before any work.
pub fn check_gmm_args(k: usize, c: usize, n: usize) -> Result<(), DataError> {
    if c == 0 {
        return Err(DataError::ZeroClasses(c));
    }
    if k < c {
        return Err(DataError::FewerComponentsThanClasses { k, c });
    }
    if n == 0 {
        return Err(DataError::ZeroSamples(n));
    }
    Ok(())
}

/// One-hot rows: `Yoh_[i, Y_[i]] = 1`. `n_classes = None` uses max(Y_) + 1.
pub fn class_to_onehot(y: &[usize], n_classes: Option<usize>) -> Result<Array2<f64>, DataError> {
    // exercise(data.class_to_onehot) begin
    let max = *y.iter().max().ok_or(DataError::Empty)?;
    let c = n_classes.unwrap_or(max + 1);
    if c == 0 {
        return Err(DataError::ZeroClasses(c));
    }
    let mut out = Array2::zeros((y.len(), c));
    for (index, &label) in y.iter().enumerate() {
        if label >= c {
            return Err(DataError::LabelOutOfRange {
                index,
                label,
                n_classes: c,
            });
        }
        out[[index, label]] = 1.0;
    }
    Ok(out)
    // exercise(data.class_to_onehot) end
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn gauss_shapes_and_classes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (x, y) = sample_gauss_2d(3, 7, &mut rng).unwrap();
        assert_eq!(x.dim(), (21, 2));
        assert_eq!(y.to_vec(), [vec![0; 7], vec![1; 7], vec![2; 7]].concat());
        // Gaussian i's points lie around its own mean, drawn just before them.
        let mut again = ChaCha8Rng::seed_from_u64(1);
        for i in 0..3 {
            let g = Random2dGaussian::random(&mut again);
            assert_eq!(
                g.sample(7, &mut again),
                x.slice(ndarray::s![i * 7..i * 7 + 7, ..])
            );
        }
    }

    #[test]
    fn gmm_shapes_and_classes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (x, y) = sample_gmm_2d(6, 2, 10, &mut rng).unwrap();
        assert_eq!(x.dim(), (60, 2));
        assert!(y.iter().all(|&c| c < 2));
        // every component's 10 points share one class
        for chunk in y.as_slice().unwrap().chunks(10) {
            assert!(chunk.iter().all(|&c| c == chunk[0]));
        }
    }

    #[test]
    fn seeded_generators_are_reproducible() {
        let a = sample_gmm_2d(4, 2, 5, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        let b = sample_gmm_2d(4, 2, 5, &mut ChaCha8Rng::seed_from_u64(7)).unwrap();
        let c = sample_gmm_2d(4, 2, 5, &mut ChaCha8Rng::seed_from_u64(8)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn sample_moments_match_the_gaussian() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let g = Random2dGaussian::random(&mut rng);
        let x = g.sample(200_000, &mut rng);
        let mean = x.mean_axis(Axis(0)).unwrap();
        let centred = &x - &mean;
        let cov = centred.t().dot(&centred) / (x.nrows() as f64 - 1.0);
        let want = g.covariance();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-3);
        for i in 0..2 {
            assert!((mean[i] - g.mean[i]).abs() < 0.02 * scale.sqrt() + 1e-3);
            for j in 0..2 {
                assert!(
                    (cov[[i, j]] - want[[i, j]]).abs() < 0.02 * scale,
                    "cov[{i},{j}] = {} vs {}",
                    cov[[i, j]],
                    want[[i, j]]
                );
            }
        }
        assert!((0.0..=10.0).contains(&g.mean[0]) && (0.0..=10.0).contains(&g.mean[1]));
        assert!(g.eigvals.iter().all(|&e| (0.0..=4.0).contains(&e)));
    }

    #[test]
    fn gmm_invalid_arguments_are_typed_errors() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            sample_gmm_2d(2, 3, 10, &mut rng),
            Err(DataError::FewerComponentsThanClasses { k: 2, c: 3 })
        );
        assert_eq!(
            sample_gmm_2d(4, 2, 0, &mut rng),
            Err(DataError::ZeroSamples(0))
        );
        assert_eq!(
            sample_gmm_2d(4, 0, 5, &mut rng),
            Err(DataError::ZeroClasses(0))
        );
    }

    #[test]
    fn gauss_invalid_arguments_are_typed_errors() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            sample_gauss_2d(0, 5, &mut rng),
            Err(DataError::ZeroClasses(0))
        );
        assert_eq!(
            sample_gauss_2d(2, 0, &mut rng),
            Err(DataError::ZeroSamples(0))
        );
    }

    #[test]
    fn onehot() {
        let oh = class_to_onehot(&[2, 0, 1], None).unwrap();
        assert_eq!(
            oh,
            ndarray::arr2(&[[0., 0., 1.], [1., 0., 0.], [0., 1., 0.]])
        );
        assert_eq!(class_to_onehot(&[1], Some(4)).unwrap().dim(), (1, 4));
        assert_eq!(
            class_to_onehot(&[0, 3], Some(2)),
            Err(DataError::LabelOutOfRange {
                index: 1,
                label: 3,
                n_classes: 2
            })
        );
        assert_eq!(class_to_onehot(&[], None), Err(DataError::Empty));
    }
}
