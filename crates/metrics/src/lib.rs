//! Classification metrics shared by every lab.
//!
//! Conventions (the same as the course's Python helpers):
//! - `y` are predicted class indices, `y_true` the true ones, both of length N;
//! - the confusion matrix has **rows = true class, columns = predicted class**;
//! - a ratio whose denominator is zero is defined as **0.0**: the precision of a
//!   class that is never predicted, the recall of a class that never occurs.
//!   (scikit-learn's `zero_division=0` does the same.) The per-class `support`
//!   tells such cases apart from real zeros.
//!
//! Labels are `usize` slices; an `ndarray::Array1<usize>` gives one with
//! `.as_slice().unwrap()` or `.to_vec()`.

use serde::Serialize;

mod ap;
mod argmax;
mod knn;
mod score;
mod seeds;
mod trust;
pub use ap::{average_precision_of_proba, eval_ap, eval_ap_from_scores};
pub use argmax::{argmax, argmax_rows};
pub use knn::{knn_accuracy, knn_predict};
pub use score::{score_proba, ProbaScore};
pub use seeds::{mean_std, OverSeeds};
pub use trust::{trustworthiness, trustworthiness_by_rows};

/// Everything that can be wrong with the inputs of a metric.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    #[error("predicted and true labels differ in length: {pred} vs {truth}")]
    LengthMismatch { pred: usize, truth: usize },
    #[error("no labels given: metrics need at least one example")]
    Empty,
    #[error("label {label} is out of range for {n_classes} classes")]
    LabelOutOfRange { label: usize, n_classes: usize },
    #[error("binary metrics take labels 0 and 1 only, found {label}")]
    NotBinary { label: usize },
    #[error("average precision is undefined without any positive example")]
    NoPositives,
    #[error("k = {k} nearest neighbours need 1 ≤ k ≤ {n} (the number of reference points)")]
    BadNeighbourCount { k: usize, n: usize },
    #[error("score {index} is not a finite number ({value})")]
    NonFiniteScore { index: usize, value: f64 },
}

/// Accuracy, precision and recall of a binary classifier (positive class = 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BinaryPerf {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
}

/// The full picture of a multi-class classifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiPerf {
    pub accuracy: f64,
    /// `confusion[t][p]`: how many examples of true class `t` were predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
    /// Per class: TP / (TP + FP), 0 when the class is never predicted.
    pub precision: Vec<f64>,
    /// Per class: TP / (TP + FN), 0 when the class never occurs.
    pub recall: Vec<f64>,
    /// Per class: how many examples truly belong to it.
    pub support: Vec<usize>,
    /// Unweighted mean of the per-class values.
    pub macro_precision: f64,
    pub macro_recall: f64,
    /// Pooled over classes. With one label per example both equal the accuracy.
    pub micro_precision: f64,
    pub micro_recall: f64,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn check_lengths(y: &[usize], y_true: &[usize]) -> Result<(), MetricsError> {
    if y.len() != y_true.len() {
        return Err(MetricsError::LengthMismatch {
            pred: y.len(),
            truth: y_true.len(),
        });
    }
    if y.is_empty() {
        return Err(MetricsError::Empty);
    }
    Ok(())
}

/// Accuracy, precision and recall for labels in {0, 1}.
pub fn eval_perf_binary(y: &[usize], y_true: &[usize]) -> Result<BinaryPerf, MetricsError> {
    // exercise(metrics.eval_perf_binary) begin
    check_lengths(y, y_true)?;
    let (mut tp, mut fp, mut tn, mut fn_) = (0usize, 0usize, 0usize, 0usize);
    for (&p, &t) in y.iter().zip(y_true) {
        if let Some(&label) = [p, t].iter().find(|&&l| l > 1) {
            return Err(MetricsError::NotBinary { label });
        }
        match (p, t) {
            (1, 1) => tp += 1,
            (1, 0) => fp += 1,
            (0, 0) => tn += 1,
            _ => fn_ += 1,
        }
    }
    Ok(BinaryPerf {
        accuracy: ratio(tp + tn, y.len()),
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
    })
    // exercise(metrics.eval_perf_binary) end
}

/// The C×C confusion matrix (rows = true class, columns = predicted class).
pub fn confusion_matrix(
    y: &[usize],
    y_true: &[usize],
    n_classes: usize,
) -> Result<ndarray::Array2<usize>, MetricsError> {
    check_lengths(y, y_true)?;
    let mut cm = ndarray::Array2::zeros((n_classes, n_classes));
    for (&p, &t) in y.iter().zip(y_true) {
        for label in [p, t] {
            if label >= n_classes {
                return Err(MetricsError::LabelOutOfRange { label, n_classes });
            }
        }
        cm[[t, p]] += 1;
    }
    Ok(cm)
}

/// Accuracy, confusion matrix, per-class precision/recall and their macro and
/// micro averages. `n_classes = None` takes one more than the largest label seen.
pub fn eval_perf_multi(
    y: &[usize],
    y_true: &[usize],
    n_classes: Option<usize>,
) -> Result<MultiPerf, MetricsError> {
    // exercise(metrics.eval_perf_multi) begin
    check_lengths(y, y_true)?;
    let c = match n_classes {
        Some(c) => c,
        None => y.iter().chain(y_true).copied().max().unwrap_or(0) + 1,
    };
    let cm = confusion_matrix(y, y_true, c)?;
    let n = y.len();
    let diag: Vec<usize> = (0..c).map(|i| cm[[i, i]]).collect();
    let predicted: Vec<usize> = cm.sum_axis(ndarray::Axis(0)).to_vec();
    let support: Vec<usize> = cm.sum_axis(ndarray::Axis(1)).to_vec();
    let precision: Vec<f64> = (0..c).map(|i| ratio(diag[i], predicted[i])).collect();
    let recall: Vec<f64> = (0..c).map(|i| ratio(diag[i], support[i])).collect();
    let correct: usize = diag.iter().sum();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / c as f64;
    Ok(MultiPerf {
        accuracy: ratio(correct, n),
        macro_precision: mean(&precision),
        macro_recall: mean(&recall),
        // Pooled TP over pooled (TP + FP) = correct / N, and likewise for recall.
        micro_precision: ratio(correct, predicted.iter().sum()),
        micro_recall: ratio(correct, support.iter().sum()),
        confusion: cm.outer_iter().map(|r| r.to_vec()).collect(),
        precision,
        recall,
        support,
    })
    // exercise(metrics.eval_perf_multi) end
}

#[cfg(test)]
mod hidden_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_hand_computed() {
        // TP = 2 (idx 0, 3), FP = 1 (idx 1), TN = 1 (idx 2), FN = 2 (idx 4, 5)
        let y = [1, 1, 0, 1, 0, 0];
        let t = [1, 0, 0, 1, 1, 1];
        let p = eval_perf_binary(&y, &t).unwrap();
        assert!((p.accuracy - 3.0 / 6.0).abs() < 1e-12);
        assert!((p.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((p.recall - 2.0 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn binary_never_predicts_positive_gives_zero_precision() {
        let p = eval_perf_binary(&[0, 0, 0], &[0, 1, 0]).unwrap();
        assert_eq!(p.precision, 0.0);
        assert_eq!(p.recall, 0.0);
        assert!((p.accuracy - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn binary_errors() {
        assert_eq!(
            eval_perf_binary(&[0, 1], &[0]),
            Err(MetricsError::LengthMismatch { pred: 2, truth: 1 })
        );
        assert_eq!(eval_perf_binary(&[], &[]), Err(MetricsError::Empty));
        assert_eq!(
            eval_perf_binary(&[0, 2], &[0, 1]),
            Err(MetricsError::NotBinary { label: 2 })
        );
    }

    #[test]
    fn multi_hand_computed() {
        // true:  0 0 0 1 1 2 2 2
        // pred:  0 1 0 1 2 2 2 0
        let t = [0, 0, 0, 1, 1, 2, 2, 2];
        let y = [0, 1, 0, 1, 2, 2, 2, 0];
        let p = eval_perf_multi(&y, &t, None).unwrap();
        assert_eq!(
            p.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![1, 0, 2]]
        );
        assert!((p.accuracy - 5.0 / 8.0).abs() < 1e-12);
        // precision: class 0: 2/3, class 1: 1/2, class 2: 2/3
        let want_p = [2.0 / 3.0, 0.5, 2.0 / 3.0];
        // recall: class 0: 2/3, class 1: 1/2, class 2: 2/3
        let want_r = [2.0 / 3.0, 0.5, 2.0 / 3.0];
        for i in 0..3 {
            assert!((p.precision[i] - want_p[i]).abs() < 1e-12);
            assert!((p.recall[i] - want_r[i]).abs() < 1e-12);
        }
        assert_eq!(p.support, vec![3, 2, 3]);
        assert!((p.macro_precision - (2.0 / 3.0 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((p.micro_precision - 5.0 / 8.0).abs() < 1e-12);
        assert!((p.micro_recall - 5.0 / 8.0).abs() < 1e-12);
    }

    #[test]
    fn multi_asymmetric_precision_recall() {
        // true: 0 0 1 1 ; pred: 0 0 0 1 -> class 0 precision 2/3 recall 1, class 1 precision 1 recall 1/2
        let p = eval_perf_multi(&[0, 0, 0, 1], &[0, 0, 1, 1], Some(2)).unwrap();
        assert!((p.precision[0] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.recall[0], 1.0);
        assert_eq!(p.precision[1], 1.0);
        assert_eq!(p.recall[1], 0.5);
        assert!((p.macro_recall - 0.75).abs() < 1e-12);
    }

    #[test]
    fn multi_class_never_predicted_and_absent_class() {
        // 3 classes declared; class 2 never occurs and is never predicted,
        // class 1 occurs but is never predicted.
        let p = eval_perf_multi(&[0, 0, 0], &[0, 1, 0], Some(3)).unwrap();
        assert_eq!(
            p.precision[1], 0.0,
            "never predicted -> precision defined as 0"
        );
        assert_eq!(p.recall[1], 0.0);
        assert_eq!(p.precision[2], 0.0);
        assert_eq!(p.recall[2], 0.0, "absent class -> recall defined as 0");
        assert_eq!(p.support, vec![2, 1, 0]);
        assert!((p.macro_recall - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn multi_errors() {
        assert_eq!(
            eval_perf_multi(&[0, 3], &[0, 1], Some(3)),
            Err(MetricsError::LabelOutOfRange {
                label: 3,
                n_classes: 3
            })
        );
        assert_eq!(eval_perf_multi(&[], &[], Some(2)), Err(MetricsError::Empty));
        assert!(matches!(
            confusion_matrix(&[0], &[0, 1], 2),
            Err(MetricsError::LengthMismatch { pred: 1, truth: 2 })
        ));
    }
}
