//! The weights of the two-layer net, their initialisation, and classification.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::backprop::Workspace;
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
            return Err(Fcann2Error::Shape(format!(
                "need at least one input and one class, got D = {d}, C = {c}"
            )));
        }
        let mut normal = |rows: usize, cols: usize, fan_in: usize| {
            let dist = Normal::new(0.0, (2.0 / fan_in as f64).sqrt())
                .map_err(|e| Fcann2Error::Shape(e.to_string()))?;
            Ok::<_, Fcann2Error>(Array2::from_shape_simple_fn((rows, cols), || {
                dist.sample(rng)
            }))
        };
        let w1 = normal(d, h, d)?;
        let w2 = normal(h, c, h)?;
        Ok(Fcann2Model {
            w1,
            b1: Array1::zeros(h),
            w2,
            b2: Array1::zeros(c),
        })
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
            return Err(Fcann2Error::Shape(format!(
                "W1 is {d} × {h} and W2 has {c} columns: no size may be 0"
            )));
        }
        if b1.len() != h || w2.nrows() != h || b2.len() != c {
            return Err(Fcann2Error::Shape(format!(
                "W1 {:?}, b1 {}, W2 {:?}, b2 {}: expected D × H, H, H × C, C",
                w1.dim(),
                b1.len(),
                w2.dim(),
                b2.len()
            )));
        }
        let all = w1.iter().chain(&b1).chain(&w2).chain(&b2);
        if let Some(v) = all.copied().find(|v| !v.is_finite()) {
            return Err(Fcann2Error::Shape(format!("a weight is {v}")));
        }
        Ok(Fcann2Model { w1, b1, w2, b2 })
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

    /// ‖W1‖² + ‖W2‖² (squared Frobenius norms; the biases are left out).
    pub fn weight_norm_sq(&self) -> f64 {
        self.w1.iter().chain(&self.w2).map(|w| w * w).sum()
    }
}

/// Checks that every entry of x is a finite number.
pub(crate) fn check_finite(x: ArrayView2<f64>) -> Result<(), Fcann2Error> {
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(Fcann2Error::NonFinite { row, col, value });
        }
    }
    Ok(())
}

/// Class probabilities P (N × C) of the rows of x (N × D): the forward pass
/// of training, run once.
pub fn fcann2_classify(
    x: ArrayView2<f64>,
    model: &Fcann2Model,
) -> Result<Array2<f64>, Fcann2Error> {
    if x.ncols() != model.n_inputs() {
        return Err(Fcann2Error::InputDim {
            expected: model.n_inputs(),
            found: x.ncols(),
        });
    }
    check_finite(x)?;
    let mut ws = Workspace::new(x.nrows(), model);
    ws.forward(model, x);
    Ok(ws.into_probabilities())
}

/// The predicted class of every row of P: the index of its largest entry
/// (the first one on ties).
pub fn predict(p: ArrayView2<f64>) -> Vec<usize> {
    p.rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 {
                        (i, v)
                    } else {
                        best
                    }
                })
                .0
        })
        .collect()
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
            Err(Fcann2Error::Shape(_))
        ));
        assert!(matches!(
            Fcann2Model::from_parts(
                w1,
                Array1::zeros(3),
                Array2::zeros((2, 2)),
                Array1::zeros(2)
            ),
            Err(Fcann2Error::Shape(_))
        ));
        let nan = arr2(&[[f64::NAN]]);
        assert!(matches!(
            Fcann2Model::from_parts(nan, arr1(&[0.0]), arr2(&[[1.0]]), arr1(&[0.0])),
            Err(Fcann2Error::Shape(_))
        ));
    }

    #[test]
    fn classify_by_hand() {
        // One hidden unit h = ReLU(x0 − x1); scores (0, 2h): P(class 1) = σ(2h).
        let m = Fcann2Model::from_parts(
            arr2(&[[1.0], [-1.0]]),
            arr1(&[0.0]),
            arr2(&[[0.0, 2.0]]),
            arr1(&[0.0, 0.0]),
        )
        .unwrap();
        let x = arr2(&[[3.0, 1.0], [1.0, 3.0], [1000.0, 0.0]]);
        let p = fcann2_classify(x.view(), &m).unwrap();
        let sigma = |t: f64| 1.0 / (1.0 + (-t).exp());
        assert!((p[[0, 1]] - sigma(4.0)).abs() < 1e-15);
        assert!(
            (p[[1, 1]] - 0.5).abs() < 1e-15,
            "ReLU cuts the negative side"
        );
        assert_eq!(p[[2, 1]], 1.0, "a score of 2000 does not overflow");
        for r in p.rows() {
            assert!((r.sum() - 1.0).abs() < 1e-15);
        }
        assert_eq!(predict(p.view()), vec![1, 0, 1]);

        let x3 = Array2::zeros((1, 3));
        assert!(matches!(
            fcann2_classify(x3.view(), &m),
            Err(Fcann2Error::InputDim {
                expected: 2,
                found: 3
            })
        ));
        let bad = arr2(&[[0.0, f64::INFINITY]]);
        assert!(matches!(
            fcann2_classify(bad.view(), &m),
            Err(Fcann2Error::NonFinite { row: 0, col: 1, .. })
        ));
    }
}
