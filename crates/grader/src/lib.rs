//! The student release and the autograder of the course.
//!
//! The grade is computed from the instructor's copy (the reference): only
//! the text between a submission's exercise markers is taken, checked, and
//! spliced into a fresh export of the reference, whose own tests (hidden
//! ones included) are built and run in a sandbox.
//!
//! * [`table`]: `grading.toml`, the assignments (id, points, task, tests).
//! * [`markers`]: the `// exercise(<id>) begin` … `end` regions; blanking,
//!   splicing, and reading them leniently from a submission.
//! * [`check`]: what a region may contain, on its `syn` syntax tree.
//! * [`submission`]: a folder or archive → the regions taken from it.
//! * [`export`]: the student release, or a workspace to grade.
//! * [`sandbox`], [`process`]: bubblewrap with limits; time-limited children.
//! * [`compile`], [`run`]: cargo's build of the tests; one test at a time.
//! * [`grade`]: one submission, end to end, and its scores; it stands on
//!   [`reference`] (the instructor's copy), [`options`] (where to build, the
//!   limits) and [`stages`] (export, build, run); [`report`] prints and
//!   saves the result.
//! * [`class`]: a folder of submissions and the gradebook.
//! * [`wrong`]: plausible wrong solutions, which the grader's tests grade
//!   to show that each assignment's tests catch them.

pub mod check;
pub mod class;
pub mod compile;
pub mod export;
pub mod grade;
pub mod handout;
pub mod markers;
pub mod mutants;
pub mod options;
pub mod process;
pub mod reference;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod stages;
pub mod submission;
pub mod table;
pub mod wrong;

use std::path::PathBuf;

/// Everything that can go wrong in the release or the grading.
#[derive(Debug, thiserror::Error)]
pub enum GraderError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Table {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{path}: {message}")]
    BadTable { path: PathBuf, message: String },
    #[error("{path}:{line}: {message}")]
    Marker {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("assignment {id} of grading.toml has no `// exercise({id}) begin` marker in any source file")]
    UnmarkedAssignment { id: String },
    #[error("no grading.toml in {0} or any folder above it: run this inside a dl-labs workspace or give its folder")]
    NoWorkspace(PathBuf),
    #[error("{0} exists and is not empty; give a new folder (nothing is overwritten)")]
    DestinationNotEmpty(PathBuf),
    #[error("the student release cannot go inside the workspace it is made from ({0}), except into a folder git ignores; give a folder outside it, e.g. ../student")]
    DestinationInside(PathBuf),
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
    #[error("`{command}` failed: {message}")]
    Command { command: String, message: String },
    #[error("cannot grade in a sandbox: {why}; {hint}", hint = crate::sandbox::INSTALL_HINT)]
    NoSandbox { why: String },
}
