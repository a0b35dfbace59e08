//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use crate::ovo::{class_pairs, votes};
use ndarray::arr2;

#[test]
fn votes_of_four_classes_and_pairs_in_any_order() {
    let pairs = class_pairs(4); // (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    let f = arr2(&[
        // → 1, 0, 3 (f = 0 votes for b), 1, 3, 2
        [0.3, -0.1, 0.0, -2.0, 1.0, -0.5],
        // every pair votes for its smaller class
        [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0],
    ]);
    assert_eq!(
        votes(f.view(), &pairs, 4),
        arr2(&[[1, 2, 1, 2], [3, 2, 1, 0]])
    );
    // The columns follow the pairs as given, whatever their order.
    let v = votes(
        arr2(&[[0.5, -0.5], [-3.0, 2.0]]).view(),
        &[(2, 3), (0, 1)],
        4,
    );
    assert_eq!(v, arr2(&[[1, 0, 0, 1], [0, 1, 1, 0]]));
}
