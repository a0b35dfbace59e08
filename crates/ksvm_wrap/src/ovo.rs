//! One-vs-one voting: C classes give C·(C−1)/2 binary SVMs, one per pair of
//! classes `a < b`; each pair's decision value `f_ab(x) ≥ 0` is a vote for `b`,
//! otherwise a vote for `a`. The class with the most votes wins (scikit-learn's
//! `SVC` does the same); a tie goes to the larger sum of decision values in
//! favour of each tied class (`+f` for `b`, `−f` for `a`), then to the smaller label.

use ndarray::{Array2, ArrayView2};

/// The pairs `(a, b)`, a < b, of `k` class indices, in the order the SVMs are trained.
pub fn class_pairs(k: usize) -> Vec<(usize, usize)> {
    (0..k)
        .flat_map(|a| (a + 1..k).map(move |b| (a, b)))
        .collect()
}

/// The votes every class gets: N × k counts from the N × P decision values
/// `f` of the class-index pairs `pairs`.
pub fn votes(f: ArrayView2<f64>, pairs: &[(usize, usize)], k: usize) -> Array2<usize> {
    let mut votes = Array2::<usize>::zeros((f.nrows(), k));
    for (p, &(a, b)) in pairs.iter().enumerate() {
        for (i, &v) in f.column(p).iter().enumerate() {
            votes[[i, if v >= 0.0 { b } else { a }]] += 1;
        }
    }
    votes
}

/// Votes turned into per-class scores, N × k: `votes_k + σ_k / (3·(|σ_k| + 1))`,
/// where σ_k sums the decision values in favour of class k. The second term lies
/// in (−⅓, ⅓), so it only orders classes with equal votes: the first arg-max of
/// a row is the one-vs-one prediction.
pub fn ovo_scores(f: ArrayView2<f64>, pairs: &[(usize, usize)], k: usize) -> Array2<f64> {
    let mut conf = Array2::<f64>::zeros((f.nrows(), k));
    for (p, &(a, b)) in pairs.iter().enumerate() {
        for (i, &v) in f.column(p).iter().enumerate() {
            conf[[i, b]] += v;
            conf[[i, a]] -= v;
        }
    }
    votes(f, pairs, k).mapv(|v| v as f64) + conf.mapv(|s| s / (3.0 * (s.abs() + 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::argmax;
    use ndarray::arr2;

    #[test]
    fn pairs_of_four_classes() {
        assert_eq!(
            class_pairs(4),
            [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        );
        assert!(class_pairs(1).is_empty());
    }

    #[test]
    fn each_pair_votes_once() {
        // Pairs (0,1), (0,2), (1,2). f = [+0.5, −0.2, +0.1]: votes for 1, 0, 2.
        let pairs = class_pairs(3);
        let v = votes(
            arr2(&[[0.5, -0.2, 0.1], [-1.0, -1.0, 3.0]]).view(),
            &pairs,
            3,
        );
        assert_eq!(v, arr2(&[[1, 1, 1], [2, 0, 1]]));
        // f = 0 exactly is a vote for the positive class b.
        let v = votes(arr2(&[[0.0]]).view(), &[(0, 1)], 2);
        assert_eq!(v, arr2(&[[0, 1]]));
    }

    #[test]
    fn vote_ties_go_to_the_larger_summed_decision_value() {
        // Three classes, one vote each. Summed decision values in favour of each class:
        // class 0: −0.5 + 0.2 = −0.3; class 1: 0.5 − 0.1 = 0.4; class 2: −0.2 + 0.1 = −0.1.
        let pairs = class_pairs(3);
        let s = ovo_scores(arr2(&[[0.5, -0.2, 0.1]]).view(), &pairs, 3);
        assert_eq!(argmax(s.row(0)), 1);
        let squash = |v: f64| v / (3.0 * (v.abs() + 1.0));
        assert!((s[[0, 0]] - (1.0 + squash(-0.3))).abs() < 1e-12);
        // More votes always win over a larger summed value: class 0 gets two
        // votes with tiny margins, class 2 one with a huge one.
        let s = ovo_scores(arr2(&[[-0.01, -0.01, 50.0]]).view(), &pairs, 3);
        assert_eq!(argmax(s.row(0)), 0);
    }

    #[test]
    fn votes_of_four_classes_and_pairs_in_any_order() {
        let pairs = class_pairs(4); // (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
        let f = ndarray::arr2(&[
            // → 1, 0, 3 (f = 0 votes for b), 1, 3, 2
            [0.3, -0.1, 0.0, -2.0, 1.0, -0.5],
            // every pair votes for its smaller class
            [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
        ]);
        assert_eq!(
            votes(f.view(), &pairs, 4),
            ndarray::arr2(&[[1, 2, 1, 2], [3, 2, 1, 0]])
        );
        // The columns follow the pairs as given, whatever their order.
        let v = votes(
            ndarray::arr2(&[[0.5, -0.5], [-3.0, 2.0]]).view(),
            &[(2, 3), (0, 1)],
            4,
        );
        assert_eq!(v, ndarray::arr2(&[[1, 0, 0, 1], [0, 1, 1, 0]]));
    }
}
