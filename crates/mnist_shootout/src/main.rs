//! `cargo run -p mnist_shootout`: the nine MNIST assignments of Lab 1.
//!
//! Data: MNIST from data/mnist (`./dl setup` fetches it), pixels in [0, 1].
//! Quick mode (default): 20,000 training images, 8 epochs, all assignments,
//! about 15 s on a 2-core CPU. `--full`: 60,000 images, 30 epochs (about 4 min).
//! Expect (full): [784,10] ≈ 0.92, one hidden layer ≈ 0.975–0.98 test accuracy;
//! an untrained net ≈ 0.1 with loss ≈ ln 10. Outputs: results/mnist_shootout/
//! (metrics.json, comparison.md/png, weights, loss curves, hardest images).

use anyhow::Context;
use clap::Parser;
use mnist_shootout::{data::Dataset, Assignment, ShootoutConfig};
use torch_util::DeviceArg;

/// MNIST shootout: nine assignments comparing deep models and SVMs (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    /// Where to train: auto uses CUDA when libtorch sees a GPU
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Folder with the four MNIST (or Fashion-MNIST) IDX files, raw or .gz
    #[arg(long, default_value = "data/mnist", value_name = "DIR")]
    mnist_dir: std::path::PathBuf,
    /// The course protocol: all 60,000 training images, 30 epochs
    #[arg(long)]
    full: bool,
    /// Run only these assignments (repeatable): weights, configs, early_stopping,
    /// train_mb, adam, adam_decay, random, svm, batchnorm
    #[arg(long, value_name = "NAME")]
    only: Vec<Assignment>,
    /// Override the number of epochs of the preset
    #[arg(long)]
    epochs: Option<usize>,
    /// Override the number of training images of the preset
    #[arg(long)]
    n_train: Option<usize>,
    /// Override the number of RBF-SVM training images of the preset
    #[arg(long)]
    svm_train: Option<usize>,
    /// Binary solver of the RBF SVM: auto (linfa for small pairs, SMO for large), linfa, smo
    #[arg(long, value_enum)]
    svm_backend: Option<ksvm_wrap::Backend>,
    /// Only time epochs of [784,100,10] (Adam, batch 100, all 60,000 images) and compare with PyTorch
    #[arg(long)]
    bench: bool,
    /// CPU threads for libtorch [default: libtorch's choice]
    #[arg(long)]
    threads: Option<i32>,
}

/// PyTorch-Python, same loop ([784,100,10], Adam, batch 100), measured on the 2-core CPU machine.
const PYTORCH_CPU_S_PER_EPOCH: f64 = 0.71;

fn main() -> std::process::ExitCode {
    labkit::finish(run(Args::parse()))
}

fn run(args: Args) -> anyhow::Result<()> {
    if let Some(t) = args.threads {
        anyhow::ensure!(t >= 1, "--threads must be at least 1");
        tch::set_num_threads(t);
    }
    let device = args.device.resolve()?;
    println!("{}", torch_util::device_report(device));
    let out = args.common.out_dir("mnist_shootout");
    let mut cfg = if args.full {
        ShootoutConfig::full(device, out.clone())
    } else {
        ShootoutConfig::quick(device, out.clone())
    };
    cfg.seed = args.common.seed;
    cfg.format = args.common.format;
    if let Some(e) = args.epochs {
        cfg.epochs = e;
    }
    if let Some(n) = args.n_train {
        cfg.n_train = n;
    }
    if let Some(n) = args.svm_train {
        cfg.svm_train = n;
    }
    if let Some(b) = args.svm_backend {
        cfg.svm_backend = b;
    }
    cfg.check().context("invalid settings (nothing was run)")?;

    let n_train = if args.bench { 60_000 } else { cfg.n_train };
    let data = Dataset::load(&args.mnist_dir, n_train, cfg.n_test, device)
        .with_context(|| format!("cannot load MNIST from {}", args.mnist_dir.display()))?;
    println!(
        "MNIST: {} training, {} test images from {}",
        data.train.len(),
        data.test.len(),
        data.source
    );

    if args.bench {
        tch::manual_seed(cfg.seed as i64);
        let _ = mnist_shootout::assignments::bench_epoch(&data.train, 1, cfg.seed)?; // warm-up
        let s = mnist_shootout::assignments::bench_epoch(&data.train, 3, cfg.seed)?;
        println!(
            "[784,100,10], Adam, batch 100: {s:.3} s per epoch on {} = {:.2}× PyTorch-Python's {PYTORCH_CPU_S_PER_EPOCH} s on the 2-core CPU (goal ≤ 0.6×)",
            torch_util::device_name(device),
            s / PYTORCH_CPU_S_PER_EPOCH
        );
        return Ok(());
    }

    println!(
        "{} mode: {} training images, {} epochs, batch {}, seed {}; RBF SVM on {} training images",
        cfg.mode, cfg.n_train, cfg.epochs, cfg.batch, cfg.seed, cfg.svm_train
    );
    let report = mnist_shootout::run(&cfg, &data, &args.only).context("mnist_shootout failed")?;
    println!(
        "\n{}",
        mnist_shootout::assignments::comparison_markdown(&report)
    );
    println!(
        "total {}; wrote {}/metrics.json, comparison.md and the figures",
        labkit::fmt_duration(std::time::Duration::from_secs_f64(report.total_seconds)),
        out.display()
    );
    Ok(())
}
