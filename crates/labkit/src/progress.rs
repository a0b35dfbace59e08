//! What a run shows while it works and when it is done: progress bars on
//! stderr, report lines, durations, plain-text tables, and the best of a few
//! timed runs.
//!
//! This module is the reporter of the libraries: a lab's library never
//! prints by itself (`tests/layering.rs` checks it). It reports through
//! [`say!`](crate::say) (a line of the run's report, on stdout) and
//! [`note!`](crate::note) (a note or warning, on stderr); its binary prints
//! what it likes.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Writes one line of a run's report to stdout; [`say!`](crate::say) formats it.
pub fn say_line(line: &str) {
    println!("{line}");
}

/// Writes one note (a warning, a step of a long job) to stderr;
/// [`note!`](crate::note) formats it.
pub fn note_line(line: &str) {
    eprintln!("{line}");
}

/// A line of a run's report, on stdout: `labkit::say!("loss {l:.4}")`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::progress::say_line(&format!($($arg)*))
    };
}

/// A note or warning, on stderr: `labkit::note!("warning: {w}")`.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::progress::note_line(&format!($($arg)*))
    };
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

/// Runs `run` `n` times (at least once) and keeps the result with the
/// smallest `seconds`; a benchmark's figure is the best of a few runs.
/// Also returns every run's seconds, in order.
pub fn best_of<T, E>(
    n: usize,
    mut run: impl FnMut() -> Result<T, E>,
    seconds: impl Fn(&T) -> f64,
) -> Result<(T, Vec<f64>), E> {
    let mut best = run()?;
    let mut all = vec![seconds(&best)];
    for _ in 1..n {
        let r = run()?;
        let s = seconds(&r);
        all.push(s);
        if s < seconds(&best) {
            best = r;
        }
    }
    Ok((best, all))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn best_of_keeps_the_fastest_run_and_stops_at_an_error() {
        let mut times = [3.0, 1.5, 2.0].into_iter();
        let (best, all) = best_of(3, || Ok::<_, ()>(times.next().unwrap()), |&t| t).unwrap();
        assert_eq!((best, all), (1.5, vec![3.0, 1.5, 2.0]));
        let (one, all) = best_of(0, || Ok::<_, ()>(4.0), |&t| t).unwrap();
        assert_eq!((one, all), (4.0, vec![4.0]), "at least one run");
        let mut k = 0;
        let r = best_of(
            3,
            || {
                k += 1;
                if k == 2 {
                    Err("second run failed")
                } else {
                    Ok(1.0)
                }
            },
            |&t| t,
        );
        assert_eq!(r, Err("second run failed"));
    }
}
