//! Running one test of a built workspace, inside the sandbox, with a time
//! limit, and deciding from the harness whether it passed.
//!
//! A test passes when its process exits with 0 *and* libtest's log file for
//! this run says `ok <name>`. The log file is a new file in a new folder
//! whose names are random and chosen here, so code under test cannot write
//! it in advance; printing libtest's summary line and exiting does not pass.
//! The instructor's own code may share one process among several tests
//! (`Processes::Shared`), which is faster but trusts the code under test.

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
    let mut cmd = sandbox.command(&exe.path, &args, &[], &exe.dir);
    let out =
        run_limited(&mut cmd, Duration::from_secs(120)).map_err(|e| GraderError::Command {
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
    let (out, logged) = launch(exe, &[name.to_string()], sandbox, scratch, timeout)?;
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

/// Runs tests `names` of `exe` (`--exact`, one thread) in the sandbox with
/// a log file in a new private folder under `scratch`, stopped after
/// `timeout`: what the process printed and what libtest logged.
fn launch(
    exe: &Executable,
    names: &[String],
    sandbox: &Sandbox,
    scratch: &Path,
    timeout: Duration,
) -> Result<(crate::process::Finished, String), GraderError> {
    let dir = scratch.join(random_name());
    std::fs::create_dir_all(&dir).map_err(|source| GraderError::Write {
        path: dir.clone(),
        source,
    })?;
    let log = dir.join(format!("{}.log", random_name()));
    let mut args: Vec<OsString> = names.iter().map(OsString::from).collect();
    args.extend(["--exact", "--test-threads", "1", "--logfile"].map(OsString::from));
    args.push(log.as_os_str().to_owned());
    let mut cmd = sandbox.command(&exe.path, &args, &[&dir], &exe.dir);
    cmd.env("RUST_BACKTRACE", "0");
    let out = run_limited(&mut cmd, timeout).map_err(|e| GraderError::Command {
        command: match names {
            [one] => format!("{} {one}", exe.path.display()),
            _ => format!("{} ({} tests)", exe.path.display(), names.len()),
        },
        message: e.to_string(),
    })?;
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    Ok((out, logged))
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

/// How the listed tests are spread over processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Processes {
    /// Each test in a process of its own: what every submission gets.
    #[default]
    OnePerTest,
    /// The tests of one executable shared among a few processes (one per
    /// worker), each running its tests one after the other; a test that its
    /// process did not report (the process crashed, exited early or ran out
    /// of time) runs again in a process of its own. Loading libtorch costs
    /// about a second per process, so this is several times faster, but in
    /// one process a test's code could write another test's line in the log:
    /// only for the instructor's own code (the release check).
    Shared,
}

/// Runs test `names` of `exe` in one process (`--exact`, one thread), stopped
/// after `timeout`; `None` for a test the process did not report.
pub fn run_together(
    exe: &Executable,
    names: &[String],
    sandbox: &Sandbox,
    scratch: &Path,
    timeout: Duration,
) -> Result<Vec<Option<TestResult>>, GraderError> {
    let (out, logged) = launch(exe, names, sandbox, scratch, timeout)?;
    let seconds = out.seconds / names.len().max(1) as f64;
    Ok(names
        .iter()
        .map(|name| {
            let said = |verdict: &str| {
                logged
                    .lines()
                    .filter(|l| l.trim() == format!("{verdict} {name}"))
                    .count()
            };
            let outcome = match (said("ok"), said("failed")) {
                (1, 0) => Outcome::Passed,
                (0, 1) => Outcome::Failed,
                _ => return None,
            };
            Some(TestResult {
                krate: exe.krate.clone(),
                name: name.clone(),
                output: (outcome == Outcome::Failed).then(|| tail(&section(&out.stdout, name), 20)),
                outcome,
                seconds,
            })
        })
        .collect())
}

/// What libtest printed for failed test `name` (its `---- name stdout ----`
/// section), or everything when there is no such section.
fn section(stdout: &str, name: &str) -> String {
    let head = format!("---- {name} stdout ----");
    match stdout.find(&head) {
        Some(at) => {
            let rest = &stdout[at + head.len()..];
            let end = ["\n---- ", "\nfailures:"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
            rest[..end].trim().to_string()
        }
        None => stdout.to_string(),
    }
}

/// Runs every (executable, test) with `jobs` workers; results in input order.
pub fn run_all(
    jobs: Vec<(Executable, String)>,
    sandbox: &Sandbox,
    scratch: &Path,
    timeout: Duration,
    workers: usize,
    processes: Processes,
    verbose: bool,
) -> Result<Vec<TestResult>, GraderError> {
    let n = jobs.len();
    let workers = workers.max(1);
    // Units of work: one test each, or up to `workers` shares per executable.
    let mut units: Vec<Vec<(usize, Executable, String)>> = Vec::new();
    match processes {
        Processes::OnePerTest => {
            for (k, (exe, name)) in jobs.into_iter().enumerate() {
                units.push(vec![(k, exe, name)]);
            }
        }
        Processes::Shared => {
            let mut by_exe: Vec<Vec<(usize, Executable, String)>> = Vec::new();
            for (k, (exe, name)) in jobs.into_iter().enumerate() {
                match by_exe.iter_mut().find(|u| u[0].1.path == exe.path) {
                    Some(u) => u.push((k, exe, name)),
                    None => by_exe.push(vec![(k, exe, name)]),
                }
            }
            for all in by_exe {
                let mut shares: Vec<Vec<_>> = vec![Vec::new(); workers.min(all.len())];
                for (i, job) in all.into_iter().enumerate() {
                    let m = shares.len();
                    shares[i % m].push(job);
                }
                units.extend(shares);
            }
        }
    }
    units.reverse();
    let queue = Mutex::new(units);
    let results = Mutex::new(Vec::with_capacity(n));
    let first_error = Mutex::new(None);
    let report = |k: usize, r: TestResult| {
        if verbose {
            let mark = match r.outcome {
                Outcome::Passed => "ok",
                Outcome::Failed => "FAILED",
                Outcome::TimedOut => "TIMED OUT",
                Outcome::NotRun => "not run",
            };
            labkit::note!("  {} {} … {mark}", r.krate, r.name);
        }
        if let Ok(mut v) = results.lock() {
            v.push((k, r));
        }
    };
    let fail = |e: GraderError| {
        if let Ok(mut f) = first_error.lock() {
            f.get_or_insert(e);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let unit = queue.lock().ok().and_then(|mut q| q.pop());
                let Some(unit) = unit else { break };
                let mut alone = unit.clone();
                if unit.len() > 1 {
                    let names: Vec<String> = unit.iter().map(|(_, _, n)| n.clone()).collect();
                    match run_together(&unit[0].1, &names, sandbox, scratch, timeout) {
                        Ok(rs) => {
                            alone.clear();
                            for (job, r) in unit.into_iter().zip(rs) {
                                match r {
                                    Some(r) => report(job.0, r),
                                    None => alone.push(job),
                                }
                            }
                        }
                        Err(e) => {
                            fail(e);
                            continue;
                        }
                    }
                }
                for (k, exe, name) in alone {
                    match run_test(&exe, &name, sandbox, scratch, timeout) {
                        Ok(r) => report(k, r),
                        Err(e) => fail(e),
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

    /// A stand-in executable for several tests: each name in its arguments
    /// (before `--exact`) gets the verdict `body` prints for it, in the log.
    fn many(dir: &Path, name: &str, body: &str) -> Executable {
        script(
            dir,
            name,
            &format!(
                "log=; for a; do [ \"$prev\" = --logfile ] && log=$a; prev=$a; done\n\
                 for t; do [ \"$t\" = --exact ] && break; {body}; done"
            ),
        )
    }

    #[test]
    fn shared_processes_report_each_test_and_rerun_the_unreported_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let scratch = d.join("scratch");
        let jobs = |exe: &Executable| -> Vec<(Executable, String)> {
            ["t::a", "t::b", "t::c"]
                .iter()
                .map(|n| (exe.clone(), n.to_string()))
                .collect()
        };
        let outcomes = |exe: &Executable, p: Processes| -> Vec<Outcome> {
            run_all(
                jobs(exe),
                &Sandbox::Off,
                &scratch,
                Duration::from_secs(2),
                1,
                p,
                false,
            )
            .unwrap()
            .iter()
            .map(|r| r.outcome)
            .collect()
        };
        // b fails (its section of the output is its output), a and c pass.
        let mixed = many(
            d,
            "mixed",
            "if [ \"$t\" = t::b ]; then echo \"failed $t\" >> \"$log\"; \
             echo \"---- $t stdout ----\"; echo 'b went wrong'; \
             else echo \"ok $t\" >> \"$log\"; fi",
        );
        use Outcome::*;
        for p in [Processes::OnePerTest, Processes::Shared] {
            assert_eq!(outcomes(&mixed, p), [Passed, Failed, Passed], "{p:?}");
        }
        let rs = run_all(
            jobs(&mixed),
            &Sandbox::Off,
            &scratch,
            Duration::from_secs(2),
            1,
            Processes::Shared,
            false,
        )
        .unwrap();
        assert_eq!(rs[1].output.as_deref(), Some("b went wrong"));
        // A process that dies at b: b and what follows run alone (and pass
        // there, where each is the only name: six arguments).
        let dies = many(
            d,
            "dies",
            "if [ \"$t\" = t::b ] && [ $# -gt 6 ]; then exit 101; fi; echo \"ok $t\" >> \"$log\"",
        );
        assert_eq!(outcomes(&dies, Processes::Shared), [Passed, Passed, Passed]);
        // A test reported twice, or both ok and failed, is run again alone.
        let twice = many(
            d,
            "twice",
            "echo \"ok $t\" >> \"$log\"; [ $# -gt 6 ] && echo \"failed $t\" >> \"$log\"; true",
        );
        assert_eq!(
            outcomes(&twice, Processes::Shared),
            [Passed, Passed, Passed]
        );
        // A hanging process: its tests time out one by one on their own.
        let hang = many(d, "hang", "sleep 30");
        assert_eq!(
            outcomes(&hang, Processes::Shared),
            [TimedOut, TimedOut, TimedOut]
        );
        assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    }
}
