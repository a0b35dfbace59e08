//! The embeddings binary end to end, as a student runs it (quick settings:
//! two seeds, 300 epochs per training run, about a second).

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_embeddings");
const QUICK: [&str; 6] = ["--seeds", "2", "--epochs", "300", "--device", "cpu"];

#[test]
fn quick_run_writes_every_part_its_figures_and_metrics() {
    let run = LabRun::new(EXE, &QUICK);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "embeddings");
    assert_eq!(m["params"]["seed"], 100);
    assert_eq!(m["seeds"], serde_json::json!([100, 101]));
    assert_eq!(m["params"]["protocol"]["name"], "course");
    assert_eq!(m["params"]["protocol"]["classifier"]["epochs"], 300);
    // Part 1: the padding row is exactly zero before and after the step.
    assert_eq!(m["part1"]["padding_zero_before"], true);
    assert_eq!(m["part1"]["padding_zero_after"], true);
    assert_eq!(m["part1"]["after"][5], serde_json::json!([0.0, 0.0]));
    // Seed 100 after 300 epochs, measured: accuracy 0.767 (the course's double
    // softmax learns slowly); MSE regression MAE 0.241 with nearest-point
    // accuracy 0.950; Gaussian MAE 0.118.
    assert!(num(&m, "/part2/accuracy/default_seed") >= 0.7);
    assert_eq!(
        m["part2"]["runs"][0]["confusion"].as_array().map(Vec::len),
        Some(3)
    );
    assert!(num(&m, "/part3/mae/default_seed") <= 0.3);
    assert!(num(&m, "/part3/nearest_accuracy/default_seed") >= 0.9);
    assert!(num(&m, "/part4/mae/default_seed") <= 0.15);
    // the course's quirks, each fixed alone: parts 2 (three variants × two
    // numbers), 3 (two), 4 and 5 (three)
    assert_eq!(m["quirks"].as_array().map(Vec::len), Some(12));
    assert_eq!(
        m["part2"]["accuracy"]["values"].as_array().map(Vec::len),
        Some(2)
    );
    // Part 5: the fast naive table collapses (measured: last spread 7.9 % of
    // the first), the chosen remedy keeps its rows ≥ 0.5 apart (measured 0.79)
    // at test accuracy ≥ part 2's − 0.03 (measured 0.975 against 0.700).
    assert_eq!(m["part5"]["chosen"], "margin");
    let checks = m["checks"].as_array().expect("checks");
    for c in checks {
        let goal = c["goal"].as_str().unwrap_or_default();
        if goal.starts_with("5(") {
            assert_eq!(c["met"], true, "{goal}");
        }
    }
    assert_eq!(m["part5"]["freeze"]["later_change_detached"], 0.0);
    for p in m["plots"].as_array().expect("plots") {
        run.assert_plot(p.as_str().expect("plot name"));
    }
    assert_eq!(m["plots"].as_array().map(Vec::len), Some(9));
    run.assert_no_temp_files();
    let out = run.stdout();
    assert!(out.contains("mean ± std (2 seeds)") && out.contains("part 5(b)"));
}

#[test]
fn one_part_and_the_improved_protocol() {
    let run = LabRun::new(EXE, &["--part", "1"]);
    run.assert_success();
    let m = run.metrics();
    assert!(m["part1"].is_object() && m["part2"].is_null() && m["part5"].is_null());
    run.assert_plot("part1_table.png");

    let run = LabRun::new(EXE, &["--part", "2", "--improved", "--seeds", "2"]);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["params"]["protocol"]["name"], "improved");
    assert_eq!(m["params"]["protocol"]["stratified"], true);
    // stratified: 10 training flowers of each species
    assert_eq!(
        m["part2"]["runs"][0]["train_counts"],
        serde_json::json!([10, 10, 10])
    );
    assert!(m["part1"].is_null() && m["part3"].is_null());
    // Seed 100, improved classifier (1,000 epochs of SGD lr 0.003), measured 0.958.
    assert!(num(&m, "/part2/accuracy/default_seed") >= 0.95);
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (&["--part", "6"][..], "unknown part"),
        (&["--part", "x"][..], "unknown part"),
        (
            &["--epochs", "0"][..],
            "--epochs: epochs must be at least 1",
        ),
        (&["--train-fraction", "1.5"][..], "strictly between 0 and 1"),
        (&["--train-fraction", "0"][..], "strictly between 0 and 1"),
        (
            &["--train-fraction", "0.005"][..],
            "each side needs at least",
        ),
        (
            &["--seeds", "1"][..],
            "--seeds: at least 2 seeds are needed",
        ),
        (&["--threads", "0"][..], "--threads"),
        (
            &["--part", "1", "--seeds", "3"][..],
            "--seeds does nothing in part 1",
        ),
        (
            &["--part", "1", "--improved"][..],
            "--improved does nothing in part 1",
        ),
    ] {
        LabRun::new(EXE, args).assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
