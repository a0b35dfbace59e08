//! `cargo run -p param_embed -- umap|tsne|hybrid`: Lab 4, parametric embeddings of MNIST.
//!
//! Task: train a network that maps digits to the plane with t-SNE's or
//! UMAP's objective, and a hybrid net whose loss is w·t-SNE + classification;
//! score every embedding by the 5-NN accuracy and trustworthiness of held-out
//! images, with PCA as the baseline.
//!
//! Expect (`--full`, the first 5,000 training images; this lab's runs in
//! labs/param_embed.md): PCA 5-NN ≈ 0.42, trustworthiness ≈ 0.75; over
//! seeds 100–104, parametric t-SNE 5-NN 0.77 ± 0.04, trustworthiness 0.88 and
//! parametric UMAP 0.72 ± 0.02 / 0.87 ± 0.02; the hybrid's test accuracy
//! 0.91–0.92 at every weight while its embedding's 5-NN grows from 0.38
//! (w = 0) to 0.63 (w = 500) (seed 100).
//! The quick default (2,000 training + 2,000 held-out images; 20 UMAP and
//! 10 hybrid epochs) takes about a minute or less on a 2-core CPU.
//! Outputs: results/param_embed/metrics.json, pca.png, tsne.png / umap.png
//! of the training images (+ umap_all.png, the 60,000) / hybrid_grid.png,
//! and the held-out maps *_held_out.png.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use param_embed::config::{
    LabConfig, Routine, Sizes, QUICK_HYBRID_EPOCHS, QUICK_UMAP_EPOCHS, WEIGHTS,
};
use param_embed::lab;
use param_embed::routines::{HybridSpec, TsneSpec, UmapSpec};

/// Parametric t-SNE, parametric UMAP and the hybrid classifier + embedding on MNIST (Lab 4).
#[derive(Debug, Parser)]
#[command(version, about, long_about, allow_negative_numbers = true)]
struct Args {
    /// Which routine to run
    #[arg(value_enum)]
    routine: Routine,
    #[command(flatten)]
    common: labkit::CommonArgs,
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// The reference protocol: the first 5,000 training images, held out
    /// 5,000 (t-SNE, hybrid) or the 10,000 test images (UMAP); UMAP 60
    /// epochs, hybrid 50
    #[arg(long, conflicts_with_all = ["n_train", "n_held_out"])]
    full: bool,
    /// Training images, the first N [default: 2000; 5000 with --full]
    #[arg(long)]
    n_train: Option<usize>,
    /// Held-out images scored [default: 2000; 5000 or 10000 with --full]
    #[arg(long)]
    n_held_out: Option<usize>,
    /// Epochs of the main phase [default: t-SNE 30; UMAP 20, hybrid 10 (60, 50 with --full)]
    #[arg(long)]
    epochs: Option<usize>,
    /// t-SNE perplexity (tsne, hybrid) [default: 30]
    #[arg(long)]
    perplexity: Option<f64>,
    /// Nearest neighbours of the UMAP graph (umap) [default: 30]
    #[arg(long)]
    k: Option<usize>,
    /// t-SNE weights of the hybrid sweep (hybrid) [default: 0,5,20,50,100,200,300,500]
    #[arg(long, value_delimiter = ',')]
    weights: Vec<f64>,
    /// Folder with the four MNIST IDX files (raw or .gz)
    #[arg(long, default_value = "data/mnist", value_name = "DIR")]
    mnist_dir: PathBuf,
    /// Run N seeds (--seed, --seed + 1, …; tsne, umap), each into OUT/seed-S/,
    /// and write OUT/seeds.json with the held-out 5-NN and trustworthiness,
    /// mean ± std
    #[arg(long, value_name = "N")]
    seeds: Option<usize>,
    /// Number format of the training's matrix products: fp32 is the course's;
    /// bf16 is mixed precision (weights and Adam's state stay fp32; it pays
    /// only on CPUs with bf16 instructions, and the run warns when it would be
    /// slower); tf32 is CUDA only
    #[arg(long, value_enum, default_value_t = torch_util::Precision::Fp32)]
    precision: torch_util::Precision,
    /// Only time the routine's training (tsne, umap; one seed, the run's
    /// sizes) with its FLOPs and the share of this device's matrix-product
    /// peak; writes OUT/bench.json
    #[arg(long)]
    bench: bool,
}

fn main() -> std::process::ExitCode {
    labkit::cli::main(run)
}

/// The routines each mode-specific flag works with.
const USED_BY: [(&str, &[Routine]); 5] = [
    ("perplexity", &[Routine::Tsne, Routine::Hybrid]),
    ("k", &[Routine::Umap]),
    ("bench", &[Routine::Tsne, Routine::Umap]),
    ("weights", &[Routine::Hybrid]),
    ("seeds", &[Routine::Tsne, Routine::Umap]),
];

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    let r = args.routine;
    let mode = labkit::cli::ModeFlags::new(matches, format!("for `{}`", r.name()));
    for (id, used_by) in USED_BY {
        if !used_by.contains(&r) {
            mode.refuse(&[id], "")?;
        }
    }
    if args.bench {
        labkit::cli::ModeFlags::new(matches, "with --bench")
            .refuse(&["seeds"], "it times one seed's training")?;
    }
    anyhow::ensure!(args.seeds != Some(0), "--seeds must be at least 1, got 0");
    let device = args.torch.setup(None)?;
    println!("{}", torch_util::device_report(device));
    if let Some(w) = torch_util::roofline::speed_vs_fp32(args.precision, device).warning() {
        eprintln!("warning: {w}");
    }
    let out = args.common.out_dir("param_embed");
    let base = if args.full {
        Sizes::full(r)
    } else {
        Sizes::quick()
    };
    let sizes = Sizes {
        n_train: args.n_train.unwrap_or(base.n_train),
        n_held_out: args.n_held_out.unwrap_or(base.n_held_out),
        ..base
    };
    let mut tsne = TsneSpec::default();
    let mut umap = UmapSpec::default();
    let mut hybrid = HybridSpec::default();
    if !args.full {
        umap.epochs = QUICK_UMAP_EPOCHS;
        hybrid.epochs = QUICK_HYBRID_EPOCHS;
    }
    if let Some(p) = args.perplexity {
        tsne.perplexity = p;
        hybrid.perplexity = p;
    }
    if let Some(k) = args.k {
        umap.k = k;
    }
    if let Some(e) = args.epochs {
        tsne.epochs = e;
        umap.epochs = e;
        hybrid.epochs = e;
    }
    let cfg = LabConfig {
        routine: r,
        full: args.full,
        seed: args.common.seed,
        sizes,
        tsne,
        umap,
        hybrid,
        weights: if args.weights.is_empty() {
            WEIGHTS.to_vec()
        } else {
            args.weights
        },
        precision: args.precision,
        mnist_dir: args.mnist_dir,
        device,
        out: out.clone(),
        format: args.common.format,
    };
    if args.bench {
        let b = param_embed::bench::run(&cfg).context("param_embed bench failed")?;
        println!(
            "{} on {} images, seed {}, {} ({} threads, {}): relations {:.2} s, training {:.2} s",
            b.routine,
            b.n_train,
            b.seed,
            b.device,
            b.threads,
            b.precision,
            b.relation_seconds,
            b.train_seconds
        );
        println!(
            "training: {:.1} GFLOP, {:.1} GFLOP/s, {:.1} % of a {n}×{n} product's {:.0} GFLOP/s in the same run",
            b.roofline.flops / 1e9,
            b.roofline.gflops,
            b.roofline.percent_of_peak,
            b.roofline.peak_gflops,
            n = torch_util::roofline::PEAK_SIZE
        );
        println!("reference library: {}", b.reference);
        println!("wrote {}", out.join("bench.json").display());
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    if let Some(n) = args.seeds {
        let s = lab::run_seeds(&cfg, n)
            .with_context(|| format!("param_embed run failed (output folder {})", out.display()))?;
        println!("\nseed   5-NN    trust.  relations  training");
        for row in s["seeds"].as_array().into_iter().flatten() {
            println!(
                "{:<6} {:.4}  {:.4}  {:>7.1} s  {:>6.1} s",
                row["seed"],
                row["knn5"].as_f64().unwrap_or(f64::NAN),
                row["trustworthiness"].as_f64().unwrap_or(f64::NAN),
                row["relation_seconds"].as_f64().unwrap_or(f64::NAN),
                row["train_seconds"].as_f64().unwrap_or(f64::NAN)
            );
        }
        let ms = |k: &str| {
            format!(
                "{:.4} ± {:.4}",
                s[k]["mean"].as_f64().unwrap_or(f64::NAN),
                s[k]["std"].as_f64().unwrap_or(f64::NAN)
            )
        };
        println!(
            "mean ± std over {n} seeds: 5-NN {}, trustworthiness {}",
            ms("knn5"),
            ms("trustworthiness")
        );
        println!(
            "wrote {}/seeds.json; total {:.1} s",
            out.display(),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    lab::run_lab(&cfg)
        .with_context(|| format!("param_embed run failed (output folder {})", out.display()))?;
    println!(
        "wrote {}/metrics.json; total {:.1} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
