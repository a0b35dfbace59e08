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
    /// Test names of the crate; a trailing `*` matches by prefix.
    pub tests: Vec<String>,
}

impl Assignment {
    /// The crate whose tests grade it: the part of the id before the dot.
    pub fn krate(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// Whether the test called `name` (as `--list` prints it) belongs to it.
    pub fn matches(&self, name: &str) -> bool {
        self.tests.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == p,
        })
    }
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
            if a.tests.is_empty() || a.tests.iter().any(|t| t.trim().is_empty()) {
                return Err(bad(format!(
                    "assignment {}: `tests` needs at least one test name, none empty",
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

/// `<crate>.<name>`, both parts non-empty words of letters, digits and `_`.
pub fn valid_id(id: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    matches!(id.split_once('.'), Some((k, n)) if word(k) && word(n))
}

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
tests = ["backprop::tests::classify_*", "backprop::tests::loss_by_hand"]

[[assignment]]
id = "metrics.eval_perf_multi"
points = 2.5
task = "the confusion matrix"
tests = ["tests::multi_*"]

[export]
exclude = ["crates/grader/tests/release.rs"]
"#;

    fn parse(text: &str) -> Result<Table, GraderError> {
        Table::parse(text, Path::new("grading.toml"))
    }

    #[test]
    fn a_table_parses_and_matches_tests_by_name_or_prefix() {
        let t = parse(GOOD).unwrap();
        assert_eq!(t.crates(), ["fcann2", "metrics"]);
        assert_eq!(t.total_points(), 7.5);
        let a = t.get("fcann2.forward").unwrap();
        assert_eq!(a.krate(), "fcann2");
        assert!(a.matches("backprop::tests::classify_by_hand"));
        assert!(a.matches("backprop::tests::loss_by_hand"));
        assert!(!a.matches("backprop::tests::loss_by_hand_2"));
        assert!(!a.matches("tests::classify_by_hand"));
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
            msg(&GOOD.replace("tests = [\"tests::multi_*\"]", "tests = []"))
                .contains("at least one test")
        );
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
