//! The student release and the autograder of the course.
//!
//! * [`table`]: `grading.toml`, the assignments (id, points, task, tests).
//! * [`markers`]: the `// exercise(<id>) begin` … `end` regions in the
//!   reference source, and their replacement by `todo!("<id>: <task>")`.
//! * [`export`]: a student workspace written from the reference.
//! * [`grade`]: build a workspace's tests crate by crate, run each test with
//!   a time limit, score every assignment; [`report`] prints and saves it.

pub mod export;
pub mod grade;
pub mod markers;
pub mod report;
pub mod table;

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
}
