//! The check that keeps the student release honest: export it, build it and
//! grade it. Every assignment scores 0 on the untouched skeleton (a test that
//! passes without the student's code tests nothing); filling the exercises in
//! the order of grading.toml turns exactly one more assignment green at each
//! step; the reference scores full marks.
//!
//! The release is built in this workspace's own target folder, so the
//! compiled dependencies are shared; its crates carry the version suffix
//! `-student`, so their build outputs never mix with the reference's.
//! Only the library unit tests are built and run (graded tests are unit tests).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use grader::export::{export, Destination};
use grader::grade::{grade, GradeOptions, Grades};
use grader::table::Table;

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
    GradeOptions {
        target_dir: Some(target_dir()),
        timeout: Duration::from_secs(240),
        graded_only: true,
        lib_only: true,
        verbose: true,
        ..GradeOptions::default()
    }
}

/// Ids of the assignments that did not score what `want` says (full or 0).
fn wrong(g: &Grades, table: &Table, full: &dyn Fn(usize) -> bool) -> Vec<String> {
    let mut bad = Vec::new();
    for (k, a) in table.assignments.iter().enumerate() {
        let s = g.score(&a.id).expect("every assignment is scored");
        let ok = if full(k) {
            s.total > 0 && s.passed == s.total && s.points == a.points
        } else {
            s.total > 0 && s.passed == 0 && s.points == 0.0
        };
        if !ok {
            let failing: Vec<String> = g
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
                if full(k) { "full marks" } else { "0" },
                s.note.as_deref().unwrap_or(""),
                failing.join("\n")
            ));
        }
    }
    bad
}

#[test]
fn skeleton_scores_zero_each_exercise_turns_its_assignment_green_and_the_reference_full() {
    let root = root();
    let table = Table::load(&root).unwrap();
    let dest = target_dir().join("student-release");
    let n = table.assignments.len();
    for k in 0..=n {
        let keep: BTreeSet<String> = table.assignments[..k]
            .iter()
            .map(|a| a.id.clone())
            .collect();
        let e = export(&root, &dest, &table, &keep, Destination::Update).unwrap();
        assert_eq!(e.blanked.len(), n - k, "blanked {:?}", e.blanked.keys());
        eprintln!(
            "\n== step {k}: filled {:?}, {} files rewritten",
            table.assignments[..k]
                .iter()
                .map(|a| &a.id)
                .collect::<Vec<_>>(),
            e.changed
        );
        let g = grade(&dest, &table, &options()).unwrap();
        for b in g.builds.iter().filter(|b| !b.compiled) {
            panic!(
                "step {k}: {} does not compile:\n{}",
                b.krate,
                b.errors.join("\n")
            );
        }
        let bad = wrong(&g, &table, &|j| j < k);
        assert!(bad.is_empty(), "step {k}:\n{}", bad.join("\n\n"));
        if k == 0 {
            print!("skeleton:\n{}", grader::report::text_table(&g));
        }
    }
    // The reference itself (already built by this `cargo test`).
    let g = grade(&root, &table, &options()).unwrap();
    print!("reference:\n{}", grader::report::text_table(&g));
    let bad = wrong(&g, &table, &|_| true);
    assert!(bad.is_empty(), "reference:\n{}", bad.join("\n\n"));
    assert_eq!(g.points, table.total_points());
}
