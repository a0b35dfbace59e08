//! How strong an assignment's tests are, measured with cargo-mutants on the
//! marked regions only (`./dl mutants [ASSIGNMENT]`): every small change
//! cargo-mutants makes to the reference's code between an assignment's
//! markers should make one of that assignment's graded tests fail.
//!
//! cargo-mutants mutates the lines a diff adds (`--in-diff`); the diff made
//! here adds exactly the lines inside the assignment's markers, and the tests
//! run are the assignment's own (visible and hidden), by exact name.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::grade::Reference;
use crate::markers;
use crate::table::Table;
use crate::GraderError;

/// A unified diff that adds, file by file, every line inside `id`'s regions.
pub fn region_diff(reference: &Reference, id: &str) -> Result<String, GraderError> {
    let mut out = String::new();
    for (rel, ids) in &reference.layout {
        if !ids.iter().any(|i| i == id) {
            continue;
        }
        let path = reference.root.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|source| GraderError::Read {
            path: path.clone(),
            source,
        })?;
        let lines: Vec<&str> = text.lines().collect();
        let regions: Vec<markers::Region> = markers::scan(&text, rel)?
            .into_iter()
            .filter(|r| r.id == id)
            .collect();
        let name = rel.to_string_lossy().replace('\\', "/");
        let _ = writeln!(out, "--- a/{name}\n+++ b/{name}");
        let mut added = 0;
        for r in regions {
            // the code between the marker lines (1-based `begin` and `end`)
            let body = &lines[r.begin..r.end - 1];
            let _ = writeln!(
                out,
                "@@ -{},0 +{},{} @@",
                r.begin - added,
                r.begin + 1,
                body.len()
            );
            for l in body {
                let _ = writeln!(out, "+{l}");
            }
            added += body.len();
        }
    }
    Ok(out)
}

/// The tests a mutant of assignment `id` must fail: its own graded tests
/// (visible and hidden), and with `with_later` those of the later
/// assignments of its crate too (code that only a later exercise's loop
/// runs, such as the contrastive branch of the autoencoder's training loop).
/// Empty for an id the table does not have.
pub fn tests_for<'t>(table: &'t Table, id: &str, with_later: bool) -> Vec<&'t str> {
    let Some(pos) = table.assignments.iter().position(|a| a.id == id) else {
        return Vec::new();
    };
    let a = &table.assignments[pos];
    let later = table.assignments[pos + 1..]
        .iter()
        .filter(|b| with_later && b.krate() == a.krate());
    a.graded().chain(later.flat_map(|b| b.graded())).collect()
}

/// What cargo-mutants found for one assignment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub caught: usize,
    pub unviable: usize,
    /// The mutants no test caught, as cargo-mutants names them.
    pub missed: Vec<String>,
    /// The mutants that made the tests run past the time limit (loops that
    /// never end: the grader's own time limit fails such a submission).
    pub timed_out: Vec<String>,
    /// Whether the tests passed on the unmutated code (otherwise nothing was
    /// measured).
    pub baseline_passed: bool,
}

impl Counts {
    /// Caught + missed + timed out (a mutant that hangs the tests is caught
    /// by the grader's time limit, but is counted as not caught here to stay
    /// on the safe side).
    pub fn viable(&self) -> usize {
        self.caught + self.missed.len() + self.timed_out.len()
    }

    pub fn percent(&self) -> Option<f64> {
        (self.viable() > 0).then(|| 100.0 * self.caught as f64 / self.viable() as f64)
    }

    /// Reads cargo-mutants' `mutants.out` folder (its `outcomes.json` and `missed.txt`).
    pub fn read(mutants_out: &Path) -> Result<Counts, GraderError> {
        let read = |name: &str| {
            let path = mutants_out.join(name);
            std::fs::read_to_string(&path).map_err(|source| GraderError::Read { path, source })
        };
        let json: serde_json::Value =
            serde_json::from_str(&read("outcomes.json")?).map_err(|e| GraderError::Read {
                path: mutants_out.join("outcomes.json"),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
        let n = |k: &str| json.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as usize;
        let names = |file: &str| -> Vec<String> {
            read(file)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        };
        let baseline_passed = json
            .get("outcomes")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
            .filter(|o| o.get("scenario").and_then(|s| s.as_str()) == Some("Baseline"))
            .all(|o| o.get("summary").and_then(|s| s.as_str()) == Some("Success"));
        let c = Counts {
            baseline_passed,
            caught: n("caught"),
            unviable: n("unviable"),
            missed: names("missed.txt"),
            timed_out: names("timeout.txt"),
        };
        // The counts in outcomes.json and the lists must agree.
        if c.missed.len() != n("missed") || c.timed_out.len() != n("timeout") {
            return Err(GraderError::Read {
                path: mutants_out.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "outcomes.json counts {} missed and {} timed out, but missed.txt lists {} \
                         and timeout.txt {}: run `./dl mutants` again",
                        n("missed"),
                        n("timeout"),
                        c.missed.len(),
                        c.timed_out.len()
                    ),
                ),
            });
        }
        Ok(c)
    }
}

/// The README table: one row per assignment measured.
pub fn table(rows: &[(String, Counts)]) -> String {
    let mut s = String::from(
        "| assignment | mutants caught / viable | caught | timed out | unviable (do not compile) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (id, c) in rows {
        let pct = c
            .percent()
            .map(|p| format!("{p:.0} %"))
            .unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| `{id}` | {} / {} | {pct} | {} | {} |",
            c.caught,
            c.viable(),
            c.timed_out.len(),
            c.unviable
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_the_table() {
        let c = Counts {
            caught: 9,
            unviable: 4,
            missed: vec!["src/lib.rs:3:5: replace + with -".into()],
            timed_out: vec![],
            baseline_passed: true,
        };
        assert_eq!(c.viable(), 10);
        assert_eq!(c.percent(), Some(90.0));
        let t = table(&[("metrics.eval_ap".into(), c)]);
        assert!(
            t.contains("| `metrics.eval_ap` | 9 / 10 | 90 % | 0 | 4 |"),
            "{t}"
        );
        assert_eq!(Counts::default().percent(), None);
    }

    #[test]
    fn counts_are_read_from_cargo_mutants_output_and_must_agree_with_its_lists() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
        write(
            "outcomes.json",
            r#"{"caught": 7, "missed": 1, "timeout": 1, "unviable": 2,
                "outcomes": [{"scenario": "Baseline", "summary": "Success"}]}"#,
        );
        write("missed.txt", "src/a.rs:1:1: replace < with <=\n");
        write("timeout.txt", "src/a.rs:2:1: replace += with -=\n");
        let c = Counts::read(d).unwrap();
        assert_eq!((c.caught, c.unviable, c.viable()), (7, 2, 9));
        assert_eq!(c.missed, ["src/a.rs:1:1: replace < with <="]);
        assert_eq!(c.timed_out.len(), 1);
        assert!(c.baseline_passed);
        // a list that disagrees with the counts is an error, not a table row
        write("missed.txt", "");
        let e = Counts::read(d).unwrap_err().to_string();
        assert!(e.contains("1 missed") && e.contains("lists 0"), "{e}");
    }

    #[test]
    fn with_later_adds_the_later_assignments_of_the_same_crate_only() {
        let entry = |id: &str, test: &str| {
            format!(
                "[[assignment]]\nid = \"{id}\"\npoints = 1\ntask = \"t\"\ntests = [\"{test}\"]\n"
            )
        };
        let text = [
            entry("ae.model", "tests::model"),
            entry("ae.train", "tests::train"),
            entry("other.x", "tests::x"),
            entry("ae.contrastive", "tests::contrastive"),
        ]
        .concat()
            + "hidden = [\"hidden_tests::contrastive\"]\n";
        let t = Table::parse(&text, Path::new("grading.toml")).unwrap();
        assert_eq!(tests_for(&t, "ae.train", false), ["tests::train"]);
        assert_eq!(
            tests_for(&t, "ae.train", true),
            [
                "tests::train",
                "tests::contrastive",
                "hidden_tests::contrastive"
            ]
        );
        // the last of its crate has nothing later; an unknown id has no tests
        assert_eq!(
            tests_for(&t, "ae.contrastive", true),
            ["tests::contrastive", "hidden_tests::contrastive"]
        );
        assert!(tests_for(&t, "ae.nothing", true).is_empty());
    }
}
