//! Running one test of a built workspace, inside the sandbox, with a time
//! limit, and deciding from the harness whether it passed.
//!
//! A test passes when its process exits with 0 *and* libtest's log file for
//! this run says `ok <name>`. The log file is a new file in a new folder
//! whose names are random and chosen here, so code under test cannot write
//! it in advance; printing libtest's summary line and exiting does not pass.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::compile::{tail, Executable};
use crate::process::run_limited;
use crate::sandbox::Sandbox;
use crate::GraderError;

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    TimedOut,
    /// Not run: its crate did not compile, or the test does not exist.
    NotRun,
}

/// One test, run on its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    #[serde(rename = "crate")]
    pub krate: String,
    pub name: String,
    pub outcome: Outcome,
    pub seconds: f64,
    /// The end of its output (or why it did not run) when it did not pass.
    pub output: Option<String>,
}

/// The test names of an executable (`--list --format terse`), listed inside the sandbox.
pub fn list_tests(exe: &Executable, sandbox: &Sandbox) -> Result<Vec<String>, GraderError> {
    let args: Vec<OsString> = ["--list", "--format", "terse"]
        .iter()
        .map(OsString::from)
        .collect();
    let cmd = sandbox.command(&exe.path, &args, &[], &exe.dir);
    let out = run_limited(cmd, Duration::from_secs(120)).map_err(|e| GraderError::Command {
        command: format!("{} --list", exe.path.display()),
        message: e.to_string(),
    })?;
    if !out.success() {
        return Err(GraderError::Command {
            command: format!("{} --list", exe.path.display()),
            message: tail(&out.stderr, 20),
        });
    }
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// A folder name nobody can guess: 128 random bits.
fn random_name() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Runs test `name` of `exe` in the sandbox, with `scratch` as the parent of
/// its private log folder, stopped after `timeout`.
pub fn run_test(
    exe: &Executable,
    name: &str,
    sandbox: &Sandbox,
    scratch: &Path,
    timeout: Duration,
) -> Result<TestResult, GraderError> {
    let dir = scratch.join(random_name());
    std::fs::create_dir_all(&dir).map_err(|source| GraderError::Write {
        path: dir.clone(),
        source,
    })?;
    let log = dir.join(format!("{}.log", random_name()));
    let mut args: Vec<OsString> = vec![name.into()];
    args.extend(["--exact", "--test-threads", "1", "--logfile"].map(OsString::from));
    args.push(log.as_os_str().to_owned());
    let mut cmd = sandbox.command(&exe.path, &args, &[&dir], &exe.dir);
    cmd.env("RUST_BACKTRACE", "0");
    let out = run_limited(cmd, timeout).map_err(|e| GraderError::Command {
        command: format!("{} {name}", exe.path.display()),
        message: e.to_string(),
    })?;
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let outcome = decide(&out, &logged, name);
    let text = format!("{}{}", out.stdout, out.stderr);
    Ok(TestResult {
        krate: exe.krate.clone(),
        name: name.to_string(),
        output: (outcome != Outcome::Passed).then(|| match outcome {
            Outcome::TimedOut => format!(
                "stopped after {:.0} s (the time limit)\n{}",
                timeout.as_secs_f64(),
                tail(&text, 20)
            ),
            _ => tail(&text, 20),
        }),
        outcome,
        seconds: out.seconds,
    })
}

/// Passed only with exit code 0 and the one line `ok <name>` in the log.
fn decide(out: &crate::process::Finished, logged: &str, name: &str) -> Outcome {
    if out.timed_out {
        return Outcome::TimedOut;
    }
    let lines: Vec<&str> = logged.lines().filter(|l| !l.trim().is_empty()).collect();
    if out.success() && lines == [format!("ok {name}")] {
        Outcome::Passed
    } else {
        Outcome::Failed
    }
}

/// Runs every (executable, test) with `jobs` workers; results in input order.
pub fn run_all(
    jobs: Vec<(Executable, String)>,
    sandbox: &Sandbox,
    scratch: &Path,
    timeout: Duration,
    workers: usize,
    verbose: bool,
) -> Result<Vec<TestResult>, GraderError> {
    let n = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().rev().collect::<Vec<_>>());
    let results = Mutex::new(Vec::with_capacity(n));
    let first_error = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let job = queue.lock().ok().and_then(|mut q| q.pop());
                let Some((k, (exe, name))) = job else { break };
                match run_test(&exe, &name, sandbox, scratch, timeout) {
                    Ok(r) => {
                        if verbose {
                            let mark = match r.outcome {
                                Outcome::Passed => "ok",
                                Outcome::Failed => "FAILED",
                                Outcome::TimedOut => "TIMED OUT",
                                Outcome::NotRun => "not run",
                            };
                            eprintln!("  {} {} … {mark}", r.krate, r.name);
                        }
                        if let Ok(mut v) = results.lock() {
                            v.push((k, r));
                        }
                    }
                    Err(e) => {
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|(k, _)| *k);
    Ok(v.into_iter().map(|(_, r)| r).collect())
}

/// The scratch folder for log folders under a grading's work folder.
pub fn scratch_of(work: &Path) -> PathBuf {
    work.join("runs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in test executable: a shell script. `$5` is the log file.
    fn script(dir: &Path, name: &str, body: &str) -> Executable {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Executable {
            krate: "lab".into(),
            path,
            dir: dir.to_path_buf(),
        }
    }

    fn run(exe: &Executable, scratch: &Path) -> TestResult {
        run_test(exe, "t::x", &Sandbox::Off, scratch, Duration::from_secs(2)).unwrap()
    }

    #[test]
    fn only_the_harness_log_and_the_exit_code_make_a_pass() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let scratch = d.join("scratch");
        let ok = script(
            d,
            "ok",
            "echo \"ok $1\" > \"$6\"; echo 'test result: ok. 1 passed; 0 failed'",
        );
        let r = run(&ok, &scratch);
        assert_eq!((r.outcome, r.output), (Outcome::Passed, None));
        // Printing libtest's lines and exiting 0 without the harness's log.
        let fake = script(
            d,
            "fake",
            "echo 'test t::x ... ok'; echo 'test result: ok. 1 passed; 0 failed'; exit 0",
        );
        assert_eq!(run(&fake, &scratch).outcome, Outcome::Failed);
        // A log that says ok, but a failing exit code.
        let crash = script(d, "crash", "echo \"ok $1\" > \"$6\"; exit 101");
        assert_eq!(run(&crash, &scratch).outcome, Outcome::Failed);
        // A log for another test, or with more than this test in it.
        let other = script(d, "other", "echo 'ok t::y' > \"$6\"");
        assert_eq!(run(&other, &scratch).outcome, Outcome::Failed);
        let two = script(d, "two", "printf 'ok t::x\\nfailed t::x\\n' > \"$6\"");
        assert_eq!(run(&two, &scratch).outcome, Outcome::Failed);
        let bad = script(d, "bad", "echo 'panicked: not yet implemented'; exit 101");
        let r = run(&bad, &scratch);
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(r.output.unwrap().contains("not yet implemented"));
        let hang = script(d, "hang", "sleep 30");
        let r = run(&hang, &scratch);
        assert_eq!(r.outcome, Outcome::TimedOut);
        assert!(r.output.unwrap().starts_with("stopped after 2 s"));
        // Every log folder is removed afterwards.
        assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    }
}
