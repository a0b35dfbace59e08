//! How to grade: where the submission's crates are built, and the limits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sandbox::Sandbox;

/// Where the submission's crates are built.
#[derive(Debug, Clone)]
pub enum Target {
    /// A new target folder per submission, under its work folder, linking
    /// the compiled dependencies of this (the reference's) target folder.
    Fresh { shared: PathBuf },
    /// This one target folder, and one spliced workspace updated in place
    /// under the work folder, kept between gradings: each step rebuilds only
    /// the crates whose compiled code changed (the release check's ladder).
    /// Crate versions follow their content, so a crate built for another
    /// content is never reused, whatever the file times.
    Reuse(PathBuf),
    /// Like `Reuse`, but every export keeps one fixed version and cargo's own
    /// change detection (file times) decides what to rebuild, so that
    /// rustc's incremental caches stay warm. Only for exports of the
    /// instructor's own code made one after the other (the release check's
    /// ladder): it gives no isolation between submissions.
    Incremental(PathBuf),
}

/// How to grade.
#[derive(Debug, Clone)]
pub struct GradeOptions {
    /// A test still running after this long is stopped and counts as failed.
    pub timeout: Duration,
    /// The build is stopped after this long (its crates score 0).
    pub build_timeout: Duration,
    /// Tests run at once.
    pub jobs: usize,
    /// A process per test (always, for submissions), or shared processes
    /// (the instructor's own code only).
    pub processes: crate::run::Processes,
    pub sandbox: Sandbox,
    /// The folder under which each submission gets its work folder.
    pub work: PathBuf,
    pub target: Target,
    /// Grade only the assignments of these crates (all when `None`).
    pub only: Option<BTreeSet<String>>,
    /// Keep the work folder (the spliced workspace and its build) afterwards.
    pub keep_work: bool,
    /// Grade even where results for the same content hash exist.
    pub regrade: bool,
    /// Print progress on stderr.
    pub verbose: bool,
}

impl GradeOptions {
    /// Defaults for grading from the reference at `root`: its target folder
    /// shared, work folders under `<target>/grading`.
    pub fn new(root: &Path, sandbox: Sandbox) -> GradeOptions {
        let target = crate::compile::default_target(root);
        GradeOptions {
            timeout: Duration::from_secs(300),
            build_timeout: Duration::from_secs(1800),
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            processes: crate::run::Processes::OnePerTest,
            sandbox: sandbox.showing(&[root, &target]),
            work: target.join("grading"),
            target: Target::Fresh { shared: target },
            only: None,
            keep_work: false,
            regrade: false,
            verbose: true,
        }
    }
}
