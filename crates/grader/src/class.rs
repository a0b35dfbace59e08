//! A whole class: every submission in a folder graded one after the other
//! (resumable), and the gradebook merged from the per-student results.
//!
//! Layout of the output folder:
//!
//! ```text
//! OUT/students/<student>/grades.json   what `grade` wrote for one submission
//! OUT/students/<student>/feedback.md   what the student may see
//! OUT/gradebook.csv                    one row per student, one column per assignment
//! OUT/gradebook.md                     the same as a table, with each row's notes
//! OUT/scores.svg                       the score distribution per assignment
//! ```
//!
//! Each submission is an independent job: `grader grade SUB --out
//! OUT/students/<student>` grades one (a job array runs many at once on a
//! cluster), and `grader gradebook OUT` merges whatever is there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::grade::{
    content_hash, grade_taken, prepare, unreadable, GradeOptions, Grades, Reference,
};
use crate::report::{feedback, points, write_text};
use crate::submission::{is_submission, student_name};
use crate::GraderError;

/// The folder of one student's results under a class output folder.
pub fn student_dir(out: &Path, student: &str) -> PathBuf {
    out.join("students").join(safe_name(student))
}

/// `name` with anything but letters, digits, `.`, `_` and `-` replaced by `_`
/// (and never `.` or `..`).
pub fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.as_str() {
        "" | "." | ".." => format!("_{s}"),
        _ => s,
    }
}

/// The submissions of a class folder, in name order: every entry that is
/// not hidden (a dot file). Entries that are neither a folder nor an archive
/// are kept: they get a row with 0 and the reason.
pub fn submissions(dir: &Path) -> Result<Vec<PathBuf>, GraderError> {
    let entries = std::fs::read_dir(dir).map_err(|source| GraderError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut v: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    v.sort();
    Ok(v)
}

/// What a class run did with each submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Graded,
    /// Unchanged since the last run (same content hash): its grades kept.
    Unchanged,
}

/// Grades one submission into `dir` (`grades.json`, `feedback.md`) unless
/// its content hash matches the grades already there.
pub fn grade_into(
    reference: &Reference,
    path: &Path,
    student: &str,
    dir: &Path,
    opts: &GradeOptions,
) -> Result<(Grades, Done), GraderError> {
    let (_, taken) = prepare(reference, path);
    let g = match taken {
        Err(why) => unreadable(reference, student, path, why, opts),
        Ok(t) => {
            let hash = content_hash(reference, &t);
            if let Some(old) = load(&dir.join("grades.json")).filter(|_| !opts.regrade) {
                if old.hash == hash && old.error.is_none() && same_scope(&old, reference, opts) {
                    return Ok((old, Done::Unchanged));
                }
            }
            grade_taken(reference, student, path, &t, opts)?
        }
    };
    save_student(&g, dir)?;
    Ok((g, Done::Graded))
}

/// Whether earlier grades cover the same assignments as this run would.
fn same_scope(old: &Grades, reference: &Reference, opts: &GradeOptions) -> bool {
    let ids: Vec<&str> = reference
        .table
        .assignments
        .iter()
        .filter(|a| opts.only.as_ref().is_none_or(|o| o.contains(a.krate())))
        .map(|a| a.id.as_str())
        .collect();
    old.scores.iter().map(|s| s.id.as_str()).eq(ids)
}

/// `grades.json` and `feedback.md` of one student.
pub fn save_student(g: &Grades, dir: &Path) -> Result<(), GraderError> {
    let json =
        serde_json::to_string_pretty(g).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    write_text(&dir.join("grades.json"), &json)?;
    write_text(&dir.join("feedback.md"), &feedback(g))
}

fn load(path: &Path) -> Option<Grades> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The students of a class folder: each submission with its student name
/// (two entries with one name, `alice/` and `alice.zip`, keep both rows:
/// the later one is named by its file name).
pub fn roster(dir: &Path) -> Result<Vec<(PathBuf, String)>, GraderError> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    Ok(submissions(dir)?
        .into_iter()
        .map(|sub| {
            let base = student_name(&sub);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let student = if *n == 1 {
                base
            } else {
                sub.file_name()
                    .map_or(base, |f| f.to_string_lossy().into_owned())
            };
            (sub, student)
        })
        .collect())
}

/// Grades one entry of a class folder into `out/students/<student>/`: the
/// entry point of one job when a class is spread over many (a job array).
pub fn grade_entry(
    reference: &Reference,
    sub: &Path,
    student: &str,
    out: &Path,
    opts: &GradeOptions,
) -> Result<(Grades, Done), GraderError> {
    if is_submission(sub) {
        grade_into(reference, sub, student, &student_dir(out, student), opts)
    } else {
        let g = unreadable(
            reference,
            student,
            sub,
            format!(
                "{} is neither a folder, a .zip nor a .tar.gz",
                sub.display()
            ),
            opts,
        );
        save_student(&g, &student_dir(out, student))?;
        Ok((g, Done::Graded))
    }
}

/// Grades every submission of `dir` into `out` and writes the gradebook.
/// A submission that cannot be read or built gets its row with 0 and the
/// reason; only the grader's own failures (a full disk, say) stop the run.
pub fn grade_class(
    reference: &Reference,
    dir: &Path,
    out: &Path,
    opts: &GradeOptions,
) -> Result<(Gradebook, Vec<(String, Done)>), GraderError> {
    let roster = roster(dir)?;
    let mut done_list = Vec::new();
    for (k, (sub, student)) in roster.iter().enumerate() {
        if opts.verbose {
            labkit::note!("\n== {}/{}: {student}", k + 1, roster.len());
        }
        let (g, done) = grade_entry(reference, sub, student, out, opts)?;
        if opts.verbose {
            let what = if done == Done::Unchanged {
                " (unchanged, not re-graded)"
            } else {
                ""
            };
            labkit::note!(
                "   {student}: {}/{}{what}",
                points(g.points),
                points(g.max_points)
            );
        }
        done_list.push((student.clone(), done));
    }
    Ok((gradebook(out)?, done_list))
}

/// The merged grades of a class.
#[derive(Debug, Clone)]
pub struct Gradebook {
    /// Assignment ids and their points, in table order.
    pub columns: Vec<(String, f64)>,
    pub rows: Vec<Grades>,
    pub written: Vec<PathBuf>,
}

/// Merges every `out/students/*/grades.json` into `gradebook.csv`,
/// `gradebook.md` and `scores.svg` in `out`.
pub fn gradebook(out: &Path) -> Result<Gradebook, GraderError> {
    let dir = out.join("students");
    let entries = std::fs::read_dir(&dir).map_err(|source| GraderError::Read {
        path: dir.clone(),
        source,
    })?;
    let mut rows: Vec<Grades> = Vec::new();
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path().join("grades.json"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|source| GraderError::Read {
            path: p.clone(),
            source,
        })?;
        let g: Grades = serde_json::from_str(&text).map_err(|e| GraderError::BadTable {
            path: p.clone(),
            message: format!("not a grades.json of this grader: {e}"),
        })?;
        rows.push(g);
    }
    // Columns: the union of the rows' assignments, in first-seen order.
    let mut columns: Vec<(String, f64)> = Vec::new();
    for g in &rows {
        for s in &g.scores {
            if !columns.iter().any(|(id, _)| *id == s.id) {
                columns.push((s.id.clone(), s.max_points));
            }
        }
    }
    let mut book = Gradebook {
        columns,
        rows,
        written: Vec::new(),
    };
    let csv_path = out.join("gradebook.csv");
    write_text(&csv_path, &book.csv())?;
    let md_path = out.join("gradebook.md");
    write_text(&md_path, &book.markdown())?;
    book.written = vec![csv_path, md_path];
    if !book.rows.is_empty() && !book.columns.is_empty() {
        let svg = out.join("scores.svg");
        let labels: Vec<String> = book
            .columns
            .iter()
            .map(|(id, max)| format!("{id} ({} pts)", points(*max)))
            .collect();
        let values: Vec<Vec<f64>> = book
            .columns
            .iter()
            .map(|(id, max)| {
                book.rows
                    .iter()
                    .filter_map(|g| g.score(id))
                    .map(|s| if *max > 0.0 { s.points / max } else { 0.0 })
                    .collect()
            })
            .collect();
        plot::strip_chart(
            &svg,
            &format!(
                "Score per assignment, {} students (red: mean)",
                book.rows.len()
            ),
            "share of the assignment's points",
            &labels,
            &values,
            (-0.02, 1.02),
        )
        .map_err(|e| GraderError::Command {
            command: "plotting scores.svg".into(),
            message: e.to_string(),
        })?;
        book.written.push(svg);
    }
    Ok(book)
}

/// A CSV field, quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Gradebook {
    /// One row per student: `student,<assignment>…,total,max,note`, points
    /// with two decimals (importable by a learning-management system).
    pub fn csv(&self) -> String {
        let mut out = String::from("student");
        for (id, _) in &self.columns {
            out.push(',');
            out.push_str(&csv_field(id));
        }
        out.push_str(",total,max,note\n");
        for g in &self.rows {
            out.push_str(&csv_field(&g.student));
            for (id, _) in &self.columns {
                let p = g.score(id).map_or(0.0, |s| s.points);
                let _ = write!(out, ",{p:.2}");
            }
            let _ = write!(out, ",{:.2},{:.2},", g.points, g.max_points);
            out.push_str(&csv_field(&row_note(g)));
            out.push('\n');
        }
        out
    }

    /// The gradebook as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut md = String::from("# Gradebook\n\n| student |");
        for (id, max) in &self.columns {
            let _ = write!(md, " {id} ({}) |", points(*max));
        }
        md.push_str(" total | note |\n|---|");
        for _ in &self.columns {
            md.push_str("---:|");
        }
        md.push_str("---:|---|\n");
        for g in &self.rows {
            let _ = write!(md, "| {} |", g.student.replace('|', "\\|"));
            for (id, _) in &self.columns {
                let p = g.score(id).map_or(0.0, |s| s.points);
                let _ = write!(md, " {} |", points(p));
            }
            let _ = writeln!(
                md,
                " {}/{} | {} |",
                points(g.points),
                points(g.max_points),
                row_note(g).replace('|', "\\|")
            );
        }
        let n = self.rows.len().max(1) as f64;
        md.push_str("| **mean** |");
        for (id, _) in &self.columns {
            let m: f64 = self
                .rows
                .iter()
                .filter_map(|g| g.score(id))
                .map(|s| s.points)
                .sum::<f64>()
                / n;
            let _ = write!(md, " {} |", points(m));
        }
        let mean_total: f64 = self.rows.iter().map(|g| g.points).sum::<f64>() / n;
        let _ = writeln!(md, " {} | |", points(mean_total));
        md
    }
}

/// The one-line reason a row is low: nothing readable, no markers, a crate
/// that does not compile.
fn row_note(g: &Grades) -> String {
    if let Some(e) = &g.error {
        return e.clone();
    }
    let mut notes = Vec::new();
    let refused = g
        .problems
        .values()
        .flatten()
        .filter(|w| w.contains("refused"))
        .count();
    if !g.problems.is_empty() && g.problems.len() == g.scores.len() {
        notes.push(
            g.problems
                .values()
                .next()
                .and_then(|w| w.first())
                .cloned()
                .unwrap_or_default(),
        );
    } else if !g.problems.is_empty() {
        notes.push(format!("{} exercise(s) not taken", g.problems.len()));
    }
    if refused > 0 {
        notes.push(format!("{refused} refused construct(s)"));
    }
    let broken: Vec<&str> = g
        .builds
        .iter()
        .filter(|b| !b.compiled)
        .map(|b| b.krate.as_str())
        .collect();
    if !broken.is_empty() {
        notes.push(format!("does not compile: {}", broken.join(", ")));
    }
    notes.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::Score;

    fn grades(student: &str, pts: &[(&str, f64, f64)], error: Option<&str>) -> Grades {
        let scores: Vec<Score> = pts
            .iter()
            .map(|(id, p, max)| Score {
                id: id.to_string(),
                passed: 0,
                total: 1,
                points: *p,
                max_points: *max,
                note: None,
            })
            .collect();
        Grades {
            student: student.into(),
            submission: PathBuf::from(student),
            hash: "h".into(),
            points: scores.iter().map(|s| s.points).sum(),
            max_points: scores.iter().map(|s| s.max_points).sum(),
            scores,
            problems: BTreeMap::new(),
            error: error.map(str::to_string),
            builds: Vec::new(),
            tests: Vec::new(),
            sandbox: "none".into(),
            seconds: 1.0,
        }
    }

    #[test]
    fn per_student_results_merge_into_a_gradebook() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path();
        // As separate jobs would leave them.
        save_student(
            &grades("alice", &[("m.a", 5.0, 5.0), ("m.b", 2.5, 10.0)], None),
            &student_dir(out, "alice"),
        )
        .unwrap();
        save_student(
            &grades(
                "bob, jr",
                &[("m.a", 0.0, 5.0), ("m.b", 0.0, 10.0)],
                Some("cannot read bob.zip"),
            ),
            &student_dir(out, "bob, jr"),
        )
        .unwrap();
        let book = gradebook(out).unwrap();
        assert_eq!(
            book.columns,
            [("m.a".to_string(), 5.0), ("m.b".to_string(), 10.0)]
        );
        let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
        assert_eq!(
            csv,
            "student,m.a,m.b,total,max,note\nalice,5.00,2.50,7.50,15.00,\n\"bob, jr\",0.00,0.00,0.00,15.00,cannot read bob.zip\n"
        );
        let md = std::fs::read_to_string(out.join("gradebook.md")).unwrap();
        assert!(md.contains("| alice | 5 | 2.5 | 7.5/15 |"), "{md}");
        assert!(md.contains("| **mean** | 2.5 | 1.2 | 3.8 |"), "{md}");
        let svg = std::fs::read_to_string(out.join("scores.svg")).unwrap();
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(student_dir(out, "bob, jr").join("feedback.md").is_file());
        assert_eq!(safe_name("../x y"), ".._x_y");
        assert_eq!(safe_name(".."), "_..");
    }
}
