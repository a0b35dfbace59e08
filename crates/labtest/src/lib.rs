//! Test helpers shared by every lab's end-to-end tests.
//!
//! Each lab crate has `tests/cli.rs`, which runs the lab's real binary
//! (`env!("CARGO_BIN_EXE_<lab>")`) in quick mode with `--out` pointing into a
//! temporary folder that is removed when the test ends, then checks the exit
//! code, `metrics.json` and the plot files:
//!
//! ```ignore
//! let run = labtest::LabRun::new(env!("CARGO_BIN_EXE_pt_deep"), &["--niter", "200"]);
//! run.assert_success();
//! let m = run.metrics();
//! assert!(m["runs"][0]["accuracy"].as_f64().unwrap() > 0.9);
//! run.assert_plot("surface_gmm6-2-10_2-10-10-2.png");
//! ```
//!
//! Bad input goes through [`LabRun::new`] too, and [`LabRun::assert_rejected`]
//! checks that the binary failed with a message and wrote nothing.

// A test helper: failing loudly with a message is its job.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `data/mnist` lives), from a lab crate's tests.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // crates/labtest -> the workspace root.
    here.ancestors()
        .nth(2)
        .map_or_else(|| here.to_path_buf(), Path::to_path_buf)
}

/// `data/mnist` under the workspace root, when `./dl setup` has fetched it.
pub fn mnist_dir() -> Option<PathBuf> {
    let d = workspace_root().join("data/mnist");
    d.join("t10k-labels-idx1-ubyte").exists().then_some(d)
}

/// The flags of `labkit::CommonArgs`, which every lab binary takes.
pub const COMMON_FLAGS: [&str; 3] = ["--seed", "--out", "--format"];
/// The flags of `torch_util::TorchArgs`, which every libtorch lab takes.
pub const TORCH_FLAGS: [&str; 2] = ["--device", "--threads"];

/// The README's shared flags, checked on one binary (`sub`: the subcommand
/// words before the flags, if any): `--help` lists each of them once, and
/// each refuses a bad value before any work with the same message in every
/// lab. With `torch`, the libtorch flags too.
pub fn assert_shared_flags(exe: &str, sub: &[&str], torch: bool) {
    let help = Command::new(exe)
        .args(sub)
        .arg("--help")
        .env("DL_LABS_NO_PROGRESS", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut flags = COMMON_FLAGS.to_vec();
    if torch {
        flags.extend(TORCH_FLAGS);
    }
    for flag in &flags {
        // An option's own line starts with it (`--seed <SEED>`); prose may mention it too.
        let n = help
            .lines()
            .map(str::trim_start)
            .filter(|l| {
                l.strip_prefix(flag)
                    .is_some_and(|rest| rest.starts_with([' ', '<']))
            })
            .count();
        assert_eq!(n, 1, "{exe} --help defines {flag} {n} times:\n{help}");
    }
    let with = |extra: &[&str]| -> Vec<String> {
        sub.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let mut bad: Vec<(Vec<String>, &str)> = vec![
        (with(&["--seed", "x"]), "invalid value 'x' for '--seed"),
        (
            with(&["--format", "bmp"]),
            "invalid value 'bmp' for '--format",
        ),
    ];
    if torch {
        bad.push((
            with(&["--device", "tpu"]),
            "invalid value 'tpu' for '--device",
        ));
        bad.push((
            with(&["--threads", "0"]),
            "--threads must be at least 1, got 0",
        ));
    }
    for (args, needle) in bad {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        LabRun::new(exe, &args).assert_rejected(needle);
    }
}

/// One run of a lab binary with its own temporary output folder.
#[derive(Debug)]
pub struct LabRun {
    pub output: Output,
    /// The folder given as `--out` (inside `tmp`; the binary creates it).
    pub out: PathBuf,
    tmp: tempfile::TempDir,
}

impl LabRun {
    /// Runs `exe args… --out <tmp>/out` from the workspace root, with
    /// progress bars off, and waits for it.
    pub fn new(exe: &str, args: &[&str]) -> LabRun {
        let tmp = tempfile::Builder::new()
            .prefix("dl-labs-test-")
            .tempdir()
            .expect("a temporary folder");
        let out = tmp.path().join("out");
        let output = Command::new(exe)
            .args(args)
            .arg("--out")
            .arg(&out)
            .current_dir(workspace_root())
            .env("DL_LABS_NO_PROGRESS", "1")
            // As a student runs it: the binary chooses how its threads wait.
            .env_remove("OMP_WAIT_POLICY")
            .output()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
        LabRun { output, out, tmp }
    }

    /// The temporary folder the run lives in (removed when `self` drops).
    pub fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Panics with both output streams unless the binary exited with 0.
    pub fn assert_success(&self) {
        assert!(
            self.output.status.success(),
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        );
    }

    /// The binary failed (exit ≠ 0), said something containing `needle` on
    /// stderr, and wrote nothing: the output folder does not exist.
    pub fn assert_rejected(&self, needle: &str) {
        assert!(
            !self.output.status.success(),
            "expected a failure, got success\n--- stdout\n{}",
            self.stdout()
        );
        let err = self.stderr();
        assert!(
            err.contains(needle),
            "stderr does not mention {needle:?}:\n{err}"
        );
        assert!(
            !err.contains("panicked"),
            "bad input must not panic:\n{err}"
        );
        assert!(
            !self.out.exists(),
            "nothing may be written for bad input, but {} exists",
            self.out.display()
        );
    }

    /// `metrics.json` (or another JSON file) of the run.
    pub fn json(&self, name: &str) -> serde_json::Value {
        let p = self.out.join(name);
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
    }

    pub fn metrics(&self) -> serde_json::Value {
        self.json("metrics.json")
    }

    /// A plot file exists, is not empty and starts like a PNG, GIF or SVG file.
    pub fn assert_plot(&self, name: &str) {
        let p = self.out.join(name);
        let bytes =
            std::fs::read(&p).unwrap_or_else(|e| panic!("missing plot {}: {e}", p.display()));
        let ok = bytes.starts_with(b"\x89PNG")
            || bytes.starts_with(b"GIF8")
            || (bytes.starts_with(b"<svg") || bytes.starts_with(b"<?xml"));
        assert!(
            bytes.len() > 1000 && ok,
            "{} is not a plausible image ({} bytes)",
            p.display(),
            bytes.len()
        );
    }

    /// No temporary file (`.name.tmp-PID.ext`) is left in the output folder.
    pub fn assert_no_temp_files(&self) {
        let leftovers: Vec<String> = std::fs::read_dir(&self.out)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains(".tmp-"))
                    .collect()
            })
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}

/// A number at a JSON pointer (e.g. `/runs/0/accuracy`), with a clear panic.
pub fn num(v: &serde_json::Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {pointer} in {v}"))
}
