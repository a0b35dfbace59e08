//! The `grader` binary's bad-input paths: a clear message, a non-zero exit
//! code, and nothing written.

use std::path::Path;
use std::process::{Command, Output};

fn grader(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the grader binary runs")
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn rejected(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected a failure, stderr: {err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
}

#[test]
fn student_refuses_a_folder_with_work_in_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("alice");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("notes.txt"), "mine").unwrap();
    let out = grader(&["student", dest.to_str().unwrap()], root());
    rejected(&out, "exists and is not empty");
    let left: Vec<_> = std::fs::read_dir(&dest).unwrap().collect();
    assert_eq!(left.len(), 1, "nothing was added");
    assert_eq!(
        std::fs::read_to_string(dest.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn student_refuses_a_folder_inside_the_workspace() {
    let out = grader(&["student", "crates/not-here"], root());
    rejected(&out, "cannot go inside the workspace");
    assert!(!root().join("crates/not-here").exists());
}

#[test]
fn grade_names_what_is_wrong_before_building() {
    let tmp = tempfile::tempdir().unwrap();
    // Not a workspace: no grading.toml anywhere above.
    rejected(
        &grader(&["grade", tmp.path().to_str().unwrap()], root()),
        "no grading.toml",
    );
    rejected(
        &grader(&["grade", "--timeout", "0"], root()),
        "--timeout must be at least 1",
    );
    rejected(
        &grader(&["grade", "--jobs", "0"], root()),
        "--jobs must be at least 1",
    );
    // A broken table is named with its problem.
    let table = tmp.path().join("grading.toml");
    std::fs::write(
        &table,
        "[[assignment]]\nid = \"nodot\"\npoints = 1\ntask = \"t\"\ntests = [\"x\"]\n",
    )
    .unwrap();
    rejected(
        &grader(&["grade", "--table", table.to_str().unwrap()], root()),
        "is not `<crate>.<name>`",
    );
    assert!(!tmp.path().join("results").exists());
}
