//! The lab's settings: data sets, layer configurations and the checks that run
//! before any work.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use data::GmmSpec;
use labkit::PlotFormat;
use serde::Serialize;
use tch::Device;

use crate::model::check_config;
use crate::train::TrainParams;
use crate::{Activation, PtDeepError};

/// Layer sizes `D,h1,…,C` on the command line, e.g. `2,10,10,2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerConfig(pub Vec<usize>);

impl FromStr for LayerConfig {
    type Err = PtDeepError;
    fn from_str(s: &str) -> Result<Self, PtDeepError> {
        let v = data::parse_list(s)?;
        check_config(&v)?;
        Ok(LayerConfig(v))
    }
}

impl fmt::Display for LayerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        write!(f, "[{}]", parts.join(","))
    }
}

/// The data sets of the lab: gmm(4,2,40) and gmm(6,2,10).
pub fn lab_datasets() -> Vec<GmmSpec> {
    vec![GmmSpec { k: 4, c: 2, n: 40 }, GmmSpec { k: 6, c: 2, n: 10 }]
}

/// The configurations of the lab: [2,2], [2,10,2], [2,10,10,2].
pub fn lab_configs() -> Vec<LayerConfig> {
    vec![
        LayerConfig(vec![2, 2]),
        LayerConfig(vec![2, 10, 2]),
        LayerConfig(vec![2, 10, 10, 2]),
    ]
}

/// The reference setting, animated during training: gmm(6,2,10) with [2,10,10,2].
pub fn reference() -> (GmmSpec, LayerConfig) {
    (
        GmmSpec { k: 6, c: 2, n: 10 },
        LayerConfig(vec![2, 10, 10, 2]),
    )
}

/// Decision surfaces are sampled on this many points per side by default.
pub const DEFAULT_GRID: usize = 256;

/// Everything a lab run needs; [`LabConfig::check`] validates it before any work.
#[derive(Debug, Clone, Serialize)]
pub struct LabConfig {
    pub seed: u64,
    pub train: TrainParams,
    pub activation: Activation,
    pub configs: Vec<LayerConfig>,
    pub datasets: Vec<GmmSpec>,
    #[serde(skip)]
    pub device: Device,
    #[serde(skip)]
    pub out: PathBuf,
    pub format: PlotFormat,
    /// Write a GIF of the decision surface while the reference setting trains.
    pub animate: bool,
    /// The decision surface is sampled on grid × grid points.
    pub grid: usize,
    /// Standardise the inputs ((x − mean)/std per feature) before training;
    /// plots stay in the original coordinates.
    pub standardize: bool,
}

impl Default for LabConfig {
    /// The lab's default protocol, on the CPU, written to `results/pt_deep`.
    fn default() -> Self {
        LabConfig {
            seed: labkit::DEFAULT_SEED,
            train: TrainParams::default(),
            activation: Activation::Relu,
            configs: lab_configs(),
            datasets: lab_datasets(),
            device: Device::Cpu,
            out: labkit::cli::default_out("pt_deep"),
            format: PlotFormat::Png,
            animate: true,
            grid: DEFAULT_GRID,
            standardize: true,
        }
    }
}

impl LabConfig {
    pub fn check(&self) -> Result<(), PtDeepError> {
        self.train.check()?;
        for d in &self.datasets {
            data::check_gmm_args(d.k, d.c, d.n)?;
        }
        for LayerConfig(cfg) in &self.configs {
            check_config(cfg)?;
            if cfg[0] != 2 {
                return Err(PtDeepError::InputDim {
                    config: cfg.clone(),
                    expected: cfg[0],
                    found: 2,
                });
            }
            for d in &self.datasets {
                let c = cfg[cfg.len() - 1];
                if c != d.c {
                    return Err(PtDeepError::ClassDim {
                        config: cfg.clone(),
                        expected: c,
                        found: d.c,
                    });
                }
            }
        }
        plot::check_grid(self.grid)?;
        Ok(())
    }
}

/// `count_params()` of every configuration of `cfg`, as the course prints it.
pub fn param_counts(cfg: &LabConfig) -> Result<String, PtDeepError> {
    let mut out = String::new();
    for LayerConfig(c) in &cfg.configs {
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let m = crate::PTDeep::new(&vs.root(), c, cfg.activation)?;
        out.push_str(&format!(
            "PTDeep {}:\n{}\n",
            LayerConfig(c.clone()),
            m.count_params()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_command_line_lists() {
        assert_eq!(
            "6,2,10".parse::<GmmSpec>().unwrap(),
            GmmSpec { k: 6, c: 2, n: 10 }
        );
        assert!(matches!(
            "6,2".parse::<GmmSpec>(),
            Err(data::DataError::WrongCount { .. })
        ));
        assert!(matches!(
            "6,x,2".parse::<GmmSpec>(),
            Err(data::DataError::NotANumber { part, .. }) if part == "x"
        ));
        assert_eq!(
            "2, 10,2".parse::<LayerConfig>().unwrap(),
            LayerConfig(vec![2, 10, 2])
        );
        assert!(matches!(
            "2".parse::<LayerConfig>(),
            Err(PtDeepError::ConfigTooShort(_))
        ));
        assert!(matches!(
            "2,0,2".parse::<LayerConfig>(),
            Err(PtDeepError::ZeroLayer { index: 1, .. })
        ));
    }

    #[test]
    fn config_is_checked_before_work() {
        let out = std::env::temp_dir().join("pt_deep_never_written");
        let mut cfg = LabConfig {
            out: out.clone(),
            ..LabConfig::default()
        };
        cfg.configs = vec![LayerConfig(vec![2, 3])];
        assert!(matches!(
            cfg.check(),
            Err(PtDeepError::ClassDim {
                expected: 3,
                found: 2,
                ..
            })
        ));
        cfg.configs = vec![LayerConfig(vec![3, 2])];
        assert!(matches!(cfg.check(), Err(PtDeepError::InputDim { .. })));
        cfg.configs = lab_configs();
        cfg.datasets = vec![GmmSpec { k: 1, c: 2, n: 5 }];
        assert!(matches!(
            crate::lab::run_lab(&cfg),
            Err(PtDeepError::Data(
                data::DataError::FewerComponentsThanClasses { k: 1, c: 2 }
            ))
        ));
        assert!(
            !out.exists(),
            "nothing is written when the config is invalid"
        );
    }
}
