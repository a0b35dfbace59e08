//! `grader`, behind `./dl student` and `./dl grade`.
//!
//! * `grader student DIR`: the student release of this workspace in DIR
//!   (marked exercises replaced by `todo!`, no results, data or history).
//! * `grader grade [DIR]`: build and run the tests of DIR (this workspace by
//!   default) crate by crate, score each assignment of `grading.toml`, print
//!   the table and write `grades.json` and `grades.md`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use grader::export::{export, Destination};
use grader::grade::{grade, GradeOptions};
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
    /// Grade a workspace: points per assignment of grading.toml
    Grade {
        /// The workspace to grade [default: the one around the current folder]
        dir: Option<PathBuf>,
        /// Stop a test after this many seconds (it counts as failed)
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
        /// Tests run at once [default: the number of CPU cores]
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only the tests that score an assignment
        #[arg(long)]
        graded_only: bool,
        /// Where grades.json and grades.md go [default: DIR/results/grades]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Cargo's target folder for the build [default: DIR/target]
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
        /// The assignment table [default: this workspace's grading.toml]
        #[arg(long, value_name = "FILE")]
        table: Option<PathBuf>,
    },
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
        Cmd::Grade {
            dir,
            timeout,
            jobs,
            graded_only,
            out,
            target_dir,
            table,
        } => {
            anyhow::ensure!(timeout >= 1, "--timeout must be at least 1 second");
            anyhow::ensure!(jobs != Some(0), "--jobs must be at least 1");
            let reference = here().ok();
            let root = match dir {
                Some(d) => find_root(&d)?,
                None => reference.clone().context("no workspace to grade")?,
            };
            // The table of the workspace that grades, not of the submission.
            let table_path = match (table, &reference) {
                (Some(t), _) => t,
                (None, Some(r)) => r.join(grader::table::FILE),
                (None, None) => root.join(grader::table::FILE),
            };
            let text = std::fs::read_to_string(&table_path)
                .with_context(|| format!("cannot read {}", table_path.display()))?;
            let table = Table::parse(&text, &table_path)?;
            let mut opts = GradeOptions {
                target_dir,
                timeout: Duration::from_secs(timeout),
                graded_only,
                ..GradeOptions::default()
            };
            if let Some(j) = jobs {
                opts.jobs = j;
            }
            let g = grade(&root, &table, &opts)?;
            print!("\n{}", grader::report::text_table(&g));
            let out = out.unwrap_or_else(|| root.join("results/grades"));
            for p in grader::report::save(&g, &out)? {
                println!("wrote {}", p.display());
            }
            println!("graded in {:.0} s", g.seconds);
            Ok(())
        }
    }
}
