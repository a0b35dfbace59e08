//! Data for every lab: toy 2-D generators, MNIST and Iris loaders.
//!
//! - [`toy`]: `sample_gauss_2d`, `sample_gmm_2d`, `class_to_onehot` (Lab 1).
//! - [`mnist`]: a reader for raw or gzipped IDX files with typed errors.
//! - [`iris`]: the 150 Iris flowers (shipped inside `linfa-datasets`).
//! - [`demo`]: the course's first exercise (`cargo run -p data`).
//!
//! Every random generator takes the RNG as an argument, so a seeded RNG gives
//! the same data on every run.

pub mod demo;
pub mod iris;
pub mod mnist;
pub mod scale;
pub mod toy;

#[cfg(test)]
mod hidden_tests;

pub use scale::Standardizer;
pub use toy::{
    check_gmm_args, class_to_onehot, parse_list, sample_gauss_2d, sample_gmm_2d, DataError,
    GmmSpec, Random2dGaussian,
};
