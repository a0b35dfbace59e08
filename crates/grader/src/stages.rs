//! Building and running one submission: export the reference with the
//! submission's regions spliced in, build the graded crates' tests in the
//! sandbox, run the listed tests each with a time limit.

use std::path::{Path, PathBuf};

use crate::compile::{build_tests, link_shared_target, CrateBuild, Executable};
use crate::export::{export_with, Destination, Plan, Purpose};
use crate::markers::{Fill, Region};
use crate::options::{GradeOptions, Target};
use crate::reference::Reference;
use crate::run::{list_tests, run_all, scratch_of, Outcome, TestResult};
use crate::sandbox::Sandbox;
use crate::submission::Taken;
use crate::table::HIDDEN_MODULE;
use crate::GraderError;

fn io_write(path: &Path) -> impl FnOnce(std::io::Error) -> GraderError + '_ {
    move |source| GraderError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A spliced workspace, ready to build.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The submission's work folder (everything its build may write).
    pub work: PathBuf,
    /// The spliced workspace.
    pub ws: PathBuf,
    /// Cargo's target folder for it.
    pub target: PathBuf,
    writable: Vec<PathBuf>,
    /// The grading's sandbox, showing these folders wherever they are.
    sandbox: Sandbox,
}

impl Prepared {
    /// Removes what the grading left (unless `keep_work`): the whole work
    /// folder of a fresh target, the log folders of a reused one.
    pub fn clean(&self, opts: &GradeOptions) {
        if opts.keep_work {
            return;
        }
        let _ = match &opts.target {
            Target::Fresh { .. } => std::fs::remove_dir_all(&self.work),
            Target::Reuse(_) | Target::Incremental(_) => {
                std::fs::remove_dir_all(scratch_of(&self.work))
            }
        };
    }
}

/// Step 2: the reference exported with the taken regions spliced in.
pub fn export_stage(
    reference: &Reference,
    taken: &Taken,
    hash: &str,
    opts: &GradeOptions,
) -> Result<Prepared, GraderError> {
    let versions = match &opts.target {
        Target::Incremental(_) => crate::export::Versions::all("-incremental"),
        _ => reference.versions(taken),
    };
    let (work, target, mode) = match &opts.target {
        Target::Fresh { .. } => {
            let work = opts
                .work
                .join(format!("{}-{:08x}", &hash[..12], rand::random::<u32>()));
            if work.exists() {
                std::fs::remove_dir_all(&work).map_err(io_write(&work))?;
            }
            let target = work.join("target");
            (work, target, Destination::New)
        }
        Target::Reuse(t) | Target::Incremental(t) => {
            (opts.work.clone(), t.clone(), Destination::Update)
        }
    };
    let ws = work.join("ws");
    std::fs::create_dir_all(&work).map_err(io_write(&work))?;
    let fill =
        |f: &Path, r: &Region, k: usize| match taken.texts.get(&(f.to_path_buf(), r.id.clone())) {
            Some(texts) => texts.get(k).map_or(Fill::Todo, |t| Fill::Text(t.clone())),
            None => Fill::Todo,
        };
    if opts.verbose {
        labkit::note!(
            "grade: exporting the reference with the submission's exercises into {}",
            ws.display()
        );
    }
    export_with(
        &reference.root,
        &ws,
        &reference.table,
        &Plan {
            purpose: Purpose::Grading,
            fill: &fill,
            versions: &versions,
            mode,
        },
    )?;
    let mut shown = vec![work.as_path(), target.as_path(), reference.root.as_path()];
    if let Target::Fresh { shared } = &opts.target {
        shown.push(shared);
    }
    let sandbox = opts.sandbox.clone().showing(&shown);
    let writable = match &opts.target {
        Target::Fresh { shared } => {
            link_shared_target(shared, &target)?;
            vec![work.clone()]
        }
        Target::Reuse(t) | Target::Incremental(t) => {
            std::fs::create_dir_all(t).map_err(io_write(t))?;
            vec![work.clone(), t.clone()]
        }
    };
    Ok(Prepared {
        work,
        ws,
        target,
        writable,
        sandbox,
    })
}

/// Step 3: the graded crates' unit tests, built in the sandbox.
pub fn build_stage(
    p: &Prepared,
    crates: &[&str],
    opts: &GradeOptions,
) -> Result<(Vec<Executable>, Vec<CrateBuild>), GraderError> {
    if opts.verbose {
        labkit::note!("grade: building the tests of {} …", crates.join(", "));
    }
    let writable: Vec<&Path> = p.writable.iter().map(PathBuf::as_path).collect();
    let built = build_tests(
        &p.ws,
        crates,
        &p.target,
        &p.sandbox,
        &writable,
        opts.build_timeout,
    )?;
    // The hidden tests are compiled in; their source is not left for the
    // tests to read (a reused workspace keeps it, to stay incremental).
    if matches!(opts.target, Target::Fresh { .. }) {
        remove_hidden_sources(&p.ws, crates);
    }
    Ok(built)
}

/// Step 4: every test the table lists for `crates`, each in the sandbox; a
/// listed test that is not in the build is `NotRun` (it counts as failed).
pub fn run_stage(
    reference: &Reference,
    p: &Prepared,
    crates: &[&str],
    exes: &[Executable],
    opts: &GradeOptions,
) -> Result<Vec<TestResult>, GraderError> {
    let mut jobs: Vec<(Executable, String)> = Vec::new();
    let mut not_run: Vec<TestResult> = Vec::new();
    for &c in crates {
        let listed: Vec<&str> = reference
            .table
            .assignments
            .iter()
            .filter(|a| a.krate() == c)
            .flat_map(|a| a.graded())
            .filter(|t| !(reference.is_release && crate::table::is_hidden_test(t)))
            .collect();
        let exe = exes.iter().find(|e| e.krate == c);
        let names = match exe {
            Some(e) => list_tests(e, &p.sandbox)?,
            None => Vec::new(),
        };
        for t in listed {
            match exe {
                Some(e) if names.iter().any(|n| n == t) => jobs.push((e.clone(), t.to_string())),
                _ => not_run.push(TestResult {
                    krate: c.to_string(),
                    name: t.to_string(),
                    outcome: Outcome::NotRun,
                    seconds: 0.0,
                    output: Some(if exe.is_some() {
                        "no such test in the build (it counts as failed)".into()
                    } else {
                        format!("{c} does not compile (its tests count as failed)")
                    }),
                }),
            }
        }
    }
    if opts.verbose {
        labkit::note!(
            "grade: running {} tests, {} at a time …",
            jobs.len(),
            opts.jobs.max(1)
        );
    }
    let mut tests = run_all(
        jobs,
        &p.sandbox,
        &scratch_of(&p.work),
        opts.timeout,
        opts.jobs,
        opts.processes,
        opts.verbose,
    )?;
    tests.extend(not_run);
    Ok(tests)
}

/// Deletes `src/hidden_tests.rs` of the graded crates of a built export.
fn remove_hidden_sources(ws: &Path, crates: &[&str]) {
    for c in crates {
        let _ = std::fs::remove_file(
            ws.join("crates")
                .join(c)
                .join("src")
                .join(format!("{HIDDEN_MODULE}.rs")),
        );
    }
}
