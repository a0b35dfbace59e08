//! The weights of the two-layer net and their initialisation.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::Fcann2Error;

/// W1 (D × H), b1 (H), W2 (H × C), b2 (C). The shapes always fit together:
/// the fields are private and every constructor checks them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fcann2Model {
    pub(crate) w1: Array2<f64>,
    pub(crate) b1: Array1<f64>,
    pub(crate) w2: Array2<f64>,
    pub(crate) b2: Array1<f64>,
}

impl Fcann2Model {
    /// Random weights for D inputs, H hidden units and C classes.
    ///
    /// He initialisation, suited to ReLU: W1 ~ N(0, 2/D), W2 ~ N(0, 2/H)
    /// entry by entry, biases 0. For the lab's D = 2, W1 is drawn from
    /// N(0, 1), as the course's `np.random.randn(D, H)` does.
    ///
    /// The draws: W1 first, then W2, each row by row (row-major), every
    /// entry σ·z with z = `rng.sample(StandardNormal)`.
    pub fn init<R: Rng + ?Sized>(
        d: usize,
        h: usize,
        c: usize,
        rng: &mut R,
    ) -> Result<Self, Fcann2Error> {
        if h == 0 {
            return Err(Fcann2Error::ZeroHidden);
        }
        if d == 0 || c == 0 {
            return Err(Fcann2Error::ZeroSize { d, h, c });
        }
        // exercise(fcann2.init) begin
        // σ·z with z ~ N(0, 1): the same numbers rand_distr's Normal(0, σ) draws.
        let mut normal = |rows: usize, cols: usize, fan_in: usize| {
            let std = (2.0 / fan_in as f64).sqrt();
            Array2::from_shape_simple_fn((rows, cols), || {
                std * rng.sample::<f64, _>(StandardNormal)
            })
        };
        let w1 = normal(d, h, d);
        let w2 = normal(h, c, h);
        Ok(Fcann2Model {
            w1,
            b1: Array1::zeros(h),
            w2,
            b2: Array1::zeros(c),
        })
        // exercise(fcann2.init) end
    }

    /// A model from given weights (for example, ones saved earlier), checked
    /// for matching shapes and finite values.
    pub fn from_parts(
        w1: Array2<f64>,
        b1: Array1<f64>,
        w2: Array2<f64>,
        b2: Array1<f64>,
    ) -> Result<Self, Fcann2Error> {
        let (d, h) = w1.dim();
        let c = w2.ncols();
        if d == 0 || h == 0 || c == 0 {
            return Err(Fcann2Error::ZeroSize { d, h, c });
        }
        if b1.len() != h || w2.nrows() != h || b2.len() != c {
            return Err(Fcann2Error::PartsMismatch {
                w1: w1.dim(),
                b1: b1.len(),
                w2: w2.dim(),
                b2: b2.len(),
            });
        }
        let m = Fcann2Model { w1, b1, w2, b2 };
        for (param, values) in m.params() {
            if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Fcann2Error::NonFiniteWeight {
                    param,
                    index,
                    value,
                });
            }
        }
        Ok(m)
    }

    /// D, the number of input features.
    pub fn n_inputs(&self) -> usize {
        self.w1.nrows()
    }
    /// H, the number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.w1.ncols()
    }
    /// C, the number of classes.
    pub fn n_classes(&self) -> usize {
        self.w2.ncols()
    }
    /// D·H + H + H·C + C.
    pub fn n_params(&self) -> usize {
        self.w1.len() + self.b1.len() + self.w2.len() + self.b2.len()
    }

    pub fn w1(&self) -> ArrayView2<'_, f64> {
        self.w1.view()
    }
    pub fn b1(&self) -> ArrayView1<'_, f64> {
        self.b1.view()
    }
    pub fn w2(&self) -> ArrayView2<'_, f64> {
        self.w2.view()
    }
    pub fn b2(&self) -> ArrayView1<'_, f64> {
        self.b2.view()
    }

    /// The four parameter arrays by name, flattened in row-major order.
    fn params(&self) -> [(&'static str, Vec<f64>); 4] {
        [
            ("W1", self.w1.iter().copied().collect()),
            ("b1", self.b1.to_vec()),
            ("W2", self.w2.iter().copied().collect()),
            ("b2", self.b2.to_vec()),
        ]
    }

    /// ‖W1‖² + ‖W2‖² (squared Frobenius norms; the biases are left out).
    pub fn weight_norm_sq(&self) -> f64 {
        self.w1.iter().chain(&self.w2).map(|w| w * w).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2};
    use rand::SeedableRng;

    #[test]
    fn init_shapes_and_scale() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let m = Fcann2Model::init(2, 5, 2, &mut rng).unwrap();
        assert_eq!(m.w1().dim(), (2, 5));
        assert_eq!(m.w2().dim(), (5, 2));
        assert_eq!((m.b1().len(), m.b2().len()), (5, 2));
        assert_eq!(m.n_params(), 2 * 5 + 5 + 5 * 2 + 2);
        assert!(m.b1().iter().chain(m.b2()).all(|&b| b == 0.0));
        // The spread of W1 ~ N(0, 2/D) on a large draw.
        let big = Fcann2Model::init(50, 400, 2, &mut rng).unwrap();
        let var = big.w1().iter().map(|w| w * w).sum::<f64>() / big.w1().len() as f64;
        assert!((var - 2.0 / 50.0).abs() < 0.003, "variance {var}");
        assert!(matches!(
            Fcann2Model::init(2, 0, 2, &mut rng),
            Err(Fcann2Error::ZeroHidden)
        ));
        assert!(matches!(
            Fcann2Model::init(0, 5, 2, &mut rng),
            Err(Fcann2Error::ZeroSize { d: 0, h: 5, c: 2 })
        ));
    }

    #[test]
    fn from_parts_checks_shapes() {
        let w1 = Array2::zeros((2, 3));
        let w2 = Array2::zeros((3, 2));
        assert!(Fcann2Model::from_parts(
            w1.clone(),
            Array1::zeros(3),
            w2.clone(),
            Array1::zeros(2)
        )
        .is_ok());
        assert!(matches!(
            Fcann2Model::from_parts(w1.clone(), Array1::zeros(4), w2.clone(), Array1::zeros(2)),
            Err(Fcann2Error::PartsMismatch {
                w1: (2, 3),
                b1: 4,
                w2: (3, 2),
                b2: 2
            })
        ));
        assert!(matches!(
            Fcann2Model::from_parts(
                w1.clone(),
                Array1::zeros(3),
                Array2::zeros((2, 2)),
                Array1::zeros(2)
            ),
            Err(Fcann2Error::PartsMismatch { w2: (2, 2), .. })
        ));
        assert!(matches!(
            Fcann2Model::from_parts(
                w1,
                Array1::zeros(3),
                Array2::zeros((3, 0)),
                Array1::zeros(0)
            ),
            Err(Fcann2Error::ZeroSize { d: 2, h: 3, c: 0 })
        ));
        let nan = arr2(&[[1.0, f64::NAN]]);
        assert!(matches!(
            Fcann2Model::from_parts(nan, arr1(&[0.0, 0.0]), arr2(&[[1.0], [1.0]]), arr1(&[0.0])),
            Err(Fcann2Error::NonFiniteWeight { param: "W1", index: 1, value }) if value.is_nan()
        ));
        let inf = arr1(&[f64::INFINITY]);
        assert!(matches!(
            Fcann2Model::from_parts(arr2(&[[1.0]]), arr1(&[0.0]), arr2(&[[1.0]]), inf),
            Err(Fcann2Error::NonFiniteWeight {
                param: "b2",
                index: 0,
                ..
            })
        ));
    }
}
