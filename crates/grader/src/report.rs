//! The grading as a printed table, `grades.md` and `grades.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::grade::{Grades, Outcome};
use crate::GraderError;

fn points(p: f64) -> String {
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Rows of (assignment, tests, points, note) with padded columns.
pub fn text_table(g: &Grades) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "assignment".into(),
        "tests passed".into(),
        "points".into(),
        "note".into(),
    ]];
    for s in &g.scores {
        rows.push([
            s.id.clone(),
            format!("{}/{}", s.passed, s.total),
            format!("{}/{}", points(s.points), points(s.max_points)),
            s.note.clone().unwrap_or_default(),
        ]);
    }
    for u in &g.ungraded {
        rows.push([
            format!("({} not graded)", u.krate),
            format!("{}/{}", u.passed, u.total),
            "-".into(),
            String::new(),
        ]);
    }
    rows.push([
        "total".into(),
        String::new(),
        format!("{}/{}", points(g.points), points(g.max_points)),
        String::new(),
    ]);
    let width: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (k, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for c in 0..4 {
            let pad = width[c] - r[c].chars().count();
            if c == 1 || c == 2 {
                line.push_str(&" ".repeat(pad));
                line.push_str(&r[c]);
            } else {
                line.push_str(&r[c]);
                line.push_str(&" ".repeat(pad));
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if k == 0 || k + 2 == rows.len() {
            out.push_str(&"-".repeat(width.iter().sum::<usize>() + 6));
            out.push('\n');
        }
    }
    out
}

/// `grades.md`: the table, then what failed and why.
pub fn markdown(g: &Grades) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Grades\n");
    let _ = writeln!(md, "Workspace: `{}`\n", g.workspace.display());
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
            s.note.as_deref().unwrap_or("")
        );
    }
    for u in &g.ungraded {
        let _ = writeln!(
            md,
            "| ({} not graded) | {}/{} | - | |",
            u.krate, u.passed, u.total
        );
    }
    let _ = writeln!(
        md,
        "| **total** | | **{}/{}** | |",
        points(g.points),
        points(g.max_points)
    );
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
            let _ = writeln!(
                md,
                "### {} `{}` ({})\n\n```text\n{}\n```\n",
                t.krate,
                t.name,
                t.target,
                t.output.as_deref().unwrap_or("")
            );
        }
    }
    md
}

/// Writes `grades.json` and `grades.md` into `dir` (each atomically).
pub fn save(g: &Grades, dir: &Path) -> Result<Vec<PathBuf>, GraderError> {
    let json =
        serde_json::to_string_pretty(g).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let mut written = Vec::new();
    for (name, content) in [("grades.json", json), ("grades.md", markdown(g))] {
        let path = dir.join(name);
        labkit::write_atomically(&path, |tmp| {
            std::fs::write(tmp, &content).map_err(|source| GraderError::Write {
                path: tmp.to_path_buf(),
                source,
            })
        })?;
        written.push(path);
    }
    Ok(written)
}
