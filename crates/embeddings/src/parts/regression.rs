//! Part 3: regression onto a fixed random 2-D embedding of the three labels.
//!
//! Each label gets a point drawn from N(0, I₂) (`torch.randn(3, 2)`); a net
//! 4→100→100→2 is trained with MSE to output its flower's label point. A test
//! flower is then classified by the nearest label point.
//! Course protocol: the notebook's network (no activation after the second
//! layer), SGD lr 0.01, 1,000 epochs. Numbers: labs/embeddings.md.

use rand::rngs::StdRng;
use serde::Serialize;
use tch::{nn::VarStore, Device, Tensor};

use crate::iris::IrisBatch;
use crate::loss::{clip_to_labels, lookup, mae, mse, nearest_label};
use crate::net::{
    chunk_mean, fit, member_mean, member_rngs, per_member, per_seed, relu_after, std_normal, Mlp,
};
use crate::params::{rng_for, TrainParams, LOG_EVERY};
use crate::parts::{labels_by_seed, rows};
use crate::EmbeddingsError;

/// The regression net's layer sizes.
pub const SIZES: [usize; 4] = [4, 100, 100, 2];
/// The random stream of the label embedding (shared by parts 3 and 4).
pub const LABEL_STREAM: u64 = 1;
/// The random stream of this part's initial weights.
pub const STREAM: u64 = 3;

/// The fixed label embedding of each seed: S × 3 × 2 draws from N(0, 1).
pub fn label_embedding(seeds: &[u64], device: Device) -> Tensor {
    let mut rngs: Vec<StdRng> = seeds.iter().map(|&s| rng_for(s, LABEL_STREAM)).collect();
    per_seed(&mut rngs, &[3, 2], device, std_normal)
}

/// What part 3 measures on one seed (test set unless named otherwise).
#[derive(Debug, Clone, Serialize)]
pub struct RegressionRun {
    pub seed: u64,
    /// Mean |prediction − label point| over test flowers and both coordinates.
    pub mae: f64,
    /// Accuracy of "the nearest label point is the class".
    pub nearest_accuracy: f64,
    pub confusion: Vec<Vec<usize>>,
    pub train_mae: f64,
    pub final_loss: f64,
    /// The loss at the course's print schedule (step, loss).
    pub loss_log: Vec<(usize, f64)>,
    /// The label points (3 × 2).
    pub label_embedding: Vec<Vec<f64>>,
    /// Test predictions (N × 2), for the plots.
    #[serde(skip)]
    pub predictions: Vec<Vec<f64>>,
}

/// Trains one regression net per seed of `data` and scores each on its test flowers.
/// With `clip`, predictions are clipped to the label points' range ([`clip_to_labels`]).
pub fn run(
    data: &IrisBatch,
    spec: &TrainParams,
    clip: bool,
) -> Result<Vec<RegressionRun>, EmbeddingsError> {
    let device = data.device();
    let table = label_embedding(&data.seeds, device);
    let target = lookup(&table, &data.y_train);
    let k = spec.ensemble;
    let mut rngs = member_rngs(&data.seeds, STREAM, k);
    let vs = VarStore::new(device);
    let net = Mlp::new(
        &vs.root(),
        &SIZES,
        &relu_after(spec.hidden, SIZES.len() - 1, false),
        &mut rngs,
    )?;
    let member_target = per_member(&target, k);
    let fitted = fit(
        &vs,
        spec,
        &per_member(&data.x_train, k),
        &mut rngs,
        "the MSE regression",
        |x| mse(&net.forward(x), &member_target),
    )?;
    // an ensemble averages its members' predictions
    let predict = |x: &Tensor| {
        tch::no_grad(|| {
            let p = member_mean(&net.forward(&per_member(x, k)), k);
            if clip {
                clip_to_labels(&p, &table)
            } else {
                p
            }
        })
    };
    let pred = predict(&data.x_test);
    let test_mae = mae(&pred, &lookup(&table, &data.y_test))?;
    let train_mae = mae(&predict(&data.x_train), &target)?;
    let nearest = labels_by_seed(&nearest_label(&pred, &table))?;
    let final_loss = chunk_mean(fitted.final_loss()?, k);
    let mut runs = Vec::new();
    for (s, &seed) in data.seeds.iter().enumerate() {
        let perf = metrics::eval_perf_multi(&nearest[s], &data.labels_test[s], Some(3))?;
        let i = s as i64;
        runs.push(RegressionRun {
            seed,
            mae: test_mae[s],
            nearest_accuracy: perf.accuracy,
            confusion: perf.confusion,
            train_mae: train_mae[s],
            final_loss: final_loss[s],
            loss_log: fitted.course_log(s, k, LOG_EVERY),
            label_embedding: rows(&table.get(i))?,
            predictions: rows(&pred.get(i))?,
        });
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Protocol;

    #[test]
    fn course_regression_on_seeds_100_and_101() {
        tch::set_num_threads(1);
        let data = IrisBatch::new(&[100, 101], 0.2, false, false, Device::Cpu).unwrap();
        let runs = run(&data, &Protocol::course().regression, false).unwrap();
        // Measured: MAE 0.129 / 0.167, nearest-point accuracy 0.992 / 0.967.
        assert!(
            runs[0].mae < 0.15 && runs[1].mae < 0.2,
            "{} {}",
            runs[0].mae,
            runs[1].mae
        );
        assert!(runs[0].nearest_accuracy >= 0.96 && runs[1].nearest_accuracy >= 0.95);
        assert_eq!(runs[0].label_embedding.len(), 3);
        assert_eq!(runs[0].predictions.len(), 120);
        // the label points are a seed's own: parts 3 and 4 share them
        let again = label_embedding(&[101], Device::Cpu);
        assert_eq!(rows(&again.get(0)).unwrap(), runs[1].label_embedding);
    }

    #[test]
    fn an_ensemble_of_one_is_the_plain_net_and_larger_ones_average() {
        tch::set_num_threads(1);
        let data = IrisBatch::new(&[100, 101], 0.2, false, false, Device::Cpu).unwrap();
        let mut spec = TrainParams::new(crate::params::Optimizer::Adam, 1e-3, 0.0, 200);
        let plain = run(&data, &spec, false).unwrap();
        spec.ensemble = 1;
        assert_eq!(run(&data, &spec, false).unwrap()[1].mae, plain[1].mae);
        spec.ensemble = 3;
        let ens = run(&data, &spec, false).unwrap();
        assert_eq!(ens.len(), 2, "one result per seed");
        assert_eq!(ens[0].predictions.len(), 120);
        assert_ne!(ens[0].mae, plain[0].mae);
        // Measured (200 Adam epochs, seeds 100 and 101): MAE 0.105 / 0.129 with
        // one net, 0.108 / 0.134 with three; nearest-point accuracy 0.967 / 0.975.
        assert!(ens
            .iter()
            .all(|r| r.mae < 0.16 && r.nearest_accuracy > 0.95));
    }

    #[test]
    fn clipping_never_increases_the_error() {
        tch::set_num_threads(1);
        let data = IrisBatch::new(&[102], 0.2, false, false, Device::Cpu).unwrap();
        let spec = TrainParams::new(crate::params::Optimizer::Adam, 1e-3, 0.0, 300);
        let plain = run(&data, &spec, false).unwrap();
        let clipped = run(&data, &spec, true).unwrap();
        assert!(clipped[0].mae <= plain[0].mae + 1e-12);
    }
}
