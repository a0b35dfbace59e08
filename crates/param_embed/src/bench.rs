//! `--bench`: the training time of one routine (tsne or umap, one seed, the
//! run's sizes), its FLOPs counted from the phases' shapes, and its share of
//! a matrix-product peak measured in the same run with the same threads.
//!
//! The count covers the network's forward and backward passes over the rows
//! each phase feeds it; the loss terms' own arithmetic (the batch's KL over
//! its 500 × 500 pairs, the UMAP cross-entropy) is left out, so the rate is
//! a slight underestimate. The reference library runs in its own Python
//! environment (`reference/paradime_seeds.py`), so this bench times ours only.

use serde::Serialize;
use torch_util::roofline::{matmul_peak, mlp_train_flops, Roofline, PEAK_SIZE};

use crate::config::{LabConfig, Routine};
use crate::lab::{fit_embedding, sets};
use crate::routines::{TsneSpec, UmapSpec};
use crate::EmbedError;

/// The layer widths of a routine's net: input, hidden, 2-D output.
fn widths(input: usize, hidden: &[usize]) -> Vec<i64> {
    std::iter::once(input)
        .chain(hidden.iter().copied())
        .chain(std::iter::once(2))
        .map(|w| w as i64)
        .collect()
}

/// FLOPs of parametric t-SNE on `n` rows of `input` values: every epoch of
/// both phases passes all n rows through the net once each way.
pub fn tsne_flops(spec: &TsneSpec, n: usize, input: usize) -> f64 {
    let rows = (spec.init_epochs + spec.epochs) * n;
    mlp_train_flops(&widths(input, &spec.hidden)) * rows as f64
}

/// FLOPs of parametric UMAP on `n` rows: the spectral phase passes all n
/// rows each epoch; each batch of the main phase passes its edges' heads
/// once and every pair's tail (edges × (2 + negatives) rows), or all n rows
/// when that is fewer.
pub fn umap_flops(spec: &UmapSpec, n: usize, input: usize) -> f64 {
    let per_batch = n.min(spec.edges_per_batch * (2 + spec.negatives));
    let rows = spec.init_epochs * n + spec.epochs * spec.batches_per_epoch * per_batch;
    mlp_train_flops(&widths(input, &spec.hidden)) * rows as f64
}

/// What `bench.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub routine: &'static str,
    pub n_train: usize,
    pub seed: u64,
    pub device: String,
    pub threads: i32,
    pub precision: torch_util::Precision,
    /// k-NN, affinities and the initial layout (not in the roofline).
    pub relation_seconds: f64,
    pub train_seconds: f64,
    pub roofline: Roofline,
    /// Why the reference library is not timed beside it.
    pub reference: &'static str,
}

/// Times `cfg`'s routine (tsne or umap) once and writes `bench.json`.
pub fn run(cfg: &LabConfig) -> Result<BenchReport, EmbedError> {
    cfg.check()?;
    let mnist = data::mnist::load_mnist(&cfg.mnist_dir)?;
    let d = sets(cfg, &mnist.train, &mnist.test)?;
    let (n, input) = d.train_x.dim();
    let mut quiet = |_: &crate::phase::Phase, _: usize, _: f64| {};
    let fitted = fit_embedding(cfg, d.train_x.view(), &mut quiet)?;
    let flops = match cfg.routine {
        Routine::Umap => umap_flops(&cfg.umap, n, input),
        _ => tsne_flops(&cfg.tsne, n, input),
    };
    let peak = matmul_peak(cfg.precision, cfg.device, PEAK_SIZE, 5);
    let report = BenchReport {
        routine: cfg.routine.name(),
        n_train: n,
        seed: cfg.seed,
        device: torch_util::device_name(cfg.device),
        threads: tch::get_num_threads(),
        precision: cfg.precision,
        relation_seconds: fitted.relation_seconds,
        train_seconds: fitted.train_seconds,
        roofline: Roofline::new(flops, fitted.train_seconds, peak),
        reference: "not timed here: the reference library needs its own Python environment \
                    (crates/param_embed/reference/paradime_seeds.py prints its times)",
    };
    labkit::RunDir::create(&cfg.out)?.write_json("bench.json", &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_routines_flops_match_a_hand_count() {
        // [784, 100, 50, 2]: MACs 78,400 + 5,000 + 100 = 83,500; forward and
        // weight gradients 4 × 83,500, input gradients of all but the first
        // layer 2 × 5,100: 344,200 per row; 40 epochs × 5,000 rows.
        assert_eq!(
            tsne_flops(&TsneSpec::default(), 5000, 784),
            344_200.0 * 40.0 * 5000.0
        );
        // [784, 100, 100, 100, 2]: MACs 98,600: 4 × 98,600 + 2 × 20,200 =
        // 434,800 per row. Spectral phase 10 × 5,000 rows; main phase 60
        // epochs × 10 batches × 500 edges × (2 + 3) rows = 1,500,000 rows.
        assert_eq!(
            umap_flops(&UmapSpec::default(), 5000, 784),
            434_800.0 * (50_000.0 + 1_500_000.0)
        );
        // Few points: a batch passes all n rows instead.
        assert_eq!(
            umap_flops(&UmapSpec::default(), 1000, 784),
            434_800.0 * (10_000.0 + 600.0 * 1000.0)
        );
    }
}
