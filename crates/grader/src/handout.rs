//! The "Exercises" section of each lab's handout, written from `grading.toml`
//! and the reference's markers, so that a handout lists exactly what is
//! graded: every assignment in table order, where its code goes, its task, and
//! the tests that score it. The suite checks every handout against it
//! (`tests/handouts.rs`; `DL_BLESS=1` rewrites the sections).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::grade::Reference;

/// The heading the section starts with; it ends at the next `## ` heading.
pub const HEADING: &str = "## Exercises (student release)";

/// The handout (`labs/<name>.md`) that lists a crate's exercises: each lab's
/// own, and Lab 1's data handout for the metrics crate.
pub fn handout_of(krate: &str) -> &str {
    match krate {
        "metrics" => "data",
        k => k,
    }
}

/// Each handout's name → the crates whose exercises it lists, in table order.
pub fn handouts(reference: &Reference) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in reference.table.crates() {
        out.entry(handout_of(k).to_string())
            .or_default()
            .push(k.to_string());
    }
    out
}

/// A test's name in words: `tests::binary_hand_computed` → "binary hand computed".
pub fn in_words(test: &str) -> String {
    test.rsplit("::").next().unwrap_or(test).replace('_', " ")
}

/// The files that hold an assignment's regions, in the reference's order.
fn files_of(reference: &Reference, id: &str) -> Vec<PathBuf> {
    reference
        .layout
        .iter()
        .filter(|(_, ids)| ids.iter().any(|i| i == id))
        .map(|(f, _)| f.clone())
        .collect()
}

/// The section for the exercises of `crates`.
pub fn section(reference: &Reference, crates: &[String]) -> String {
    let table = &reference.table;
    let mut s = String::new();
    let _ = writeln!(s, "{HEADING}\n");
    let _ = writeln!(
        s,
        "*Written from `grading.toml` and the exercise markers (the suite checks \
         that it is current).*\n"
    );
    let _ = writeln!(
        s,
        "In the student release (`./dl student`, see the README) each of these is a \
         `todo!()` with its task. Write your code between the exercise's markers: \
         `./dl grade` takes only that code from a submission and runs it with the \
         course's own tests, the visible ones below and hidden ones on other values. \
         The number is the assignment's place in `grading.toml`: the tests of an \
         assignment may use every assignment before it, never one after it, so \
         work in this order. `cargo test -p <crate>` shows which test fails.\n"
    );
    for (n, a) in table.assignments.iter().enumerate() {
        if !crates.iter().any(|c| c == a.krate()) {
            continue;
        }
        let files: Vec<String> = files_of(reference, &a.id)
            .iter()
            .map(|f| format!("`{}`", f.display()))
            .collect();
        let points = if a.points == 1.0 {
            "1 point".to_string()
        } else {
            format!("{} points", a.points)
        };
        let _ = writeln!(
            s,
            "{}. **`{}`** ({points}; {}): {}.",
            n + 1,
            a.id,
            files.join(", "),
            a.task
        );
        for t in &a.tests {
            let _ = writeln!(s, "   - `{t}`: {}", in_words(t));
        }
        if !a.hidden.is_empty() {
            let words: Vec<String> = a.hidden.iter().map(|t| in_words(t)).collect();
            let _ = writeln!(
                s,
                "   - hidden ({}, run by `./dl grade` only): {}",
                a.hidden.len(),
                words.join("; ")
            );
        }
    }
    s.push('\n');
    s
}

/// `text` with its exercises section replaced by `section`; `None` when it
/// has no such heading.
pub fn replace_section(text: &str, section: &str) -> Option<String> {
    let start = text.find(HEADING)?;
    let after = start + HEADING.len();
    let end = text[after..]
        .find("\n## ")
        .map(|i| after + i + 1)
        .unwrap_or(text.len());
    let mut out = String::with_capacity(text.len() + section.len());
    out.push_str(&text[..start]);
    out.push_str(section);
    out.push_str(&text[end..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_replaced_up_to_the_next_heading() {
        let text =
            "# Lab\n\n## Goal\nx\n\n## Exercises (student release)\n\nold\n\n## Questions\nq\n";
        let got = replace_section(text, "## Exercises (student release)\n\nnew\n\n").unwrap();
        assert_eq!(
            got,
            "# Lab\n\n## Goal\nx\n\n## Exercises (student release)\n\nnew\n\n## Questions\nq\n"
        );
        let last = "# Lab\n\n## Exercises (student release)\nold\n";
        assert_eq!(
            replace_section(last, "## Exercises (student release)\nnew\n").unwrap(),
            "# Lab\n\n## Exercises (student release)\nnew\n"
        );
        assert!(replace_section("# Lab\n", "x").is_none());
        assert_eq!(
            in_words("ap::tests::hand_computed_mixed"),
            "hand computed mixed"
        );
        assert_eq!(handout_of("metrics"), "data");
    }
}
