//! Mean ± standard deviation over seeds: the workspace's one summary, from `metrics`.

pub use metrics::OverSeeds;
