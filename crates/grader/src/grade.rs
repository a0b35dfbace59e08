//! Grading one submission from the instructor's copy: the options, the
//! scores, and the steps in order ([`crate::reference`] holds the copy,
//! [`crate::stages`] builds and runs).
//!
//! 1. Read the submission's Rust files; take the text between each pair of
//!    exercise markers and check it ([`crate::submission`], [`crate::check`]).
//! 2. Export the reference (its tests, hidden ones included, its manifests,
//!    build scripts and every line outside the markers) with the taken
//!    regions spliced in; exercises not taken get `todo!`.
//! 3. Build the graded crates' unit tests in the sandbox, in a target folder
//!    of the submission's own that links the reference's compiled
//!    dependencies; the export's crates carry a version of their own
//!    (derived from what was taken), so no other build of them is reused.
//! 4. Run every test that the table lists, each in the sandbox with a time
//!    limit; a listed test that did not run counts as failed.
//! 5. Score: points × passed / listed, and 0 for an exercise whose regions
//!    were not taken.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::compile::CrateBuild;
pub use crate::options::{GradeOptions, Target};
pub use crate::reference::{content_hash, Reference};
use crate::run::{Outcome, TestResult};
use crate::stages::{build_stage, export_stage, run_stage};
use crate::submission::{read_sources, student_name, take, Taken};
use crate::GraderError;

/// The score of one assignment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Score {
    pub id: String,
    pub passed: usize,
    /// The tests the table lists for it (hidden ones included).
    pub total: usize,
    pub points: f64,
    pub max_points: f64,
    pub note: Option<String>,
}

/// The grading of one submission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grades {
    pub student: String,
    pub submission: PathBuf,
    /// Identifies what was graded: the reference and the regions taken.
    pub hash: String,
    pub scores: Vec<Score>,
    pub points: f64,
    pub max_points: f64,
    /// Why exercises were not taken from the submission.
    pub problems: BTreeMap<String, Vec<String>>,
    /// Why nothing could be graded (an unreadable archive, say).
    pub error: Option<String>,
    pub builds: Vec<CrateBuild>,
    pub tests: Vec<TestResult>,
    pub sandbox: String,
    pub seconds: f64,
}

impl Grades {
    /// The score of assignment `id`.
    pub fn score(&self, id: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.id == id)
    }

    /// Whether test `name` of `krate` is a hidden one.
    pub fn is_hidden(name: &str) -> bool {
        crate::table::is_hidden_test(name)
    }
}

/// What a submission at `path` gives when read and taken (no build yet):
/// its name, the regions, and the hash of what would be graded.
pub fn prepare(reference: &Reference, path: &Path) -> (String, Result<Taken, String>) {
    let name = student_name(path);
    let taken = read_sources(path)
        .map(|s| take(&s, &reference.layout, &reference.ids()))
        .map_err(|e| e.to_string());
    (name, taken)
}

/// Grades the submission at `path` (a folder, `.zip` or `.tar.gz`).
pub fn grade_path(
    reference: &Reference,
    path: &Path,
    opts: &GradeOptions,
) -> Result<Grades, GraderError> {
    let (name, taken) = prepare(reference, path);
    match taken {
        Ok(t) => grade_taken(reference, &name, path, &t, opts),
        Err(e) => Ok(unreadable(reference, &name, path, e, opts)),
    }
}

/// Grades of a submission that could not be read at all: every assignment 0.
pub fn unreadable(
    reference: &Reference,
    name: &str,
    path: &Path,
    why: String,
    opts: &GradeOptions,
) -> Grades {
    let scores = assignments(reference, opts)
        .map(|a| Score {
            id: a.id.clone(),
            passed: 0,
            total: a.graded().count(),
            points: 0.0,
            max_points: a.points,
            note: Some("the submission could not be read".into()),
        })
        .collect::<Vec<_>>();
    Grades {
        student: name.to_string(),
        submission: path.to_path_buf(),
        hash: String::new(),
        max_points: scores.iter().map(|s| s.max_points).sum(),
        points: 0.0,
        scores,
        problems: BTreeMap::new(),
        error: Some(why),
        builds: Vec::new(),
        tests: Vec::new(),
        sandbox: opts.sandbox.describe(),
        seconds: 0.0,
    }
}

fn assignments<'a>(
    reference: &'a Reference,
    opts: &'a GradeOptions,
) -> impl Iterator<Item = &'a crate::table::Assignment> {
    reference
        .table
        .assignments
        .iter()
        .filter(|a| opts.only.as_ref().is_none_or(|o| o.contains(a.krate())))
}

/// The crates whose tests grade this run's assignments.
pub fn graded_crates<'a>(reference: &'a Reference, opts: &GradeOptions) -> Vec<&'a str> {
    reference
        .table
        .crates()
        .into_iter()
        .filter(|c| opts.only.as_ref().is_none_or(|o| o.contains(*c)))
        .collect()
}

/// Grades what was taken from a submission.
pub fn grade_taken(
    reference: &Reference,
    name: &str,
    path: &Path,
    taken: &Taken,
    opts: &GradeOptions,
) -> Result<Grades, GraderError> {
    let start = Instant::now();
    let hash = content_hash(reference, taken);
    let crates = graded_crates(reference, opts);
    // Nothing to build when no region at all could be taken (no markers,
    // everything refused); the release check's skeleton (nothing taken,
    // nothing wrong) is built like any other step.
    let nothing = taken.texts.is_empty() && !taken.problems.is_empty();
    let (builds, tests) = if !nothing {
        let prepared = export_stage(reference, taken, &hash, opts)?;
        let (exes, builds) = build_stage(&prepared, &crates, opts)?;
        let tests = run_stage(reference, &prepared, &crates, &exes, opts)?;
        prepared.clean(opts);
        (builds, tests)
    } else {
        // Nothing to build: every exercise is missing or refused.
        (Vec::new(), Vec::new())
    };
    let scores = score(reference, taken, &builds, &tests, opts);
    Ok(Grades {
        student: name.to_string(),
        submission: path.to_path_buf(),
        hash,
        points: scores.iter().map(|s| s.points).sum(),
        max_points: scores.iter().map(|s| s.max_points).sum(),
        scores,
        problems: taken.problems.clone(),
        error: None,
        builds,
        tests,
        sandbox: opts.sandbox.describe(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Step 5: points × passed / listed per assignment; 0 where the
/// submission's regions were not taken.
pub fn score(
    reference: &Reference,
    taken: &Taken,
    builds: &[CrateBuild],
    tests: &[TestResult],
    opts: &GradeOptions,
) -> Vec<Score> {
    let mut scores = Vec::new();
    for a in assignments(reference, opts) {
        let hidden_missing = reference.is_release;
        let listed: Vec<&str> = a
            .graded()
            .filter(|t| !(hidden_missing && Grades::is_hidden(t)))
            .collect();
        let result = |t: &str| tests.iter().find(|r| r.krate == a.krate() && r.name == t);
        let passed = listed
            .iter()
            .filter(|t| result(t).is_some_and(|r| r.outcome == Outcome::Passed))
            .count();
        let total = listed.len();
        let problem = taken.problems.get(&a.id);
        let build = builds.iter().find(|b| b.krate == a.krate());
        let mut notes = Vec::new();
        if let Some(p) = problem {
            notes.push(format!("not graded: {}", p.join("; ")));
        } else if !taken.complete(&a.id) {
            notes.push("not taken from the submission".to_string());
        } else if build.is_some_and(|b| !b.compiled) {
            notes.push(format!("{} does not compile", a.krate()));
        }
        if tests
            .iter()
            .any(|r| r.krate == a.krate() && a.matches(&r.name) && r.outcome == Outcome::TimedOut)
        {
            notes.push("a test ran out of time".into());
        }
        if hidden_missing && !a.hidden.is_empty() {
            notes.push(format!(
                "{} hidden test(s) run only when the instructor grades",
                a.hidden.len()
            ));
        }
        let points = if problem.is_some() || total == 0 {
            0.0
        } else {
            a.points * passed as f64 / total as f64
        };
        scores.push(Score {
            id: a.id.clone(),
            passed: if problem.is_some() { 0 } else { passed },
            total,
            points,
            max_points: a.points,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        });
    }
    scores
}
