//! The predicted class of a row of scores or probabilities.

use ndarray::{ArrayView1, ArrayView2};

/// Index of the largest value; the first one on ties, NaN never wins.
/// An empty row gives 0.
pub fn argmax(row: ArrayView1<f64>) -> usize {
    let mut best = 0;
    let mut best_value = f64::NEG_INFINITY;
    for (i, &v) in row.iter().enumerate() {
        if v > best_value {
            best = i;
            best_value = v;
        }
    }
    best
}

/// The predicted class of every row of P (N × C).
pub fn argmax_rows(p: ArrayView2<f64>) -> Vec<usize> {
    p.rows().into_iter().map(argmax).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2};

    #[test]
    fn first_maximum_wins_and_nan_never_does() {
        assert_eq!(argmax(arr1(&[0.1, 0.7, 0.2]).view()), 1);
        assert_eq!(argmax(arr1(&[0.5, 0.2, 0.5]).view()), 0, "first on ties");
        assert_eq!(argmax(arr1(&[f64::NAN, -3.0, -4.0]).view()), 1);
        assert_eq!(argmax(arr1(&[f64::NEG_INFINITY, -1e300]).view()), 1);
        let p = arr2(&[[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]);
        assert_eq!(argmax_rows(p.view()), vec![1, 0, 0]);
    }
}
