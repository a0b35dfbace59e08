//! `cargo run -p mnist_shootout`: the MNIST assignments of Lab 1.
//!
//! Task: ten assignments on MNIST (60,000 training, 10,000 test images of
//! 28 × 28 pixels in [0, 1]) — logistic regression's weights, four depths
//! chosen on validation, L2 regularisation, early stopping, hand-written
//! mini-batches against whole-batch descent, Adam, untrained baselines, SVMs,
//! batch norm — and one comparison table. Data: data/mnist (`./dl setup`).
//!
//! Quick mode (default): 20,000 training images, 8 epochs. `--full`: the
//! course protocol, 60,000 images, 30 epochs (what each gives:
//! labs/mnist_shootout.md). `--bench` times an epoch against PyTorch-Python.
//! Outputs: results/mnist_shootout/ (metrics.json, comparison.md/png, figures).

use clap::Parser;
use mnist_shootout::app::{self, BenchParams, LabChoices};
use mnist_shootout::{Assignment, LabConfig, Mode};
use torch_util::Precision;

/// Flags that do nothing under --bench.
const TRAIN_FLAGS: [&str; 8] = [
    "full",
    "only",
    "epochs",
    "n_train",
    "svm_train",
    "svm_backend",
    "format",
    "precision",
];

/// MNIST shootout: ten assignments comparing deep models and SVMs (Lab 1).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// Folder with the four MNIST (or Fashion-MNIST) IDX files, raw or .gz
    #[arg(long, value_name = "DIR", default_value_os_t = LabChoices::default().mnist_dir)]
    mnist_dir: std::path::PathBuf,
    /// The course protocol: all 60,000 training images, 30 epochs
    #[arg(long)]
    full: bool,
    /// Run only this assignment (repeatable) [default: all]
    #[arg(long, value_enum, value_name = "NAME")]
    only: Vec<Assignment>,
    #[arg(long, help = labkit::cli::quick_full_help(
        "Epochs of every training run", quick().epochs, full().epochs))]
    epochs: Option<usize>,
    #[arg(long, help = labkit::cli::quick_full_help(
        "Training images, the first N of 60,000", quick().n_train, full().n_train))]
    n_train: Option<usize>,
    #[arg(long, help = labkit::cli::quick_full_help(
        "RBF-SVM training images, the first N of the run's", quick().svm_train, full().svm_train))]
    svm_train: Option<usize>,
    #[arg(long, value_enum, help = labkit::cli::quick_full_help(
        "Binary solver of the RBF SVM", quick().svm_backend, full().svm_backend))]
    svm_backend: Option<ksvm_wrap::Backend>,
    /// Only time epochs of [784,100,10] (Adam, batch 100, all 60,000 images),
    /// ours and PyTorch-Python's, in this run
    #[arg(long)]
    bench: bool,
    /// Number format of the MLPs' forward passes and losses: fp32 is the
    /// course's; bf16 is mixed precision (weights and optimiser state stay
    /// fp32; it pays only on CPUs with bf16 instructions, and the run warns
    /// when it would be slower); tf32 is CUDA only
    #[arg(long, value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,
}

fn main() -> std::process::ExitCode {
    labkit::cli::main(run)
}

/// Refuses, before any work, the flags that the chosen mode does not use.
fn refuse_unused(args: &Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    if args.bench {
        labkit::cli::ModeFlags::new(matches, "with --bench")
            .refuse(&TRAIN_FLAGS, "it times one fixed epoch")?;
        return Ok(());
    }
    let plan = mnist_shootout::plan(&args.only);
    let svm = plan.contains(&Assignment::Svm);
    let trains = plan.iter().any(|&a| a != Assignment::Random);
    let trains_mlp = plan
        .iter()
        .any(|&a| a != Assignment::Random && a != Assignment::Svm);
    let mode = labkit::cli::ModeFlags::new(matches, format!("for --only {:?}", args.only));
    for (ids, used, why) in [
        (
            &["svm_train", "svm_backend"][..],
            svm,
            "only the svm assignment uses it",
        ),
        (&["epochs"], trains, "random trains nothing"),
        (
            &["precision"],
            trains_mlp,
            "only the assignments that train MLPs use it",
        ),
    ] {
        if !used {
            mode.refuse(ids, why)?;
        }
    }
    Ok(())
}

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    refuse_unused(&args, matches)?;
    let out = args.common.out_dir("mnist_shootout");
    if args.bench {
        app::bench(&BenchParams {
            seed: args.common.seed,
            out,
            device: args.torch.device,
            mnist_dir: args.mnist_dir,
            threads: args.torch.threads,
        })
        .map_err(labkit::cli::with_flag)?;
        return Ok(());
    }
    app::run_lab(&LabChoices {
        mode: if args.full { Mode::Full } else { Mode::Quick },
        seed: args.common.seed,
        format: args.common.format,
        out,
        device: args.torch.device,
        mnist_dir: args.mnist_dir,
        only: args.only,
        epochs: args.epochs,
        n_train: args.n_train,
        svm_train: args.svm_train,
        svm_backend: args.svm_backend,
        threads: args.torch.threads,
        precision: args.precision,
    })
    .map_err(labkit::cli::with_flag)?;
    Ok(())
}

/// The presets, for the defaults `--help` shows.
fn quick() -> LabConfig {
    LabConfig::quick(tch::Device::Cpu, std::path::PathBuf::new())
}

fn full() -> LabConfig {
    LabConfig::full(tch::Device::Cpu, std::path::PathBuf::new())
}
