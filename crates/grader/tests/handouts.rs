//! Every lab's handout lists its exercises as `grading.toml` and the markers
//! define them. `DL_BLESS=1 cargo test -p grader --test handouts` rewrites the
//! sections after the table changes.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::path::{Path, PathBuf};

use grader::grade::Reference;
use grader::handout::{handouts, replace_section, section, HEADING};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn every_handout_lists_its_exercises_as_graded() {
    let root = root();
    let reference = Reference::load(&root).unwrap();
    let bless = std::env::var_os("DL_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, crates) in handouts(&reference) {
        let path = root.join("labs").join(format!("{name}.md"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (the handout of {crates:?})", path.display()));
        let want = replace_section(&text, &section(&reference, &crates)).unwrap_or_else(|| {
            panic!(
                "{} has no \"{HEADING}\" heading: add one, then run this test with DL_BLESS=1",
                path.display()
            )
        });
        if want != text {
            if bless {
                std::fs::write(&path, want).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the exercises section of {stale:?} is out of date with grading.toml; \
         run `DL_BLESS=1 cargo test -p grader --test handouts` to rewrite it"
    );
}
