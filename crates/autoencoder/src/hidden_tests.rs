//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercises on other values than the visible tests.

use crate::ncm::{class_means, predict};
use ndarray::arr2;
use tch::Tensor;

#[test]
fn ncm_on_other_values_uses_euclidean_distance() {
    // Class means (0, 0), (3, 1) and (−5, 5), from rows in mixed order.
    let x = arr2(&[
        [3.0f32, 1.0],
        [-1.0, 0.5],
        [-6.0, 4.0],
        [1.0, -0.5],
        [-4.0, 6.0],
        [0.0, 0.0],
    ]);
    let y = [1, 0, 2, 0, 2, 0];
    let m = class_means(x.view(), &y, 3).unwrap();
    let want = arr2(&[[0.0, 0.0], [3.0, 1.0], [-5.0, 5.0]]);
    assert!((&m - &want).iter().all(|d| d.abs() < 1e-12), "means {m}");
    // (1.9, −0.5) is nearer (3, 1) in Euclidean distance (3.46 < 3.86, squared)
    // but nearer (0, 0) in L1 (2.4 < 2.6).
    let test = arr2(&[[1.9f32, -0.5], [-2.0, 2.0], [-4.9, 4.9]]);
    assert_eq!(predict(m.view(), test.view()), vec![1, 0, 2]);
}

#[test]
fn the_model_by_hand_from_its_named_layers() {
    use crate::model::Autoencoder;
    use tch::{nn::VarStore, Device, Kind};
    let vs = VarStore::new(Device::Cpu);
    let ae = torch_util::with_seed(2, || Autoencoder::new(&vs.root()));
    let v = vs.variables();
    let shapes = [
        ("enc1", [1000, 784]),
        ("enc2", [25, 1000]),
        ("enc3", [50, 25]),
        ("dec1", [1000, 50]),
        ("dec2", [784, 1000]),
    ];
    assert_eq!(v.len(), 10, "{:?}", v.keys());
    for (name, shape) in shapes {
        assert_eq!(v[&format!("{name}.weight")].size(), shape, "{name}");
    }
    let lin = |x: &Tensor, name: &str| {
        x.matmul(&v[&format!("{name}.weight")].tr()) + &v[&format!("{name}.bias")]
    };
    let x = torch_util::with_seed(5, || Tensor::rand([5, 784], (Kind::Float, Device::Cpu)));
    let z = lin(&lin(&lin(&x, "enc1").relu(), "enc2").relu(), "enc3");
    let xhat = lin(&lin(&z.relu(), "dec1").relu(), "dec2");
    let gap = |a: &Tensor, b: &Tensor| (a - b).abs().max().double_value(&[]);
    assert!(gap(&ae.encode(&x), &z) < 1e-5, "encode");
    assert!(gap(&ae.decode(&z), &xhat) < 1e-5, "decode");
    let (z2, xhat2) = ae.forward(&x);
    assert!(gap(&z2, &z) < 1e-5 && gap(&xhat2, &xhat) < 1e-5, "forward");
    // Codes may be negative: no activation after the last encoder layer.
    assert!(z.min().double_value(&[]) < 0.0);
}

#[test]
fn two_epochs_by_hand() {
    use crate::config::{TrainParams, Variant};
    use crate::loss::reconstruction;
    use crate::train::{epoch_rng, TrainData, Trainer};
    use rand::seq::SliceRandom;
    use tch::{Device, Kind};
    let cfg = TrainParams {
        epochs: 2,
        batch_size: 24,
        n_train: 50,
        ..TrainParams::default()
    };
    let data = TrainData {
        x: torch_util::with_seed(50, || Tensor::rand([50, 784], (Kind::Float, Device::Cpu))),
        labels: (0..50).map(|i| i % 10).collect(),
    };
    let mut t = Trainer::new(cfg, Variant::Plain, 3, Device::Cpu);
    let mut r = Trainer::new(cfg, Variant::Plain, 3, Device::Cpu);
    r.vs.copy(&t.vs).unwrap();
    for epoch in 1..=2 {
        let got = t.run_epoch(&data).unwrap();
        let mut order: Vec<i64> = (0..50).collect();
        order.shuffle(&mut epoch_rng(3, epoch));
        let mut sum = 0.0;
        for chunk in order.chunks(24) {
            let xb = data.x.index_select(0, &Tensor::from_slice(chunk));
            let (_, xhat) = r.model.forward(&xb);
            let mse = reconstruction(&xhat, &xb);
            sum += mse.double_value(&[]) * chunk.len() as f64;
            r.adam.zero_grad().unwrap();
            mse.backward();
            r.adam.step().unwrap();
        }
        assert_eq!(got.epoch, epoch);
        assert_eq!(t.epoch, epoch);
        assert!(
            (got.mse - sum / 50.0).abs() < 1e-6,
            "epoch {epoch}: mse {} vs {}",
            got.mse,
            sum / 50.0
        );
        assert_eq!(got.contrastive, 0.0);
        assert!((got.total - got.mse).abs() < 1e-12);
        let theirs = r.vs.variables();
        for (name, v) in t.vs.variables() {
            let d = (&v - &theirs[&name]).abs().max().double_value(&[]);
            assert!(d < 1e-5, "epoch {epoch}: {name} differs by {d}");
        }
    }
    assert_eq!(t.losses.len(), 2);
}

/// An epoch of the contrastive variant, replayed by hand: the same order,
/// the same pair draws from the epoch's generator after the shuffle, loss =
/// MSE + the contrastive term (unscaled), the epoch's means over the images.
#[test]
fn a_contrastive_epoch_by_hand() {
    use crate::config::{PairRule, TrainParams, Variant};
    use crate::loss::{contrastive, reconstruction};
    use crate::train::{epoch_rng, pick_pair, TrainData, Trainer};
    use rand::seq::SliceRandom;
    use tch::{Device, Kind};
    for rule in [PairRule::Course, PairRule::Present] {
        let cfg = TrainParams {
            epochs: 2,
            batch_size: 16,
            n_train: 60,
            tau: 0.4,
            pair_rule: rule,
            ..TrainParams::default()
        };
        // three digits only, so that the course's rule finds pairs often
        let data = TrainData {
            x: torch_util::with_seed(60, || Tensor::rand([60, 784], (Kind::Float, Device::Cpu))),
            labels: (0..60).map(|i| [2, 5, 7][i % 3]).collect(),
        };
        let mut t = Trainer::new(cfg, Variant::Contrastive, 4, Device::Cpu);
        let mut r = Trainer::new(cfg, Variant::Contrastive, 4, Device::Cpu);
        r.vs.copy(&t.vs).unwrap();
        let mut terms = 0;
        for epoch in 1..=2 {
            let got = t.run_epoch(&data).unwrap();
            let mut rng = epoch_rng(4, epoch);
            let mut order: Vec<i64> = (0..60).collect();
            order.shuffle(&mut rng);
            let (mut sum_mse, mut sum_con) = (0.0, 0.0);
            for chunk in order.chunks(16) {
                let xb = data.x.index_select(0, &Tensor::from_slice(chunk));
                let (z, xhat) = r.model.forward(&xb);
                let mse = reconstruction(&xhat, &xb);
                let mut loss = mse.shallow_clone();
                if let Some((a, b)) = pick_pair(chunk, &data.labels, rule, &mut rng) {
                    let rows = |p: &[i64]| z.index_select(0, &Tensor::from_slice(p));
                    let c = contrastive(&rows(&a), &rows(&b), 0.4);
                    sum_con += c.double_value(&[]) * chunk.len() as f64;
                    loss = &mse + &c;
                    terms += 1;
                }
                sum_mse += mse.double_value(&[]) * chunk.len() as f64;
                r.adam.zero_grad().unwrap();
                loss.backward();
                r.adam.step().unwrap();
            }
            let (mse, con) = (sum_mse / 60.0, sum_con / 60.0);
            assert!(
                (got.mse - mse).abs() < 1e-6,
                "{rule:?} epoch {epoch}: mse {} vs {mse}",
                got.mse
            );
            assert!(
                (got.contrastive - con).abs() < 1e-6,
                "{rule:?} epoch {epoch}: contrastive {} vs {con}",
                got.contrastive
            );
            assert!((got.total - (mse + con)).abs() < 1e-6);
            let theirs = r.vs.variables();
            for (name, v) in t.vs.variables() {
                let d = (&v - &theirs[&name]).abs().max().double_value(&[]);
                assert!(d < 1e-5, "{rule:?} epoch {epoch}: {name} differs by {d}");
            }
        }
        assert!(terms > 0, "{rule:?}: no batch had a contrastive term");
    }
}

#[test]
fn pairs_are_drawn_uniformly_and_point_into_the_batch() {
    use crate::config::PairRule;
    use crate::train::{epoch_rng, pick_pair};
    // Batch of image indices 10..16 with digits 4, 1, 4, 9, 1, 4.
    let mut labels = vec![0usize; 16];
    for (i, d) in [(10, 4), (11, 1), (12, 4), (13, 9), (14, 1), (15, 4)] {
        labels[i] = d;
    }
    let batch = [10i64, 11, 12, 13, 14, 15];
    let positions = |d: usize| -> Vec<i64> {
        (0..6)
            .filter(|&p| labels[batch[p] as usize] == d)
            .map(|p| p as i64)
            .collect()
    };
    let mut rng = epoch_rng(5, 2);
    let mut first = std::collections::BTreeMap::new();
    let mut pairs = std::collections::BTreeMap::new();
    for _ in 0..3000 {
        let (a, b) = pick_pair(&batch, &labels, PairRule::Present, &mut rng).unwrap();
        let (da, db) = (
            labels[batch[a[0] as usize] as usize],
            labels[batch[b[0] as usize] as usize],
        );
        assert_ne!(da, db);
        assert_eq!(a, positions(da));
        assert_eq!(b, positions(db));
        *first.entry(da).or_insert(0usize) += 1;
        *pairs.entry((da, db)).or_insert(0usize) += 1;
    }
    // Three digits present: each first a third of the time, each ordered pair a sixth.
    for d in [1, 4, 9] {
        let f = first[&d] as f64 / 3000.0;
        assert!((f - 1.0 / 3.0).abs() < 0.04, "digit {d} first {f}");
    }
    assert_eq!(pairs.len(), 6);
    for (&p, &n) in &pairs {
        let f = n as f64 / 3000.0;
        assert!((f - 1.0 / 6.0).abs() < 0.04, "pair {p:?}: {f}");
    }
    // Two digits present (4 and 1 only) are enough for a pair; one is not.
    let two = [10i64, 11, 12, 14];
    for _ in 0..20 {
        let (a, b) = pick_pair(&two, &labels, PairRule::Present, &mut rng)
            .expect("two digits in the batch give a pair");
        let da = labels[two[a[0] as usize] as usize];
        assert!(da == 4 || da == 1, "{da}");
        assert_eq!(a.len() + b.len(), 4, "every image of the two digits");
    }
    assert!(pick_pair(&[10, 12, 15], &labels, PairRule::Present, &mut rng).is_none());
    // The course's rule: (a1, a2) uniform over 0–9 × 0–9; only the 9
    // ordered pairs of present digits (equal ones included) give a term.
    let mut rng = epoch_rng(6, 3);
    let mut course = std::collections::BTreeMap::new();
    let draws = 30_000;
    for _ in 0..draws {
        if let Some((a, b)) = pick_pair(&batch, &labels, PairRule::Course, &mut rng) {
            let (da, db) = (
                labels[batch[a[0] as usize] as usize],
                labels[batch[b[0] as usize] as usize],
            );
            assert_eq!(a, positions(da));
            assert_eq!(b, positions(db));
            *course.entry((da, db)).or_insert(0usize) += 1;
        }
    }
    assert_eq!(course.len(), 9, "{course:?}");
    for (&p, &n) in &course {
        let f = n as f64 / draws as f64;
        assert!((f - 0.01).abs() < 0.003, "pair {p:?}: {f}");
    }
}

#[test]
fn the_contrastive_term_of_a_batch_by_hand() {
    use crate::config::{PairRule, TrainParams, Variant};
    use crate::loss::contrastive;
    use crate::train::{epoch_rng, pick_pair, Trainer};
    use tch::{Device, Kind};
    let labels = [2usize, 7, 2, 5, 7, 7];
    let batch = [5i64, 3, 0, 1];
    let z = torch_util::with_seed(4, || Tensor::randn([4, 6], (Kind::Float, Device::Cpu)));
    for rule in [PairRule::Present, PairRule::Course] {
        let cfg = TrainParams {
            tau: 0.3,
            pair_rule: rule,
            ..TrainParams::default()
        };
        let t = Trainer::new(cfg, Variant::Contrastive, 1, Device::Cpu);
        let mut with_term = 0;
        for round in 0..400 {
            let got = t.contrastive_term(&z, &batch, &labels, &mut epoch_rng(round, 1));
            let pair = pick_pair(&batch, &labels, rule, &mut epoch_rng(round, 1));
            match (got, pair) {
                (Some(got), Some((a, b))) => {
                    with_term += 1;
                    let rows = |p: &[i64]| z.index_select(0, &Tensor::from_slice(p));
                    let want = contrastive(&rows(&a), &rows(&b), 0.3).double_value(&[]);
                    let got = got.double_value(&[]);
                    assert!(
                        (got - want).abs() < 1e-6,
                        "{rule:?} round {round}: {got} vs {want}"
                    );
                }
                (None, None) => {}
                (g, p) => panic!(
                    "{rule:?} round {round}: term {:?} but pair {p:?}",
                    g.is_some()
                ),
            }
        }
        assert!(with_term > 0, "{rule:?}: no round with a term");
        if rule == PairRule::Present {
            assert_eq!(with_term, 400);
        }
    }
    let t = Trainer::new(
        TrainParams {
            pair_rule: PairRule::Present,
            ..TrainParams::default()
        },
        Variant::Contrastive,
        1,
        Device::Cpu,
    );
    assert!(t
        .contrastive_term(&z, &[1, 4], &labels, &mut epoch_rng(0, 1))
        .is_none());
}
