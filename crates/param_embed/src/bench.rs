//! `--bench`: the training time of one routine (tsne or umap, one seed, the
//! run's sizes), its FLOPs counted from the phases' shapes, and its share of
//! a matrix-product peak measured in the same run with the same threads.
//!
//! The count covers the network's forward and backward passes over the rows
//! each phase feeds it; the loss terms' own arithmetic (the batch's KL over
//! its 500 × 500 pairs, the UMAP cross-entropy) is left out, so the rate is
//! a slight underestimate.
//!
//! The reference library (ParaDime) runs in the same run, with the same
//! images, seed and threads, through `reference/paradime_seeds.py` in its own
//! Python environment ([`labkit::pyref::find_paradime_python`]); each side
//! runs [`BENCH_REPEATS`] times and its shortest total counts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
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

/// Timed runs per side; the best one counts.
pub const BENCH_REPEATS: usize = 3;

/// One timed run: relations (k-NN, affinities, the initial layout) and
/// training.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Timing {
    pub relation_seconds: f64,
    pub train_seconds: f64,
}

impl Timing {
    pub fn total(&self) -> f64 {
        self.relation_seconds + self.train_seconds
    }
}

/// The run with the shortest total of `runs` (`None` when there are none).
fn shortest(runs: &[Timing]) -> Option<Timing> {
    runs.iter()
        .copied()
        .min_by(|a, b| a.total().total_cmp(&b.total()))
}

/// The reference library's side: measured, or why not.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReferenceSide {
    Measured {
        python: PathBuf,
        /// Package versions as the script reports them.
        versions: Vec<String>,
        threads: i32,
        /// Its own split: `relation_seconds` is its global relations
        /// (k-NN, bandwidths), `train_seconds` its `train()` (which computes
        /// the PCA or spectral layout before its phases).
        runs: Vec<Timing>,
        best: Timing,
        /// Its held-out 5-NN accuracy in each run.
        knn5: Vec<f64>,
    },
    Unavailable {
        reason: String,
    },
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
    /// Every timed run of ours, and the best (shortest total).
    pub runs: Vec<Timing>,
    pub best: Timing,
    /// Our best run's training under the matrix-product peak.
    pub roofline: Roofline,
    pub reference: ReferenceSide,
    /// Our best total ÷ the reference's best total (relations + training:
    /// the two split the initial layout differently), when measured.
    pub ratio_total: Option<f64>,
}

/// What `reference/paradime_seeds.py --json` prints on its last line.
#[derive(Debug, Deserialize)]
struct ScriptOut {
    versions: Vec<String>,
    threads: i32,
    runs: Vec<ScriptRun>,
}

#[derive(Debug, Deserialize)]
struct ScriptRun {
    acc: f64,
    t_rel: f64,
    t_train: f64,
}

/// The script's result from its output: the last line that parses.
fn parse_script_output(text: &str) -> Option<ScriptOut> {
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<ScriptOut>(l.trim()).ok())
}

/// Runs the reference library [`BENCH_REPEATS`] times on the same images,
/// seed and threads; any failure becomes the reason it is unavailable.
pub fn reference(cfg: &LabConfig, n: usize, threads: i32) -> ReferenceSide {
    let measure = || -> Result<ReferenceSide, String> {
        if cfg.device != tch::Device::Cpu {
            return Err("the reference script runs on the CPU only".into());
        }
        let py = labkit::pyref::find_paradime_python().map_err(|e| e.to_string())?;
        let rel = "reference/paradime_seeds.py";
        let script = labkit::pyref::reference_script(env!("CARGO_MANIFEST_DIR"), rel)
            .map_err(|e| e.to_string())?;
        let seeds = vec![cfg.seed.to_string(); BENCH_REPEATS].join(",");
        let args: Vec<std::ffi::OsString> = vec![
            "--mnist".into(),
            cfg.mnist_dir.as_os_str().to_owned(),
            "--seeds".into(),
            seeds.into(),
            "--routines".into(),
            cfg.routine.name().into(),
            "--n-train".into(),
            n.to_string().into(),
            "--threads".into(),
            threads.to_string().into(),
            "--timing-only".into(),
            "--json".into(),
        ];
        let text = py
            .run_source(rel, &script, &args)
            .map_err(|e| e.to_string())?;
        let out = parse_script_output(&text)
            .ok_or_else(|| format!("{rel} printed no JSON result line: {}", text.trim()))?;
        let runs: Vec<Timing> = out
            .runs
            .iter()
            .map(|r| Timing {
                relation_seconds: r.t_rel,
                train_seconds: r.t_train,
            })
            .collect();
        let best = shortest(&runs).ok_or_else(|| format!("{rel} reported no runs"))?;
        Ok(ReferenceSide::Measured {
            python: py.python,
            versions: out.versions,
            threads: out.threads,
            knn5: out.runs.iter().map(|r| r.acc).collect(),
            runs,
            best,
        })
    };
    measure().unwrap_or_else(|reason| ReferenceSide::Unavailable { reason })
}

/// Times `cfg`'s routine (tsne or umap) [`BENCH_REPEATS`] times, then the
/// reference library in the same run, and writes `bench.json`.
pub fn run(cfg: &LabConfig) -> Result<BenchReport, EmbedError> {
    cfg.check()?;
    let mnist = data::mnist::load_mnist(&cfg.mnist_dir)?;
    let d = sets(cfg, &mnist.train, &mnist.test)?;
    let (n, input) = d.train_x.dim();
    let mut runs = Vec::with_capacity(BENCH_REPEATS);
    let (best, _) = labkit::progress::best_of(
        BENCH_REPEATS,
        || {
            let mut quiet = |_: &crate::phase::Phase, _: usize, _: f64| {};
            let fitted = fit_embedding(cfg, d.train_x.view(), &mut quiet)?;
            let t = Timing {
                relation_seconds: fitted.relation_seconds,
                train_seconds: fitted.train_seconds,
            };
            runs.push(t);
            Ok::<_, EmbedError>(t)
        },
        Timing::total,
    )?;
    let flops = match cfg.routine {
        Routine::Umap => umap_flops(&cfg.umap, n, input),
        _ => tsne_flops(&cfg.tsne, n, input),
    };
    let peak = matmul_peak(cfg.precision, cfg.device, PEAK_SIZE, 5);
    let threads = tch::get_num_threads();
    let reference = reference(cfg, n, threads);
    let ratio_total = match &reference {
        ReferenceSide::Measured { best: r, .. } => Some(best.total() / r.total()),
        ReferenceSide::Unavailable { .. } => None,
    };
    let report = BenchReport {
        routine: cfg.routine.name(),
        n_train: n,
        seed: cfg.seed,
        device: torch_util::device_name(cfg.device),
        threads,
        precision: cfg.precision,
        runs,
        best,
        roofline: Roofline::new(flops, best.train_seconds, peak),
        reference,
        ratio_total,
    };
    labkit::RunDir::create(&cfg.out)?.write_json("bench.json", &report)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_run_is_the_shortest_total_and_the_script_line_parses() {
        let t = |r, t| Timing {
            relation_seconds: r,
            train_seconds: t,
        };
        let runs = [t(1.0, 5.0), t(2.0, 3.5), t(0.5, 6.0)];
        assert_eq!(shortest(&runs).unwrap().total(), 5.5);
        assert!(shortest(&[]).is_none());
        let text = "versions: paradime 1.1.0\n[tsne seed 1 approx] 5-NN=0.79\n\
            {\"versions\": [\"paradime 1.1.0\"], \"threads\": 2, \"n_train\": 5000, \
            \"runs\": [{\"routine\": \"tsne\", \"seed\": 1, \"nn\": \"approx\", \
            \"k\": 90, \"acc\": 0.7946, \"t_knn\": 10.8, \"t_rel\": 12.0, \"t_train\": 11.9}]}\n";
        let out = parse_script_output(text).unwrap();
        assert_eq!(out.threads, 2);
        assert_eq!(out.runs.len(), 1);
        assert_eq!((out.runs[0].t_rel, out.runs[0].t_train), (12.0, 11.9));
        assert!(parse_script_output("no json here\n").is_none());
    }

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
