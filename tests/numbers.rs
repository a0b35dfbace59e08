//! This lab's numbers in the handouts, checked against the code as it is.
//!
//! A handout shows a lab's results between two markers:
//!
//! ````text
//! <!-- numbers: pt_deep -->
//! ```
//! (what `summary_table` prints for a fresh run of the lab's defaults)
//! ```
//! <!-- /numbers -->
//! ````
//!
//! This test runs each named lab with its default settings on the CPU (one
//! thread, as the binaries run these small problems) and compares the block
//! with what the lab prints now, cell by cell. Timing columns (`µs/iter`)
//! are one machine's measurement and are not compared. When a change moves a
//! number, the test fails and names the cell; `./dl numbers` (which runs this
//! test with `DL_BLESS=1`) rewrites every block from fresh runs.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use tch::Device;

const BEGIN: &str = "<!-- numbers: ";
const END: &str = "<!-- /numbers -->";

/// Column headers whose cells are wall-clock measurements.
const TIMING: [&str; 3] = ["µs/iter", "seconds", "time"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What the lab `id` prints for its default settings, run fresh in `dir`.
fn render(id: &str, dir: &Path) -> String {
    let out = dir.join(id);
    match id {
        "pt_deep" => {
            let cfg = pt_deep::config::LabConfig {
                device: Device::Cpu,
                out,
                animate: false,
                ..Default::default()
            };
            pt_deep::lab::summary_table(&pt_deep::lab::run_lab(&cfg).expect("pt_deep runs"))
        }
        "pt_logreg" | "pt_logreg-raw" => {
            let cfg = pt_logreg::lab::LabConfig {
                standardize: id == "pt_logreg",
                device: Device::Cpu,
                out,
                ..Default::default()
            };
            pt_logreg::lab::summary_table(&pt_logreg::lab::run_lab(&cfg).expect("pt_logreg runs"))
        }
        "fcann2" => {
            let cfg = fcann2::lab::LabConfig {
                out,
                ..Default::default()
            };
            fcann2::lab::summary_table(&fcann2::lab::run_lab(&cfg).expect("fcann2 runs"))
        }
        other => panic!(
            "no lab run is named {other:?}: use one of pt_deep, pt_logreg, pt_logreg-raw, fcann2"
        ),
    }
}

/// One marked block of a handout.
#[derive(Debug)]
struct Block {
    id: String,
    /// Byte range of the text between the fence lines.
    body: std::ops::Range<usize>,
}

/// Every block of `text`: the id, and the table inside its code fence.
fn blocks(text: &str) -> Result<Vec<Block>, String> {
    let mut v = Vec::new();
    let mut from = 0;
    // A marker starts a line (prose may quote one inside a line).
    while let Some(i) = text[from..]
        .match_indices(BEGIN)
        .map(|(i, _)| i)
        .find(|&i| from + i == 0 || text.as_bytes()[from + i - 1] == b'\n')
    {
        let start = from + i;
        let line_end = start + text[start..].find('\n').ok_or("a marker ends the file")?;
        let id = text[start + BEGIN.len()..line_end]
            .trim_end()
            .strip_suffix("-->")
            .ok_or_else(|| format!("marker at byte {start} does not end in -->"))?
            .trim()
            .to_string();
        let end = line_end
            + text[line_end..]
                .find(END)
                .ok_or_else(|| format!("block {id:?} has no {END}"))?;
        let inner = &text[line_end + 1..end];
        let open = inner
            .find("```")
            .ok_or_else(|| format!("block {id:?} has no code fence"))?;
        let body_start = line_end + 1 + open + inner[open..].find('\n').ok_or("bad fence")? + 1;
        let close = text[body_start..end]
            .rfind("```")
            .ok_or_else(|| format!("block {id:?} has no closing fence"))?;
        v.push(Block {
            id,
            body: body_start..body_start + close,
        });
        from = end + END.len();
    }
    Ok(v)
}

fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The differences between the handout's table and the fresh one, skipping
/// the cells of timing columns (a column is one by its header cell).
fn differences(shown: &str, fresh: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (shown.lines().collect(), fresh.lines().collect());
    if a.len() != b.len() {
        return vec![format!(
            "the handout shows {} lines, the lab prints {}",
            a.len(),
            b.len()
        )];
    }
    let mut skip: Vec<usize> = Vec::new();
    let mut width = 0;
    let mut out = Vec::new();
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        let (cx, cy) = (cells(x), cells(y));
        if cy.iter().any(|c| TIMING.contains(c)) {
            skip = (0..cy.len()).filter(|&i| TIMING.contains(&cy[i])).collect();
            width = cy.len();
        }
        if cx.len() != cy.len() {
            out.push(format!("line {}: {x:?} but the lab prints {y:?}", k + 1));
            continue;
        }
        for (i, (p, q)) in cx.iter().zip(&cy).enumerate() {
            let timing = cy.len() == width && skip.contains(&i);
            if p != q && !timing {
                out.push(format!(
                    "line {}, cell {}: the handout shows {p}, the lab prints {q}",
                    k + 1,
                    i + 1
                ));
            }
        }
    }
    out
}

#[test]
fn handout_numbers_are_what_the_labs_print_now() {
    torch_util::set_threads(Some(1)).expect("one thread");
    let bless = std::env::var_os("DL_BLESS").is_some();
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut seen = 0;
    let mut handouts: Vec<PathBuf> = std::fs::read_dir(root().join("labs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain([root().join("README.md")])
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    handouts.sort();
    for path in handouts {
        let text = std::fs::read_to_string(&path).unwrap();
        let found = blocks(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut new = text.clone();
        // Replace from the end, so that earlier ranges stay valid.
        for b in found.iter().rev() {
            seen += 1;
            let fresh = render(&b.id, tmp.path());
            let shown = &text[b.body.clone()];
            let diff = differences(shown, &fresh);
            if diff.is_empty() {
                continue;
            }
            if bless {
                new.replace_range(b.body.clone(), &fresh);
            } else {
                problems.push(format!(
                    "{} [{}]:\n  {}",
                    path.display(),
                    b.id,
                    diff.join("\n  ")
                ));
            }
        }
        if bless && new != text {
            std::fs::write(&path, new).unwrap();
        }
    }
    assert!(seen >= 4, "expected the four marked tables, found {seen}");
    assert!(
        problems.is_empty(),
        "handout numbers differ from what the labs print now (run `./dl numbers` to rewrite \
         them, then read the change):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_comparison_skips_timing_columns_and_names_a_moved_number() {
    let shown = "data  loss    µs/iter\nA     0.5000  78\nB     0.2500  80\n";
    let same_but_time = "data  loss    µs/iter\nA     0.5000  91\nB     0.2500  60\n";
    assert!(differences(shown, same_but_time).is_empty());
    let moved = "data  loss    µs/iter\nA     0.5001  78\nB     0.2500  80\n";
    let d = differences(shown, moved);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains("0.5000") && d[0].contains("0.5001"), "{d:?}");
    assert_eq!(differences(shown, "data  loss\n").len(), 1);
}

#[test]
fn blocks_are_found_with_their_fenced_tables() {
    let text = "intro\n<!-- numbers: fcann2 -->\n```\na  b\n1  2\n```\n<!-- /numbers -->\nend\n";
    let b = blocks(text).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].id, "fcann2");
    assert_eq!(&text[b[0].body.clone()], "a  b\n1  2\n");
    assert!(blocks("<!-- numbers: x -->\n```\n1\n```\n").is_err());
    assert!(blocks("prose quoting `<!-- numbers: LAB -->` inline\n")
        .unwrap()
        .is_empty());
}
