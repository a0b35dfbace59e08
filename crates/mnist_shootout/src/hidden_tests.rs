//! Hidden tests: run by `./dl grade`, left out of the student release. They
//! check the exercise on other values than the visible tests.

use crate::data::Split;
use crate::train::{train_mb, Optimizer, TrainParams};
use tch::{nn, Kind, Tensor};

#[test]
fn train_mb_steps_with_the_decayed_rate_and_averages_the_loss() {
    // The loss is the parameter w itself: every step moves w by −lr exactly,
    // so w after training tells which rates the optimiser really used.
    let split = Split::new(
        ndarray::Array2::from_shape_fn((10, 2), |(i, j)| (i * 2 + j) as f32),
        ndarray::Array1::from_shape_fn(10, |i| i % 2),
        tch::Device::Cpu,
    );
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let w = vs.root().zeros("w", &[1]);
    let loss_fn = |x: &Tensor, _: &Tensor| w.sum(Kind::Float) + x.sum(Kind::Float) * 0.0;
    let spec = TrainParams {
        epochs: 3,
        batch: 5,
        optim: Optimizer::Sgd,
        lr: 0.5,
        lambda: 0.0,
        gamma: Some(0.5),
    };
    let hist = train_mb(&vs, &split, &spec, "hidden", &loss_fn, |_, _| Ok(())).unwrap();
    // Two steps per epoch at 0.5, 0.25, 0.125.
    let end = w.double_value(&[0]);
    assert!((end - (-1.75)).abs() < 1e-6, "w = {end}, want −1.75");
    assert_eq!(hist.lr, [0.5, 0.25, 0.125]);
    // the epochs' training time is recorded (and only grows)
    assert!(hist.seconds > 0.0, "seconds {}", hist.seconds);
    // Each epoch's loss is the mean of its batches' losses (w before each step).
    let want = [-0.25, -1.125, -1.5625];
    for (k, (&got, want)) in hist.epoch_loss.iter().zip(want).enumerate() {
        assert!(
            (got - want).abs() < 1e-6,
            "epoch {}: loss {got}, want {want}",
            k + 1
        );
    }
}

#[test]
fn early_stopping_on_other_values_copies_every_variable() {
    use crate::train::EarlyStopping;
    let vs = nn::VarStore::new(tch::Device::Cpu);
    let w = vs.root().zeros("w", &[2]);
    // A buffer that is not trained, as batch norm's running mean is.
    let running = vs.root().zeros_no_train("running", &[1]);
    let put = |t: &Tensor, v: &[f32]| {
        tch::no_grad(|| {
            let mut t = t.shallow_clone();
            t.copy_(&Tensor::from_slice(v));
        })
    };
    let mut es = EarlyStopping::default();
    // Falling accuracy: the first epoch is the best.
    for (epoch, acc) in [(1, 0.9), (2, 0.8), (3, 0.85)] {
        put(&w, &[epoch as f32, -(epoch as f32)]);
        put(&running, &[10.0 * epoch as f32]);
        es.observe(epoch, acc, &vs);
    }
    assert_eq!(es.best(), Some((1, 0.9)));
    assert_eq!(es.accuracy, [0.9, 0.8, 0.85]);
    assert_eq!(es.restore_best().unwrap(), (1, 0.9));
    assert_eq!(Vec::<f32>::try_from(&w).unwrap(), [1.0, -1.0]);
    assert_eq!(running.double_value(&[0]), 10.0);
    // Restoring twice gives the same copy (it was not consumed or aliased).
    put(&w, &[7.0, 7.0]);
    es.restore_best().unwrap();
    assert_eq!(Vec::<f32>::try_from(&w).unwrap(), [1.0, -1.0]);
}
