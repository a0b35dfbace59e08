//! `cargo run -p fcann2`: Lab 1's two-layer net with hand-written backprop.
//!
//! Task: train s1 = X·W1 + b1, h1 = ReLU(s1), P = softmax(h1·W2 + b2) by
//! whole-batch gradient descent on mean NLL + λ/2·(‖W1‖² + ‖W2‖²), with every
//! gradient written out as a matrix product (no autograd).
//! Data: sample_gmm_2d(6, 2, 10), seed 100: 60 points in the plane, 6
//! Gaussian blobs, each given one of 2 classes at random.
//! Setting: H = 5, 10⁵ steps, δ = 0.05, λ = 10⁻³, raw inputs.
//!
//! What a run gives, and whose each number is: labs/fcann2.md.
//! Outputs: results/fcann2/metrics.json, surface.png and loss.png.

use anyhow::Context;
use clap::Parser;
use fcann2::lab::{self, LabConfig};
use fcann2::TrainParams;

/// fcann2: a two-layer ReLU classifier trained with hand-written backprop (Lab 1).
///
/// With no arguments, runs the course's setting on sample_gmm_2d(6, 2, 10) and
/// writes results/fcann2/.
#[derive(Debug, Parser)]
#[command(version, about, long_about, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    /// Number of hidden ReLU units
    #[arg(long, default_value_t = TrainParams::default().hidden)]
    hidden: usize,
    /// Whole-batch gradient steps
    #[arg(long, default_value_t = TrainParams::default().niter)]
    niter: usize,
    /// Learning rate δ
    #[arg(long, default_value_t = TrainParams::default().delta)]
    delta: f64,
    /// L2 weight λ (loss = mean NLL + λ/2·(‖W1‖² + ‖W2‖²))
    #[arg(long, default_value_t = TrainParams::default().lambda)]
    lambda: f64,
    /// Record the loss every this many steps (the curve in metrics.json and loss.png)
    #[arg(long, default_value_t = TrainParams::default().log_every)]
    log_every: usize,
    /// Train on standardised inputs ((x − mean)/std per feature) instead of raw coordinates
    #[arg(long)]
    standardize: bool,
    /// Minimise the course code's summed loss Σ NLL + λ/2·‖W‖² instead of the
    /// mean NLL + λ/2·‖W‖² (N times the NLL gradient; the handout measures it)
    #[arg(long)]
    loss_sum: bool,
}

fn main() -> std::process::ExitCode {
    labkit::main(|| run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let out = args.common.out_dir("fcann2");
    let mut cfg = LabConfig {
        out: out.clone(),
        ..LabConfig::default()
    };
    cfg.seed = args.common.seed;
    cfg.format = args.common.format;
    cfg.standardize = args.standardize;
    cfg.params = TrainParams {
        hidden: args.hidden,
        niter: args.niter,
        delta: args.delta,
        lambda: args.lambda,
        log_every: args.log_every,
        loss_sum: args.loss_sum,
    };
    cfg.check().context("invalid settings (nothing was run)")?;
    let p = &cfg.params;
    println!(
        "fcann2 on {} (seed {}, {} inputs): H = {}, {} steps, δ = {}, λ = {}, loss = {}",
        cfg.data,
        cfg.seed,
        if cfg.standardize {
            "standardised"
        } else {
            "raw"
        },
        p.hidden,
        p.niter,
        p.delta,
        p.lambda,
        if p.loss_sum {
            "Σ NLL + λ/2·‖W‖² (summed)"
        } else {
            "mean NLL + λ/2·‖W‖²"
        },
    );
    let report = lab::run_lab(&cfg)
        .with_context(|| format!("fcann2 run failed (output folder {})", out.display()))?;
    println!("\n{}", lab::summary_table(&report));
    println!(
        "training: {:.2} µs per step in this build; `cargo bench -p fcann2` gives the \
         optimised figure and times the NumPy loop beside it.",
        report.us_per_iter
    );
    println!(
        "wrote {0}/metrics.json, {0}/{1}, {0}/{2}",
        out.display(),
        report.surface_plot,
        report.loss_plot
    );
    println!("total {:.1} s", report.total_seconds);
    Ok(())
}
