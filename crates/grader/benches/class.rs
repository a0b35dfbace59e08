//! Seconds per submission when grading a class on this machine, with the
//! reference already built: `cargo bench -p grader --bench class`.
//!
//! Three submissions made from the student release (the untouched skeleton,
//! the first half of the exercises filled, all of them filled) are graded as
//! `./dl grade --class` grades them, every crate of grading.toml, each in its
//! own target folder linking the reference's compiled dependencies, in the
//! sandbox when bubblewrap is installed. Prints each submission's time, the
//! mean, the goal (120 s, a class of 30 in an hour) and the machine's load.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use grader::class::grade_class;
use grader::compile::{build_reference, default_target};
use grader::export::{export_with, Destination, Plan, Purpose, Versions, VERSION_SUFFIX};
use grader::grade::{graded_crates, GradeOptions, Reference};
use grader::markers::{Fill, Region};
use grader::sandbox::{Limits, Sandbox};

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// A student release with the first `k` assignments of the table filled in.
fn release(reference: &Reference, dest: &Path, k: usize) {
    let filled: BTreeSet<&str> = reference.table.assignments[..k]
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    let fill = |_: &Path, r: &Region, _: usize| {
        if filled.contains(r.id.as_str()) {
            Fill::Keep
        } else {
            Fill::Todo
        }
    };
    export_with(
        &reference.root,
        dest,
        &reference.table,
        &Plan {
            purpose: Purpose::Release,
            fill: &fill,
            versions: &Versions::all(VERSION_SUFFIX),
            mode: Destination::New,
        },
    )
    .expect("the release is written");
}

fn main() {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace");
    let reference = Reference::load(&root).expect("the reference loads");
    let sandbox = Sandbox::detect(false, Limits::default()).unwrap_or_else(|e| {
        println!("no sandbox ({e}); grading without one");
        Sandbox::Off
    });
    let mut opts = GradeOptions::new(&root, sandbox);
    opts.verbose = false;
    let crates = graded_crates(&reference, &opts);
    let t0 = Instant::now();
    build_reference(&root, &crates, &default_target(&root)).expect("the reference builds");
    println!(
        "reference build (not counted): {:.0} s",
        t0.elapsed().as_secs_f64()
    );

    let tmp = tempfile::tempdir().expect("a temporary folder");
    let class = tmp.path().join("class");
    let n = reference.table.assignments.len();
    for (name, k) in [("skeleton", 0), ("half", n / 2), ("complete", n)] {
        release(&reference, &class.join(name), k);
    }
    let out = tmp.path().join("out");
    println!(
        "grading 3 submissions, every crate of grading.toml; load before: {}",
        load()
    );
    let t0 = Instant::now();
    let (book, _) = grade_class(&reference, &class, &out, &opts).expect("the class is graded");
    let total = t0.elapsed().as_secs_f64();
    for g in &book.rows {
        println!(
            "  {:<10} {:>6.1} s   {:>5.1}/{} points",
            g.student, g.seconds, g.points, g.max_points
        );
    }
    let per = total / book.rows.len() as f64;
    println!(
        "seconds per submission: {per:.1} (goal ≤ 120: a class of 30 in {:.0} min); load after: {}",
        per * 30.0 / 60.0,
        load()
    );
}
