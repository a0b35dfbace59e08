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

/// How a point is compared with the class means.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// The course's: Euclidean distance to the class means.
    #[default]
    L2,
    /// Cosine: every vector scaled to unit length, the class means taken of
    /// the unit vectors and scaled to unit length too, then the nearest mean
    /// (for unit vectors, the smallest distance is the largest cosine).
    Cosine,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::L2 => "l2",
            Metric::Cosine => "cosine",
        }
    }
}

/// Each row of `x` divided by its Euclidean length (zero rows stay zero).
fn unit_rows<A>(x: ArrayView2<A>) -> Array2<f32>
where
    A: Copy + Into<f64>,
{
    let mut out = Array2::<f32>::zeros(x.raw_dim());
    for (mut o, r) in out.axis_iter_mut(Axis(0)).zip(x.axis_iter(Axis(0))) {
        let n = r.iter().map(|&v| v.into().powi(2)).sum::<f64>().sqrt();
        if n > 0.0 {
            o.zip_mut_with(&r, |a, &b| *a = (b.into() / n) as f32);
        }
    }
    out
}

/// [`evaluate`] with the comparison `metric`: for [`Metric::Cosine`] the
/// same class means and nearest-mean rule on unit-length vectors.
pub fn evaluate_with(
    metric: Metric,
    x_train: ArrayView2<f32>,
    y_train: &[usize],
    x_test: ArrayView2<f32>,
    y_test: &[usize],
    n_classes: usize,
) -> Result<metrics::MultiPerf, AeError> {
    match metric {
        Metric::L2 => evaluate(x_train, y_train, x_test, y_test, n_classes),
        Metric::Cosine => {
            let means = class_means(unit_rows(x_train).view(), y_train, n_classes)?;
            let pred = predict(
                unit_rows(means.view()).mapv(f64::from).view(),
                unit_rows(x_test).view(),
            );
            Ok(metrics::eval_perf_multi(&pred, y_test, Some(n_classes))?)
        }
    }
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
    fn cosine_ncm_on_a_hand_example() {
        // Class 0: (2, 0) and (0, 2); class 1: (−1, 0) and (−3, 0).
        // L2 means (1, 1) and (−2, 0). Cosine: unit vectors (1, 0), (0, 1)
        // average to direction 45°; (−1, 0) twice gives 180°.
        let x = arr2(&[[2.0f32, 0.0], [0.0, 2.0], [-1.0, 0.0], [-3.0, 0.0]]);
        let y = [0, 0, 1, 1];
        // (10, 1): L2 81 vs 145, direction 6°: class 0 both ways.
        // (−5, 4): L2 45 vs 25, direction 141°: class 1 both ways.
        // (−0.75, 1.3): L2 3.1525 vs 3.2525 → class 0; direction 120° is
        // 75° from 45° and 60° from 180° → class 1 by cosine.
        let test = arr2(&[[10.0f32, 1.0], [-5.0, 4.0], [-0.75, 1.3]]);
        let truth = [0, 1, 1];
        let l2 = evaluate_with(Metric::L2, x.view(), &y, test.view(), &truth, 2).unwrap();
        let cos = evaluate_with(Metric::Cosine, x.view(), &y, test.view(), &truth, 2).unwrap();
        assert_eq!(l2.confusion, vec![vec![1, 0], vec![1, 1]]);
        assert_eq!(cos.confusion, vec![vec![1, 0], vec![0, 2]]);
        // scale does not matter to cosine
        let scaled = test.mapv(|v| 7.0 * v);
        let cos7 = evaluate_with(Metric::Cosine, x.view(), &y, scaled.view(), &truth, 2).unwrap();
        assert_eq!(cos7.confusion, cos.confusion);
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
