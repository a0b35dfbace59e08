//! Part 2: the Iris classifier 4→100→100→3 (ReLU), cross-entropy.
//!
//! Course protocol: SGD lr 0.01, 1,000 whole-batch epochs on 30 flowers.
//! The notebook's single split gave 0.983 test accuracy; the same protocol over
//! 10 seeded splits in PyTorch gives 0.958 ± 0.018. Here, seeds 100–109:
//! 0.952 ± 0.024 (seed 100: 0.942); improved protocol 0.968 ± 0.012.

use serde::Serialize;
use tch::{nn::VarStore, Kind, Tensor};

use crate::iris::IrisBatch;
use crate::net::{chunk_mean, fit, member_mean, member_rngs, per_member, Mlp};
use crate::params::TrainSpec;
use crate::EmbeddingsError;

/// The classifier's layer sizes.
pub const SIZES: [usize; 4] = [4, 100, 100, 3];
/// The random stream of this part's initial weights.
pub const STREAM: u64 = 2;

/// What part 2 measures on one seed (test set unless named otherwise).
#[derive(Debug, Clone, Serialize)]
pub struct ClassifierRun {
    pub seed: u64,
    pub accuracy: f64,
    pub macro_precision: f64,
    pub macro_recall: f64,
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    /// Rows true class, columns predicted.
    pub confusion: Vec<Vec<usize>>,
    pub train_accuracy: f64,
    pub final_loss: f64,
    /// Training flowers of each class in this split.
    pub train_counts: [usize; 3],
}

/// Class indices S × N (any integer kind) as one label list per seed.
pub fn labels_by_seed(t: &Tensor) -> Result<Vec<Vec<usize>>, EmbeddingsError> {
    let n = t.size().last().copied().unwrap_or(0).max(1) as usize;
    let flat = torch_util::to_labels(t)?;
    Ok(flat.chunks(n).map(<[usize]>::to_vec).collect())
}

/// Per-seed mean cross-entropy of logits S × N × C against labels S × N.
pub fn cross_entropy(logits: &Tensor, y: &Tensor) -> Tensor {
    // exercise(embeddings.classifier) begin
    -logits
        .log_softmax(-1, Kind::Float)
        .gather(2, &y.unsqueeze(-1), false)
        .squeeze_dim(-1)
        .mean_dim([1i64].as_slice(), false, Kind::Float)
    // exercise(embeddings.classifier) end
}

/// Trains one classifier per seed of `data` and scores each on its test flowers.
pub fn run(data: &IrisBatch, spec: &TrainSpec) -> Result<Vec<ClassifierRun>, EmbeddingsError> {
    let k = spec.ensemble;
    let mut rngs = member_rngs(&data.seeds, STREAM, k);
    let vs = VarStore::new(data.device());
    let net = Mlp::new(&vs.root(), &SIZES, false, &mut rngs)?;
    let y_train = per_member(&data.y_train, k);
    let fitted = fit(
        &vs,
        spec,
        &per_member(&data.x_train, k),
        &mut rngs,
        "the classifier",
        |x| cross_entropy(&net.forward(x), &y_train),
    )?;
    // an ensemble averages its members' class probabilities
    let predict = |x: &Tensor| {
        tch::no_grad(|| {
            let p = net.forward(&per_member(x, k)).softmax(-1, Kind::Float);
            member_mean(&p, k).argmax(-1, false)
        })
    };
    let pred = labels_by_seed(&predict(&data.x_test))?;
    let pred_train = labels_by_seed(&predict(&data.x_train))?;
    let final_loss = chunk_mean(fitted.final_loss()?, k);
    let counts = data.train_counts();
    let mut runs = Vec::new();
    for (s, &seed) in data.seeds.iter().enumerate() {
        let perf = metrics::eval_perf_multi(&pred[s], &data.labels_test[s], Some(3))?;
        let train = metrics::eval_perf_multi(&pred_train[s], &data.labels_train[s], Some(3))?;
        runs.push(ClassifierRun {
            seed,
            accuracy: perf.accuracy,
            macro_precision: perf.macro_precision,
            macro_recall: perf.macro_recall,
            micro_precision: perf.micro_precision,
            micro_recall: perf.micro_recall,
            precision: perf.precision,
            recall: perf.recall,
            confusion: perf.confusion,
            train_accuracy: train.accuracy,
            final_loss: final_loss[s],
            train_counts: counts[s],
        });
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Protocol;

    #[test]
    fn course_classifier_on_seeds_100_and_101() {
        tch::set_num_threads(1);
        let data = IrisBatch::new(&[100, 101], 0.2, false, false, tch::Device::Cpu).unwrap();
        let runs = run(&data, &Protocol::course().classifier).unwrap();
        // Measured: seed 100 → 0.942 (113 of 120), seed 101 → 0.967 (116 of 120),
        // the same values the binary prints for these seeds (`--seeds 10`).
        assert!(
            (runs[0].accuracy - 113.0 / 120.0).abs() < 0.017,
            "{}",
            runs[0].accuracy
        );
        assert!(
            (runs[1].accuracy - 116.0 / 120.0).abs() < 0.017,
            "{}",
            runs[1].accuracy
        );
        for r in &runs {
            assert_eq!(r.confusion.iter().flatten().sum::<usize>(), 120);
            assert!((r.micro_precision - r.accuracy).abs() < 1e-12);
            assert!(r.train_accuracy >= 0.96);
            assert_eq!(r.train_counts.iter().sum::<usize>(), 30);
        }
        // an unstratified split: seed 100 draws 7, 9 and 14 training flowers
        assert_eq!(runs[0].train_counts, [7, 9, 14]);
    }
}
