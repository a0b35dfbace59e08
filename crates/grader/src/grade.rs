//! Grading a workspace: build the tests of every crate that has assignments
//! (one cargo call that keeps going past a crate that does not compile), run
//! each test on its own with a time limit, and score the assignments.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::table::Table;
use crate::GraderError;

/// How to grade.
#[derive(Debug, Clone)]
pub struct GradeOptions {
    /// Cargo's target folder; `None` uses the workspace's own (`target/`).
    pub target_dir: Option<PathBuf>,
    /// A test still running after this long is stopped and counts as failed.
    pub timeout: Duration,
    /// Tests run at once.
    pub jobs: usize,
    /// Run only the tests that belong to an assignment.
    pub graded_only: bool,
    /// Build and run only the library unit tests (`cargo test --lib`).
    pub lib_only: bool,
    /// Print progress on stderr.
    pub verbose: bool,
}

impl Default for GradeOptions {
    fn default() -> Self {
        GradeOptions {
            target_dir: None,
            timeout: Duration::from_secs(300),
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            graded_only: false,
            lib_only: false,
            verbose: true,
        }
    }
}

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    TimedOut,
}

/// One test, run on its own.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    #[serde(rename = "crate")]
    pub krate: String,
    /// The test target: `lib`, `bin <name>` or `test <name>`.
    pub target: String,
    pub name: String,
    pub outcome: Outcome,
    pub seconds: f64,
    /// The end of its output when it did not pass.
    pub output: Option<String>,
}

/// Whether a crate's tests were built.
#[derive(Debug, Clone, Serialize)]
pub struct CrateBuild {
    #[serde(rename = "crate")]
    pub krate: String,
    pub compiled: bool,
    /// Compiler errors (rendered), or why it was not built.
    pub errors: Vec<String>,
}

/// The score of one assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub id: String,
    pub passed: usize,
    pub total: usize,
    pub points: f64,
    pub max_points: f64,
    pub note: Option<String>,
}

/// The tests of a crate that belong to no assignment.
#[derive(Debug, Clone, Serialize)]
pub struct Ungraded {
    #[serde(rename = "crate")]
    pub krate: String,
    pub passed: usize,
    pub total: usize,
}

/// The whole grading.
#[derive(Debug, Clone, Serialize)]
pub struct Grades {
    pub workspace: PathBuf,
    pub scores: Vec<Score>,
    pub ungraded: Vec<Ungraded>,
    pub points: f64,
    pub max_points: f64,
    pub builds: Vec<CrateBuild>,
    pub tests: Vec<TestResult>,
    pub seconds: f64,
}

impl Grades {
    /// The score of assignment `id`.
    pub fn score(&self, id: &str) -> Option<&Score> {
        self.scores.iter().find(|s| s.id == id)
    }
}

/// A test executable of a crate.
#[derive(Debug, Clone)]
struct Executable {
    krate: String,
    target: String,
    path: PathBuf,
    /// The crate's folder: tests run there, as under `cargo test`.
    dir: PathBuf,
}

/// Grades the workspace at `root` against `table`.
pub fn grade(root: &Path, table: &Table, opts: &GradeOptions) -> Result<Grades, GraderError> {
    let start = Instant::now();
    let crates = table.crates();
    if opts.verbose {
        eprintln!("grade: building the tests of {} …", crates.join(", "));
    }
    let (exes, builds) = build(root, &crates, opts)?;
    let mut jobs = Vec::new();
    for exe in &exes {
        for name in list_tests(exe)? {
            let graded = table.assignment_of(&exe.krate, &name).is_some();
            if graded || !opts.graded_only {
                jobs.push((exe.clone(), name));
            }
        }
    }
    if opts.verbose {
        eprintln!(
            "grade: running {} tests, {} at a time …",
            jobs.len(),
            opts.jobs.max(1)
        );
    }
    let tests = run_all(jobs, opts)?;
    let mut scores = Vec::new();
    for a in &table.assignments {
        let mine: Vec<&TestResult> = tests
            .iter()
            .filter(|t| t.krate == a.krate() && a.matches(&t.name))
            .collect();
        let passed = mine.iter().filter(|t| t.outcome == Outcome::Passed).count();
        let total = mine.len();
        let built = builds.iter().find(|b| b.krate == a.krate());
        let note = match built {
            Some(b) if !b.compiled => Some(format!("{} does not compile", a.krate())),
            _ if total == 0 => Some(format!(
                "no test of {} matches its `tests` in grading.toml",
                a.krate()
            )),
            _ if mine.iter().any(|t| t.outcome == Outcome::TimedOut) => {
                Some("a test ran out of time".into())
            }
            _ => None,
        };
        let points = if total == 0 {
            0.0
        } else {
            a.points * passed as f64 / total as f64
        };
        scores.push(Score {
            id: a.id.clone(),
            passed,
            total,
            points,
            max_points: a.points,
            note,
        });
    }
    let mut ungraded: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for t in &tests {
        if table.assignment_of(&t.krate, &t.name).is_none() {
            let e = ungraded.entry(&t.krate).or_default();
            e.0 += usize::from(t.outcome == Outcome::Passed);
            e.1 += 1;
        }
    }
    let ungraded = ungraded
        .into_iter()
        .map(|(k, (passed, total))| Ungraded {
            krate: k.to_string(),
            passed,
            total,
        })
        .collect();
    Ok(Grades {
        workspace: root.to_path_buf(),
        points: scores.iter().map(|s| s.points).sum(),
        max_points: table.total_points(),
        scores,
        ungraded,
        builds,
        tests,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// `cargo test --no-run` for the crates, going on past failures; the test
/// executables it made, and which crates compiled.
fn build(
    root: &Path,
    crates: &[&str],
    opts: &GradeOptions,
) -> Result<(Vec<Executable>, Vec<CrateBuild>), GraderError> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "test",
        "--no-run",
        "--no-fail-fast",
        "--message-format=json",
    ])
    .current_dir(root)
    .env("CARGO_TERM_COLOR", "never")
    .stdin(Stdio::null());
    if opts.lib_only {
        cmd.arg("--lib");
    }
    for c in crates {
        cmd.args(["-p", c]);
    }
    if let Some(t) = &opts.target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    let out = cmd.output().map_err(|e| GraderError::Command {
        command: "cargo test --no-run".into(),
        message: format!("{e} (is cargo on PATH?)"),
    })?;
    let mut exes = Vec::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let manifest = v["manifest_path"].as_str().map(PathBuf::from);
        let Some(dir) = manifest.as_deref().and_then(Path::parent) else {
            continue;
        };
        let krate = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match v["reason"].as_str() {
            Some("compiler-artifact") if v["profile"]["test"].as_bool() == Some(true) => {
                if let Some(exe) = v["executable"].as_str() {
                    let kind = v["target"]["kind"][0].as_str().unwrap_or("test");
                    let name = v["target"]["name"].as_str().unwrap_or("?");
                    exes.push(Executable {
                        krate,
                        target: if kind == "lib" {
                            "lib".into()
                        } else {
                            format!("{kind} {name}")
                        },
                        path: PathBuf::from(exe),
                        dir: dir.to_path_buf(),
                    });
                }
            }
            Some("compiler-message") if v["message"]["level"].as_str() == Some("error") => {
                let text = v["message"]["rendered"]
                    .as_str()
                    .or(v["message"]["message"].as_str())
                    .unwrap_or("error")
                    .to_string();
                errors.entry(krate).or_default().push(text);
            }
            _ => {}
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let builds = crates
        .iter()
        .map(|&c| {
            let compiled = exes.iter().any(|e| e.krate == c);
            let mut errs = errors.remove(c).unwrap_or_default();
            if !compiled && errs.is_empty() {
                errs.push(format!("not built; cargo said:\n{}", tail(&stderr, 30)));
            }
            CrateBuild {
                krate: c.to_string(),
                compiled,
                errors: if compiled { Vec::new() } else { errs },
            }
        })
        .collect();
    Ok((exes, builds))
}

/// The test names of an executable (`--list --format terse`).
fn list_tests(exe: &Executable) -> Result<Vec<String>, GraderError> {
    let out = Command::new(&exe.path)
        .args(["--list", "--format", "terse"])
        .current_dir(&exe.dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GraderError::Command {
            command: format!("{} --list", exe.path.display()),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        return Err(GraderError::Command {
            command: format!("{} --list", exe.path.display()),
            message: tail(&String::from_utf8_lossy(&out.stderr), 20),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect())
}

/// Runs every (executable, test) with `opts.jobs` workers.
fn run_all(
    jobs: Vec<(Executable, String)>,
    opts: &GradeOptions,
) -> Result<Vec<TestResult>, GraderError> {
    let logs = std::env::temp_dir().join(format!("dl-grade-{}", std::process::id()));
    std::fs::create_dir_all(&logs).map_err(|source| GraderError::Write {
        path: logs.clone(),
        source,
    })?;
    let n = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(Vec::with_capacity(n));
    let first_error = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| loop {
                let job = queue.lock().ok().and_then(|mut q| q.pop());
                let Some((k, (exe, name))) = job else { break };
                match run_one(&exe, &name, &logs.join(format!("{k}.log")), opts.timeout) {
                    Ok(r) => {
                        if opts.verbose {
                            let mark = match r.outcome {
                                Outcome::Passed => "ok",
                                Outcome::Failed => "FAILED",
                                Outcome::TimedOut => "TIMED OUT",
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
    let _ = std::fs::remove_dir_all(&logs);
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|(k, _)| *k);
    Ok(v.into_iter().map(|(_, r)| r).collect())
}

/// One test in its own process (and process group), stopped after `timeout`.
fn run_one(
    exe: &Executable,
    name: &str,
    log: &Path,
    timeout: Duration,
) -> Result<TestResult, GraderError> {
    use std::os::unix::process::CommandExt;
    let werr = |source| GraderError::Write {
        path: log.to_path_buf(),
        source,
    };
    let file = File::create(log).map_err(werr)?;
    let file2 = file.try_clone().map_err(werr)?;
    let start = Instant::now();
    let mut child = Command::new(&exe.path)
        .args([name, "--exact", "--test-threads", "1"])
        .current_dir(&exe.dir)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(file2)
        .process_group(0)
        .spawn()
        .map_err(|e| GraderError::Command {
            command: format!("{} {name}", exe.path.display()),
            message: e.to_string(),
        })?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() >= timeout => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(GraderError::Command {
                    command: format!("{} {name}", exe.path.display()),
                    message: e.to_string(),
                })
            }
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    if status.is_none() {
        // The whole group: a lab binary the test started goes too. The
        // group's id is the child's pid (`process_group(0)` above).
        if let Ok(pid) = i32::try_from(child.id()) {
            if pid > 1 {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let output = std::fs::read_to_string(log).unwrap_or_default();
    let outcome = match status {
        None => Outcome::TimedOut,
        Some(s) if s.success() && output.contains(" 1 passed;") => Outcome::Passed,
        Some(_) => Outcome::Failed,
    };
    Ok(TestResult {
        krate: exe.krate.clone(),
        target: exe.target.clone(),
        name: name.to_string(),
        output: (outcome != Outcome::Passed).then(|| match outcome {
            Outcome::TimedOut => format!(
                "stopped after {:.0} s (the time limit)\n{}",
                timeout.as_secs_f64(),
                tail(&output, 20)
            ),
            _ => tail(&output, 20),
        }),
        outcome,
        seconds,
    })
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in test executable: a shell script.
    fn script(dir: &Path, name: &str, body: &str) -> Executable {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Executable {
            krate: "lab".into(),
            target: "lib".into(),
            path,
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn a_test_passes_fails_or_is_stopped_at_the_time_limit_with_what_it_started() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let limit = Duration::from_secs(2);
        let ok = script(d, "ok", "echo \"test result: ok. 1 passed; 0 failed\"");
        let r = run_one(&ok, "t", &d.join("ok.log"), limit).unwrap();
        assert_eq!((r.outcome, r.output), (Outcome::Passed, None));
        // Exit 0 without running the test (a wrong name, say) is not a pass.
        let none = script(d, "none", "echo \"test result: ok. 0 passed; 0 failed\"");
        let r = run_one(&none, "t", &d.join("none.log"), limit).unwrap();
        assert_eq!(r.outcome, Outcome::Failed);
        let bad = script(
            d,
            "bad",
            "echo \"panicked at src/x.rs: not yet implemented\"; exit 101",
        );
        let r = run_one(&bad, "t", &d.join("bad.log"), limit).unwrap();
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(r.output.unwrap().contains("not yet implemented"));
        // A hanging test that started a helper process: both are stopped.
        let pid_file = d.join("helper.pid");
        let hang = script(
            d,
            "hang",
            &format!(
                "sleep 60 & echo $! > {}; echo started; wait",
                pid_file.display()
            ),
        );
        let t0 = Instant::now();
        let r = run_one(&hang, "t", &d.join("hang.log"), limit).unwrap();
        assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
        assert_eq!(r.outcome, Outcome::TimedOut);
        let out = r.output.unwrap();
        assert!(
            out.starts_with("stopped after 2 s") && out.contains("started"),
            "{out}"
        );
        let helper = std::fs::read_to_string(&pid_file).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        // /proc/<pid> is gone once the process is dead and reaped (sleep's
        // parent, the script, is dead, so init reaps it).
        let alive = Path::new("/proc").join(helper.trim()).exists()
            && !std::fs::read_to_string(Path::new("/proc").join(helper.trim()).join("stat"))
                .is_ok_and(|s| s.contains(") Z "));
        assert!(!alive, "the helper process {} survived", helper.trim());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 3), "");
    }
}
