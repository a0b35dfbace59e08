//! `cargo run -p pt_linreg`: linear regression by gradient descent with autograd.
//!
//! Task: fit y = a·x + b through (1, 3) and (2, 5) (learning rate 0.1, 100
//! steps), printing every step (step, loss, a, b) with autograd's gradients
//! next to the hand-derived ones, as the course's loop does; then fit N noisy
//! points the same way with a mean loss.
//! What a run gives (the exact line is a = 2, b = 1; gradient descent on N
//! points meets the closed-form least-squares line): labs/pt_linreg.md.
//! Outputs: results/pt_linreg/metrics.json, fit.png, loss.png.

use anyhow::Context;
use clap::Parser;
use pt_linreg::lab::{run_lab, LabConfig};

/// Linear regression y = a·x + b with autograd, gradients checked by hand (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// Gradient steps for the two-point fit
    #[arg(long, default_value_t = LabConfig::default().steps)]
    steps: usize,
    /// Learning rate
    #[arg(long, default_value_t = LabConfig::default().lr)]
    lr: f64,
    /// Number of noisy points in the second fit (y = 2x + 1 + noise)
    #[arg(long, default_value_t = LabConfig::default().n)]
    n: usize,
    /// Gradient steps for the N-point fit
    #[arg(long, default_value_t = LabConfig::default().steps_n)]
    steps_n: usize,
    /// Print every this many steps of the two-point fit (1: every step, as the course does)
    #[arg(long, default_value_t = LabConfig::default().print_every)]
    print_every: usize,
}

fn main() -> std::process::ExitCode {
    labkit::main(|| run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let cfg = LabConfig {
        seed: args.common.seed,
        lr: args.lr,
        steps: args.steps,
        n: args.n,
        steps_n: args.steps_n,
        print_every: args.print_every,
        format: args.common.format,
        device: args.torch.setup(None)?,
        out: args.common.out_dir("pt_linreg"),
    };
    cfg.check()
        .map_err(labkit::cli::with_flag)
        .context("invalid settings (nothing was run)")?;
    let r = run_lab(&cfg)
        .map_err(labkit::cli::with_flag)
        .context("pt_linreg run failed")?;
    println!(
        "\nwrote {0}/metrics.json, {0}/{1}, {0}/{2}",
        cfg.out.display(),
        r.fit_plot,
        r.loss_plot
    );
    Ok(())
}
