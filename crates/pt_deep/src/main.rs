//! `cargo run -p pt_deep`: Lab 1's flagship, PTDeep on random 2-D Gaussian mixtures.
//!
//! Task: train fully connected classifiers [2,2], [2,10,2] and [2,10,10,2]
//! (ReLU, SGD, δ = 0.1, λ = 1e-4, 10⁴ whole-batch steps) on sample_gmm_2d(4,2,40)
//! and sample_gmm_2d(6,2,10), then report accuracy, per-class precision and
//! recall and average precision, and draw each decision surface.
//!
//! Expect: [2,2] (logistic regression) draws a straight boundary and misses
//! the points a line cannot separate; the deeper nets bend the boundary around
//! the components and reach (nearly) 100 % training accuracy. A GIF shows the
//! surface of [2,10,10,2] on gmm(6,2,10) taking shape during training.
//! Outputs: results/pt_deep/metrics.json, surface_*.png, training_*.gif.

use anyhow::Context;
use clap::Parser;
use data::GmmSpec;
use pt_deep::{lab, Activation, LabConfig, LayerConfig, TrainParams};

const TRAIN_FLAGS: [&str; 9] = [
    "niter",
    "delta",
    "lambda",
    "activation",
    "configs",
    "datasets",
    "grid",
    "raw_inputs",
    "no_gif",
];

/// PTDeep: fully connected classifiers on random 2-D Gaussian mixtures (Lab 1).
///
/// With no arguments, runs the lab's six settings (two data sets × three
/// configurations) in a few seconds and writes results/pt_deep/.
#[derive(Debug, Parser)]
#[command(version, about, long_about, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// Gradient steps per run
    #[arg(long, default_value_t = TrainParams::default().niter)]
    niter: usize,
    /// Learning rate of SGD
    #[arg(long, default_value_t = TrainParams::default().delta)]
    delta: f64,
    /// L2 weight λ (loss = mean NLL + λ/2·Σ‖W‖²)
    #[arg(long, default_value_t = TrainParams::default().lambda)]
    lambda: f64,
    /// Non-linearity of the hidden layers
    #[arg(long, value_enum, default_value_t = Activation::Relu)]
    activation: Activation,
    #[arg(long = "config", value_name = "SIZES", help = format!(
        "Layer sizes D,h1,…,C; repeat for several [default: {}]",
        LabConfig::default().configs.iter().map(|c| list(&c.0)).collect::<Vec<_>>().join(" ")
    ))]
    configs: Vec<LayerConfig>,
    #[arg(long = "data", value_name = "K,C,N", help = format!(
        "Data set K,C,N for sample_gmm_2d; repeat for several [default: {}]",
        LabConfig::default().datasets.iter().map(|d| list(&[d.k, d.c, d.n])).collect::<Vec<_>>().join(" ")
    ))]
    datasets: Vec<GmmSpec>,
    /// Decision surfaces are sampled on GRID × GRID points
    #[arg(long, default_value_t = pt_deep::config::DEFAULT_GRID)]
    grid: usize,
    /// Train on the raw coordinates instead of standardised ones (the course's original setting)
    #[arg(long)]
    raw_inputs: bool,
    /// Do not write the training animation
    #[arg(long)]
    no_gif: bool,
    /// Only measure the time per training step of [2,10,10,2] on gmm(6,2,10)
    /// (no training flag may be given with it)
    #[arg(long)]
    bench: bool,
}

fn main() -> std::process::ExitCode {
    labkit::cli::main(run)
}

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    if args.bench {
        labkit::cli::ModeFlags::new(matches, "with --bench")
            .refuse(&TRAIN_FLAGS, "it times one fixed step")?;
    }
    // Small 2-D problems run fastest on one thread.
    let device = args.torch.setup(Some(1))?;
    println!("{}", torch_util::device_report(device));
    let out = args.common.out_dir("pt_deep");

    if args.bench {
        let r = pt_deep::bench::run_bench(device, 5000, &out)?;
        for o in &r.ours {
            println!(
                "[2,10,10,2] on gmm(6,2,10): {:.1} µs per training step on {} ({} threads); \
                 floor (the same step on a [2,2] net): {:.1} µs",
                o.us_per_iter, o.device, o.threads, o.floor_us_per_iter
            );
        }
        match (&r.python, r.ratio) {
            (Some(p), Some(ratio)) => println!(
                "PyTorch-Python, same step, same run: {:.1} µs (torch {}) -> ours/PyTorch {ratio:.2}x",
                p.us_per_iter, p.torch
            ),
            _ => println!(
                "PyTorch-Python not measured: {}",
                r.python_missing.as_deref().unwrap_or("unknown")
            ),
        }
        println!("wrote {}", out.join("bench.json").display());
        return Ok(());
    }

    let mut cfg = LabConfig {
        device,
        out: out.clone(),
        ..LabConfig::default()
    };
    cfg.seed = args.common.seed;
    cfg.format = args.common.format;
    cfg.train = TrainParams {
        niter: args.niter,
        delta: args.delta,
        lambda: args.lambda,
        ..cfg.train
    };
    cfg.activation = args.activation;
    cfg.grid = args.grid;
    cfg.animate = !args.no_gif;
    cfg.standardize = !args.raw_inputs;
    if !args.configs.is_empty() {
        cfg.configs = args.configs;
    }
    if !args.datasets.is_empty() {
        cfg.datasets = args.datasets;
    }
    cfg.check()
        .map_err(labkit::cli::with_flag)
        .context("invalid settings (nothing was run)")?;

    println!("{}", pt_deep::config::param_counts(&cfg)?);
    let report = lab::run_lab(&cfg)
        .map_err(labkit::cli::with_flag)
        .with_context(|| format!("pt_deep run failed (output folder {})", out.display()))?;
    println!("\n{}", lab::summary_table(&report));
    println!(
        "seed {}, {} steps, δ {}, λ {}, {:?}",
        cfg.seed, cfg.train.niter, cfg.train.delta, cfg.train.lambda, cfg.activation
    );
    println!(
        "wrote {}/metrics.json and {} surface plot(s)",
        out.display(),
        report.runs.len()
    );
    if let Some(gif) = &report.animation {
        println!("training animation: {}/{gif}", out.display());
    }
    println!("total {:.1} s", report.total_seconds);
    Ok(())
}

/// Whole numbers as the flags take them: `2,10,2`.
fn list(v: &[usize]) -> String {
    v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}
