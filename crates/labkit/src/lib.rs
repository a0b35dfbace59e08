//! What every lab binary shares, one module per concept:
//!
//! * [`output`]: the run folder (`results/<lab>/`) and atomic writes;
//! * [`cli`]: the shared flags ([`CommonArgs`]) and the one rule for flags
//!   that do nothing in a mode;
//! * [`progress`]: progress bars, tables, durations, best-of-N timing;
//! * [`exit`]: how a binary ends (errors, exit codes) and the student
//!   release's exercise notes (the exercise-id grammar, the `todo!` message);
//! * [`seeds`]: the seed streams (one generator per random choice of a run);
//! * [`threads`]: idle libtorch threads sleep instead of spinning;
//! * [`pyref`]: the Python that benchmarks time reference code with.
//!
//! The most used items are re-exported at the crate root.

pub mod cli;
pub mod exit;
pub mod output;
pub mod progress;
pub mod pyref;
pub mod seeds;
pub mod threads;

pub use cli::{default_out, CommonArgs, PlotFormat, DEFAULT_SEED};
pub use exit::{exercise_hook, finish, main, unfinished_exercise};
pub use output::{temp_sibling, write_atomically, write_bytes, write_json, OutputError, RunDir};
pub use progress::{fmt_duration, progress, table};
pub use threads::{sleeping_workers, wait_policy, WAIT_POLICY};
