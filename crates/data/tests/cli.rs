//! The data module's demo binary (`cargo run -p data`) end to end, and its
//! bad-input paths. Seed 100 fixes the 120 points; the measured values are
//! next to the checks (recompute with `cargo run -p data` and read
//! `results/data/metrics.json`).

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_data");

#[test]
fn demo_draws_the_mixture_over_the_dummy_surface() {
    let run = LabRun::new(EXE, &["--grid", "64"]);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "data");
    assert_eq!(m["config"]["seed"], 100);
    assert_eq!(
        m["config"]["data"],
        serde_json::json!({"k": 4, "c": 2, "n": 30})
    );
    assert_eq!(m["n_points"], 120);
    // Seed 100 assigns two components to each class (measured 60/60), and
    // the line x0 + x1 = 5 agrees with 38 of the 120 true classes.
    assert_eq!(m["class_counts"], serde_json::json!([60, 60]));
    assert!((num(&m, "/accuracy") - 38.0 / 120.0).abs() < 1e-12);
    run.assert_plot("demo.png");
    run.assert_no_temp_files();
    assert!(run.stdout().contains("120 points"));
}

#[test]
fn other_seeds_and_svg() {
    let run = LabRun::new(EXE, &["--seed", "7", "--format", "svg", "--grid", "16"]);
    run.assert_success();
    assert_eq!(run.metrics()["config"]["seed"], 7);
    run.assert_plot("demo.svg");
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (&["--grid", "1"][..], "grid"),
        (&["--seed", "-1"][..], "unexpected argument"),
        (&["--format", "jpg"][..], "invalid value"),
    ] {
        LabRun::new(EXE, args).assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], false);
}
