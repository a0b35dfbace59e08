//! `cargo run -p pt_logreg`: multinomial logistic regression with autograd.
//!
//! Task: train PTLogreg(2, C) on sample_gauss_2d with 2 and 3 classes (100 points
//! each), print the loss during training, draw the decision regions, and sweep
//! the L2 weight λ on 3 classes.
//! Setting: the course's 1000 steps at δ 0.5, on standardised inputs (the
//! course trains on raw ones: `--raw-inputs`).
//! What a run gives, with and without `--raw-inputs`: labs/pt_logreg.md.
//! Outputs: results/pt_logreg/metrics.json, surface_*.png, loss.png, lambda_sweep.png.

use anyhow::Context;
use clap::Parser;
use pt_logreg::lab::{run_lab, summary_table, LabConfig};
use pt_logreg::TrainParams;

/// PTLogreg: multinomial logistic regression on 2-D Gaussians, with a λ sweep (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// Gradient steps per model
    #[arg(long, default_value_t = TrainParams::default().niter)]
    niter: usize,
    /// Learning rate
    #[arg(long, default_value_t = TrainParams::default().delta)]
    delta: f64,
    /// L2 weight λ of the 2- and 3-class runs (loss = mean NLL + λ/2·‖W‖²)
    #[arg(long, default_value_t = TrainParams::default().param_lambda)]
    param_lambda: f64,
    /// λ values of the sweep on 3 classes, comma-separated
    #[arg(long, value_delimiter = ',', default_values_t = LabConfig::default().sweep)]
    sweep: Vec<f64>,
    /// Points per class
    #[arg(long, default_value_t = LabConfig::default().n)]
    n: usize,
    /// Train on raw coordinates instead of standardised ones (the course's exact demo)
    #[arg(long)]
    raw_inputs: bool,
    /// Decision surfaces are sampled on GRID × GRID points
    #[arg(long, default_value_t = LabConfig::default().grid)]
    grid: usize,
}

fn main() -> std::process::ExitCode {
    labkit::main(|| run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut cfg = LabConfig {
        seed: args.common.seed,
        n: args.n,
        params: TrainParams {
            niter: args.niter,
            delta: args.delta,
            param_lambda: args.param_lambda,
            ..TrainParams::default()
        },
        sweep: args.sweep,
        standardize: !args.raw_inputs,
        grid: args.grid,
        format: args.common.format,
        out: args.common.out_dir("pt_logreg"),
        ..LabConfig::default()
    };
    cfg.check().context("invalid settings (nothing was run)")?;
    cfg.device = args.torch.setup(Some(1))?; // tiny problems: one thread is fastest
    println!("{}", torch_util::device_report(cfg.device));
    let r = run_lab(&cfg).context("pt_logreg run failed")?;
    println!("\n{}", summary_table(&r));
    println!("wrote {}/metrics.json and the plots", cfg.out.display());
    Ok(())
}
