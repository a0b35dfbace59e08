//! Everything the labs report about a probabilistic classifier on one data
//! set, from its class probabilities.

use ndarray::ArrayView2;

use crate::{argmax_rows, average_precision_of_proba, eval_perf_multi, MetricsError, MultiPerf};

/// The scores of a model on one data set.
#[derive(Debug, Clone)]
pub struct ProbaScore {
    pub perf: MultiPerf,
    /// AP of P(class 1) for two classes, mean one-vs-rest AP otherwise;
    /// `None` when no class has a positive example.
    pub ap: Option<f64>,
    /// The predicted class (argmax of P) of every row.
    pub pred: Vec<usize>,
}

/// Accuracy, confusion matrix, precision/recall and AP from P (N × C).
pub fn score_proba(
    p: ArrayView2<f64>,
    y_true: &[usize],
    n_classes: usize,
) -> Result<ProbaScore, MetricsError> {
    let pred = argmax_rows(p);
    Ok(ProbaScore {
        perf: eval_perf_multi(&pred, y_true, Some(n_classes))?,
        ap: average_precision_of_proba(p, y_true)?,
        pred,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_from_probabilities() {
        let p = ndarray::arr2(&[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]);
        let s = score_proba(p.view(), &[0, 1, 1], 2).unwrap();
        assert_eq!(s.pred, vec![0, 1, 0]);
        assert!((s.perf.accuracy - 2.0 / 3.0).abs() < 1e-12);
        // Class-1 scores 0.1 (neg), 0.8 (pos), 0.4 (pos): a perfect ranking.
        assert_eq!(s.ap, Some(1.0));
    }
}
