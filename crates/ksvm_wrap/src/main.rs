//! `cargo run -p ksvm_wrap`: Lab 1's kernel SVM, KSVMWrap, against PTDeep.
//!
//! Task: wrap linfa-svm's RBF SVM as `KSVMWrap` (one-vs-one for more than two
//! classes), train it on sample_gmm_2d(6,2,10) with seed 100, C = 1 and
//! γ = auto (1/D = 0.5), report accuracy, per-class precision and recall and
//! average precision, and draw the decision surface with the support vectors
//! drawn large. Then train KSVMWrap and PTDeep [2,10,10,2] on each of 50 random
//! data sets of gmm(6,2,10) and of the harder gmm(10,2,10), and compare the
//! mean and spread of their accuracy and AP, on the training points and on
//! fresh points from the same mixture. `--kernel linear` is the course's linear SVM.
//!
//! `ksvm_wrap mnist`: the RBF SVM on MNIST, `--sklearn` with scikit-learn's
//! SVC on the same images in the same run. What each gives: labs/ksvm_wrap.md.
//! Outputs: results/ksvm_wrap/metrics.json and surface.png (mnist.json for `mnist`).

use anyhow::Context;
use clap::Parser;
use data::GmmSpec;
use ksvm_wrap::lab::{self, LabConfig};
use ksvm_wrap::mnist::{self, FitTask, MnistConfig, MnistTask};
use ksvm_wrap::{Backend, Gamma, Kernel, KernelKind};

fn gamma_help(default: Gamma) -> String {
    format!(
        "Width γ of the RBF kernel exp(−γ‖x−y‖²): 'auto' (1/D), 'scale' (1/(D·Var X)) or a \
         positive number; an error with --kernel linear [default: {default}]"
    )
}

fn lab_default() -> LabConfig {
    LabConfig::default()
}

/// KSVMWrap: a kernel SVM (linfa-svm, one-vs-one), compared with PTDeep (Lab 1).
///
/// With no arguments: the reference run on gmm(6,2,10) and the comparison over
/// 50 random data sets of gmm(6,2,10) and gmm(10,2,10); writes results/ksvm_wrap/.
/// `ksvm_wrap mnist --help` for the MNIST mode (its flags go after `mnist`).
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    long_about,
    allow_negative_numbers = true,
    args_conflicts_with_subcommands = true
)]
struct Args {
    #[command(flatten)]
    common: labkit::CommonArgs,
    // --device: where PTDeep trains; the SVM runs on the CPU.
    #[command(flatten)]
    torch: torch_util::TorchArgs,
    /// Penalty C of the SVM's soft margin
    #[arg(long, default_value_t = lab_default().svm.c)]
    c: f64,
    /// Kernel of every binary SVM: rbf, or linear (the course's linear SVM)
    #[arg(long, value_enum, default_value_t = lab_default().svm.kernel.kind())]
    kernel: KernelKind,
    #[arg(long, value_name = "auto|scale|FLOAT", help = gamma_help(Gamma::default()))]
    gamma: Option<Gamma>,
    /// Random data sets per comparison setting
    #[arg(long, default_value_t = lab_default().datasets)]
    datasets: usize,
    #[arg(long = "data", value_name = "K,C,N",
          help = format!("Data set K,C,N of the reference run and its plot [default: {}]",
                         lab::spec_arg(&lab_default().reference)))]
    reference: Option<GmmSpec>,
    #[arg(long = "compare", value_name = "K,C,N",
          help = format!("Comparison setting K,C,N; repeat for several [default: {}]",
                         lab_default().settings.iter().map(lab::spec_arg).collect::<Vec<_>>().join(" ")))]
    settings: Vec<GmmSpec>,
    /// PTDeep's gradient steps per data set in the comparison (pt_deep's lab uses 10000)
    #[arg(long, default_value_t = lab_default().train.niter)]
    niter: usize,
    /// Decision surface sampled on GRID × GRID points
    #[arg(long, default_value_t = lab_default().grid)]
    grid: usize,
    /// Do not write training.gif (the reference SVM's surface as its solver converges)
    #[arg(long)]
    no_gif: bool,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// The SVM on MNIST: fit and predict times, accuracy, support vectors, memory peak
    Mnist(MnistArgs),
}

fn mnist_default() -> MnistConfig {
    MnistConfig::default()
}

#[derive(Debug, clap::Args)]
#[command(
    allow_negative_numbers = true,
    group(clap::ArgGroup::new("reference").args(["sklearn", "bench"]))
)]
struct MnistArgs {
    /// Seed, saved with the results (this mode draws nothing at random: the first N images, a deterministic solver)
    #[arg(long, default_value_t = mnist_default().seed)]
    seed: u64,
    /// Output folder for mnist.json / mnist_bench.json [default: results/ksvm_wrap]
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
    /// Penalty C of the soft margin
    #[arg(long, default_value_t = mnist_default().c)]
    c: f64,
    /// Kernel of every binary SVM
    #[arg(long, value_enum, default_value_t = mnist_default().kernel.kind())]
    kernel: KernelKind,
    #[arg(long, value_name = "auto|scale|FLOAT", help = gamma_help(mnist::DEFAULT_GAMMA))]
    gamma: Option<Gamma>,
    /// Training images (the first N of 60,000)
    #[arg(long, default_value_t = FitTask::default().n_train)]
    n: usize,
    /// Test images (the first N of 10,000)
    #[arg(long, default_value_t = mnist_default().n_test)]
    n_test: usize,
    /// Binary solver of each one-vs-one pair
    #[arg(long, value_enum, default_value_t = FitTask::default().backend)]
    backend: Backend,
    /// Kernel-row cache of the SMO backend in MiB (shared by all threads)
    #[arg(long, default_value_t = mnist_default().cache_mb)]
    cache_mb: usize,
    /// Folder with the four MNIST IDX files
    #[arg(long, value_name = "DIR", default_value_os_t = mnist_default().mnist_dir)]
    mnist_dir: std::path::PathBuf,
    /// Also run scikit-learn's SVC on the same images and print both times and the ratio
    #[arg(long)]
    sklearn: bool,
    /// Benchmark on the first 10,000 training images: SMO (best of 3), linfa (once) and
    /// scikit-learn (best of 3, when --python has it); --n and --backend cannot be used with it
    #[arg(long)]
    bench: bool,
    /// The Python that runs scikit-learn (only with --sklearn or --bench): DL_LABS_PYTHON, else
    /// the set-up's environment behind LIBTORCH (where ./dl setup installs it), else python3
    #[arg(long, value_name = "PATH", requires = "reference", default_value_os_t = mnist_default().python)]
    python: std::path::PathBuf,
}

impl MnistArgs {
    fn config(self) -> anyhow::Result<MnistConfig> {
        Ok(MnistConfig {
            seed: self.seed,
            c: self.c,
            kernel: Kernel::from_flags(self.kernel, self.gamma, mnist::DEFAULT_GAMMA)
                .map_err(labkit::cli::with_flag)?,
            cache_mb: self.cache_mb,
            n_test: self.n_test,
            mnist_dir: self.mnist_dir,
            python: self.python,
            task: if self.bench {
                MnistTask::Bench
            } else {
                MnistTask::Fit(FitTask {
                    n_train: self.n,
                    backend: self.backend,
                    sklearn: self.sklearn,
                })
            },
            out: self.out.unwrap_or_else(|| labkit::default_out("ksvm_wrap")),
        })
    }
}

fn main() -> std::process::ExitCode {
    labkit::cli::main(run)
}

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<()> {
    if let Some(Cmd::Mnist(m)) = args.cmd {
        if let (true, Some(sub)) = (m.bench, matches.subcommand_matches("mnist")) {
            labkit::cli::ModeFlags::new(sub, "with --bench").refuse(
                &["n", "backend", "sklearn"],
                "it runs both backends and scikit-learn on 10,000 images",
            )?;
        }
        let cfg = m.config()?;
        cfg.check()
            .map_err(labkit::cli::with_flag)
            .context("invalid settings (nothing was run)")?;
        mnist::run(&cfg)
            .map_err(labkit::cli::with_flag)
            .context("ksvm_wrap mnist failed")?;
        return Ok(());
    }
    let default = LabConfig::default();
    let cfg = LabConfig {
        seed: args.common.seed,
        format: args.common.format,
        svm: ksvm_wrap::KsvmParams {
            c: args.c,
            kernel: Kernel::from_flags(args.kernel, args.gamma, Gamma::default())
                .map_err(labkit::cli::with_flag)?,
            ..default.svm
        },
        datasets: args.datasets,
        reference: args.reference.unwrap_or(default.reference),
        settings: if args.settings.is_empty() {
            default.settings.clone()
        } else {
            args.settings
        },
        train: pt_deep::TrainParams {
            niter: args.niter,
            log_every: args.niter,
            ..default.train
        },
        grid: args.grid,
        animate: !args.no_gif,
        // 60-point problems: libtorch's per-operation overhead dominates,
        // one thread is fastest.
        device: args.torch.setup(Some(1))?,
        out: args.common.out_dir("ksvm_wrap"),
        ..default
    };
    cfg.check()
        .map_err(labkit::cli::with_flag)
        .context("invalid settings (nothing was run)")?;
    println!("{}", torch_util::device_report(cfg.device));
    let report = lab::run_lab(&cfg)
        .map_err(labkit::cli::with_flag)
        .with_context(|| format!("ksvm_wrap run failed (output folder {})", cfg.out.display()))?;
    println!("\n{}", lab::tables::summary(&cfg, &report));
    let gif = report
        .reference
        .animation
        .as_ref()
        .map(|g| format!(" and {g}"))
        .unwrap_or_default();
    println!(
        "wrote {}/metrics.json, {}/{}{gif}; total {:.1} s",
        cfg.out.display(),
        cfg.out.display(),
        report.reference.plot,
        report.total_seconds
    );
    Ok(())
}
