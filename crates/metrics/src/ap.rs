//! Average precision of a ranking.

use crate::MetricsError;

/// Average precision of binary labels **sorted by increasing score**.
///
/// Each position `i` is taken in turn as the threshold: the items from `i` to
/// the end (the highest scores) are called positive. AP is the mean, over the
/// truly positive items, of the precision at their own threshold:
///
/// `AP = (1 / #pos) · Σ_{i: label_i} #pos(i..) / (n − i)`.
///
/// A perfect ranking (all negatives before all positives) gives 1.
pub fn eval_ap(ranked_labels: &[bool]) -> Result<f64, MetricsError> {
    // exercise(metrics.eval_ap) begin
    if ranked_labels.is_empty() {
        return Err(MetricsError::Empty);
    }
    let n = ranked_labels.len();
    let total_pos = ranked_labels.iter().filter(|&&l| l).count();
    if total_pos == 0 {
        return Err(MetricsError::NoPositives);
    }
    let mut pos_from_here = total_pos;
    let mut sum_precision = 0.0;
    for (i, &label) in ranked_labels.iter().enumerate() {
        if label {
            sum_precision += pos_from_here as f64 / (n - i) as f64;
            pos_from_here -= 1;
        }
    }
    Ok(sum_precision / total_pos as f64)
    // exercise(metrics.eval_ap) end
}

/// AP from raw scores (higher = more positive) and labels: sorts, then [`eval_ap`].
/// Ties keep the input order (stable sort).
pub fn eval_ap_from_scores(scores: &[f64], labels: &[bool]) -> Result<f64, MetricsError> {
    if scores.len() != labels.len() {
        return Err(MetricsError::LengthMismatch {
            pred: scores.len(),
            truth: labels.len(),
        });
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(MetricsError::NonFiniteScore { index, value });
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let ranked: Vec<bool> = order.iter().map(|&i| labels[i]).collect();
    eval_ap(&ranked)
}

/// AP of a probabilistic classifier: P is N × C (rows are examples).
///
/// Two classes: AP of the scores P[:, 1] with class 1 as positive. More
/// classes: the mean of the one-vs-rest APs of the classes that occur in
/// `y_true`. `Ok(None)` when no class has a positive example to rank (AP is
/// undefined then); an error for mismatched lengths or non-finite scores.
pub fn average_precision_of_proba(
    p: ndarray::ArrayView2<f64>,
    y_true: &[usize],
) -> Result<Option<f64>, MetricsError> {
    if p.nrows() != y_true.len() {
        return Err(MetricsError::LengthMismatch {
            pred: p.nrows(),
            truth: y_true.len(),
        });
    }
    let n_classes = p.ncols();
    if let Some(&label) = y_true.iter().find(|&&t| t >= n_classes) {
        return Err(MetricsError::LabelOutOfRange { label, n_classes });
    }
    let ap_of = |c: usize| -> Result<Option<f64>, MetricsError> {
        let labels: Vec<bool> = y_true.iter().map(|&t| t == c).collect();
        if !labels.contains(&true) {
            return Ok(None);
        }
        eval_ap_from_scores(&p.column(c).to_vec(), &labels).map(Some)
    };
    if n_classes == 2 {
        return ap_of(1);
    }
    let mut aps = Vec::new();
    for c in 0..n_classes {
        if let Some(ap) = ap_of(c)? {
            aps.push(ap);
        }
    }
    Ok((!aps.is_empty()).then(|| aps.iter().sum::<f64>() / aps.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_worst_rankings() {
        assert_eq!(eval_ap(&[false, false, true, true]).unwrap(), 1.0);
        // Worst: positives first. Thresholds at 0 and 1: precision 2/4 and 1/3.
        let worst = eval_ap(&[true, true, false, false]).unwrap();
        assert!((worst - (0.5 + 1.0 / 3.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn hand_computed_mixed() {
        // labels by increasing score: 0 1 0 1 1
        // positive at i=1: 3 positives in last 4 -> 3/4
        // positive at i=3: 2 in last 2 -> 1 ; at i=4: 1/1 -> 1
        let ap = eval_ap(&[false, true, false, true, true]).unwrap();
        assert!((ap - (0.75 + 1.0 + 1.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn from_scores_sorts() {
        let ap = eval_ap_from_scores(
            &[0.9, 0.1, 0.5, 0.7, 0.3],
            &[true, false, true, true, false],
        )
        .unwrap();
        assert_eq!(ap, 1.0);
    }

    #[test]
    fn errors() {
        assert_eq!(eval_ap(&[]), Err(MetricsError::Empty));
        assert_eq!(eval_ap(&[false, false]), Err(MetricsError::NoPositives));
        assert!(matches!(
            eval_ap_from_scores(&[0.1, f64::NAN], &[true, false]),
            Err(MetricsError::NonFiniteScore { index: 1, .. })
        ));
    }

    #[test]
    fn ap_of_proba_uses_class_one_scores() {
        let p = ndarray::arr2(&[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]);
        assert_eq!(
            average_precision_of_proba(p.view(), &[0, 1, 1]),
            Ok(Some(1.0))
        );
        // Scores of class 1 sorted: 0.1 (pos), 0.4 (pos), 0.8 (neg) for labels [1, 0, 1]:
        // precisions 2/3 and 1/2 at the two positives -> AP = 7/12. Recompute with
        // scikit-learn: average_precision_score([1, 0, 1], [0.1, 0.8, 0.4]) = 0.58333.
        let ap = average_precision_of_proba(p.view(), &[1, 0, 1])
            .unwrap()
            .unwrap();
        assert!((ap - 7.0 / 12.0).abs() < 1e-12, "{ap}");
        assert_eq!(average_precision_of_proba(p.view(), &[0, 0, 0]), Ok(None));
        assert_eq!(
            average_precision_of_proba(p.view(), &[0, 1]),
            Err(MetricsError::LengthMismatch { pred: 3, truth: 2 })
        );
        assert_eq!(
            average_precision_of_proba(p.view(), &[0, 2, 1]),
            Err(MetricsError::LabelOutOfRange {
                label: 2,
                n_classes: 2
            })
        );
    }

    #[test]
    fn ap_of_proba_averages_one_vs_rest_over_present_classes() {
        // Labels [0, 1, 1]: classes 0 and 1 are both ranked perfectly (AP 1);
        // class 2 never occurs and is left out of the mean.
        let p = ndarray::arr2(&[[0.8, 0.1, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6]]);
        let ap = average_precision_of_proba(p.view(), &[0, 1, 1])
            .unwrap()
            .unwrap();
        assert!((ap - 1.0).abs() < 1e-12, "{ap}");
        let ap = average_precision_of_proba(p.view(), &[1, 0, 1])
            .unwrap()
            .unwrap();
        // class 0 scores 0.8 (neg), 0.1 (pos), 0.2 (neg): ranked pos,neg,neg -> AP 1/3;
        // class 1 scores 0.1 (pos), 0.3 (neg), 0.2 (pos): ranked pos,pos,neg -> (2/3 + 1/2)/2 = 7/12.
        assert!((ap - (1.0 / 3.0 + 7.0 / 12.0) / 2.0).abs() < 1e-12, "{ap}");
    }
}
