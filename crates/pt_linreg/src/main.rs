//! `cargo run -p pt_linreg`: linear regression by gradient descent with autograd.
//!
//! Task: fit y = a·x + b through (1, 3) and (2, 5) (learning rate 0.1, 100
//! steps), printing step, loss, a and b, with autograd's gradients next to the
//! hand-derived ones; then fit N noisy points the same way with a mean loss.
//! Expect: a → 2, b → 1 for the two points; for N points, the gradient-descent
//! line meets the closed-form least-squares line; autograd and hand gradients
//! agree to about 1e-15. Outputs: results/pt_linreg/metrics.json, fit.png, loss.png.

use anyhow::Context;
use clap::Parser;
use data::plot::{line_plot, points_and_lines, Series};
use pt_linreg::{fit_line, least_squares, noisy_line, Fit, LinregParams};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use torch_util::DeviceArg;

/// Linear regression y = a·x + b with autograd, gradients checked by hand (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Gradient steps for the two-point fit
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// Learning rate
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Number of noisy points in the second fit (y = 2x + 1 + noise)
    #[arg(long, default_value_t = 50)]
    n: usize,
    /// Gradient steps for the N-point fit
    #[arg(long, default_value_t = 1000)]
    steps_n: usize,
    /// Print every step of the two-point fit (default: every 10th)
    #[arg(long)]
    verbose: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    lab: &'static str,
    seed: u64,
    device: String,
    lr: f64,
    two_points: &'a Fit,
    n_points: NPoints<'a>,
}

#[derive(Serialize)]
struct NPoints<'a> {
    n: usize,
    true_line: (f64, f64),
    noise: f64,
    least_squares: (f64, f64),
    fit: &'a Fit,
}

fn main() -> std::process::ExitCode {
    labkit::finish(run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    let device = args.device.resolve()?;
    let seed = args.common.seed;
    let out = labkit::RunDir::create(args.common.out_dir("pt_linreg"))?;
    let p1 = LinregParams {
        steps: args.steps,
        lr: args.lr,
    };
    let p2 = LinregParams {
        steps: args.steps_n,
        lr: args.lr,
    };
    p1.check()
        .and(p2.check())
        .context("invalid settings (nothing was run)")?;
    anyhow::ensure!(args.n >= 1, "--n must be at least 1");

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let start: (f64, f64) = (
        rng.sample(rand_distr::StandardNormal),
        rng.sample(rand_distr::StandardNormal),
    );
    println!(
        "1) y = a·x + b through (1, 3) and (2, 5); start a = {:.4}, b = {:.4} (seed {seed})",
        start.0, start.1
    );
    let (x1, y1) = ([1.0, 2.0], [3.0, 5.0]);
    let fit = fit_line(&x1, &y1, start, &p1, device)?;
    let rows: Vec<Vec<String>> = fit
        .steps
        .iter()
        .filter(|s| args.verbose || s.step % 10 == 0 || s.step + 1 == p1.steps)
        .map(|s| {
            vec![
                s.step.to_string(),
                format!("{:.6}", s.loss),
                format!("{:.4}", s.a),
                format!("{:.4}", s.b),
                format!("{:+.6}", s.grad_a),
                format!("{:+.6}", s.hand_grad_a),
                format!("{:+.6}", s.grad_b),
                format!("{:+.6}", s.hand_grad_b),
            ]
        })
        .collect();
    print!(
        "{}",
        labkit::table(
            &[
                "step",
                "loss",
                "a",
                "b",
                "∂L/∂a autograd",
                "∂L/∂a hand",
                "∂L/∂b autograd",
                "∂L/∂b hand"
            ],
            &rows
        )
    );
    println!(
        "after {} steps: a = {:.4}, b = {:.4}, loss = {:.2e} (exact: a = 2, b = 1); max |autograd − hand| = {:.1e}\n",
        p1.steps, fit.a, fit.b, fit.loss, fit.max_grad_diff
    );

    let (xn, yn) = noisy_line(args.n, 2.0, 1.0, 0.3, &mut rng);
    let fit_n = fit_line(&xn, &yn, start, &p2, device)?;
    let ls = least_squares(&xn, &yn)?;
    println!(
        "2) {} noisy points around y = 2x + 1 (noise σ 0.3), mean loss, {} steps",
        args.n, p2.steps
    );
    println!(
        "   gradient descent: a = {:.4}, b = {:.4}, loss = {:.4}",
        fit_n.a, fit_n.b, fit_n.loss
    );
    println!("   least squares:    a = {:.4}, b = {:.4}", ls.0, ls.1);
    println!("   max |autograd − hand| = {:.1e}", fit_n.max_grad_diff);

    let ext = args.common.format.ext();
    let line = |name: &str, a: f64, b: f64| Series::new(name, vec![(0.0, b), (2.0, 2.0 * a + b)]);
    let pts: Vec<(f64, f64)> = xn.iter().copied().zip(yn.iter().copied()).collect();
    let fit_plot = out.path(&format!("fit.{ext}"));
    points_and_lines(
        &fit_plot,
        &format!("{} points: gradient descent vs least squares", args.n),
        ("x", "y"),
        &pts,
        &[
            line("gradient descent", fit_n.a, fit_n.b),
            line("least squares", ls.0, ls.1),
            line("true y = 2x + 1", 2.0, 1.0),
        ],
    )?;
    let curve = |f: &Fit| {
        f.steps
            .iter()
            .map(|s| (s.step as f64, s.loss))
            .collect::<Vec<_>>()
    };
    let loss_plot = out.path(&format!("loss.{ext}"));
    line_plot(
        &loss_plot,
        "mean squared error during gradient descent",
        "step",
        "loss",
        &[
            Series::new("two points", curve(&fit)),
            Series::new(format!("{} points", args.n), curve(&fit_n)),
        ],
        true,
    )?;
    let report = Report {
        lab: "pt_linreg",
        seed,
        device: torch_util::device_name(device),
        lr: args.lr,
        two_points: &fit,
        n_points: NPoints {
            n: args.n,
            true_line: (2.0, 1.0),
            noise: 0.3,
            least_squares: ls,
            fit: &fit_n,
        },
    };
    let json = out.write_json("metrics.json", &report)?;
    println!(
        "\nwrote {}, {}, {}",
        json.display(),
        fit_plot.display(),
        loss_plot.display()
    );
    Ok(())
}
