//! One submission's grading as a printed table, `grades.md` (with what
//! failed and why) and `grades.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::grade::Grades;
use crate::run::Outcome;
use crate::GraderError;

/// Points with at most one decimal: `5`, `3.3`.
pub fn points(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Rows of (assignment, tests passed, points, note) with padded columns.
pub fn text_table(g: &Grades) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for s in &g.scores {
        rows.push(vec![
            s.id.clone(),
            format!("{}/{}", s.passed, s.total),
            format!("{}/{}", points(s.points), points(s.max_points)),
            s.note.clone().unwrap_or_default(),
        ]);
    }
    rows.push(vec![
        "total".into(),
        String::new(),
        format!("{}/{}", points(g.points), points(g.max_points)),
        g.error.clone().unwrap_or_default(),
    ]);
    labkit::table(&["assignment", "tests passed", "points", "note"], &rows)
}

/// The feedback a student may see: scores, why exercises were not taken,
/// compiler errors, and each failed test's name with the end of its output
/// (never the code of a hidden test).
pub fn feedback(g: &Grades) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Grades: {}\n", g.student);
    if let Some(e) = &g.error {
        let _ = writeln!(md, "**Nothing could be graded:** {e}\n");
    }
    let _ = writeln!(md, "| assignment | tests passed | points | note |");
    let _ = writeln!(md, "|---|---:|---:|---|");
    for s in &g.scores {
        let _ = writeln!(
            md,
            "| {} | {}/{} | {}/{} | {} |",
            s.id,
            s.passed,
            s.total,
            points(s.points),
            points(s.max_points),
            s.note.as_deref().unwrap_or("").replace('|', "\\|")
        );
    }
    let _ = writeln!(
        md,
        "| **total** | | **{}/{}** | |",
        points(g.points),
        points(g.max_points)
    );
    let _ = writeln!(
        md,
        "\nOnly the code between the exercise markers was graded; everything else comes from the course's own copy."
    );
    if !g.problems.is_empty() {
        let _ = writeln!(md, "\n## Exercises not taken from the submission\n");
        for (id, why) in &g.problems {
            for w in why {
                let _ = writeln!(md, "- `{id}`: {w}");
            }
        }
    }
    let broken: Vec<_> = g.builds.iter().filter(|b| !b.compiled).collect();
    if !broken.is_empty() {
        let _ = writeln!(md, "\n## Crates that do not compile\n");
        for b in broken {
            let _ = writeln!(
                md,
                "### {}\n\n```text\n{}\n```\n",
                b.krate,
                b.errors.join("\n")
            );
        }
    }
    let failed: Vec<_> = g
        .tests
        .iter()
        .filter(|t| t.outcome != Outcome::Passed)
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(md, "\n## Tests that did not pass\n");
        for t in failed {
            let kind = if Grades::is_hidden(&t.name) {
                " (hidden test)"
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "### {} `{}`{kind}\n\n```text\n{}\n```\n",
                t.krate,
                t.name,
                t.output.as_deref().unwrap_or("")
            );
        }
    }
    let _ = writeln!(
        md,
        "\nGraded in {:.0} s. Sandbox: {}.",
        g.seconds, g.sandbox
    );
    md
}

/// Writes `grades.json` and `grades.md` into `dir` (each atomically).
pub fn save(g: &Grades, dir: &Path) -> Result<Vec<PathBuf>, GraderError> {
    let json =
        serde_json::to_string_pretty(g).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut written = Vec::new();
    for (name, content) in [("grades.json", json), ("grades.md", feedback(g))] {
        let path = dir.join(name);
        write_text(&path, &content)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `content` to `path` atomically.
pub fn write_text(path: &Path, content: &str) -> Result<(), GraderError> {
    labkit::write_atomically(path, |tmp| {
        std::fs::write(tmp, content).map_err(|source| GraderError::Write {
            path: tmp.to_path_buf(),
            source,
        })
    })?;
    Ok(())
}
