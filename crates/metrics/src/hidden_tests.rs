//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests, so a body
//! tuned to the visible numbers does not pass them.

use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn binary_on_other_values() {
    // TP at 1, 3, 5; FP at 2; TN at 0, 7; FN at 4, 6.
    let y = [0, 1, 1, 1, 0, 1, 0, 0];
    let t = [0, 1, 0, 1, 1, 1, 1, 0];
    let p = eval_perf_binary(&y, &t).unwrap();
    assert!(close(p.accuracy, 5.0 / 8.0), "{p:?}");
    assert!(close(p.precision, 3.0 / 4.0), "{p:?}");
    assert!(close(p.recall, 3.0 / 5.0), "{p:?}");
    // Precision and recall are not symmetric in the two classes.
    let q = eval_perf_binary(&[1, 1, 1, 0], &[1, 0, 0, 0]).unwrap();
    assert!(
        close(q.precision, 1.0 / 3.0) && close(q.recall, 1.0) && close(q.accuracy, 0.5),
        "{q:?}"
    );
    assert_eq!(
        eval_perf_binary(&[0, 1, 3], &[0, 1, 1]),
        Err(MetricsError::NotBinary { label: 3 })
    );
}

#[test]
fn multi_on_other_values() {
    // 4 classes, class 3 declared but absent; rows = true, columns = predicted.
    let t = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0];
    let y = [1, 0, 1, 1, 2, 2, 0, 2, 2, 0];
    let p = eval_perf_multi(&y, &t, Some(4)).unwrap();
    assert_eq!(
        p.confusion,
        vec![
            vec![2, 1, 0, 0],
            vec![0, 2, 1, 0],
            vec![1, 0, 3, 0],
            vec![0, 0, 0, 0]
        ]
    );
    assert!(close(p.accuracy, 7.0 / 10.0));
    let want_p = [2.0 / 3.0, 2.0 / 3.0, 3.0 / 4.0, 0.0];
    let want_r = [2.0 / 3.0, 2.0 / 3.0, 3.0 / 4.0, 0.0];
    for c in 0..4 {
        assert!(
            close(p.precision[c], want_p[c]),
            "precision {c}: {:?}",
            p.precision
        );
        assert!(close(p.recall[c], want_r[c]), "recall {c}: {:?}", p.recall);
    }
    assert_eq!(p.support, vec![3, 3, 4, 0]);
    // Without C, it is the largest label of either list plus one: class 2
    // occurs only in the truth here.
    let q = eval_perf_multi(&[0, 1, 0], &[0, 2, 1], None).unwrap();
    assert_eq!(q.confusion.len(), 3, "{:?}", q.confusion);
    assert_eq!(q.support, vec![1, 1, 1]);
    assert!(close(
        p.macro_precision,
        (2.0 / 3.0 + 2.0 / 3.0 + 0.75) / 4.0
    ));
    assert!(close(p.micro_recall, 0.7) && close(p.micro_precision, 0.7));
    // Without n_classes: one more than the largest label seen in either list.
    let q = eval_perf_multi(&[4, 0], &[0, 0], None).unwrap();
    assert_eq!(q.confusion.len(), 5);
    assert!(close(q.precision[0], 1.0) && close(q.recall[0], 0.5));
}

#[test]
fn ap_on_other_values() {
    // By increasing score: 1 0 1 1 0 0 1. Positives at i = 0, 2, 3, 6 with
    // 4, 3, 2, 1 positives in the last 7, 5, 4, 1 items.
    let ranked = [true, false, true, true, false, false, true];
    let want = (4.0 / 7.0 + 3.0 / 5.0 + 2.0 / 4.0 + 1.0 / 1.0) / 4.0;
    let ap = eval_ap(&ranked).unwrap();
    assert!(close(ap, want), "{ap} vs {want}");
    // A single positive at the top of the ranking: precision 1.
    assert!(close(eval_ap(&[false, false, false, true]).unwrap(), 1.0));
    // … and at the bottom: precision 1/4.
    assert!(close(eval_ap(&[true, false, false, false]).unwrap(), 0.25));
    assert_eq!(eval_ap(&[false]), Err(MetricsError::NoPositives));
}
