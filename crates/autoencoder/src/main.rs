//! `cargo run -p autoencoder`: Lab 2, an autoencoder as a classifier on MNIST.
//!
//! Task: train the 784-1000-25-50 / 50-1000-784 ReLU autoencoder (MSE, Adam
//! lr 1e-3, weight decay 1e-8, shuffled batches of 1024), alone and with the
//! contrastive term; classify test digits by the nearest class mean in pixel
//! space and in code space; draw t-SNE maps of pixels and codes.
//!
//! The course's protocol is `--full` (500 epochs on 60,000 images, three
//! seeds); the quick default is 20 epochs on 10,000 images.
//! The numbers each gives, and whose they are: labs/autoencoder.md.
//! Outputs: results/autoencoder/metrics.json, training_image.png,
//! tsne_pixels_vs_codes.png, loss_curves.png,
//! reconstructions_*.png, tsne_*.png, weights_*.ot, checkpoint_*.ot.

use std::path::PathBuf;

use anyhow::Context;
use autoencoder::config::{PairRule, TrainParams, TsneParams, FULL_SEEDS};
use autoencoder::ncm::Metric;
use autoencoder::{lab, LabConfig, Variant};
use clap::Parser;
use torch_util::Precision;

/// Autoencoder as a nearest-class-mean classifier on MNIST (Lab 2).
///
/// With no arguments: both variants, 20 epochs on the first 10,000 training
/// images, t-SNE of every 3rd of them. `--full` is the course's protocol.
#[derive(Debug, Parser)]
#[command(version, about, long_about, allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    #[arg(long, conflicts_with_all = ["epochs", "n_train"], help = help::full())]
    full: bool,
    /// Which autoencoder(s) to train
    #[arg(long, value_enum, default_value_t = Variant::default())]
    variant: Variant,
    #[arg(long, help = help::epochs())]
    epochs: Option<usize>,
    #[arg(long, help = help::n_train())]
    n_train: Option<usize>,
    /// Mini-batch size
    #[arg(long, default_value_t = TrainParams::default().batch_size)]
    batch_size: usize,
    /// Adam's learning rate
    #[arg(long, default_value_t = TrainParams::default().adam.lr)]
    lr: f64,
    /// Adam's (L2) weight decay
    #[arg(long, default_value_t = TrainParams::default().adam.weight_decay)]
    weight_decay: f64,
    /// Temperature τ of the contrastive term
    #[arg(long, default_value_t = TrainParams::default().tau)]
    tau: f64,
    /// How the contrastive variant picks its two digits per step: course =
    /// a1, a2 drawn from 0–9 (maybe equal), no term unless both are in the
    /// batch; present = two different digits of the batch
    #[arg(long, value_enum, default_value_t = PairRule::default())]
    pair_rule: PairRule,
    /// The NCM comparison the summary leads with (both are measured): l2 is
    /// the course's, cosine compares unit-length vectors
    #[arg(long, value_enum, default_value_t = Metric::default())]
    ncm: Metric,
    #[arg(long, value_name = "N", help = help::seeds())]
    seeds: Option<u64>,
    /// Skip the t-SNE views
    #[arg(long)]
    no_tsne: bool,
    /// t-SNE of every N-th training image
    #[arg(long, default_value_t = TsneParams::default().every)]
    tsne_every: usize,
    /// t-SNE perplexity
    #[arg(long, default_value_t = TsneParams::default().perplexity)]
    tsne_perplexity: f64,
    /// t-SNE iterations
    #[arg(long, default_value_t = TsneParams::default().max_iter)]
    tsne_iter: usize,
    /// Write a checkpoint every N epochs (and at the end)
    #[arg(long, default_value_t = 10)]
    checkpoint_every: usize,
    /// Continue from the checkpoints in the output folder
    #[arg(long)]
    resume: bool,
    /// Folder with the four MNIST IDX files (raw or .gz)
    #[arg(long, default_value = "data/mnist", value_name = "DIR")]
    mnist_dir: PathBuf,
    /// Only time training epochs on all 60,000 images (ours, and PyTorch's
    /// when a Python with torch is found)
    #[arg(long)]
    bench: bool,
    /// Number format of the matrix products: fp32 is the course's; bf16 is
    /// mixed precision (matrix products in bfloat16, weights, losses and
    /// Adam's state in fp32; see labs/autoencoder.md for its measured speed);
    /// tf32 (CUDA only) keeps fp32 tensors and uses the tensor cores
    #[arg(long, value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,
}

/// Help lines whose defaults come from the presets.
mod help {
    use autoencoder::config::{TrainParams, FULL_SEEDS};

    pub fn full() -> String {
        let f = TrainParams::full();
        format!(
            "The course's protocol: {} epochs on the first {} training images, {FULL_SEEDS} \
             seeds from --seed (unless --seeds)",
            f.epochs, f.n_train
        )
    }

    pub fn epochs() -> String {
        labkit::cli::quick_full_help(
            "Epochs",
            TrainParams::default().epochs,
            TrainParams::full().epochs,
        )
    }

    pub fn n_train() -> String {
        labkit::cli::quick_full_help(
            "Training images used, the first N",
            TrainParams::default().n_train,
            TrainParams::full().n_train,
        )
    }

    pub fn seeds() -> String {
        format!(
            "Run N seeds, --seed, --seed + 1, …: one run each, reported as mean ± std \
             [default: {FULL_SEEDS} with --full, else 1]"
        )
    }
}

fn main() -> std::process::ExitCode {
    labkit::cli::main(run)
}

/// The t-SNE flags, which do nothing with --no-tsne.
const TSNE_FLAGS: [&str; 3] = ["tsne_every", "tsne_perplexity", "tsne_iter"];
/// The training flags, which do nothing with --bench.
const TRAIN_FLAGS: [&str; 7] = [
    "full", "epochs", "n_train", "variant", "seeds", "resume", "no_tsne",
];

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    if args.bench {
        labkit::cli::ModeFlags::new(matches, "with --bench")
            .refuse(&TRAIN_FLAGS, "it times plain epochs on all 60,000 images")?;
    }
    if args.no_tsne {
        labkit::cli::ModeFlags::new(matches, "with --no-tsne").refuse(&TSNE_FLAGS, "")?;
    }
    let device = args.torch.setup(None)?;
    println!("{}", torch_util::device_report(device));
    if !args.bench {
        if let Some(w) = torch_util::roofline::speed_vs_fp32(args.precision, device).warning() {
            eprintln!("warning: {w}");
        }
    }
    let out = args.common.out_dir("autoencoder");
    let base = if args.full {
        TrainParams::full()
    } else {
        TrainParams::default()
    };
    let train = TrainParams {
        epochs: args.epochs.unwrap_or(base.epochs),
        n_train: args.n_train.unwrap_or(base.n_train),
        batch_size: args.batch_size,
        tau: args.tau,
        pair_rule: args.pair_rule,
        precision: args.precision,
        adam: autoencoder::adam::AdamParams {
            lr: args.lr,
            weight_decay: args.weight_decay,
            ..base.adam
        },
    };
    if args.bench {
        let r = autoencoder::bench::run(&args.mnist_dir, device, &out)?;
        let first = &r.rows.first().context("the bench timed no precision")?.ours;
        println!(
            "seconds per epoch on {} ({} images, best of {}, {} threads; {:.2} GFLOP per epoch)",
            first.device,
            first.n_images,
            first.seconds_per_epoch.len(),
            first.threads,
            r.flops_per_image * first.n_images as f64 / 1e9
        );
        print!("{}", autoencoder::bench::table(&r));
        println!(
            "% peak: of a {0}×{0} matrix product in the same precision, measured in this run",
            torch_util::roofline::PEAK_SIZE
        );
        for n in &r.not_timed {
            println!("{} not timed: {}", n.precision, n.why);
        }
        if let Some(why) = &r.python_missing {
            println!("PyTorch-Python not measured: {why}");
        }
        println!("wrote {}", out.join("bench.json").display());
        return Ok(());
    }
    let cfg = LabConfig {
        seeds: {
            let n = args.seeds.unwrap_or(if args.full { FULL_SEEDS } else { 1 });
            anyhow::ensure!(n >= 1, "--seeds must be at least 1, got 0");
            (0..n).map(|k| args.common.seed.wrapping_add(k)).collect()
        },
        variant: args.variant,
        train,
        tsne: TsneParams {
            enabled: !args.no_tsne,
            every: args.tsne_every,
            perplexity: args.tsne_perplexity,
            max_iter: args.tsne_iter,
        },
        checkpoint_every: args.checkpoint_every,
        resume: args.resume,
        ncm: args.ncm,
        mnist_dir: args.mnist_dir,
        device,
        out: out.clone(),
        format: args.common.format,
    };
    let report = lab::run_lab(&cfg)
        .map_err(labkit::cli::with_flag)
        .with_context(|| format!("autoencoder run failed (output folder {})", out.display()))?;
    println!("\n{}", lab::summary_table(&report));
    println!(
        "{} parameters; {} training images, {} epochs; wrote {}/metrics.json",
        report.n_params,
        report.n_train,
        cfg.train.epochs,
        out.display()
    );
    println!("total {:.1} s", report.total_seconds);
    Ok(())
}
