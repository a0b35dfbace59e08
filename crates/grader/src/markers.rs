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

/// `text` with every region whose id `keep` rejects replaced by
/// `todo!("<id>: <task>")` between its markers (kept, so students see where
/// the exercise goes). `task(id)` gives the line; `None` is an unknown id.
pub fn blank(
    text: &str,
    path: &Path,
    keep: &dyn Fn(&str) -> bool,
    task: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<Region>), GraderError> {
    let regions = scan(text, path)?;
    if regions.is_empty() {
        return Ok((text.to_string(), regions));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::with_capacity(text.len());
    let mut next = 0; // index into `lines`
    for r in &regions {
        let Some(task) = task(&r.id) else {
            return Err(GraderError::Marker {
                path: path.to_path_buf(),
                line: r.begin,
                message: format!("exercise({}) is not an assignment of grading.toml", r.id),
            });
        };
        if keep(&r.id) {
            continue;
        }
        // Lines up to and including the begin marker, the todo, the end marker.
        for l in &lines[next..r.begin] {
            out.push_str(l);
            out.push('\n');
        }
        // `todo!` formats its literal: braces in the task are doubled.
        let message = format!("{}: {}", r.id, task)
            .replace('{', "{{")
            .replace('}', "}}");
        out.push_str(&format!("{}todo!({:?})\n", r.indent, message));
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
        let want = "fn a() -> u32 {\n    let x = 1;\n    // exercise(lab.a) begin\n    todo!(\"lab.a: write lab.a \\\"quoted\\\" {{x}}\")\n    // exercise(lab.a) end\n}\n\nfn b() {\n        // exercise(lab.b) begin\n        println!(\"b\");\n        // exercise(lab.b) end\n}\n";
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
}
