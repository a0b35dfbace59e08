//! The `grader` binary's bad-input paths: a clear message, a non-zero exit
//! code, and nothing written.

use std::path::Path;
use std::process::{Command, Output};

fn grader(args: &[&str], cwd: &Path) -> Output {
    grader_with_path(args, cwd, None)
}

fn grader_with_path(args: &[&str], cwd: &Path, path: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_grader"));
    c.args(args).current_dir(cwd);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    c.output().expect("the grader binary runs")
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
fn grade_names_what_is_wrong_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().to_str().unwrap();
    let out_dir = tmp.path().join("out");
    let o = out_dir.to_str().unwrap();
    // Run from outside any workspace: no reference.
    rejected(
        &grader(&["grade", t, "--no-sandbox"], tmp.path()),
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
    rejected(
        &grader(&["grade", "--memory", "0"], root()),
        "--memory must be at least 1",
    );
    rejected(
        &grader(
            &["grade", "/no/such/submission", "--no-sandbox", "--out", o],
            root(),
        ),
        "does not exist",
    );
    rejected(
        &grader(
            &[
                "grade",
                "--class",
                "/no/such/class",
                "--no-sandbox",
                "--out",
                o,
            ],
            root(),
        ),
        "not a folder of submissions",
    );
    rejected(
        &grader(
            &["grade", "--only", "nope", "--no-sandbox", "--out", o],
            root(),
        ),
        "--only nope",
    );
    rejected(&grader(&["grade", "--index", "3"], root()), "--class");
    let class = tmp.path().join("class");
    std::fs::create_dir(&class).unwrap();
    std::fs::write(class.join("a.zip"), "x").unwrap();
    rejected(
        &grader(
            &[
                "grade",
                "--class",
                class.to_str().unwrap(),
                "--index",
                "5",
                "--no-sandbox",
                "--out",
                o,
                "--only",
                "metrics",
            ],
            root(),
        ),
        "holds 1 submissions",
    );
    assert!(!out_dir.exists(), "nothing was written");
}

#[test]
fn grade_without_a_sandbox_says_how_to_get_one() {
    let tmp = tempfile::tempdir().unwrap();
    // A PATH without bubblewrap.
    let out = grader_with_path(
        &["grade", tmp.path().to_str().unwrap()],
        root(),
        Some(tmp.path().to_str().unwrap()),
    );
    rejected(&out, "bubblewrap (bwrap) is not installed");
    rejected(&out, "apt-get install bubblewrap");
    rejected(&out, "--no-sandbox");
}
