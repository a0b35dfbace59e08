//! Building a workspace's library unit tests with cargo (one call that goes
//! on past a crate that does not compile), and the target folder a
//! submission builds in: its own, with the reference's compiled dependencies
//! linked in read-only.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::process::{run_limited, Finished};
use crate::sandbox::Sandbox;
use crate::GraderError;

/// A test executable of a crate.
#[derive(Debug, Clone)]
pub struct Executable {
    pub krate: String,
    pub path: PathBuf,
    /// The crate's folder: tests run there, as under `cargo test`.
    pub dir: PathBuf,
}

/// Whether a crate's tests were built.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrateBuild {
    #[serde(rename = "crate")]
    pub krate: String,
    pub compiled: bool,
    /// Compiler errors (rendered), or why it was not built.
    pub errors: Vec<String>,
}

/// The cargo program: `$CARGO` (set when the grader runs under cargo) or `cargo`.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Runs `cargo test --no-run --lib` for `crates` of the workspace at `root`
/// inside `sandbox` (writable: `writable`), stopped after `timeout`.
pub fn build_tests(
    root: &Path,
    crates: &[&str],
    target: &Path,
    sandbox: &Sandbox,
    writable: &[&Path],
    timeout: Duration,
) -> Result<(Vec<Executable>, Vec<CrateBuild>), GraderError> {
    let mut args: Vec<OsString> = [
        "test",
        "--no-run",
        "--lib",
        "--no-fail-fast",
        "--offline",
        "--message-format=json",
        "--target-dir",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(target.as_os_str().to_owned());
    for c in crates {
        args.push("-p".into());
        args.push((*c).into());
    }
    let mut cmd = sandbox.command(&cargo(), &args, writable, root);
    cmd.env("CARGO_TERM_COLOR", "never")
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC_WRAPPER")
        .stdin(Stdio::null());
    let out = run_limited(&mut cmd, timeout).map_err(|e| GraderError::Command {
        command: "cargo test --no-run".into(),
        message: format!("{e} (is cargo on PATH?)"),
    })?;
    Ok(parse_build(&out, crates))
}

fn parse_build(out: &Finished, crates: &[&str]) -> (Vec<Executable>, Vec<CrateBuild>) {
    let mut exes = Vec::new();
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in out.stdout.lines() {
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
                    exes.push(Executable {
                        krate,
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
    let why_not = if out.timed_out {
        format!(
            "the build was stopped after {:.0} s (the time limit)",
            out.seconds
        )
    } else {
        format!("not built; cargo said:\n{}", tail(&out.stderr, 30))
    };
    let builds = crates
        .iter()
        .map(|&c| {
            let compiled = exes.iter().any(|e| e.krate == c);
            let mut errs = errors.remove(c).unwrap_or_default();
            if !compiled && errs.is_empty() {
                errs.push(why_not.clone());
            }
            CrateBuild {
                krate: c.to_string(),
                compiled,
                errors: if compiled { Vec::new() } else { errs },
            }
        })
        .collect();
    (exes, builds)
}

/// Builds the reference's tests (trusted, no sandbox) so that its compiled
/// dependencies exist for submissions to share; returns its executables.
pub fn build_reference(
    root: &Path,
    crates: &[&str],
    target: &Path,
) -> Result<(Vec<Executable>, Vec<CrateBuild>), GraderError> {
    let mut cmd = Command::new(cargo());
    cmd.args([
        "test",
        "--no-run",
        "--lib",
        "--message-format=json",
        "--target-dir",
    ])
    .arg(target)
    .current_dir(root)
    .env("CARGO_TERM_COLOR", "never")
    .stdin(Stdio::null());
    for c in crates {
        cmd.args(["-p", c]);
    }
    let out = run_limited(&mut cmd, Duration::from_secs(24 * 3600)).map_err(|e| {
        GraderError::Command {
            command: "cargo test --no-run (reference)".into(),
            message: e.to_string(),
        }
    })?;
    Ok(parse_build(&out, crates))
}

/// The target folder of the workspace at `root`: `$CARGO_TARGET_DIR` or `root/target`.
pub fn default_target(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// A fresh target folder at `dest` whose `debug/{deps,build,.fingerprint}`
/// link to every entry of the reference's `shared` target. The submission's
/// own crates carry another version than the reference's, so cargo never
/// takes the reference's builds of them; it takes only the dependencies.
/// Links point into the reference's folder, which the sandbox keeps read-only.
pub fn link_shared_target(shared: &Path, dest: &Path) -> Result<usize, GraderError> {
    let mut n = 0;
    for sub in ["deps", "build", ".fingerprint"] {
        let from = shared.join("debug").join(sub);
        let to = dest.join("debug").join(sub);
        std::fs::create_dir_all(&to).map_err(|source| GraderError::Write {
            path: to.clone(),
            source,
        })?;
        let Ok(entries) = std::fs::read_dir(&from) else {
            continue;
        };
        for e in entries.flatten() {
            let link = to.join(e.file_name());
            std::os::unix::fs::symlink(e.path(), &link).map_err(|source| GraderError::Write {
                path: link.clone(),
                source,
            })?;
            n += 1;
        }
    }
    Ok(n)
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_messages_give_executables_and_errors_per_crate() {
        let out = Finished {
            stdout: [
                r#"{"reason":"compiler-artifact","manifest_path":"/w/crates/metrics/Cargo.toml","profile":{"test":true},"executable":"/t/debug/deps/metrics-1"}"#,
                r#"{"reason":"compiler-artifact","manifest_path":"/w/crates/labkit/Cargo.toml","profile":{"test":false},"executable":null}"#,
                r#"{"reason":"compiler-message","manifest_path":"/w/crates/fcann2/Cargo.toml","message":{"level":"error","rendered":"error[E0308]: mismatched types"}}"#,
                "not json",
            ]
            .join("\n"),
            stderr: "error: could not compile `fcann2`".into(),
            status: None,
            timed_out: false,
            seconds: 1.0,
        };
        let (exes, builds) = parse_build(&out, &["metrics", "fcann2", "pt_deep"]);
        assert_eq!(exes.len(), 1);
        assert_eq!(
            (exes[0].krate.as_str(), exes[0].dir.as_path()),
            ("metrics", Path::new("/w/crates/metrics"))
        );
        assert!(builds[0].compiled && builds[0].errors.is_empty());
        assert!(!builds[1].compiled && builds[1].errors[0].contains("E0308"));
        assert!(!builds[2].compiled && builds[2].errors[0].contains("could not compile"));
    }

    #[test]
    fn a_shared_target_is_linked_entry_by_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let shared = tmp.path().join("shared");
        std::fs::create_dir_all(shared.join("debug/deps")).unwrap();
        std::fs::write(shared.join("debug/deps/libx-1.rlib"), "x").unwrap();
        std::fs::create_dir_all(shared.join("debug/build/y-2/out")).unwrap();
        let dest = tmp.path().join("mine");
        assert_eq!(link_shared_target(&shared, &dest).unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(dest.join("debug/deps/libx-1.rlib")).unwrap(),
            "x"
        );
        assert!(dest.join("debug/build/y-2/out").is_dir());
        assert!(dest.join("debug/.fingerprint").is_dir());
        // New outputs go into the submission's own folders, not the shared ones.
        std::fs::write(dest.join("debug/deps/libz-3.rlib"), "z").unwrap();
        assert!(!shared.join("debug/deps/libz-3.rlib").exists());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 3), "");
    }
}
