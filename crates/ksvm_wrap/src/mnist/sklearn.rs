//! scikit-learn's `SVC` measured in the same run, through the script
//! `reference/svc_bench.py` (compiled into the binary and run with `python -c`),
//! when the given Python has scikit-learn; otherwise the reason it was not measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::{KsvmError, ResolvedKernel};

/// The reference script, compiled in so the binary needs no path to it.
pub const SCRIPT: &str = include_str!("../../reference/svc_bench.py");

/// Why scikit-learn could not be measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Unavailable {
    /// The Python interpreter could not be started.
    NoPython { error: String },
    /// It started, but `import sklearn` (or numpy) failed.
    NoSklearn { message: String },
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NoPython { error } => write!(f, "cannot start it: {error}"),
            Unavailable::NoSklearn { message } => write!(f, "{message}"),
        }
    }
}

/// What the script reports for one fit + predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SklearnRun {
    /// scikit-learn's version.
    pub sklearn: String,
    pub n_train: usize,
    pub n_test: usize,
    pub fit_seconds: f64,
    pub predict_seconds: f64,
    pub test_accuracy: f64,
    pub n_support: usize,
}

/// scikit-learn's result, or why there is none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Reference {
    Measured(SklearnRun),
    NotMeasured {
        python: PathBuf,
        #[serde(flatten)]
        reason: Unavailable,
    },
}

/// Checks that `python` can import scikit-learn and numpy.
pub fn probe(python: &Path) -> Result<(), Unavailable> {
    let out = Command::new(python)
        .args(["-c", SCRIPT, "--probe"])
        .output()
        .map_err(|e| Unavailable::NoPython {
            error: e.to_string(),
        })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(Unavailable::NoSklearn {
        message: stderr
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("the probe failed without a message")
            .trim()
            .to_string(),
    })
}

/// Runs `SVC(C, kernel, gamma)` on the first `n_train` / `n_test` images of
/// `mnist_dir` (the same images and the same resolved γ as ours).
pub fn run(
    python: &Path,
    mnist_dir: &Path,
    n_train: usize,
    n_test: usize,
    c: f64,
    kernel: ResolvedKernel,
) -> Result<SklearnRun, KsvmError> {
    let mut cmd = Command::new(python);
    cmd.args(["-c", SCRIPT, "--mnist-dir"])
        .arg(mnist_dir)
        .args(["--n-train", &n_train.to_string()])
        .args(["--n-test", &n_test.to_string()])
        .args(["--c", &c.to_string()]);
    match kernel {
        ResolvedKernel::Rbf { gamma } => {
            cmd.args(["--kernel", "rbf", "--gamma", &gamma.to_string()])
        }
        ResolvedKernel::Linear => cmd.args(["--kernel", "linear"]),
    };
    let out = cmd.output().map_err(|e| KsvmError::SklearnUnavailable {
        python: python.to_owned(),
        reason: Unavailable::NoPython {
            error: e.to_string(),
        },
    })?;
    if !out.status.success() {
        return Err(KsvmError::ReferenceFailed {
            python: python.to_owned(),
            code: out.status.code(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    serde_json::from_str(line).map_err(|source| KsvmError::ReferenceOutput {
        output: stdout.trim().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_python_is_a_reason_not_a_crash() {
        let r = probe(Path::new("./no-such-python-here"));
        assert!(matches!(r, Err(Unavailable::NoPython { .. })), "{r:?}");
    }

    #[test]
    fn the_script_is_compiled_in() {
        assert!(SCRIPT.contains("from sklearn.svm import SVC"));
        assert!(SCRIPT.contains("--probe"));
    }
}
