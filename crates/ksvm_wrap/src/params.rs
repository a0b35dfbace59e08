//! Hyper-parameters of [`crate::KSVMWrap`]: the penalty C, the kernel (RBF with
//! its width γ, or linear), the solver's tolerance, the binary solver and its cache.
//! [`KsvmParams::check`] runs before any work.

use ndarray::ArrayView2;
use serde::Serialize;

use crate::KsvmError;

/// Width of the Gaussian (RBF) kernel `exp(−γ‖x − y‖²)`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gamma {
    /// γ = 1/D for D input features (scikit-learn's `gamma='auto'`, the course's default).
    #[default]
    Auto,
    /// γ = 1/(D · Var(X)), the variance over all entries of the training inputs
    /// (scikit-learn's `gamma='scale'`, `SVC`'s default).
    Scale,
    /// A fixed γ > 0.
    Value(f64),
}

impl Gamma {
    /// The value of γ for the training inputs `x` (N × D).
    pub fn resolve(self, x: ArrayView2<f64>) -> Result<f64, KsvmError> {
        let d = x.ncols() as f64;
        let g = match self {
            Gamma::Auto => 1.0 / d,
            Gamma::Scale => {
                let var = x.var(0.0);
                if var.is_nan() || var <= 0.0 {
                    return Err(KsvmError::ZeroVariance);
                }
                1.0 / (d * var)
            }
            Gamma::Value(g) => g,
        };
        check_gamma(g)?;
        Ok(g)
    }
}

impl std::fmt::Display for Gamma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gamma::Auto => write!(f, "auto"),
            Gamma::Scale => write!(f, "scale"),
            Gamma::Value(g) => write!(f, "{g}"),
        }
    }
}

impl std::str::FromStr for Gamma {
    type Err = KsvmError;
    /// `auto`, `scale` or a positive number, e.g. `0.5`.
    fn from_str(s: &str) -> Result<Self, KsvmError> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") {
            return Ok(Gamma::Auto);
        }
        if t.eq_ignore_ascii_case("scale") {
            return Ok(Gamma::Scale);
        }
        let g: f64 = t.parse().map_err(|_| KsvmError::ParseGamma {
            text: s.to_string(),
        })?;
        check_gamma(g)?;
        Ok(Gamma::Value(g))
    }
}

pub(crate) fn check_gamma(g: f64) -> Result<(), KsvmError> {
    // linfa's kernel takes eps = 1/γ, which must be finite too.
    if g.is_finite() && g > 0.0 && (1.0 / g).is_finite() {
        Ok(())
    } else {
        Err(KsvmError::BadGamma(g))
    }
}

/// The kernel of every binary SVM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Kernel {
    /// Gaussian kernel `exp(−γ‖x − y‖²)`.
    Rbf { gamma: Gamma },
    /// Linear kernel `x · y`: each pair's boundary is a straight line (a hyperplane).
    Linear,
}

impl Default for Kernel {
    /// RBF with γ = auto, as the course's `KSVMWrap(X, Y_, param_svm_c=1, param_svm_gamma='auto')`.
    fn default() -> Self {
        Kernel::Rbf { gamma: Gamma::Auto }
    }
}

/// A kernel with γ resolved to a number: what the solvers and the decision function use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum ResolvedKernel {
    Rbf { gamma: f64 },
    Linear,
}

/// The kernel's name on the command line (`--kernel rbf|linear`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KernelKind {
    Rbf,
    Linear,
}

impl std::fmt::Display for KernelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KernelKind::Rbf => "rbf",
            KernelKind::Linear => "linear",
        })
    }
}

impl Kernel {
    pub fn kind(self) -> KernelKind {
        match self {
            Kernel::Rbf { .. } => KernelKind::Rbf,
            Kernel::Linear => KernelKind::Linear,
        }
    }

    /// The kernel chosen by `--kernel` and `--gamma`: γ belongs to the RBF
    /// kernel only, so a γ given with the linear kernel is an error, not ignored.
    /// Without `--gamma`, the RBF kernel takes `default_gamma`.
    pub fn from_flags(
        kind: KernelKind,
        gamma: Option<Gamma>,
        default_gamma: Gamma,
    ) -> Result<Kernel, KsvmError> {
        match (kind, gamma) {
            (KernelKind::Linear, Some(gamma)) => Err(KsvmError::GammaWithLinearKernel { gamma }),
            (KernelKind::Linear, None) => Ok(Kernel::Linear),
            (KernelKind::Rbf, g) => Ok(Kernel::Rbf {
                gamma: g.unwrap_or(default_gamma),
            }),
        }
    }

    /// γ resolved on the training inputs `x` (see [`Gamma::resolve`]).
    pub fn resolve(self, x: ArrayView2<f64>) -> Result<ResolvedKernel, KsvmError> {
        Ok(match self {
            Kernel::Rbf { gamma } => ResolvedKernel::Rbf {
                gamma: gamma.resolve(x)?,
            },
            Kernel::Linear => ResolvedKernel::Linear,
        })
    }

    /// The RBF kernel's γ setting (`None` for the linear kernel).
    pub fn gamma(self) -> Option<Gamma> {
        match self {
            Kernel::Rbf { gamma } => Some(gamma),
            Kernel::Linear => None,
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kernel::Rbf { gamma } => write!(f, "RBF, γ = {gamma}"),
            Kernel::Linear => write!(f, "linear"),
        }
    }
}

/// The binary solver behind each one-vs-one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// linfa-svm up to 2,000 points per pair (AUTO_SMO_ABOVE), the SMO solver above
    #[default]
    Auto,
    /// linfa-svm 0.8.1: dense n × n kernel, one thread
    Linfa,
    /// This crate's SMO solver (module smo): cached f32 kernel rows, pairs in parallel
    Smo,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Auto => "auto",
            Backend::Linfa => "linfa",
            Backend::Smo => "smo",
        })
    }
}

/// Pairs with more points than this use the SMO backend under [`Backend::Auto`].
pub const AUTO_SMO_ABOVE: usize = 2000;

/// Hyper-parameters of [`crate::KSVMWrap`]; [`KsvmParams::check`] runs before any work.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KsvmParams {
    /// Penalty C of the soft margin (the same for both classes of every pair).
    pub c: f64,
    pub kernel: Kernel,
    /// Stopping tolerance of the solver (libsvm's default 1e-3; linfa's is 1e-7).
    pub tol: f64,
    /// Which binary solver trains each pair.
    pub backend: Backend,
    /// Kernel-row cache of the SMO backend, in MiB, shared by all threads.
    pub cache_mb: usize,
}

impl Default for KsvmParams {
    /// C = 1, RBF with γ = auto, tolerance 1e-3: the course's settings, with libsvm's tolerance.
    fn default() -> Self {
        KsvmParams {
            c: 1.0,
            kernel: Kernel::default(),
            tol: 1e-3,
            backend: Backend::Auto,
            cache_mb: 1024,
        }
    }
}

impl KsvmParams {
    pub fn check(&self) -> Result<(), KsvmError> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(KsvmError::BadC(self.c));
        }
        if let Kernel::Rbf {
            gamma: Gamma::Value(g),
        } = self.kernel
        {
            check_gamma(g)?;
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(KsvmError::BadTolerance(self.tol));
        }
        if self.cache_mb == 0 {
            return Err(KsvmError::BadCache(self.cache_mb));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr2;

    #[test]
    fn gamma_parses_and_resolves() {
        assert_eq!("auto".parse::<Gamma>().unwrap(), Gamma::Auto);
        assert_eq!("Scale".parse::<Gamma>().unwrap(), Gamma::Scale);
        assert_eq!("0.25".parse::<Gamma>().unwrap(), Gamma::Value(0.25));
        assert!(matches!("-1".parse::<Gamma>(), Err(KsvmError::BadGamma(_))));
        assert!(matches!("0".parse::<Gamma>(), Err(KsvmError::BadGamma(_))));
        assert!(matches!(
            "NaN".parse::<Gamma>(),
            Err(KsvmError::BadGamma(_))
        ));
        assert!(matches!(
            "wide".parse::<Gamma>(),
            Err(KsvmError::ParseGamma { text }) if text == "wide"
        ));
        let x = arr2(&[[0.0, 0.0], [2.0, 4.0]]);
        assert_eq!(Gamma::Auto.resolve(x.view()).unwrap(), 0.5);
        assert_eq!(Gamma::Value(3.0).resolve(x.view()).unwrap(), 3.0);
        // Var over the four entries {0, 0, 2, 4}: mean 1.5, variance 2.75; γ = 1/(2 · 2.75).
        let g = Gamma::Scale.resolve(x.view()).unwrap();
        assert!((g - 1.0 / 5.5).abs() < 1e-15, "{g}");
        let flat = arr2(&[[1.0, 1.0], [1.0, 1.0]]);
        assert!(matches!(
            Gamma::Scale.resolve(flat.view()),
            Err(KsvmError::ZeroVariance)
        ));
    }

    #[test]
    fn kernel_flags_reject_gamma_with_the_linear_kernel() {
        let k = |kind, g| Kernel::from_flags(kind, g, Gamma::Auto);
        assert_eq!(
            k(KernelKind::Rbf, None).unwrap(),
            Kernel::Rbf { gamma: Gamma::Auto }
        );
        assert_eq!(
            k(KernelKind::Rbf, Some(Gamma::Value(2.0))).unwrap(),
            Kernel::Rbf {
                gamma: Gamma::Value(2.0)
            }
        );
        assert_eq!(k(KernelKind::Linear, None).unwrap(), Kernel::Linear);
        assert!(matches!(
            k(KernelKind::Linear, Some(Gamma::Scale)),
            Err(KsvmError::GammaWithLinearKernel {
                gamma: Gamma::Scale
            })
        ));
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        let ok = KsvmParams::default();
        assert!(ok.check().is_ok());
        for c in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let p = KsvmParams { c, ..ok };
            assert!(matches!(p.check(), Err(KsvmError::BadC(_))), "C {c}");
        }
        for g in [0.0, -0.5, f64::NAN, f64::INFINITY, 1e-320] {
            let p = KsvmParams {
                kernel: Kernel::Rbf {
                    gamma: Gamma::Value(g),
                },
                ..ok
            };
            assert!(matches!(p.check(), Err(KsvmError::BadGamma(_))), "γ {g}");
        }
        let p = KsvmParams { cache_mb: 0, ..ok };
        assert!(matches!(p.check(), Err(KsvmError::BadCache(0))));
        let p = KsvmParams { tol: 0.0, ..ok };
        assert!(matches!(p.check(), Err(KsvmError::BadTolerance(_))));
    }
}
