//! `cargo run -p param_embed -- umap|tsne|hybrid`: Lab 4, parametric embeddings of MNIST.
//!
//! Task: train a network that maps digits to the plane with t-SNE's or
//! UMAP's objective, and a hybrid net whose loss is w·t-SNE + classification;
//! score every embedding by the 5-NN accuracy and trustworthiness of held-out
//! images, with PCA as the baseline.
//!
//! `--full` is the reference protocol (the first 5,000 training images);
//! the quick default uses 2,000 training and 2,000 held-out images and fewer
//! epochs. What each gives, this lab's runs beside the reference library's:
//! labs/param_embed.md.
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
    #[arg(long, conflicts_with_all = ["n_train", "n_held_out"], help = help::full())]
    full: bool,
    #[arg(long, help = help::n_train())]
    n_train: Option<usize>,
    #[arg(long, help = help::n_held_out())]
    n_held_out: Option<usize>,
    #[arg(long, help = help::epochs())]
    epochs: Option<usize>,
    #[arg(long, help = help::perplexity())]
    perplexity: Option<f64>,
    #[arg(long, help = help::k())]
    k: Option<usize>,
    #[arg(long, value_delimiter = ',', help = help::weights())]
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
    /// Only time the routine (tsne, umap; one seed, the run's sizes, best of
    /// 3), its training's FLOPs and share of this device's matrix-product
    /// peak, and the reference library ParaDime in the same run when
    /// `./dl setup-paradime` has installed it; writes OUT/bench.json
    #[arg(long)]
    bench: bool,
}

/// Help lines whose defaults come from the presets, so that `--help` and
/// the code cannot disagree.
mod help {
    use param_embed::config::{Routine, Sizes, QUICK_HYBRID_EPOCHS, QUICK_UMAP_EPOCHS, WEIGHTS};
    use param_embed::routines::{HybridSpec, TsneSpec, UmapSpec};

    pub fn full() -> String {
        let (t, u) = (Sizes::full(Routine::Tsne), Sizes::full(Routine::Umap));
        format!(
            "The reference protocol: the first {} training images, {} held out (tsne, \
             hybrid) or {} (umap); umap {} epochs, hybrid {}",
            t.n_train,
            t.n_held_out,
            u.n_held_out,
            UmapSpec::default().epochs,
            HybridSpec::default().epochs
        )
    }

    pub fn n_train() -> String {
        labkit::cli::quick_full_help(
            "Training images, the first N",
            Sizes::quick().n_train,
            Sizes::full(Routine::Tsne).n_train,
        )
    }

    pub fn n_held_out() -> String {
        format!(
            "Held-out images scored [default: {}; with --full {} (tsne, hybrid) or {} (umap)]",
            Sizes::quick().n_held_out,
            Sizes::full(Routine::Tsne).n_held_out,
            Sizes::full(Routine::Umap).n_held_out
        )
    }

    pub fn epochs() -> String {
        format!(
            "Epochs of the main phase [default: tsne {}; umap {}, hybrid {} ({} and {} with --full)]",
            TsneSpec::default().epochs,
            QUICK_UMAP_EPOCHS,
            QUICK_HYBRID_EPOCHS,
            UmapSpec::default().epochs,
            HybridSpec::default().epochs
        )
    }

    pub fn perplexity() -> String {
        format!(
            "t-SNE perplexity (tsne, hybrid) [default: {}]",
            TsneSpec::default().perplexity
        )
    }

    pub fn k() -> String {
        format!(
            "Nearest neighbours of the UMAP graph (umap) [default: {}]",
            UmapSpec::default().k
        )
    }

    pub fn weights() -> String {
        let w: Vec<String> = WEIGHTS.iter().map(|w| w.to_string()).collect();
        format!(
            "t-SNE weights of the hybrid sweep (hybrid) [default: {}]",
            w.join(",")
        )
    }
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
        let b = param_embed::bench::run(&cfg)
            .map_err(labkit::cli::with_flag)
            .context("param_embed bench failed")?;
        println!(
            "{} on {} images, seed {}, {} ({} threads, {}), best of {} runs:",
            b.routine,
            b.n_train,
            b.seed,
            b.device,
            b.threads,
            b.precision,
            b.runs.len()
        );
        let line = |who: &str, t: &param_embed::bench::Timing| {
            println!(
                "  {who:<18} relations {:>6.2} s + training {:>6.2} s = {:>6.2} s",
                t.relation_seconds,
                t.train_seconds,
                t.total()
            )
        };
        line("ours:", &b.best);
        println!(
            "  ours, training: {:.1} GFLOP, {:.1} GFLOP/s, {:.1} % of a {n}×{n} product's {:.0} GFLOP/s in the same run",
            b.roofline.flops / 1e9,
            b.roofline.gflops,
            b.roofline.percent_of_peak,
            b.roofline.peak_gflops,
            n = torch_util::roofline::PEAK_SIZE
        );
        match &b.reference {
            param_embed::bench::ReferenceSide::Measured { best, versions, .. } => {
                line("reference library:", best);
                println!("  ({})", versions.join(", "));
                if let Some(r) = b.ratio_total {
                    println!("  ratio ours / reference (relations + training): {r:.2}×");
                }
            }
            param_embed::bench::ReferenceSide::Unavailable { reason } => {
                println!("  reference library: not measured: {reason}")
            }
        }
        println!("wrote {}", out.join("bench.json").display());
        return Ok(());
    }
    let t0 = std::time::Instant::now();
    if let Some(n) = args.seeds {
        let s = lab::run_seeds(&cfg, n)
            .map_err(labkit::cli::with_flag)
            .with_context(|| format!("param_embed run failed (output folder {})", out.display()))?;
        println!("\nseed   5-NN    trust.  relations  training");
        for row in &s.seeds {
            println!(
                "{:<6} {:.4}  {:.4}  {:>7.1} s  {:>6.1} s",
                row.seed, row.knn5, row.trustworthiness, row.relation_seconds, row.train_seconds
            );
        }
        let ms = |m: &metrics::OverSeeds| format!("{:.4} ± {:.4}", m.mean, m.std);
        println!(
            "mean ± std over {n} seeds: 5-NN {}, trustworthiness {}",
            ms(&s.knn5),
            ms(&s.trustworthiness)
        );
        println!(
            "wrote {}/seeds.json; total {:.1} s",
            out.display(),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    lab::run_lab(&cfg)
        .map_err(labkit::cli::with_flag)
        .with_context(|| format!("param_embed run failed (output folder {})", out.display()))?;
    println!(
        "wrote {}/metrics.json; total {:.1} s",
        out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
