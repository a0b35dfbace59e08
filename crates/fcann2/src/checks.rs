//! Checks on the data before any work: finite inputs, labels that fit, and
//! data that fits a given model. Every failure is a typed [`Fcann2Error`].

use ndarray::ArrayView2;

use crate::{Fcann2Error, Fcann2Model};

/// Labels above this are refused (the output layer has max(label) + 1 units).
pub const MAX_CLASSES: usize = 100_000;

/// Checks that every entry of x is a finite number.
pub fn check_finite(x: ArrayView2<f64>) -> Result<(), Fcann2Error> {
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(Fcann2Error::NonFinite { row, col, value });
        }
    }
    Ok(())
}

/// Checks X (N × D) and the labels; returns C = max(label) + 1.
pub fn check_data(x: ArrayView2<f64>, y: &[usize]) -> Result<usize, Fcann2Error> {
    if x.nrows() != y.len() {
        return Err(Fcann2Error::LengthMismatch {
            x_rows: x.nrows(),
            y_len: y.len(),
        });
    }
    let (Some(&lo), Some(&hi)) = (y.iter().min(), y.iter().max()) else {
        return Err(Fcann2Error::Empty);
    };
    if lo == hi {
        return Err(Fcann2Error::SingleClass { class: lo });
    }
    if hi >= MAX_CLASSES {
        return Err(Fcann2Error::TooManyClasses {
            label: hi,
            max: MAX_CLASSES,
        });
    }
    if x.ncols() == 0 {
        return Err(Fcann2Error::NoFeatures { rows: x.nrows() });
    }
    check_finite(x)?;
    Ok(hi + 1)
}

/// Checks the data and that it fits `model`: D inputs, every label < C.
pub fn check_fit(x: ArrayView2<f64>, y: &[usize], model: &Fcann2Model) -> Result<(), Fcann2Error> {
    let c = check_data(x, y)?;
    if x.ncols() != model.n_inputs() {
        return Err(Fcann2Error::InputDim {
            expected: model.n_inputs(),
            found: x.ncols(),
        });
    }
    if c > model.n_classes() {
        return Err(Fcann2Error::LabelOutOfRange {
            label: c - 1,
            n_classes: model.n_classes(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, Array2};

    #[test]
    fn data_errors_carry_the_bad_values() {
        let x = arr2(&[[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]);
        assert_eq!(check_data(x.view(), &[0, 2, 1]).unwrap(), 3);
        assert!(matches!(
            check_data(x.view(), &[0, 1, MAX_CLASSES]),
            Err(Fcann2Error::TooManyClasses { label, max: MAX_CLASSES }) if label == MAX_CLASSES
        ));
        let no_cols = Array2::<f64>::zeros((3, 0));
        assert!(matches!(
            check_data(no_cols.view(), &[0, 1, 1]),
            Err(Fcann2Error::NoFeatures { rows: 3 })
        ));
        let m = Fcann2Model::from_parts(
            Array2::ones((2, 3)),
            ndarray::Array1::zeros(3),
            Array2::ones((3, 2)),
            ndarray::Array1::zeros(2),
        )
        .unwrap();
        assert!(matches!(
            check_fit(x.view(), &[0, 1, 2], &m),
            Err(Fcann2Error::LabelOutOfRange {
                label: 2,
                n_classes: 2
            })
        ));
        assert!(check_fit(x.view(), &[0, 1, 1], &m).is_ok());
    }
}
