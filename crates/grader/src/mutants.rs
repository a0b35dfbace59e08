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

/// What cargo-mutants found for one assignment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub caught: usize,
    pub missed: usize,
    pub timeout: usize,
    pub unviable: usize,
    /// The mutants no test caught, as cargo-mutants names them.
    pub missed_names: Vec<String>,
    /// The mutants that made the tests run past the time limit (loops that
    /// never end: the grader's own time limit fails such a submission).
    pub timeout_names: Vec<String>,
    /// Whether the tests passed on the unmutated code (otherwise nothing was
    /// measured).
    pub baseline_passed: bool,
}

impl Counts {
    /// Caught over viable (caught + missed + timed out: a mutant that hangs
    /// the tests is caught by the grader's time limit, but is counted as not
    /// caught here to stay on the safe side).
    pub fn viable(&self) -> usize {
        self.caught + self.missed + self.timeout
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
        Ok(Counts {
            baseline_passed,
            caught: n("caught"),
            missed: n("missed"),
            timeout: n("timeout"),
            unviable: n("unviable"),
            missed_names: names("missed.txt"),
            timeout_names: names("timeout.txt"),
        })
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
            c.timeout,
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
            missed: 1,
            timeout: 0,
            unviable: 4,
            missed_names: vec!["src/lib.rs:3:5: replace + with -".into()],
            timeout_names: vec![],
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
}
