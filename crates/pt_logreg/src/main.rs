//! `cargo run -p pt_logreg`: multinomial logistic regression with autograd.
//!
//! Task: train PTLogreg(2, C) on sample_gauss_2d with 2 and 3 classes (100 points
//! each), draw the decision regions, and sweep the L2 weight λ on 3 classes.
//! Expect: straight boundaries (regions bounded by lines); training accuracy
//! limited only by how much the Gaussians overlap; as λ grows, ‖W‖ shrinks,
//! P flattens towards uniform and accuracy eventually drops.
//! Outputs: results/pt_logreg/metrics.json, surface_*.png, lambda_sweep.png.

use anyhow::Context;
use clap::Parser;
use pt_logreg::lab::{run_lab, LabConfig};
use torch_util::DeviceArg;

/// PTLogreg: multinomial logistic regression on 2-D Gaussians, with a λ sweep (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Gradient steps per model
    #[arg(long, default_value_t = 5000)]
    niter: usize,
    /// Learning rate
    #[arg(long, default_value_t = 0.1)]
    delta: f64,
    /// L2 weight λ of the 2- and 3-class runs (loss = mean NLL + λ/2·‖W‖²)
    #[arg(long, default_value_t = 0.0)]
    param_lambda: f64,
    /// λ values of the sweep, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "0,0.001,0.01,0.1,1")]
    sweep: Vec<f64>,
    /// Points per class
    #[arg(long, default_value_t = 100)]
    n: usize,
    /// Train on raw coordinates instead of standardised ones
    #[arg(long)]
    raw_inputs: bool,
    /// Decision surfaces are sampled on GRID × GRID points
    #[arg(long, default_value_t = 256)]
    grid: usize,
}

fn main() -> std::process::ExitCode {
    labkit::finish(run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    tch::set_num_threads(1);
    let device = args.device.resolve()?;
    println!("{}", torch_util::device_report(device));
    let mut cfg = LabConfig::lab_default(device, args.common.out_dir("pt_logreg"));
    cfg.seed = args.common.seed;
    cfg.format = args.common.format;
    cfg.niter = args.niter;
    cfg.delta = args.delta;
    cfg.param_lambda = args.param_lambda;
    cfg.sweep = args.sweep;
    cfg.n = args.n;
    cfg.standardize = !args.raw_inputs;
    cfg.grid = args.grid;
    cfg.check().context("invalid settings (nothing was run)")?;
    let r = run_lab(&cfg).context("pt_logreg run failed")?;
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join("/")
    };
    let row = |r: &pt_logreg::lab::RunReport| {
        vec![
            r.classes.to_string(),
            format!("{}", r.param_lambda),
            format!("{:.3}", r.accuracy),
            fmt(&r.precision),
            fmt(&r.recall),
            r.ap.map_or("n/a".into(), |a| format!("{a:.3}")),
            format!("{:.3}", r.weight_norm),
            format!("{:.4}", r.final_loss),
        ]
    };
    let header = [
        "classes",
        "λ",
        "accuracy",
        "precision",
        "recall",
        "AP",
        "‖W‖",
        "loss",
    ];
    println!(
        "\nPTLogreg, seed {}, {} points per class, {} steps, δ {}",
        cfg.seed, cfg.n, cfg.niter, cfg.delta
    );
    print!(
        "{}",
        labkit::table(&header, &r.runs.iter().map(row).collect::<Vec<_>>())
    );
    println!("\nλ sweep on 3 classes:");
    print!(
        "{}",
        labkit::table(&header, &r.sweep.iter().map(row).collect::<Vec<_>>())
    );
    println!("\nwrote {}/metrics.json and the plots", cfg.out.display());
    Ok(())
}
