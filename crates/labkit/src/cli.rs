//! The flags every lab shares ([`CommonArgs`]: `--seed`, `--out`,
//! `--format`), and one rule for flags that do nothing in the chosen mode:
//! every lab binary refuses them before any work, with a message that names the flag and the
//! mode, through [`ModeFlags`].
//!
//! A flag counts as given only when it is on the command line (its default
//! does not), which is why the check needs clap's matches and not only the
//! parsed struct: `parse` returns both.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use serde::Serialize;

/// A flag given in a mode that does not use it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{flag} does nothing {mode}{why}; leave it out")]
pub struct UnusedFlag {
    /// The flag as typed, e.g. `--n-train`.
    pub flag: String,
    /// The mode, as a phrase that follows "does nothing": `with --bench`.
    pub mode: String,
    /// Why, in parentheses after a space, or empty.
    pub why: String,
}

/// Parses the command line into `A` and keeps clap's matches (which say
/// which flags were typed); on a parse error clap prints it and exits, as
/// `A::parse()` does.
pub fn parse<A: clap::Parser>() -> (A, ArgMatches) {
    let matches = A::command().get_matches();
    match A::from_arg_matches(&matches) {
        Ok(a) => (a, matches),
        Err(e) => e.exit(),
    }
}

/// [`crate::main`] for a binary that checks its modes: parses `A`, keeps
/// the matches and hands both to `run`.
pub fn main<A: clap::Parser>(
    run: impl FnOnce(A, &ArgMatches) -> anyhow::Result<()>,
) -> std::process::ExitCode {
    crate::main(|| {
        let (args, matches) = parse::<A>();
        run(args, &matches)
    })
}

/// A help line with a default that `--full` changes:
/// `"{text} [default: {quick}; {full} with --full]"`.
pub fn quick_full_help(
    text: &str,
    quick: impl std::fmt::Display,
    full: impl std::fmt::Display,
) -> String {
    format!("{text} [default: {quick}; {full} with --full]")
}

/// A library error that can name the setting it is about, as the lab's
/// settings call it (`n_train`): libraries speak of parameters, and the
/// binary turns the name into its flag with [`with_flag`].
pub trait NamesSetting {
    fn setting(&self) -> Option<&'static str>;
}

/// `e` as a binary reports it: after the flag of the setting it names
/// (`--n-train: n_train must be at least 20, got 5`), or as it is.
pub fn with_flag<E>(e: E) -> anyhow::Error
where
    E: NamesSetting + std::error::Error + Send + Sync + 'static,
{
    match e.setting() {
        Some(s) => anyhow::anyhow!("{}: {e}", flag_of(s)),
        None => anyhow::Error::new(e),
    }
}

/// `--n-train` for the argument id `n_train` (clap's default long name).
pub fn flag_of(id: &str) -> String {
    format!("--{}", id.replace('_', "-"))
}

/// The flags typed on one command line, checked against one mode.
#[derive(Debug)]
pub struct ModeFlags<'a> {
    matches: &'a ArgMatches,
    mode: String,
}

impl<'a> ModeFlags<'a> {
    /// `mode` follows "does nothing" in the message: `"with --bench"`,
    /// `"for `umap`"`, `"in part 1"`.
    pub fn new(matches: &'a ArgMatches, mode: impl Into<String>) -> Self {
        ModeFlags {
            matches,
            mode: mode.into(),
        }
    }

    /// Whether the argument `id` was typed on the command line.
    pub fn given(&self, id: &str) -> bool {
        // An id the command does not have is never given (clap's
        // `value_source` would panic on it in debug builds).
        self.matches.ids().any(|i| i.as_str() == id)
            && self.matches.value_source(id) == Some(ValueSource::CommandLine)
    }

    /// Refuses each of `ids` that was typed on the command line; `why`, when
    /// not empty, says what the mode does instead.
    pub fn refuse(&self, ids: &[&str], why: &str) -> Result<(), UnusedFlag> {
        match ids.iter().find(|id| self.given(id)) {
            Some(id) => Err(UnusedFlag {
                flag: flag_of(id),
                mode: self.mode.clone(),
                why: if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                },
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, thiserror::Error)]
    enum SettingsError {
        #[error("n_train must be at least 20, got {0}")]
        TooFew(usize),
        #[error("the data are damaged")]
        Damaged,
    }

    impl NamesSetting for SettingsError {
        fn setting(&self) -> Option<&'static str> {
            match self {
                SettingsError::TooFew(_) => Some("n_train"),
                SettingsError::Damaged => None,
            }
        }
    }

    #[test]
    fn a_setting_error_is_reported_after_its_flag() {
        assert_eq!(
            with_flag(SettingsError::TooFew(5)).to_string(),
            "--n-train: n_train must be at least 20, got 5"
        );
        assert_eq!(
            with_flag(SettingsError::Damaged).to_string(),
            "the data are damaged"
        );
    }

    #[derive(Debug, Parser)]
    struct Args {
        #[arg(long)]
        bench: bool,
        #[arg(long, default_value_t = 5)]
        epochs: usize,
        #[arg(long)]
        n_train: Option<usize>,
    }

    fn matches(argv: &[&str]) -> ArgMatches {
        Args::command().get_matches_from(argv)
    }

    #[test]
    fn a_typed_flag_is_refused_with_its_name_and_the_mode() {
        let m = matches(&["lab", "--bench", "--n-train", "10"]);
        let e = ModeFlags::new(&m, "with --bench")
            .refuse(&["epochs", "n_train"], "the benchmark uses its own sizes")
            .unwrap_err();
        assert_eq!(e.flag, "--n-train");
        assert_eq!(
            e.to_string(),
            "--n-train does nothing with --bench (the benchmark uses its own sizes); leave it out"
        );
    }

    #[test]
    fn defaults_and_absent_flags_are_not_given() {
        // --epochs has a default and is not typed: not refused, although its value is set.
        let m = matches(&["lab", "--bench"]);
        let f = ModeFlags::new(&m, "with --bench");
        assert!(f.given("bench"));
        assert!(!f.given("epochs"));
        assert!(!f.given("n_train"));
        assert!(!f.given("no_such_flag"));
        assert_eq!(f.refuse(&["epochs", "n_train", "no_such_flag"], ""), Ok(()));
    }

    #[test]
    fn a_typed_default_value_still_counts_as_given() {
        let m = matches(&["lab", "--epochs", "5"]);
        let e = ModeFlags::new(&m, "in part 1")
            .refuse(&["epochs"], "")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--epochs does nothing in part 1; leave it out"
        );
    }
}

/// The seed every lab uses when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 100;

/// The default output folder of a lab: `results/<lab>`.
pub fn default_out(lab: &str) -> PathBuf {
    Path::new("results").join(lab)
}

/// Format of the plots a lab writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlotFormat {
    #[default]
    Png,
    Svg,
}

impl PlotFormat {
    pub fn ext(self) -> &'static str {
        match self {
            PlotFormat::Png => "png",
            PlotFormat::Svg => "svg",
        }
    }
}

/// The flags every lab binary shares (flatten into its clap struct).
#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct CommonArgs {
    /// Seed of every random choice (data, initial weights, shuffling); saved with the results
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Output folder for metrics.json and plots [default: results/<lab>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Format of the plots
    #[arg(long, value_enum, default_value_t = PlotFormat::Png)]
    pub format: PlotFormat,
}

impl CommonArgs {
    /// The output folder: `--out`, or `results/<lab>`.
    pub fn out_dir(&self, lab: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default_out(lab))
    }
}
