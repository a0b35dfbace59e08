//! A Python with PyTorch, for benchmarks that time the same loop in
//! PyTorch-Python within the same run (`--bench` modes).
//!
//! [`find_torch_python`] looks, in this order, for
//! 1. the interpreter named by the environment variable `DL_LABS_PYTHON`
//!    (an explicit choice: if it cannot import torch, that is an error);
//! 2. the Python of the torch virtual environment behind `LIBTORCH`, which
//!    `.cargo/config.toml` sets for `cargo run` / `cargo test`
//!    (`<venv>/lib/python3.X/site-packages/torch` → `<venv>/bin/python`);
//! 3. `python3` on the `PATH`, if it can import torch.
//!
//! [`find_paradime_python`] finds the separate environment of the reference
//! library ParaDime (param_embed's `--bench`): `DL_LABS_PARADIME_PYTHON`, else
//! the one `./dl setup-paradime` makes beside the torch environment.
//!
//! [`TorchPython::run_source`] runs a reference script (usually embedded with
//! `include_str!`) by piping it to the interpreter's standard input and
//! returns what it printed.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The environment variable that names the Python to use.
pub const PYTHON_ENV: &str = "DL_LABS_PYTHON";

/// The environment variable that names a Python with the reference library
/// ParaDime (it needs Python 3.10, so it cannot share the torch environment).
pub const PARADIME_ENV: &str = "DL_LABS_PARADIME_PYTHON";

/// The folder `./dl setup-paradime` makes in the set-up's cache, beside the
/// torch environment.
pub const PARADIME_VENV: &str = "paradime-1.1.0";

#[derive(Debug, thiserror::Error)]
pub enum PyRefError {
    #[error("{PYTHON_ENV}={python} cannot import torch: {reason}")]
    EnvPythonWithoutTorch { python: PathBuf, reason: String },
    #[error("no Python with PyTorch found (tried: {})", describe(.tried))]
    NotFound { tried: Vec<Tried> },
    #[error(
        "no Python with the reference library ParaDime (tried: {}); `./dl setup-paradime` \
         installs it (needs Python 3.10), or set {PARADIME_ENV}",
        describe(.tried)
    )]
    NoParadime { tried: Vec<Tried> },
    #[error("cannot start {python}: {source}")]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the reference script {script} is not here (looked in {}); the student release leaves out \
         the scripts that solve an exercise: run this comparison in the instructor's copy",
        describe_paths(.looked)
    )]
    ScriptMissing {
        script: String,
        looked: Vec<PathBuf>,
    },
    #[error("{script} failed under {python} (exit status {status:?}): {stderr}")]
    ScriptFailed {
        python: PathBuf,
        script: String,
        status: Option<i32>,
        stderr: String,
    },
}

fn describe_paths(paths: &[PathBuf]) -> String {
    let parts: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    parts.join(", ")
}

/// The text of a crate's reference script, read when a comparison runs
/// (not compiled in: the student release leaves out the scripts that solve
/// an exercise, and the crate must still build there). `crate_dir` is the
/// crate's folder as `env!("CARGO_MANIFEST_DIR")` gives it; a binary run
/// elsewhere also finds the script under `./crates/<crate>/` of the
/// current folder.
pub fn reference_script(crate_dir: &str, rel: &str) -> Result<String, PyRefError> {
    let dir = Path::new(crate_dir);
    let mut looked = vec![dir.join(rel)];
    if let Some(name) = dir.file_name() {
        looked.push(Path::new("crates").join(name).join(rel));
    }
    for p in &looked {
        if let Ok(text) = std::fs::read_to_string(p) {
            return Ok(text);
        }
    }
    Err(PyRefError::ScriptMissing {
        script: rel.to_string(),
        looked,
    })
}

/// One interpreter that was considered, and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub python: PathBuf,
    pub why: String,
}

fn describe(tried: &[Tried]) -> String {
    let parts: Vec<String> = tried
        .iter()
        .map(|t| format!("{}: {}", t.python.display(), t.why))
        .collect();
    parts.join("; ")
}

/// Where the interpreter came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `DL_LABS_PYTHON`.
    Env,
    /// The virtual environment behind `LIBTORCH`.
    LibtorchVenv,
    /// `python3` on the `PATH`.
    Path,
    /// The set-up's cache folder (`./dl setup-paradime`).
    Cache,
}

/// An interpreter that imports torch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TorchPython {
    pub python: PathBuf,
    /// `torch.__version__`.
    pub torch_version: String,
    pub source: Source,
}

/// `<venv>/bin/python` for `LIBTORCH = <venv>/lib/python3.X/site-packages/torch`,
/// or `None` when the path does not have that shape.
pub fn venv_python_of_libtorch(libtorch: &Path) -> Option<PathBuf> {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let site = libtorch.parent()?;
    let pyver = site.parent()?;
    let lib = pyver.parent()?;
    let venv = lib.parent()?;
    let shaped = name(libtorch)? == "torch"
        && name(site)? == "site-packages"
        && name(pyver)?.starts_with("python")
        && name(lib)? == "lib";
    shaped.then(|| venv.join("bin").join("python"))
}

/// The Python for reference runs that need no torch (scikit-learn, NumPy):
/// `DL_LABS_PYTHON` when set, else the set-up's virtual environment behind
/// `LIBTORCH` (where `./dl setup` installs them), else `python3`.
pub fn reference_python() -> PathBuf {
    if let Some(p) = std::env::var_os(PYTHON_ENV) {
        return PathBuf::from(p);
    }
    std::env::var_os("LIBTORCH")
        .and_then(|l| venv_python_of_libtorch(Path::new(&l)))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Asks `python` for its torch version; `Err` holds the reason it has none.
pub fn probe(python: &Path) -> Result<String, String> {
    probe_importing(python, "torch")
}

/// Asks `python` to import `modules` (comma-separated, torch among them)
/// and print torch's version; `Err` holds the reason it cannot.
fn probe_importing(python: &Path, modules: &str) -> Result<String, String> {
    let out = Command::new(python)
        .args(["-c", &format!("import {modules}; print(torch.__version__)")])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start it ({e})"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .last()
            .unwrap_or("no message")
            .trim()
            .to_string();
        return Err(format!("import {modules} failed ({last})"));
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if version.is_empty() {
        return Err("import torch printed no version".into());
    }
    Ok(version)
}

/// Finds a Python with torch in the order described in the module docs.
pub fn find_torch_python() -> Result<TorchPython, PyRefError> {
    if let Some(p) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
        let python = PathBuf::from(p);
        return match probe(&python) {
            Ok(torch_version) => Ok(TorchPython {
                python,
                torch_version,
                source: Source::Env,
            }),
            Err(reason) => Err(PyRefError::EnvPythonWithoutTorch { python, reason }),
        };
    }
    let mut tried = Vec::new();
    match std::env::var_os("LIBTORCH") {
        Some(lt) => match venv_python_of_libtorch(Path::new(&lt)) {
            Some(python) => match probe(&python) {
                Ok(torch_version) => {
                    return Ok(TorchPython {
                        python,
                        torch_version,
                        source: Source::LibtorchVenv,
                    })
                }
                Err(why) => tried.push(Tried { python, why }),
            },
            None => tried.push(Tried {
                python: PathBuf::from(&lt),
                why: "LIBTORCH is not a virtual environment's site-packages/torch".into(),
            }),
        },
        None => tried.push(Tried {
            python: PathBuf::from("$LIBTORCH"),
            why: "not set (cargo run sets it from .cargo/config.toml)".into(),
        }),
    }
    let python = PathBuf::from("python3");
    match probe(&python) {
        Ok(torch_version) => Ok(TorchPython {
            python,
            torch_version,
            source: Source::Path,
        }),
        Err(why) => {
            tried.push(Tried { python, why });
            Err(PyRefError::NotFound { tried })
        }
    }
}

/// Finds a Python that imports ParaDime and torch: `DL_LABS_PARADIME_PYTHON`
/// when set (then nothing else is tried), else `<cache>/paradime-1.1.0/bin/python`,
/// where `<cache>` holds the torch environment behind `LIBTORCH`.
pub fn find_paradime_python() -> Result<TorchPython, PyRefError> {
    paradime_python_from(std::env::var_os(PARADIME_ENV), std::env::var_os("LIBTORCH"))
}

/// [`find_paradime_python`] with the two environment variables given.
fn paradime_python_from(
    env: Option<std::ffi::OsString>,
    libtorch: Option<std::ffi::OsString>,
) -> Result<TorchPython, PyRefError> {
    let found = |python: PathBuf, source| {
        probe_importing(&python, "paradime, torch")
            .map(|torch_version| TorchPython {
                python: python.clone(),
                torch_version,
                source,
            })
            .map_err(|why| Tried { python, why })
    };
    if let Some(p) = env.filter(|p| !p.is_empty()) {
        return found(PathBuf::from(p), Source::Env)
            .map_err(|t| PyRefError::NoParadime { tried: vec![t] });
    }
    let cache_venv = libtorch
        .and_then(|l| venv_python_of_libtorch(Path::new(&l)))
        .and_then(|py| Some(py.parent()?.parent()?.parent()?.to_path_buf()))
        .map(|cache| cache.join(PARADIME_VENV).join("bin").join("python"));
    let tried = match cache_venv {
        Some(python) => match found(python, Source::Cache) {
            Ok(p) => return Ok(p),
            Err(t) => t,
        },
        None => Tried {
            python: PathBuf::from(format!("<cache>/{PARADIME_VENV}")),
            why: "LIBTORCH does not point into the set-up's cache".into(),
        },
    };
    Err(PyRefError::NoParadime { tried: vec![tried] })
}

impl TorchPython {
    /// Runs the script text `source` (named `name` in messages) with `args`,
    /// feeding it on standard input (`python - ARGS`), and returns its
    /// standard output. A non-zero exit is [`PyRefError::ScriptFailed`].
    pub fn run_source<I, S>(&self, name: &str, source: &str, args: I) -> Result<String, PyRefError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let spawn_err = |source| PyRefError::Spawn {
            python: self.python.clone(),
            source,
        };
        let mut child = Command::new(&self.python)
            .arg("-")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_err)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(source.as_bytes()).map_err(spawn_err)?;
        } // dropping stdin closes it: the script starts
        let out = child.wait_with_output().map_err(spawn_err)?;
        if !out.status.success() {
            return Err(PyRefError::ScriptFailed {
                python: self.python.clone(),
                script: name.to_string(),
                status: out.status.code(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_reference_script_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("reference")).unwrap();
        std::fs::write(dir.path().join("reference/x.py"), "print(1)\n").unwrap();
        let crate_dir = dir.path().to_str().unwrap();
        assert_eq!(
            reference_script(crate_dir, "reference/x.py").unwrap(),
            "print(1)\n"
        );
        let e = reference_script(crate_dir, "reference/gone.py").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, PyRefError::ScriptMissing { .. }), "{msg}");
        assert!(
            msg.contains("student release") && msg.contains("gone.py"),
            "{msg}"
        );
    }

    #[test]
    fn venv_python_from_libtorch_path() {
        assert_eq!(
            venv_python_of_libtorch(Path::new(
                "/cache/torch-2.11.0/lib/python3.11/site-packages/torch"
            )),
            Some(PathBuf::from("/cache/torch-2.11.0/bin/python"))
        );
        // A stand-alone libtorch folder is not a virtual environment.
        assert_eq!(venv_python_of_libtorch(Path::new("/opt/libtorch")), None);
        assert_eq!(
            venv_python_of_libtorch(Path::new("/v/lib/python3.11/dist-packages/torch")),
            None
        );
    }

    #[test]
    fn paradime_is_looked_for_in_the_env_variable_or_beside_the_torch_venv() {
        let e = paradime_python_from(Some("/nonexistent/py".into()), None).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("/nonexistent/py") && msg.contains("./dl setup-paradime"),
            "{msg}"
        );
        let dir = tempfile::tempdir().unwrap();
        let libtorch = dir
            .path()
            .join("torch-2.11.0/lib/python3.11/site-packages/torch");
        let e = paradime_python_from(None, Some(libtorch.into_os_string())).unwrap_err();
        let expected = dir.path().join("paradime-1.1.0/bin/python");
        assert!(
            e.to_string().contains(&expected.display().to_string()),
            "{e}"
        );
        let e = paradime_python_from(None, Some("/opt/libtorch".into())).unwrap_err();
        assert!(e.to_string().contains("cache"), "{e}");
    }

    #[test]
    fn probe_says_why_an_interpreter_is_unusable() {
        let why = probe(Path::new("/nonexistent/python")).unwrap_err();
        assert!(why.contains("cannot start"), "{why}");
    }

    #[test]
    fn not_found_lists_every_candidate() {
        let e = PyRefError::NotFound {
            tried: vec![
                Tried {
                    python: "a".into(),
                    why: "x".into(),
                },
                Tried {
                    python: "python3".into(),
                    why: "import torch failed".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "no Python with PyTorch found (tried: a: x; python3: import torch failed)"
        );
    }
}
