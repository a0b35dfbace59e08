//! k-nearest-neighbour classification by brute force: how well a (usually
//! 2-D) embedding keeps the classes apart, in one number.

use ndarray::ArrayView2;

use crate::MetricsError;

/// The majority label among the `k` nearest rows of `train` (Euclidean) for
/// every row of `query`. Ties go to the smaller label, as scikit-learn's
/// `KNeighborsClassifier` does.
pub fn knn_predict(
    train: ArrayView2<f64>,
    train_labels: &[usize],
    query: ArrayView2<f64>,
    k: usize,
) -> Result<Vec<usize>, MetricsError> {
    if train.nrows() != train_labels.len() {
        return Err(MetricsError::LengthMismatch {
            pred: train.nrows(),
            truth: train_labels.len(),
        });
    }
    if k == 0 || k > train.nrows() {
        return Err(MetricsError::BadNeighbourCount {
            k,
            n: train.nrows(),
        });
    }
    let n_classes = train_labels.iter().max().map_or(0, |m| m + 1);
    let mut out = Vec::with_capacity(query.nrows());
    let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
    for q in query.rows() {
        best.clear();
        for (t, &label) in train.rows().into_iter().zip(train_labels) {
            let d: f64 = t.iter().zip(q.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
            if best.len() < k || d < best[best.len() - 1].0 {
                let pos = best.partition_point(|&(bd, _)| bd <= d);
                best.insert(pos, (d, label));
                best.truncate(k);
            }
        }
        let mut counts = vec![0usize; n_classes];
        for &(_, c) in &best {
            counts[c] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(0);
        out.push(counts.iter().position(|&c| c == top).unwrap_or(0));
    }
    Ok(out)
}

/// Accuracy of [`knn_predict`] on (query, query_labels).
pub fn knn_accuracy(
    train: ArrayView2<f64>,
    train_labels: &[usize],
    query: ArrayView2<f64>,
    query_labels: &[usize],
    k: usize,
) -> Result<f64, MetricsError> {
    let pred = knn_predict(train, train_labels, query, k)?;
    if pred.len() != query_labels.len() {
        return Err(MetricsError::LengthMismatch {
            pred: pred.len(),
            truth: query_labels.len(),
        });
    }
    if pred.is_empty() {
        return Err(MetricsError::Empty);
    }
    let hits = pred
        .iter()
        .zip(query_labels)
        .filter(|(p, t)| p == t)
        .count();
    Ok(hits as f64 / pred.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn majority_of_the_nearest_with_ties_to_the_smaller_label() {
        let train = arr2(&[[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.1, 0.0], [5.2, 0.0]]);
        let labels = [0, 0, 1, 1, 1];
        let q = arr2(&[[0.05, 0.0], [4.9, 0.0], [2.5, 0.0]]);
        assert_eq!(
            knn_predict(train.view(), &labels, q.view(), 3).unwrap(),
            vec![0, 1, 0]
        );
        // k = 2 at (2.5, 0): nearest are 0.1 (label 0, 2.4 away) and 5.0 (label 1,
        // 2.5 away): one vote each, the smaller label wins.
        assert_eq!(
            knn_predict(train.view(), &labels, q.view(), 2).unwrap()[2],
            0
        );
        let acc = knn_accuracy(train.view(), &labels, q.view(), &[0, 1, 1], 3).unwrap();
        assert!((acc - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            knn_predict(train.view(), &labels, q.view(), 0),
            Err(MetricsError::BadNeighbourCount { k: 0, n: 5 })
        );
    }
}
