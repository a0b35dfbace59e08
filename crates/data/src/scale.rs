//! Per-feature standardisation: (x − mean) / std, fitted on training data.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::DataError;

/// Column means and standard deviations of a training set.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardizer {
    pub mean: Array1<f64>,
    pub std: Array1<f64>,
}

impl Standardizer {
    /// Fits on the rows of `x`; a constant column gets std 1 (it is only centred).
    pub fn fit(x: ArrayView2<f64>) -> Result<Self, DataError> {
        let mean = x.mean_axis(Axis(0)).ok_or(DataError::NoRows {
            what: "standardiser",
        })?;
        let std = x
            .std_axis(Axis(0), 0.0)
            .mapv(|s| if s > 1e-12 { s } else { 1.0 });
        Ok(Standardizer { mean, std })
    }

    /// [`Standardizer::fit`] when `standardize` is set, the identity otherwise
    /// (the labs' `--raw-inputs` switch).
    pub fn fit_if(standardize: bool, x: ArrayView2<f64>) -> Result<Self, DataError> {
        if standardize {
            Self::fit(x)
        } else {
            Ok(Self::identity(x.ncols()))
        }
    }

    /// The identity (for runs on raw inputs).
    pub fn identity(d: usize) -> Self {
        Standardizer {
            mean: Array1::zeros(d),
            std: Array1::ones(d),
        }
    }

    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.mean) / &self.std
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_columns() {
        let x = ndarray::arr2(&[[1.0, 5.0], [3.0, 5.0]]);
        let s = Standardizer::fit(x.view()).unwrap();
        assert_eq!(s.mean.to_vec(), vec![2.0, 5.0]);
        assert_eq!(
            s.std.to_vec(),
            vec![1.0, 1.0],
            "constant column keeps std 1"
        );
        assert_eq!(
            s.transform(x.view()),
            ndarray::arr2(&[[-1.0, 0.0], [1.0, 0.0]])
        );
        assert_eq!(Standardizer::identity(2).transform(x.view()), x);
        assert_eq!(
            Standardizer::fit(Array2::<f64>::zeros((0, 2)).view()),
            Err(DataError::NoRows {
                what: "standardiser"
            })
        );
        assert_eq!(
            Standardizer::fit_if(false, x.view())
                .unwrap()
                .transform(x.view()),
            x
        );
    }
}
