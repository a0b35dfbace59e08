//! Mean ± standard deviation over seeds: [`mean_std`] for two numbers,
//! [`OverSeeds`] for the whole summary with the default seed's value.

use std::fmt;

use serde::Serialize;

/// One number measured on several seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverSeeds {
    /// Mean over the seeds.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator, as `torch.std`).
    pub std: f64,
    /// The value on the default seed (the first one).
    pub default_seed: f64,
    pub min: f64,
    pub max: f64,
    pub median: f64,
    /// Every seed's value, in seed order.
    pub values: Vec<f64>,
}

/// Mean and sample standard deviation (n − 1 in the denominator, as
/// `torch.std`; 0 for one value) of `v`; `None` when `v` is empty.
pub fn mean_std(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some((mean, var.sqrt()))
}

impl OverSeeds {
    /// Summarises `values` (first = default seed). `None` when empty.
    pub fn new(values: Vec<f64>) -> Option<Self> {
        let first = *values.first()?;
        let (mean, std) = mean_std(&values)?;
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let k = sorted.len();
        let median = if k % 2 == 1 {
            sorted[k / 2]
        } else {
            (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0
        };
        Some(OverSeeds {
            mean,
            median,
            std,
            default_seed: first,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            values,
        })
    }

    /// Summarises `f` of each per-seed result.
    pub fn of<T>(runs: &[T], f: impl Fn(&T) -> f64) -> Option<Self> {
        Self::new(runs.iter().map(f).collect())
    }

    /// Whether `target ± tol` contains the mean.
    pub fn within(&self, target: f64, tol: f64) -> bool {
        (self.mean - target).abs() <= tol
    }
}

impl fmt::Display for OverSeeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.3} ± {:.3} (seed {:.3})",
            self.mean, self.std, self.default_seed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        let s = OverSeeds::new(vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((s.mean - 2.5).abs() < 1e-12);
        // sample variance = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(
            (s.default_seed, s.min, s.max, s.median),
            (1.0, 1.0, 4.0, 2.5)
        );
        assert_eq!(OverSeeds::new(vec![3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert!(s.within(2.0, 0.5) && !s.within(2.0, 0.4));
        assert!(OverSeeds::new(vec![]).is_none());
        assert_eq!(s.to_string(), "2.500 ± 1.291 (seed 1.000)");
        assert_eq!(mean_std(&[2.0]), Some((2.0, 0.0)));
        assert_eq!(mean_std(&[]), None);
    }
}
