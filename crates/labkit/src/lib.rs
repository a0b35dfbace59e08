//! What every lab binary shares: its output folder, atomic file writes, the
//! `metrics.json` record, progress bars and a small table printer.
//!
//! Nothing a user already has is lost: every file is written to a temporary
//! name in the same folder and renamed over the target only once complete.
//!
//! [`cli`] refuses flags that do nothing in the chosen mode, the same way in
//! every binary. [`pyref`] finds a Python with PyTorch for benchmarks that time the same
//! loop in PyTorch-Python in the same run.

pub mod cli;
pub mod pyref;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create the output folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialise {what} to JSON: {source}")]
    Json {
        what: String,
        source: serde_json::Error,
    },
}

/// A temporary sibling of `path` that keeps its extension (plot backends pick
/// the format from it): `dir/.name.tmp-PID.ext`.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    path.with_file_name(format!(".{stem}.tmp-{}{ext}", std::process::id()))
}

/// Writes a file through `write_to(temp_path)` and renames it into place.
/// On failure the temporary file is removed and `path` is untouched.
pub fn write_atomically<E>(
    path: &Path,
    write_to: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<OutputError>,
{
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let tmp = temp_sibling(path);
    match write_to(&tmp) {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            OutputError::Write {
                path: path.to_owned(),
                source,
            }
            .into()
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes bytes atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomically(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|source| OutputError::Write {
            path: tmp.to_owned(),
            source,
        })?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|source| OutputError::Write {
                path: tmp.to_owned(),
                source,
            })
    })
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|source| OutputError::Json {
        what: path.display().to_string(),
        source,
    })?;
    text.push('\n');
    write_bytes(path, text.as_bytes())
}

/// A lab run's output folder (`results/<lab>/` by default).
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Creates the folder if needed; files already in it are only ever
    /// replaced atomically, one by one, by files of the same name.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self, OutputError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|source| OutputError::CreateDir {
            path: root.clone(),
            source,
        })?;
        Ok(RunDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a file in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Writes `name` (e.g. `metrics.json`) as pretty JSON.
    pub fn write_json<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<PathBuf, OutputError> {
        let p = self.path(name);
        write_json(&p, value)?;
        Ok(p)
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

/// A progress bar on stderr for `len` steps; hidden when stderr is not a terminal
/// or when `DL_LABS_NO_PROGRESS` is set.
pub fn progress(len: u64, label: &str) -> ProgressBar {
    if std::env::var_os("DL_LABS_NO_PROGRESS").is_some() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    let style = ProgressStyle::with_template(
        "{prefix:>22} [{bar:30.cyan/blue}] {pos}/{len} {msg} ({elapsed}<{eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    pb.set_style(style);
    pb.set_prefix(label.to_string());
    pb
}

/// Ends a lab binary: prints an error and its causes (no backtrace) and turns
/// it into a non-zero exit code. [`main`] calls it.
pub fn finish(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs a lab binary's `run` with [`exercise_hook`] installed and ends it
/// with [`finish`]: `fn main() -> ExitCode { labkit::main(|| run(Args::parse())) }`.
/// First it makes idle worker threads sleep ([`sleeping_workers`]).
pub fn main(run: impl FnOnce() -> anyhow::Result<()>) -> std::process::ExitCode {
    sleeping_workers();
    exercise_hook();
    finish(run())
}

/// The environment variable that tells the OpenMP runtime under libtorch
/// how its idle worker threads wait.
pub const WAIT_POLICY: &str = "OMP_WAIT_POLICY";

/// libtorch's worker threads (OpenMP) spin while they wait for work, by
/// default. On a machine whose cores are busy with other processes that
/// spinning takes the time the working threads need: a quick autoencoder run
/// took 5.4 times as long with two busy processes beside it, against 2.3 times
/// with passive waiting, and the same time on a quiet machine. The runtime
/// reads `OMP_WAIT_POLICY` when it is loaded, before `main`, so when the
/// variable is not set the binary starts itself again once with
/// `OMP_WAIT_POLICY=PASSIVE` (same arguments). Set the variable yourself
/// (for example `OMP_WAIT_POLICY=ACTIVE`) to choose otherwise. If the
/// restart fails the run goes on as it is.
pub fn sleeping_workers() {
    if std::env::var_os(WAIT_POLICY).is_some() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut cmd = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            cmd.arg0(arg0);
        }
        // `exec` only returns when it could not start the program.
        let _ = cmd.args(args).env(WAIT_POLICY, "PASSIVE").exec();
    }
}

/// How idle worker threads wait in this process, for run reports:
/// `OMP_WAIT_POLICY`'s value, or "spin (OMP_WAIT_POLICY unset)".
pub fn wait_policy() -> String {
    match std::env::var(WAIT_POLICY) {
        Ok(v) => v.to_lowercase(),
        Err(_) => format!("spin ({WAIT_POLICY} unset)"),
    }
}

/// What `todo!("<id>: <task>")` leaves in a panic message, if the panic came
/// from an exercise of the student release: the assignment id and its task.
pub fn unfinished_exercise(panic_message: &str) -> Option<(&str, &str)> {
    let rest = panic_message.strip_prefix("not yet implemented: ")?;
    let (id, task) = rest.split_once(": ")?;
    let (krate, name) = id.split_once('.')?;
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (word(krate) && word(name)).then_some((id, task.trim()))
}

/// Installs a panic hook that turns an unfinished exercise of the student
/// release (a `todo!` from `./dl student`) into a short message naming the
/// exercise and where to write it, and exits with code 3; any other panic
/// is reported as before.
pub fn exercise_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        match message.and_then(unfinished_exercise) {
            Some((id, task)) => {
                let krate = id.split('.').next().unwrap_or(id);
                let place = info
                    .location()
                    .map(|l| format!(" in {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                eprintln!(
                    "\nexercise {id} is not done yet{place}.\n  task: {task}\n  \
                     Write it there, then check it with `cargo test -p {krate}`."
                );
                std::process::exit(3);
            }
            None => previous(info),
        }
    }));
}

/// Seconds as a short human string: "850 µs", "12.3 ms", "4.56 s", "2 min 05 s".
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.2} s")
    } else {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// A plain-text table: a header row, then rows; columns padded to fit.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate().take(ncol) {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = width[i]))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&rule.join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(|s| s.as_str()).collect()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_exercises_are_recognised_from_the_todo_message() {
        assert_eq!(
            unfinished_exercise("not yet implemented: pt_deep.forward: the scores: a, b"),
            Some(("pt_deep.forward", "the scores: a, b"))
        );
        assert_eq!(unfinished_exercise("not yet implemented"), None);
        assert_eq!(unfinished_exercise("not yet implemented: later"), None);
        assert_eq!(
            unfinished_exercise("index out of bounds: the len is 3"),
            None
        );
        assert_eq!(unfinished_exercise("not yet implemented: a b.c: x"), None);
    }

    #[test]
    fn temp_sibling_keeps_extension() {
        let t = temp_sibling(Path::new("out/surface.png"));
        assert_eq!(t.extension().unwrap(), "png");
        assert_eq!(t.parent().unwrap(), Path::new("out"));
        assert!(t
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".surface.tmp-"));
    }

    #[test]
    fn atomic_write_replaces_and_failure_keeps_old_file() {
        let dir = std::env::temp_dir().join(format!("labkit-{}", std::process::id()));
        let run = RunDir::create(&dir).unwrap();
        let p = run
            .write_json("m.json", &serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap().trim(),
            "{\n  \"a\": 1\n}"
        );
        let r: Result<(), OutputError> = write_atomically(&p, |tmp| {
            std::fs::write(tmp, "partial").unwrap();
            Err(OutputError::Write {
                path: tmp.to_owned(),
                source: std::io::Error::other("boom"),
            })
        });
        assert!(r.is_err());
        assert!(
            std::fs::read_to_string(&p).unwrap().contains("\"a\": 1"),
            "old file kept"
        );
        let leftovers = std::fs::read_dir(&dir).unwrap().filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-")
        });
        assert_eq!(leftovers.count(), 0, "temporary file removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(&["a", "bbb"], &[vec!["xx".into(), "1".into()]]);
        assert_eq!(t, "a   bbb\n--  ---\nxx  1\n");
    }

    #[test]
    fn durations() {
        assert_eq!(fmt_duration(Duration::from_micros(850)), "850 µs");
        assert_eq!(fmt_duration(Duration::from_millis(12)), "12.0 ms");
        assert_eq!(fmt_duration(Duration::from_secs(125)), "2 min 05 s");
    }
}
