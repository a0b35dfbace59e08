//! `grading.toml`: the assignments in course order, their points, the task
//! line of their `todo!`, and the tests that score them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::GraderError;

/// The file name, at the workspace root.
pub const FILE: &str = "grading.toml";

/// One assignment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// `<crate>.<name>`.
    pub id: String,
    pub points: f64,
    /// The one line shown by the `todo!` of the student release.
    pub task: String,
    /// Unit tests of the crate's library, by their exact names as
    /// `cargo test -p <crate> --lib -- --list` prints them.
    pub tests: Vec<String>,
    /// Hidden tests: unit tests in the crate's `src/hidden_tests.rs`
    /// (`hidden_tests::<name>`), which the student release does not contain.
    #[serde(default)]
    pub hidden: Vec<String>,
}

impl Assignment {
    /// The crate whose tests grade it: the part of the id before the dot.
    pub fn krate(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// Whether the test called `name` (as `--list` prints it) belongs to it.
    pub fn matches(&self, name: &str) -> bool {
        self.graded().any(|t| t == name)
    }

    /// Every test that scores it, visible ones first: its denominator.
    pub fn graded(&self) -> impl Iterator<Item = &str> {
        self.tests.iter().chain(&self.hidden).map(String::as_str)
    }
}

/// The module of a crate's library that holds its hidden tests, and its file
/// name in `src/`.
pub const HIDDEN_MODULE: &str = "hidden_tests";

/// Whether a test's path (`<module>::…::<name>`) is one of the hidden tests.
pub fn is_hidden_test(name: &str) -> bool {
    name.starts_with(&format!("{HIDDEN_MODULE}::"))
}

/// What the student release leaves out.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRules {
    /// Paths relative to the workspace root.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(rename = "assignment")]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub export: ExportRules,
}

impl Table {
    /// Reads and checks `<root>/grading.toml`.
    pub fn load(root: &Path) -> Result<Table, GraderError> {
        let path = root.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| GraderError::Read {
            path: path.clone(),
            source,
        })?;
        Table::parse(&text, &path)
    }

    /// Parses and checks the text of a table (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Table, GraderError> {
        let table: Table = toml::from_str(text).map_err(|e| GraderError::Table {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        table.check(path)?;
        Ok(table)
    }

    fn check(&self, path: &Path) -> Result<(), GraderError> {
        let bad = |message: String| GraderError::BadTable {
            path: PathBuf::from(path),
            message,
        };
        if self.assignments.is_empty() {
            return Err(bad("no [[assignment]] entries".into()));
        }
        let mut seen = BTreeSet::new();
        for a in &self.assignments {
            if !valid_id(&a.id) {
                return Err(bad(format!(
                    "assignment id {:?} is not `<crate>.<name>` (letters, digits, _)",
                    a.id
                )));
            }
            if !seen.insert(a.id.as_str()) {
                return Err(bad(format!("assignment {} is listed twice", a.id)));
            }
            if !(a.points.is_finite() && a.points >= 0.0) {
                return Err(bad(format!(
                    "assignment {}: points must be a number ≥ 0, got {}",
                    a.id, a.points
                )));
            }
            if a.tests.is_empty() || a.graded().any(|t| t.trim().is_empty()) {
                return Err(bad(format!(
                    "assignment {}: `tests` needs at least one test name, none empty",
                    a.id
                )));
            }
            if let Some(t) = a.graded().find(|t| t.contains('*')) {
                return Err(bad(format!(
                    "assignment {}: {t:?} is a pattern; list every test by its exact name (a pattern would count tests a student adds)",
                    a.id
                )));
            }
            let prefix = format!("{HIDDEN_MODULE}::");
            if let Some(t) = a.tests.iter().find(|t| t.starts_with(&prefix)) {
                return Err(bad(format!(
                    "assignment {}: {t:?} is a hidden test; list it under `hidden`",
                    a.id
                )));
            }
            if let Some(t) = a.hidden.iter().find(|t| !t.starts_with(&prefix)) {
                return Err(bad(format!(
                    "assignment {}: hidden test {t:?} must be in src/{HIDDEN_MODULE}.rs (named {prefix}…)",
                    a.id
                )));
            }
            let mut names = BTreeSet::new();
            if let Some(t) = a.graded().find(|t| !names.insert(*t)) {
                return Err(bad(format!(
                    "assignment {}: test {t:?} is listed twice",
                    a.id
                )));
            }
            if a.task.trim().is_empty() || a.task.contains('\n') {
                return Err(bad(format!(
                    "assignment {}: `task` must be one non-empty line",
                    a.id
                )));
            }
        }
        Ok(())
    }

    /// The assignment called `id`.
    pub fn get(&self, id: &str) -> Option<&Assignment> {
        self.assignments.iter().find(|a| a.id == id)
    }

    /// The assignment that the test `name` of crate `krate` scores, if any.
    pub fn assignment_of(&self, krate: &str, name: &str) -> Option<&Assignment> {
        self.assignments
            .iter()
            .find(|a| a.krate() == krate && a.matches(name))
    }

    /// The crates that have assignments, in the order they first appear.
    pub fn crates(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for a in &self.assignments {
            if !out.contains(&a.krate()) {
                out.push(a.krate());
            }
        }
        out
    }

    /// Total points.
    pub fn total_points(&self) -> f64 {
        self.assignments.iter().map(|a| a.points).sum()
    }
}

/// The exercise-id grammar (`<crate>.<name>`), defined once in labkit, which
/// reads the ids back from the release's `todo!` messages.
pub use labkit::exit::valid_id;

/// The folder at or above `start` that holds a `grading.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf, GraderError> {
    let start = start.canonicalize().map_err(|source| GraderError::Read {
        path: start.to_path_buf(),
        source,
    })?;
    start
        .ancestors()
        .find(|d| d.join(FILE).is_file())
        .map(Path::to_path_buf)
        .ok_or(GraderError::NoWorkspace(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[assignment]]
id = "fcann2.forward"
points = 5
task = "the forward pass"
tests = ["backprop::tests::classify_by_hand", "backprop::tests::loss_by_hand"]
hidden = ["hidden_tests::forward_on_other_values"]

[[assignment]]
id = "metrics.eval_perf_multi"
points = 2.5
task = "the confusion matrix"
tests = ["tests::multi_confusion"]

[export]
exclude = ["crates/grader/tests/release.rs"]
"#;

    fn parse(text: &str) -> Result<Table, GraderError> {
        Table::parse(text, Path::new("grading.toml"))
    }

    #[test]
    fn a_table_parses_and_matches_tests_by_exact_name() {
        let t = parse(GOOD).unwrap();
        assert_eq!(t.crates(), ["fcann2", "metrics"]);
        assert_eq!(t.total_points(), 7.5);
        let a = t.get("fcann2.forward").unwrap();
        assert_eq!(a.krate(), "fcann2");
        assert!(a.matches("backprop::tests::classify_by_hand"));
        assert!(a.matches("backprop::tests::loss_by_hand"));
        assert!(!a.matches("backprop::tests::loss_by_hand_2"));
        assert!(!a.matches("tests::classify_by_hand"));
        assert!(!a.matches("backprop::tests::classify_by_hand_too"));
        assert!(a.matches("hidden_tests::forward_on_other_values"));
        assert_eq!(a.graded().count(), 3);
        assert_eq!(t.export.exclude, ["crates/grader/tests/release.rs"]);
    }

    #[test]
    fn bad_tables_say_what_is_wrong() {
        let msg = |text: &str| parse(text).unwrap_err().to_string();
        assert!(
            msg("[[assignment]]\nid = \"x\"\npoints = 1\ntask = \"t\"\ntests = [\"a\"]\n")
                .contains("is not `<crate>.<name>`")
        );
        let twice = format!("{GOOD}\n[[assignment]]\nid = \"fcann2.forward\"\npoints = 1\ntask = \"t\"\ntests = [\"a\"]\n");
        // [export] comes before the repeated entry in `twice`, so rebuild it in order.
        let twice = twice.replace(
            "[export]\nexclude = [\"crates/grader/tests/release.rs\"]\n",
            "",
        );
        assert!(msg(&twice).contains("listed twice"), "{}", msg(&twice));
        assert!(msg(&GOOD.replace("points = 5", "points = -1")).contains("points must be"));
        assert!(
            msg(&GOOD.replace("tests = [\"tests::multi_confusion\"]", "tests = []"))
                .contains("at least one test")
        );
        assert!(
            msg(&GOOD.replace("tests::multi_confusion", "tests::multi_*")).contains("is a pattern")
        );
        assert!(
            msg(&GOOD.replace("tests::multi_confusion", "hidden_tests::x"))
                .contains("list it under `hidden`")
        );
        assert!(
            msg(&GOOD.replace("hidden_tests::forward_on_other_values", "x"))
                .contains("must be in src/hidden_tests.rs")
        );
        assert!(msg(&GOOD.replace(
            "\"backprop::tests::loss_by_hand\"",
            "\"backprop::tests::classify_by_hand\""
        ))
        .contains("listed twice"));
        assert!(msg(&GOOD.replace("points = 5", "pionts = 5")).contains("unknown field"));
        assert!(msg("").contains("missing field"));
    }

    #[test]
    fn ids_are_crate_dot_name() {
        assert!(valid_id("pt_deep.count_params"));
        assert!(!valid_id("pt_deep"));
        assert!(!valid_id("pt-deep.forward"));
        assert!(!valid_id(".forward"));
        assert!(!valid_id("a.b.c"));
    }
}
