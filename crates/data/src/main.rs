//! `cargo run -p data`: the data module's demo, the course's first exercise.
//!
//! Task: draw sample_gmm_2d(4, 2, 30) (120 points, 4 Gaussian components,
//! each given one of 2 classes at random), colour the plane by the simple
//! decision function f(x) = x0 + x1 − 5 with graph_surface (contour f = 0),
//! and draw the points over it with graph_data (colour: true class; circle:
//! f agrees with it, square: it does not).
//! The boundary is a fixed line that ignores the data, so its accuracy is
//! about chance (the classes were assigned to the components at random);
//! what a run gives: labs/data.md.
//! Outputs: results/data/demo.png and metrics.json.

use clap::Parser;
use data::demo::{run_lab, LabConfig};

/// The data module's demo: sample_gmm_2d(4, 2, 30) over a simple decision surface (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    /// The surface is sampled on GRID × GRID points
    #[arg(long, default_value_t = LabConfig::default().grid)]
    grid: usize,
}

fn main() -> std::process::ExitCode {
    labkit::main(|| run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let cfg = LabConfig {
        seed: args.common.seed,
        grid: args.grid,
        format: args.common.format,
        out: args.common.out_dir("data"),
        ..LabConfig::default()
    };
    let r = run_lab(&cfg)?;
    println!(
        "{} (seed {}): {} points, {} per class; f(x) = x0 + x1 − 5 agrees with {:.3} of them",
        cfg.data,
        cfg.seed,
        r.n_points,
        r.class_counts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/"),
        r.accuracy
    );
    println!(
        "wrote {0}/{1} and {0}/metrics.json",
        cfg.out.display(),
        r.plot
    );
    Ok(())
}
