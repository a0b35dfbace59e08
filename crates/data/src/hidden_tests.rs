//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use ndarray::{arr2, s, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::toy::*;

#[test]
fn gmm_draws_each_component_then_its_class_then_its_points() {
    let (k, c, n) = (5, 3, 4);
    let (x, y) = sample_gmm_2d(k, c, n, &mut ChaCha8Rng::seed_from_u64(11)).unwrap();
    let mut again = ChaCha8Rng::seed_from_u64(11);
    for i in 0..k {
        let g = Random2dGaussian::random(&mut again);
        let class = again.gen_range(0..c);
        let points = g.sample(n, &mut again);
        assert_eq!(x.slice(s![i * n..(i + 1) * n, ..]), points, "component {i}");
        assert!(
            y.slice(s![i * n..(i + 1) * n]).iter().all(|&l| l == class),
            "component {i}: labels {:?}, want all {class}",
            y.slice(s![i * n..(i + 1) * n])
        );
    }
}

#[test]
fn gmm_classes_are_drawn_from_zero_to_c_minus_one() {
    // 40 components and 3 classes: every class shows up, none above 2.
    let (x, y) = sample_gmm_2d(40, 3, 2, &mut ChaCha8Rng::seed_from_u64(5)).unwrap();
    assert_eq!(x.dim(), (80, 2));
    assert_eq!(y.len(), 80);
    for class in 0..3 {
        assert!(y.iter().any(|&l| l == class), "class {class} never drawn");
    }
    assert!(y.iter().all(|&l| l < 3), "{y:?}");
    assert_eq!(
        sample_gmm_2d(3, 4, 1, &mut ChaCha8Rng::seed_from_u64(0)),
        Err(DataError::FewerComponentsThanClasses { k: 3, c: 4 })
    );
}

#[test]
fn onehot_on_other_values() {
    let want: Array2<f64> = arr2(&[[0., 1., 0., 0.], [0., 0., 0., 1.], [0., 1., 0., 0.]]);
    // C is max + 1 (class 2 and class 0 are absent, they still get columns).
    assert_eq!(class_to_onehot(&[1, 3, 1], None).unwrap(), want);
    let wide = class_to_onehot(&[0, 2], Some(5)).unwrap();
    assert_eq!(wide.dim(), (2, 5));
    assert_eq!(wide.sum(), 2.0);
    assert_eq!(wide[[1, 2]], 1.0);
    assert_eq!(
        class_to_onehot(&[4, 1, 7], Some(5)),
        Err(DataError::LabelOutOfRange {
            index: 2,
            label: 7,
            n_classes: 5
        })
    );
}
