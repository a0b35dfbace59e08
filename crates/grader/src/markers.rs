//! The exercise regions of the reference source:
//!
//! ```text
//!     // exercise(pt_deep.forward) begin
//!     …the reference solution…
//!     // exercise(pt_deep.forward) end
//! ```
//!
//! Both markers are plain comments, so the reference build never sees them.
//! A region is the rest of a function body (its code is the body's tail
//! expression), so that `todo!(…)` in its place compiles.

use std::collections::BTreeMap;
use std::path::Path;

use crate::GraderError;

/// One marked region: the marker lines, 1-based, and the begin marker's indentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub id: String,
    pub begin: usize,
    pub end: usize,
    pub indent: String,
}

#[derive(Debug, PartialEq, Eq)]
enum Marker<'a> {
    Begin(&'a str),
    End(&'a str),
}

/// `// exercise(<id>) begin|end` on a line of its own (any indentation).
fn marker(line: &str) -> Option<Marker<'_>> {
    let rest = line.trim().strip_prefix("// exercise(")?;
    let (id, tail) = rest.split_once(')')?;
    match tail.trim() {
        "begin" => Some(Marker::Begin(id)),
        "end" => Some(Marker::End(id)),
        _ => None,
    }
}

/// The regions of one file, in order. `path` only names the file in errors.
pub fn scan(text: &str, path: &Path) -> Result<Vec<Region>, GraderError> {
    let err = |line: usize, message: String| GraderError::Marker {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut out = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (k, line) in text.lines().enumerate() {
        let n = k + 1;
        match (marker(line), &open) {
            (None, _) => {}
            (Some(Marker::Begin(id)), None) => {
                if !crate::table::valid_id(id) {
                    return Err(err(n, format!("exercise id {id:?} is not `<crate>.<name>`")));
                }
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                open = Some((id.to_string(), n, indent));
            }
            (Some(Marker::Begin(id)), Some((inner, at, _))) => {
                return Err(err(
                    n,
                    format!("exercise({id}) begins inside exercise({inner}), opened on line {at}; regions do not nest"),
                ))
            }
            (Some(Marker::End(id)), None) => {
                return Err(err(n, format!("exercise({id}) end without a begin")))
            }
            (Some(Marker::End(id)), Some((inner, at, indent))) => {
                if id != inner {
                    return Err(err(
                        n,
                        format!("exercise({id}) end closes exercise({inner}), opened on line {at}"),
                    ));
                }
                out.push(Region {
                    id: inner.clone(),
                    begin: *at,
                    end: n,
                    indent: indent.clone(),
                });
                open = None;
            }
        }
    }
    if let Some((id, at, _)) = open {
        return Err(err(at, format!("exercise({id}) begin has no end")));
    }
    Ok(out)
}

/// Added to every `todo!` task: the grader reads nothing else of a submission.
pub const GRADED_NOTE: &str =
    " (write it between this exercise's markers: only that code is graded)";

/// What goes between the markers of one region in a spliced file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    /// The reference's own code.
    Keep,
    /// `todo!("<id>: <task>")`.
    Todo,
    /// These lines (a submission's region, without its markers).
    Text(String),
}

/// `text` with the inside of every region replaced as `fill` says; `fill`
/// gets the region and its index among the regions of the same id in this
/// file. The markers stay, so students (and the grader) see where the
/// exercise goes. `task(id)` gives the `todo!` line; `None` is an unknown id.
pub fn splice(
    text: &str,
    path: &Path,
    fill: &dyn Fn(&Region, usize) -> Fill,
    task: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<Region>), GraderError> {
    let regions = scan(text, path)?;
    if regions.is_empty() {
        return Ok((text.to_string(), regions));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len());
    let mut next = 0; // index into `lines`
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &regions {
        let Some(task) = task(&r.id) else {
            return Err(GraderError::Marker {
                path: path.to_path_buf(),
                line: r.begin,
                message: format!("exercise({}) is not an assignment of grading.toml", r.id),
            });
        };
        let k = seen.entry(r.id.as_str()).or_default();
        let fill = fill(r, *k);
        *k += 1;
        let inner = match fill {
            Fill::Keep => continue,
            Fill::Todo => {
                // `todo!` formats its literal: braces in the task are doubled.
                let message = labkit::exit::todo_message(&r.id, &format!("{task}{GRADED_NOTE}"))
                    .replace('{', "{{")
                    .replace('}', "}}");
                format!("{}todo!({:?})\n", r.indent, message)
            }
            Fill::Text(t) if t.is_empty() => String::new(),
            Fill::Text(t) => format!("{}\n", t.trim_end_matches('\n')),
        };
        // Lines up to and including the begin marker, the new inside, the end marker.
        for l in &lines[next..r.begin] {
            out.push_str(l);
            out.push('\n');
        }
        out.push_str(&inner);
        next = r.end - 1;
    }
    for l in &lines[next..] {
        out.push_str(l);
        out.push('\n');
    }
    if !text.ends_with('\n') {
        out.pop();
    }
    Ok((out, regions))
}

/// `text` with every region whose id `keep` rejects replaced by `todo!`.
pub fn blank(
    text: &str,
    path: &Path,
    keep: &dyn Fn(&str) -> bool,
    task: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<Region>), GraderError> {
    let fill = |r: &Region, _: usize| if keep(&r.id) { Fill::Keep } else { Fill::Todo };
    splice(text, path, &fill, task)
}

/// The lines strictly between a region's markers.
pub fn inside(text: &str, r: &Region) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[r.begin..r.end - 1].join("\n")
}

/// The regions of one file of a submission, read leniently: what is wrong
/// is noted per exercise id, and the well-formed regions are still returned.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Well-formed regions, in file order, with the text between their markers.
    pub regions: Vec<(Region, String)>,
    /// Exercise id → what is wrong with its markers in this file.
    pub problems: BTreeMap<String, String>,
}

impl Found {
    /// The regions of `id`, in file order.
    pub fn of(&self, id: &str) -> Vec<&(Region, String)> {
        self.regions.iter().filter(|(r, _)| r.id == id).collect()
    }
}

/// Reads the regions of a submitted file. Unlike [`scan`], a broken marker
/// never fails the whole file: it marks the exercises it involves.
pub fn find(text: &str) -> Found {
    let mut found = Found::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut open: Option<(String, usize, String)> = None;
    let problem = |found: &mut Found, id: &str, message: String| {
        found.problems.entry(id.to_string()).or_insert(message);
    };
    for (k, line) in lines.iter().enumerate() {
        let n = k + 1;
        match (marker(line), open.take()) {
            (None, o) => open = o,
            (Some(Marker::Begin(id)), None) => {
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                open = Some((id.to_string(), n, indent));
            }
            (Some(Marker::Begin(id)), Some((outer, at, _))) => {
                let m = format!(
                    "line {n}: exercise({id}) begins inside exercise({outer}), opened on line {at}"
                );
                problem(&mut found, id, m.clone());
                problem(&mut found, &outer, m);
                let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
                open = Some((id.to_string(), n, indent));
            }
            (Some(Marker::End(id)), None) => {
                problem(
                    &mut found,
                    id,
                    format!("line {n}: exercise({id}) end without a begin"),
                );
            }
            (Some(Marker::End(id)), Some((inner, at, indent))) => {
                if id != inner {
                    let m = format!("line {n}: exercise({id}) end closes exercise({inner}), opened on line {at}");
                    problem(&mut found, id, m.clone());
                    problem(&mut found, &inner, m);
                    continue;
                }
                let r = Region {
                    id: inner,
                    begin: at,
                    end: n,
                    indent,
                };
                let body = inside(text, &r);
                found.regions.push((r, body));
            }
        }
    }
    if let Some((id, at, _)) = open {
        problem(
            &mut found,
            &id,
            format!("line {at}: exercise({id}) begin has no end"),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "fn a() -> u32 {\n    let x = 1;\n    // exercise(lab.a) begin\n    x + 1\n    // exercise(lab.a) end\n}\n\nfn b() {\n        // exercise(lab.b) begin\n        println!(\"b\");\n        // exercise(lab.b) end\n}\n";

    fn task(id: &str) -> Option<String> {
        id.starts_with("lab.")
            .then(|| format!("write {id} \"quoted\" {{x}}"))
    }

    #[test]
    fn regions_are_found_with_lines_and_indentation() {
        let r = scan(SRC, Path::new("x.rs")).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].id.as_str(), r[0].begin, r[0].end, r[0].indent.as_str()),
            ("lab.a", 3, 5, "    ")
        );
        assert_eq!(
            (r[1].id.as_str(), r[1].begin, r[1].end, r[1].indent.len()),
            ("lab.b", 9, 11, 8)
        );
    }

    #[test]
    fn blanking_replaces_only_the_rejected_regions() {
        let (out, _) = blank(SRC, Path::new("x.rs"), &|id| id == "lab.b", &task).unwrap();
        let want = "fn a() -> u32 {\n    let x = 1;\n    // exercise(lab.a) begin\n    todo!(\"lab.a: write lab.a \\\"quoted\\\" {{x}} (write it between this exercise's markers: only that code is graded)\")\n    // exercise(lab.a) end\n}\n\nfn b() {\n        // exercise(lab.b) begin\n        println!(\"b\");\n        // exercise(lab.b) end\n}\n";
        assert_eq!(out, want);
        let (all, _) = blank(SRC, Path::new("x.rs"), &|_| true, &task).unwrap();
        assert_eq!(all, SRC, "keeping every region changes nothing");
        let (none, _) = blank(SRC, Path::new("x.rs"), &|_| false, &task).unwrap();
        assert!(!none.contains("x + 1") && !none.contains("println!"));
        assert_eq!(none.matches("todo!(").count(), 2);
        // A file without markers is returned as it is, final newline or not.
        let (same, r) = blank("fn c() {}", Path::new("y.rs"), &|_| false, &task).unwrap();
        assert_eq!((same.as_str(), r.len()), ("fn c() {}", 0));
    }

    #[test]
    fn broken_markers_are_errors_with_the_line() {
        let e = |text: &str| match blank(text, Path::new("x.rs"), &|_| false, &task) {
            Err(GraderError::Marker { line, message, .. }) => (line, message),
            other => panic!("expected a marker error, got {other:?}"),
        };
        let (line, m) = e("// exercise(lab.a) begin\nx\n");
        assert_eq!(line, 1);
        assert!(m.contains("has no end"), "{m}");
        let (line, m) = e("x\n// exercise(lab.a) end\n");
        assert_eq!(line, 2);
        assert!(m.contains("without a begin"), "{m}");
        let (line, m) = e("// exercise(lab.a) begin\n// exercise(lab.b) begin\n");
        assert_eq!(line, 2);
        assert!(m.contains("do not nest"), "{m}");
        let (line, m) = e("// exercise(lab.a) begin\n// exercise(lab.b) end\n");
        assert_eq!(line, 2);
        assert!(m.contains("closes exercise(lab.a)"), "{m}");
        let (_, m) = e("// exercise(other.a) begin\n// exercise(other.a) end\n");
        assert!(m.contains("not an assignment of grading.toml"), "{m}");
        let (_, m) = e("// exercise(nodot) begin\n");
        assert!(m.contains("is not `<crate>.<name>`"), "{m}");
        // Text that only mentions the syntax is not a marker.
        assert!(
            scan("// see exercise(lab.a) begin markers\n", Path::new("x.rs"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_submission_is_read_leniently_and_spliced_into_the_reference() {
        // A submission: lab.a filled, lab.b's end marker renamed.
        let sub = "fn a() -> u32 {\n    // exercise(lab.a) begin\n    let y = 2;\n    y + 40\n    // exercise(lab.a) end\n}\nfn b() {\n    // exercise(lab.b) begin\n    1\n    // exercise(lab.bb) end\n}\n";
        let f = find(sub);
        assert_eq!(f.of("lab.a").len(), 1);
        assert_eq!(f.of("lab.a")[0].1, "    let y = 2;\n    y + 40");
        assert!(f.of("lab.b").is_empty());
        assert!(
            f.problems["lab.b"].contains("closes exercise(lab.b)"),
            "{:?}",
            f.problems
        );
        assert!(!f.problems.contains_key("lab.a"));
        // Nested and unclosed markers mark every exercise they involve.
        let f = find("// exercise(lab.a) begin\n// exercise(lab.b) begin\n");
        assert!(
            f.problems["lab.a"].contains("begins inside")
                && f.problems["lab.b"].contains("begins inside")
        );
        let f = find("// exercise(lab.a) begin\n1\n");
        assert!(f.problems["lab.a"].contains("has no end"));
        let f = find("// exercise(lab.a) end\n");
        assert!(f.problems["lab.a"].contains("without a begin"));
        // Splicing: the reference's lines everywhere, the submission's inside.
        let fill = |r: &Region, k: usize| match (r.id.as_str(), k) {
            ("lab.a", 0) => Fill::Text("    7".into()),
            _ => Fill::Todo,
        };
        let (out, _) = splice(SRC, Path::new("x.rs"), &fill, &task).unwrap();
        assert_eq!(
            out,
            SRC.replace("    x + 1\n", "    7\n").replace(
                "        println!(\"b\");\n",
                &format!(
                    "        todo!({:?})\n",
                    format!("lab.b: write lab.b \"quoted\" {{{{x}}}}{GRADED_NOTE}")
                )
            )
        );
        // An empty region stays empty.
        let (out, _) = splice(
            SRC,
            Path::new("x.rs"),
            &|_, _| Fill::Text(String::new()),
            &task,
        )
        .unwrap();
        assert!(out.contains("begin\n    // exercise(lab.a) end"), "{out}");
    }
}
