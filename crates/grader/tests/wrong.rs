//! The wrong solutions of `tests/wrong/bodies.toml`, graded through the real
//! grader: each must lose points on its own assignment, while it compiles
//! and passes the region check (a wrong body that does not build, or that
//! the grader refuses, would lose its points for another reason and show
//! nothing about the tests).
//!
//! `cargo test` grades the first wrong solution of every assignment within
//! the release check's ladder (`tests/release.rs`); the whole file is graded
//! by `./dl check-exercises` (the ignored test below), which also writes a
//! table of what was caught per assignment.
//!
//! Every round is the reference with some exercises replaced by wrong ones
//! (at most one per crate, in crates that do not depend on each other),
//! built incrementally in the same spliced workspace as the release check's
//! ladder (`Target::Incremental`), a crate's tests sharing a few processes
//! (`Processes::Shared`).

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::grade::{grade_taken, GradeOptions, Reference, Target};
use grader::run::Processes;
use grader::sandbox::{Limits, Sandbox};
use grader::wrong::{self, Wrong};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn bodies() -> Vec<Wrong> {
    wrong::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wrong/bodies.toml")).unwrap()
}

/// The target folder this test was built in: <target>/debug/deps/wrong-….
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn options() -> GradeOptions {
    let sandbox = Sandbox::detect(false, Limits::default()).unwrap_or(Sandbox::Off);
    let mut o = GradeOptions::new(&root(), sandbox);
    o.timeout = Duration::from_secs(240);
    // The release check's workspace: the same crates, already compiled.
    o.work = target_dir().join("grading-incremental");
    o.target = Target::Incremental(target_dir());
    // The instructor's own code: a crate's tests share a few processes.
    o.processes = Processes::Shared;
    o.verbose = false;
    o
}

#[test]
fn every_assignment_has_three_wrong_solutions_that_apply_and_pass_the_region_check() {
    let reference = Reference::load(&root()).unwrap();
    let all = bodies();
    let mut problems = Vec::new();
    for a in &reference.table.assignments {
        let n = all.iter().filter(|w| w.id == a.id).count();
        if n < 3 {
            problems.push(format!("{}: {n} wrong solution(s), want at least 3", a.id));
        }
    }
    for w in &all {
        match w.regions(&reference) {
            Err(e) => problems.push(e),
            Ok(regions) => {
                for ((f, _), texts) in regions {
                    for t in texts {
                        let refused = grader::check::check_region(&t, 1);
                        if !refused.is_empty() {
                            problems.push(format!(
                                "{} ({}) in {}: refused by the region check: {refused:?}",
                                w.id,
                                w.what,
                                f.display()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Grades `wrongs` round by round; returns what was not caught.
fn uncaught(wrongs: &[&Wrong]) -> (Vec<String>, BTreeMap<String, (usize, usize)>) {
    let root = root();
    let reference = Reference::load(&root).unwrap();
    let opts = options();
    let rounds = wrong::rounds(&reference, wrongs);
    let mut bad = Vec::new();
    let mut tally: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (k, round) in rounds.iter().enumerate() {
        let crates: BTreeSet<String> = wrong::crates_of_round(round);
        eprintln!(
            "== round {}/{}: {}",
            k + 1,
            rounds.len(),
            round
                .iter()
                .map(|w| format!("{} ({})", w.id, w.what))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let taken = wrong::taken_of_round(&reference, round).unwrap();
        let mut o = opts.clone();
        o.only = Some(crates);
        let g = grade_taken(&reference, &format!("wrong-{k}"), &root, &taken, &o).unwrap();
        for w in round {
            let entry = tally.entry(w.id.clone()).or_default();
            entry.1 += 1;
            if let Some(b) = g
                .builds
                .iter()
                .find(|b| b.krate == w.krate() && !b.compiled)
            {
                bad.push(format!(
                    "{} ({}): does not compile, so it shows nothing:\n{}",
                    w.id,
                    w.what,
                    b.errors.join("\n")
                ));
                continue;
            }
            match wrong::caught(w, &g) {
                Some(true) => entry.0 += 1,
                Some(false) => bad.push(format!("{} ({}): not caught, full marks", w.id, w.what)),
                None => bad.push(format!("{}: not scored", w.id)),
            }
        }
    }
    (bad, tally)
}

/// `./dl check-exercises [ID…]`: every wrong solution (or those of the
/// assignments whose ids start with one of `DL_WRONG_ONLY`'s comma-separated
/// prefixes); writes the table of what the tests catch to
/// `<target>/wrong-solutions.md`.
#[test]
#[ignore = "the whole suite of wrong solutions takes long: ./dl check-exercises"]
fn every_wrong_solution_loses_points() {
    let all = bodies();
    let only: Vec<String> = std::env::var("DL_WRONG_ONLY")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let refs: Vec<&Wrong> = all
        .iter()
        .filter(|w| only.is_empty() || only.iter().any(|p| w.id.starts_with(p.as_str())))
        .collect();
    assert!(
        !refs.is_empty(),
        "no wrong solution matches DL_WRONG_ONLY={only:?}"
    );
    let (bad, tally) = uncaught(&refs);
    let reference = Reference::load(&root()).unwrap();
    let mut md = String::from("| assignment | wrong solutions | caught |\n|---|---:|---:|\n");
    for a in &reference.table.assignments {
        let (c, n) = tally.get(&a.id).copied().unwrap_or_default();
        md.push_str(&format!("| `{}` | {n} | {c} |\n", a.id));
    }
    let out = target_dir().join("wrong-solutions.md");
    std::fs::write(&out, &md).unwrap();
    print!("{md}");
    eprintln!("written to {}", out.display());
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
