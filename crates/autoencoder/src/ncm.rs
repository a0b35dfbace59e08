//! The nearest-class-mean classifier: one mean per class from the training
//! set; a point goes to the class whose mean is closest (Euclidean).

use ndarray::{Array2, ArrayView2, Axis};

use crate::AeError;

/// Class means (C × D) of the rows of `x`, computed in f64.
pub fn class_means(
    x: ArrayView2<f32>,
    labels: &[usize],
    n_classes: usize,
) -> Result<Array2<f64>, AeError> {
    // exercise(autoencoder.ncm) begin
    if x.nrows() != labels.len() {
        return Err(AeError::LengthMismatch {
            rows: x.nrows(),
            labels: labels.len(),
        });
    }
    let mut sums = Array2::<f64>::zeros((n_classes, x.ncols()));
    let mut counts = vec![0usize; n_classes];
    for (row, &c) in x.axis_iter(Axis(0)).zip(labels) {
        if c >= n_classes {
            return Err(AeError::Metrics(metrics::MetricsError::LabelOutOfRange {
                label: c,
                n_classes,
            }));
        }
        counts[c] += 1;
        let mut s = sums.row_mut(c);
        s.zip_mut_with(&row, |a, &b| *a += f64::from(b));
    }
    for (c, &n) in counts.iter().enumerate() {
        if n == 0 {
            return Err(AeError::EmptyClass { class: c });
        }
        sums.row_mut(c).mapv_inplace(|v| v / n as f64);
    }
    Ok(sums)
    // exercise(autoencoder.ncm) end
}

/// The class of the nearest mean for every row of `x` (first on ties).
pub fn predict(means: ArrayView2<f64>, x: ArrayView2<f32>) -> Vec<usize> {
    // exercise(autoencoder.ncm) begin
    x.axis_iter(Axis(0))
        .map(|row| {
            let mut best = (0, f64::INFINITY);
            for (c, m) in means.axis_iter(Axis(0)).enumerate() {
                let d: f64 = m
                    .iter()
                    .zip(row.iter())
                    .map(|(&a, &b)| (a - f64::from(b)).powi(2))
                    .sum();
                if d < best.1 {
                    best = (c, d);
                }
            }
            best.0
        })
        .collect()
    // exercise(autoencoder.ncm) end
}

/// Fits on (x_train, y_train), scores on (x_test, y_test).
pub fn evaluate(
    x_train: ArrayView2<f32>,
    y_train: &[usize],
    x_test: ArrayView2<f32>,
    y_test: &[usize],
    n_classes: usize,
) -> Result<metrics::MultiPerf, AeError> {
    let means = class_means(x_train, y_train, n_classes)?;
    let pred = predict(means.view(), x_test);
    Ok(metrics::eval_perf_multi(&pred, y_test, Some(n_classes))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn known_means_and_their_nearest_points() {
        // Class 0 around (0, 0), class 1 around (10, 0), class 2 around (0, 10).
        let x = arr2(&[
            [-1.0f32, 0.0],
            [1.0, 0.0],
            [9.0, 1.0],
            [11.0, -1.0],
            [0.0, 9.0],
            [0.0, 11.0],
        ]);
        let y = [0, 0, 1, 1, 2, 2];
        let m = class_means(x.view(), &y, 3).unwrap();
        assert_eq!(m, arr2(&[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]));
        let test = arr2(&[[4.0f32, 0.0], [6.0, 0.0], [1.0, 6.0], [5.0, 5.0]]);
        // (5, 5) is equally far (√50) from all three means: the first one wins.
        assert_eq!(predict(m.view(), test.view()), vec![0, 1, 2, 0]);
        let perf = evaluate(x.view(), &y, test.view(), &[0, 1, 2, 2], 3).unwrap();
        assert_eq!(perf.accuracy, 0.75);
    }

    #[test]
    fn a_class_without_examples_is_an_error() {
        let x = arr2(&[[0.0f32], [1.0]]);
        assert!(matches!(
            class_means(x.view(), &[0, 0], 2),
            Err(AeError::EmptyClass { class: 1 })
        ));
        assert!(matches!(
            class_means(x.view(), &[0], 2),
            Err(AeError::LengthMismatch { rows: 2, labels: 1 })
        ));
    }
}
