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
}
