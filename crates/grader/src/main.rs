//! `grader`, behind `./dl student` and `./dl grade`.
//!
//! * `grader student DIR`: the student release of this workspace in DIR
//!   (marked exercises replaced by `todo!`, hidden tests left out, no
//!   results, data or history).
//! * `grader grade [SUBMISSION]`: grade a submission (a folder, `.zip` or
//!   `.tar.gz`) from this workspace, the instructor's copy: only the code
//!   between its exercise markers is taken, checked and spliced into a fresh
//!   export of this workspace, whose tests (hidden ones included) are built
//!   and run in a sandbox.
//! * `grader grade --class DIR`: every submission in DIR, and the gradebook.
//! * `grader gradebook OUT`: merge per-student results (from separate jobs).
//! * `grader mutants [ASSIGNMENT]`: how many cargo-mutants mutants of the
//!   marked regions the assignments' tests catch.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args as ClapArgs, Parser, Subcommand};
use grader::class::{grade_class, grade_into, gradebook, Done};
use grader::compile::{build_reference, default_target};
use grader::export::{export, Destination};
use grader::grade::{GradeOptions, Reference};
use grader::report::{points, text_table};
use grader::run::list_tests;
use grader::sandbox::{Limits, Sandbox};
use grader::submission::student_name;
use grader::table::{find_root, Table};

/// The course's student release and autograder.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Write the student release of this workspace into DIR (a new or empty folder)
    Student {
        /// Where the release goes, outside this workspace
        dir: PathBuf,
        /// The reference workspace [default: the one around the current folder]
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Grade a submission (or a class of them) from this workspace's copy
    Grade(GradeArgs),
    /// Merge OUT/students/*/grades.json into OUT/gradebook.{csv,md} and OUT/scores.svg
    Gradebook {
        /// A class output folder (what `grade --class … --out OUT` writes)
        out: PathBuf,
    },
    /// Mutate the reference's code between each assignment's markers with
    /// cargo-mutants and count the mutants its graded tests catch
    /// (needs cargo-mutants on PATH: `./dl mutants` installs it)
    Mutants {
        /// One assignment, e.g. metrics.eval_ap [default: all, in table order]
        assignment: Option<String>,
        /// Where the runs and summary.md go [default: target/mutants]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Stop a mutant's tests after this many seconds (counted as not caught)
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
        /// Only list the mutants of each assignment (nothing is built or run)
        #[arg(long)]
        list: bool,
        /// Also run the graded tests of the later assignments of the same
        /// crate (for code that only a later exercise's tests reach, such as
        /// the contrastive branch of autoencoder.train's loop)
        #[arg(long)]
        with_later: bool,
    },
}

#[derive(Debug, ClapArgs)]
struct GradeArgs {
    /// The submission: a folder, .zip or .tar.gz [default: this workspace itself]
    #[arg(conflicts_with = "class")]
    submission: Option<PathBuf>,
    /// Grade every submission in this folder (resumable) and write the gradebook
    #[arg(long, value_name = "DIR")]
    class: Option<PathBuf>,
    /// With --class: grade only the K-th submission (0-based, in name order)
    /// into OUT/students/<student>, for one task of a job array; merge the
    /// tasks' results afterwards with `gradebook OUT`
    #[arg(long, value_name = "K", requires = "class")]
    index: Option<usize>,
    /// Where the results go [default: results/grades/<student> for one
    /// submission, results/class-<folder> for a class, in this workspace]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The instructor's workspace [default: the one around the current folder]
    #[arg(long, value_name = "DIR")]
    reference: Option<PathBuf>,
    /// Stop a test after this many seconds (it counts as failed)
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    timeout: u64,
    /// Stop a submission's build after this many seconds (its crates score 0)
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    build_timeout: u64,
    /// Tests run at once [default: the number of CPU cores]
    #[arg(long)]
    jobs: Option<usize>,
    /// Memory (address space) of each sandboxed process, in GiB
    #[arg(long, default_value_t = 16, value_name = "GIB")]
    memory: u64,
    /// Processes and threads a sandboxed build or test may have at once
    #[arg(long, default_value_t = 512, value_name = "N")]
    max_processes: u64,
    /// Run the submission's code without bubblewrap (only for code you trust)
    #[arg(long)]
    no_sandbox: bool,
    /// Grade only the assignments of these crates (repeat the flag for more)
    #[arg(long, value_name = "CRATE")]
    only: Vec<String>,
    /// Keep each submission's spliced workspace and build (under target/grading)
    #[arg(long)]
    keep_work: bool,
    /// Grade again even where the results of the same content are already there
    #[arg(long)]
    regrade: bool,
}

fn main() -> ExitCode {
    labkit::finish(run(Args::parse()))
}

fn here() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    Ok(find_root(&cwd)?)
}

fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Cmd::Student { dir, from } => {
            let root = match from {
                Some(f) => find_root(&f)?,
                None => here()?,
            };
            let table = Table::load(&root)?;
            let dir = grader::export::normalized(&dir);
            let r = export(&root, &dir, &table, &BTreeSet::new(), Destination::New)
                .with_context(|| format!("writing the student release into {}", dir.display()))?;
            let regions: usize = r.blanked.values().sum();
            println!(
                "wrote {} files into {}: {} exercises ({} marked regions) replaced by todo!()",
                r.files,
                dir.display(),
                r.blanked.len(),
                regions
            );
            println!(
                "students: cd {} && ./dl setup && cargo test -p <lab>   (instructors: ./dl grade {})",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
        Cmd::Gradebook { out } => {
            let book = gradebook(&out)
                .with_context(|| format!("merging the grades under {}", out.display()))?;
            println!(
                "{} students, {} assignments",
                book.rows.len(),
                book.columns.len()
            );
            for p in &book.written {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
        Cmd::Grade(g) => grade(g),
        Cmd::Mutants {
            assignment,
            out,
            timeout,
            list,
            with_later,
        } => mutants(assignment, out, timeout, list, with_later),
    }
}

fn mutants(
    assignment: Option<String>,
    out: Option<PathBuf>,
    timeout: u64,
    list: bool,
    with_later: bool,
) -> anyhow::Result<()> {
    use grader::mutants::{region_diff, table, tests_for, Counts};
    anyhow::ensure!(timeout >= 1, "--timeout must be at least 1 second");
    let root = here()?;
    let reference = Reference::load(&root)?;
    anyhow::ensure!(
        !reference.is_release,
        "this is a student release: mutants need the reference solution (run it in the instructor's workspace)"
    );
    let ids: Vec<String> = match &assignment {
        Some(id) => {
            anyhow::ensure!(
                reference.table.get(id).is_some(),
                "no assignment {id:?} in grading.toml; the assignments are: {}",
                reference
                    .table
                    .assignments
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            vec![id.clone()]
        }
        None => reference
            .table
            .assignments
            .iter()
            .map(|a| a.id.clone())
            .collect(),
    };
    let out = out.unwrap_or_else(|| default_target(&root).join("mutants"));
    // Mutants are applied to the files in place (so that the workspace's own
    // build is reused) and undone one by one: uncommitted work would be at risk.
    let crates: BTreeSet<&str> = ids
        .iter()
        .filter_map(|id| reference.table.get(id))
        .map(|a| a.krate())
        .collect();
    for k in crates.iter().filter(|_| !list) {
        let st = std::process::Command::new("git")
            .current_dir(&root)
            .args(["status", "--porcelain", "--", &format!("crates/{k}")])
            .output()
            .context("cannot run git status")?;
        anyhow::ensure!(
            st.status.success() && st.stdout.is_empty(),
            "crates/{k} has uncommitted changes: commit or stash them first \
             (cargo-mutants edits its files in place while it runs)"
        );
    }
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut rows = Vec::new();
    for id in &ids {
        let a = reference.table.get(id).expect("checked above");
        let dir = out.join(id);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let diff = dir.join("regions.diff");
        std::fs::write(&diff, region_diff(&reference, id)?)
            .with_context(|| format!("writing {}", diff.display()))?;
        if list {
            let o = std::process::Command::new("cargo")
                .current_dir(&root)
                .args(["mutants", "--list", "--package", a.krate(), "--in-diff"])
                .arg(&diff)
                .output()
                .context("cannot run `cargo mutants` (./dl mutants installs it)")?;
            anyhow::ensure!(
                o.status.success(),
                "cargo mutants --list for {id} failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let names = String::from_utf8_lossy(&o.stdout);
            println!("{id}: {} mutants", names.lines().count());
            for l in names.lines() {
                println!("  {l}");
            }
            continue;
        }
        let tests = tests_for(&reference.table, id, with_later);
        eprintln!("mutants: {id} ({} tests) …", tests.len());
        let mut cmd = std::process::Command::new("cargo");
        cmd.current_dir(&root)
            .args([
                "mutants",
                "--in-place",
                "--no-shuffle",
                "--package",
                a.krate(),
                "--in-diff",
            ])
            .arg(&diff)
            .arg("--output")
            .arg(&dir)
            .args([
                "--timeout",
                &timeout.to_string(),
                "--",
                "--lib",
                "--",
                "--exact",
            ])
            .args(&tests);
        let status = cmd.status().context(
            "cannot run `cargo mutants` (install it with ./dl mutants, which pins its version)",
        )?;
        // cargo-mutants exits non-zero when a mutant is missed; its outcomes say why
        let counts = Counts::read(&dir.join("mutants.out")).with_context(|| {
            format!("cargo mutants for {id} ended with {status} and left no outcomes")
        })?;
        anyhow::ensure!(
            counts.baseline_passed,
            "{id}: its tests fail on the reference's own code, so no mutant was measured \
             (see {}); make them pass first",
            dir.join("mutants.out/log").display()
        );
        rows.push((id.clone(), counts));
    }
    if list {
        return Ok(());
    }
    let md = table(&rows);
    let mut report = md.clone();
    for (id, c) in &rows {
        if !c.missed.is_empty() {
            report.push_str(&format!("\nNot caught in `{id}`:\n"));
            for m in &c.missed {
                report.push_str(&format!("- `{m}`\n"));
            }
        }
        if !c.timed_out.is_empty() {
            report.push_str(&format!(
                "\nTimed out in `{id}` (the tests never end: the grader's time limit fails them):\n"
            ));
            for m in &c.timed_out {
                report.push_str(&format!("- `{m}`\n"));
            }
        }
    }
    let summary = out.join("summary.md");
    grader::report::write_text(&summary, &report)?;
    print!("{report}");
    println!("wrote {}", summary.display());
    Ok(())
}

fn grade(g: GradeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(g.timeout >= 1, "--timeout must be at least 1 second");
    anyhow::ensure!(
        g.build_timeout >= 1,
        "--build-timeout must be at least 1 second"
    );
    anyhow::ensure!(g.jobs != Some(0), "--jobs must be at least 1");
    anyhow::ensure!(g.memory >= 1, "--memory must be at least 1 (GiB)");
    anyhow::ensure!(g.max_processes >= 8, "--max-processes must be at least 8");
    let limits = Limits {
        memory: g.memory << 30,
        processes: g.max_processes,
        ..Limits::default()
    };
    let sandbox = Sandbox::detect(g.no_sandbox, limits)?;
    let root = match &g.reference {
        Some(r) => find_root(r)?,
        None => here()?,
    };
    let reference = Reference::load(&root).context("reading the reference workspace")?;
    if let Some(bad) = g
        .only
        .iter()
        .find(|c| !reference.table.crates().contains(&c.as_str()))
    {
        bail!(
            "--only {bad}: no assignment of grading.toml is in that crate; the graded crates are {}",
            reference.table.crates().join(", ")
        );
    }
    // Everything a submission could point at is checked before any work.
    if let Some(s) = &g.submission {
        anyhow::ensure!(s.exists(), "the submission {} does not exist", s.display());
    }
    if let Some(c) = &g.class {
        anyhow::ensure!(
            c.is_dir(),
            "--class {}: not a folder of submissions",
            c.display()
        );
        if let Some(k) = g.index {
            let n = grader::class::roster(c)?.len();
            anyhow::ensure!(
                k < n,
                "--index {k}: {} holds {n} submissions (0 to {})",
                c.display(),
                n.saturating_sub(1)
            );
        }
    }
    let mut opts = GradeOptions::new(&root, sandbox);
    opts.timeout = Duration::from_secs(g.timeout);
    opts.build_timeout = Duration::from_secs(g.build_timeout);
    if let Some(j) = g.jobs {
        opts.jobs = j;
    }
    opts.keep_work = g.keep_work;
    opts.regrade = g.regrade;
    if !g.only.is_empty() {
        opts.only = Some(g.only.iter().cloned().collect());
    }
    prepare_reference(&reference, &opts)?;
    if let Some(class) = &g.class {
        let name = class
            .canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "class".into());
        let out = g
            .out
            .clone()
            .unwrap_or_else(|| root.join("results").join(format!("class-{name}")));
        if let Some(k) = g.index {
            let roster = grader::class::roster(class)?;
            let Some((sub, student)) = roster.get(k) else {
                bail!(
                    "--index {k}: {} holds {} submissions",
                    class.display(),
                    roster.len()
                );
            };
            let (grades, done) = grader::class::grade_entry(&reference, sub, student, &out, &opts)?;
            print!("\n{}", text_table(&grades));
            if done == Done::Unchanged {
                println!("(unchanged since the last grading: not re-graded)");
            }
            println!(
                "wrote {}",
                grader::class::student_dir(&out, student).display()
            );
            return Ok(());
        }
        let (book, done) = grade_class(&reference, class, &out, &opts)?;
        let unchanged = done.iter().filter(|(_, d)| *d == Done::Unchanged).count();
        println!(
            "\n{} submissions: {} graded, {unchanged} unchanged since the last run",
            book.rows.len(),
            done.len() - unchanged
        );
        for r in &book.rows {
            println!(
                "  {:<24} {:>6}/{}",
                r.student,
                points(r.points),
                points(r.max_points)
            );
        }
        for p in &book.written {
            println!("wrote {}", p.display());
        }
        return Ok(());
    }
    let sub = g.submission.clone().unwrap_or_else(|| root.clone());
    let student = student_name(&sub.canonicalize().unwrap_or(sub.clone()));
    // One submission: its results go straight into --out (a job of a job array
    // passes OUT/students/<student>), or into results/grades/<student>.
    let target = g.out.clone().unwrap_or_else(|| {
        root.join("results/grades")
            .join(grader::class::safe_name(&student))
    });
    let (grades, done) = grade_into(&reference, &sub, &student, &target, &opts)?;
    print!("\n{}", text_table(&grades));
    if done == Done::Unchanged {
        println!("(unchanged since the last grading: not re-graded)");
    }
    println!("wrote {}", target.join("grades.json").display());
    println!("wrote {}", target.join("feedback.md").display());
    println!("graded in {:.0} s", grades.seconds);
    Ok(())
}

/// Builds the reference's tests (so that submissions share its compiled
/// dependencies) and checks that every test the table lists exists there.
fn prepare_reference(reference: &Reference, opts: &GradeOptions) -> anyhow::Result<()> {
    let crates: Vec<&str> = reference
        .table
        .crates()
        .into_iter()
        .filter(|c| opts.only.as_ref().is_none_or(|o| o.contains(*c)))
        .collect();
    eprintln!("grade: building the reference's tests (once; submissions share its dependencies) …");
    let (exes, builds) =
        build_reference(&reference.root, &crates, &default_target(&reference.root))?;
    if let Some(b) = builds.iter().find(|b| !b.compiled) {
        bail!(
            "the reference's crate {} does not compile; fix it before grading:\n{}",
            b.krate,
            b.errors.join("\n")
        );
    }
    let mut missing = Vec::new();
    for exe in &exes {
        let names = list_tests(exe, &Sandbox::Off)?;
        for a in reference
            .table
            .assignments
            .iter()
            .filter(|a| a.krate() == exe.krate)
        {
            for t in a.graded() {
                let hidden_stub = reference.is_release && grader::grade::Grades::is_hidden(t);
                if !hidden_stub && !names.iter().any(|n| n == t) {
                    missing.push(format!("{}: {} {t}", a.id, exe.krate));
                }
            }
        }
    }
    if !missing.is_empty() {
        bail!(
            "grading.toml lists tests that the reference does not have (fix the table):\n  {}",
            missing.join("\n  ")
        );
    }
    Ok(())
}
