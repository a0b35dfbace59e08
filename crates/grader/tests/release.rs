//! The check that keeps the student release honest, through the grader
//! itself: the untouched skeleton scores 0 on every assignment (a test that
//! passes without the student's code tests nothing); filling the exercises
//! in the order of grading.toml turns exactly the filled assignments green at
//! each step; the reference's own code scores full marks. Each step is a
//! spliced export of this workspace, built and run as a submission is. Steps
//! fill exercises of independent crates together (`grader::wrong::ladder`):
//! every crate still meets its exercises one at a time, in table order.
//!
//! The skeleton grades every crate. A later step grades the crates it
//! touches (those of the assignments it fills or tries a wrong body in);
//! the others keep their scores from the step before. So each crate is
//! graded, beyond the skeleton, with everything it depends on filled, at
//! each of its own exercises, which is where a test that passes without the
//! student's code would show: a crate's tests see the crates below it only
//! through their exercises, all filled by then.
//!
//! The steps share this test's target folder (its compiled dependencies) and
//! one spliced workspace updated in place, so a step rebuilds only the crates
//! whose code changed, with rustc's incremental caches (`Target::Incremental`:
//! the instructor's own code, one export after the other), and a crate's
//! tests share a few processes (`Processes::Shared`: libtorch loads once per
//! process, not once per test). Isolation between submissions, and a
//! process per test, are checked in `cheats.rs`.
//!
//! The same steps try the first wrong solution of every assignment
//! (`tests/wrong/bodies.toml`): at a step, the exercises the next step fills
//! hold their wrong body instead of `todo!()`, and must lose points (their
//! tests use only the exercises before them, which are filled). The
//! assignments of the first step get theirs in one round after the ladder.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::export::{export, Destination, HIDDEN_STUB};
use grader::grade::{grade_taken, GradeOptions, Grades, Reference, Target};
use grader::run::{Outcome, Processes};
use grader::sandbox::{Limits, Sandbox};
use grader::table::Table;
use grader::wrong::Wrong;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The target folder this test was built in: <target>/debug/deps/release-….
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn options() -> GradeOptions {
    // The instructor's own code: the sandbox when there is one, else none.
    let sandbox = Sandbox::detect(false, Limits::default()).unwrap_or(Sandbox::Off);
    let mut o = GradeOptions::new(&root(), sandbox);
    o.timeout = Duration::from_secs(240);
    o.work = target_dir().join("grading-incremental");
    o.target = Target::Incremental(target_dir());
    o.processes = Processes::Shared;
    o
}

/// What an assignment must score at a step.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Filled with the reference's code: full marks.
    Full,
    /// `todo!()`: nothing.
    Zero,
    /// A wrong solution: less than full marks.
    Less,
}

/// The first wrong solution of every assignment, by id.
fn first_wrongs() -> BTreeMap<String, Wrong> {
    let all = grader::wrong::load(&root().join("crates/grader/tests/wrong/bodies.toml")).unwrap();
    let mut first = BTreeMap::new();
    for w in all {
        first.entry(w.id.clone()).or_insert(w);
    }
    first
}

/// Ids of the assignments that did not score what `want(k)` says.
fn wrong(g: &Grades, table: &Table, want: &dyn Fn(usize) -> Want) -> Vec<String> {
    let mut bad = Vec::new();
    for (k, a) in table.assignments.iter().enumerate() {
        let s = g.score(&a.id).expect("every assignment is scored");
        let ok = match want(k) {
            Want::Full => s.total > 0 && s.passed == s.total && s.points == a.points,
            Want::Zero => s.total > 0 && s.passed == 0 && s.points == 0.0,
            Want::Less => s.total > 0 && s.points < a.points,
        };
        if !ok {
            let tests: Vec<String> = g
                .tests
                .iter()
                .filter(|t| t.krate == a.krate() && a.matches(&t.name))
                .map(|t| {
                    format!(
                        "{} {:?}\n{}",
                        t.name,
                        t.outcome,
                        t.output.as_deref().unwrap_or("")
                    )
                })
                .collect();
            bad.push(format!(
                "{}: {}/{} tests, {} points (want {}) {}\n{}",
                a.id,
                s.passed,
                s.total,
                s.points,
                match want(k) {
                    Want::Full => "full marks",
                    Want::Zero => "0",
                    Want::Less => "less than full marks, for a wrong solution",
                },
                s.note.as_deref().unwrap_or(""),
                tests.join("\n")
            ));
        }
    }
    bad
}

#[test]
fn skeleton_scores_zero_each_exercise_turns_its_assignment_green_and_the_reference_full() {
    let root = root();
    let reference = Reference::load(&root).unwrap();
    let table = &reference.table;
    let opts = options();
    let n = table.assignments.len();
    let steps = grader::wrong::ladder(&reference);
    eprintln!(
        "{} assignments in {} steps after the skeleton",
        n,
        steps.len() - 1
    );
    let first = first_wrongs();
    for a in &table.assignments {
        assert!(first.contains_key(&a.id), "{}: no wrong solution", a.id);
    }
    let mut last: Option<Grades> = None;
    for (k, filled) in steps.iter().enumerate() {
        // the exercises of the next step hold their first wrong solution
        let tried: BTreeSet<String> = match steps.get(k + 1) {
            Some(next) if k > 0 => next.difference(filled).cloned().collect(),
            _ => BTreeSet::new(),
        };
        let mut taken = reference.taken_filled(filled);
        for id in &tried {
            taken.texts.extend(first[id].regions(&reference).unwrap());
        }
        taken.hash = format!("{};wrong:{tried:?}", taken.hash);
        // The skeleton grades every crate; a step, the crates it touches.
        let touched: BTreeSet<&str> = match k {
            0 => table.crates().into_iter().collect(),
            _ => filled
                .difference(&steps[k - 1])
                .chain(&tried)
                .filter_map(|id| id.split('.').next())
                .collect(),
        };
        let changed: BTreeSet<String> = touched.into_iter().map(str::to_string).collect();
        eprintln!("\n== step {k}: filled {filled:?}; wrong {tried:?}; grading {changed:?}");
        let mut step_opts = opts.clone();
        step_opts.only = Some(changed.clone());
        let mut g =
            grade_taken(&reference, &format!("step-{k}"), &root, &taken, &step_opts).unwrap();
        if let Some(b) = g.builds.iter().find(|b| !b.compiled) {
            panic!(
                "step {k}: {} does not compile:\n{}",
                b.krate,
                b.errors.join("\n")
            );
        }
        // The unchanged crates' scores and tests, from the previous step.
        if let Some(prev) = &last {
            let keep = |krate: &str| !changed.contains(krate);
            let mut scores = prev.scores.clone();
            scores.retain(|s| keep(s.id.split('.').next().unwrap_or_default()));
            scores.append(&mut g.scores);
            scores.sort_by_key(|s| table.assignments.iter().position(|a| a.id == s.id));
            g.scores = scores;
            g.tests
                .extend(prev.tests.iter().filter(|t| keep(&t.krate)).cloned());
            g.points = g.scores.iter().map(|s| s.points).sum();
        }
        assert_eq!(g.scores.len(), n, "step {k}: every assignment is scored");
        last = Some(g.clone());
        let want = |j: usize| {
            let id = &table.assignments[j].id;
            if filled.contains(id) {
                Want::Full
            } else if tried.contains(id) {
                Want::Less
            } else {
                Want::Zero
            }
        };
        let bad = wrong(&g, table, &want);
        assert!(bad.is_empty(), "step {k}:\n{}", bad.join("\n\n"));
        // Every listed test exists and ran (a missing one would be NotRun).
        assert!(
            g.tests.iter().all(|t| t.outcome != Outcome::NotRun),
            "step {k}: a listed test is not in the build"
        );
        if k == 0 {
            print!("skeleton:\n{}", grader::report::text_table(&g));
        }
        if k == steps.len() - 1 {
            print!("reference:\n{}", grader::report::text_table(&g));
            assert_eq!(g.points, table.total_points());
        }
    }
    // The first step's assignments had no step before them to try their
    // wrong solutions in: one round, everything else the reference's.
    let tried: BTreeSet<String> = steps.get(1).cloned().unwrap_or_default();
    let mut taken = reference.taken_filled(&reference.ids());
    for id in &tried {
        taken.texts.extend(first[id].regions(&reference).unwrap());
    }
    taken.hash = format!("wrong:{tried:?}");
    let mut o = opts.clone();
    o.only = Some(
        tried
            .iter()
            .map(|id| id.split('.').next().unwrap_or_default().to_string())
            .collect(),
    );
    let g = grade_taken(&reference, "first-step-wrong", &root, &taken, &o).unwrap();
    assert!(g.builds.iter().all(|b| b.compiled), "{:?}", g.builds);
    for id in &tried {
        let s = g.score(id).unwrap();
        assert!(
            s.points < s.max_points,
            "{id}: the wrong solution \"{}\" gets full marks",
            first[id].what
        );
    }
}

#[test]
fn the_release_has_todo_in_every_exercise_and_no_hidden_test() {
    let root = root();
    let table = Table::load(&root).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("student");
    let e = export(&root, &dest, &table, &BTreeSet::new(), Destination::New).unwrap();
    assert_eq!(e.blanked.len(), table.assignments.len());
    assert!(e.kept.is_empty());
    let mut hidden = 0;
    for a in &table.assignments {
        let file = dest
            .join("crates")
            .join(a.krate())
            .join("src/hidden_tests.rs");
        if !a.hidden.is_empty() {
            assert_eq!(
                std::fs::read_to_string(&file).unwrap(),
                HIDDEN_STUB,
                "{}",
                file.display()
            );
            hidden += 1;
        }
    }
    assert!(hidden > 0, "no hidden tests at all");
    for x in &table.export.exclude {
        assert!(!dest.join(x).exists(), "{x} is in the release");
    }
    // The release is no git checkout: it lists its own files, so that a
    // student can grade it (`./dl grade` there) and an instructor can grade from it.
    let listed = grader::export::workspace_files(&dest).unwrap();
    assert_eq!(listed.len(), e.files);
    assert!(listed.contains(&PathBuf::from("grading.toml")));
    let again = Reference::load(&dest).unwrap();
    assert!(again.is_release);
    assert_eq!(again.table, table);
}

/// A line worth comparing: not blank, not a comment, not punctuation alone.
fn telling(line: &str) -> Option<&str> {
    let t = line.trim();
    let code = !t.starts_with("//") && !t.starts_with('#');
    (code && t.chars().filter(|c| c.is_alphanumeric()).count() >= 8).then_some(t)
}

/// Consecutive telling lines of a text, as pairs.
fn pairs(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().filter_map(telling).collect();
    lines
        .windows(2)
        .map(|w| (w[0].to_string(), w[1].to_string()))
        .collect()
}

#[test]
fn the_release_holds_no_two_consecutive_lines_of_a_solution() {
    let root = root();
    let reference = Reference::load(&root).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("student");
    export(
        &root,
        &dest,
        &reference.table,
        &BTreeSet::new(),
        Destination::New,
    )
    .unwrap();
    // Every pair of consecutive telling lines in the release, and where.
    let mut release: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for rel in grader::export::workspace_files(&root).unwrap() {
        let Ok(text) = std::fs::read_to_string(dest.join(&rel)) else {
            continue; // left out of the release, or not text
        };
        for p in pairs(&text) {
            release.entry(p).or_insert_with(|| rel.clone());
        }
    }
    let mut leaks = Vec::new();
    for ((file, id), texts) in &reference.regions {
        for t in texts {
            for p in pairs(t) {
                if let Some(at) = release.get(&p) {
                    leaks.push(format!(
                        "{id} ({}): the release's {} holds\n    {}\n    {}",
                        file.display(),
                        at.display(),
                        p.0,
                        p.1
                    ));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

#[test]
fn the_ladder_meets_every_crate_s_exercises_one_at_a_time_in_table_order() {
    let reference = Reference::load(&root()).unwrap();
    let table = &reference.table;
    let steps = grader::wrong::ladder(&reference);
    assert!(steps[0].is_empty());
    assert_eq!(steps.last().unwrap().len(), table.assignments.len());
    assert!(steps.len() <= table.assignments.len() + 1);
    for c in reference.crate_deps.keys() {
        let closure = reference.closure(c);
        // The closure's assignments in table order: each step must hold a
        // prefix of them, one longer than the step before or the same.
        let own: Vec<&str> = table
            .assignments
            .iter()
            .filter(|a| closure.contains(a.krate()))
            .map(|a| a.id.as_str())
            .collect();
        let mut seen = 0;
        for (k, s) in steps.iter().enumerate() {
            let here: Vec<&str> = own.iter().copied().filter(|id| s.contains(*id)).collect();
            assert_eq!(here, own[..here.len()], "{c}, step {k}: not a prefix");
            assert!(
                here.len() == seen || here.len() == seen + 1,
                "{c}, step {k}: {} exercises at once",
                here.len() - seen
            );
            seen = here.len();
        }
    }
}
