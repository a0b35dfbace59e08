//! The pt_logreg binary end to end (seconds), at its default setting and at
//! the course's exact one (`--raw-inputs`), and its bad-input paths.
//!
//! Seed 100 fixes the data (`sample_gauss_2d(C, 100)` seeded with 100 + C)
//! and the initial W (`tch::manual_seed(100)`). The measured values are next
//! to each threshold; recompute them with `cargo run -p pt_logreg` (and
//! `-- --raw-inputs`) and read `results/pt_logreg/metrics.json`.

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_pt_logreg");

#[test]
fn default_run_reaches_the_optimum_and_lambda_shrinks_weights() {
    let run = LabRun::new(EXE, &["--grid", "48", "--device", "cpu"]);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "pt_logreg");
    let c = &m["config"];
    assert_eq!(c["seed"], 100);
    assert_eq!(c["params"]["niter"], 1000);
    assert_eq!(c["params"]["delta"], 0.5);
    assert_eq!(c["standardize"], true);

    // 2 classes: separable (measured 1.000, loss 0.0071).
    assert!(num(&m, "/runs/0/accuracy") >= 0.99);
    assert!(num(&m, "/runs/0/final_loss") < 0.01);
    // 3 classes: two Gaussians overlap (measured 0.700, loss 0.4914, which
    // 5000 steps at δ 0.1 reach too: the optimum).
    let acc3 = num(&m, "/runs/1/accuracy");
    assert!((0.69..=0.71).contains(&acc3), "3 classes: {acc3}");
    assert!(num(&m, "/runs/1/final_loss") < 0.50);

    // The loss curve: step 1, every 10 steps, step 1000.
    let curve = m["runs"][1]["loss_curve"].as_array().expect("loss curve");
    assert_eq!(curve.len(), 101);
    assert_eq!(
        (curve[0][0].as_u64(), curve[100][0].as_u64()),
        (Some(1), Some(1000))
    );
    assert_eq!(curve[100][1], m["runs"][1]["final_loss"]);
    assert_eq!(curve[0][1], m["runs"][1]["initial_loss"]);

    // λ sweep on 3 classes: ‖W‖ falls at every step of λ (measured 5.94,
    // 5.03, 2.98, 1.41, 0.42) and accuracy with it (0.700 → 0.653).
    let sweep = m["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 5);
    let norms: Vec<f64> = sweep.iter().map(|r| num(r, "/weight_norm")).collect();
    assert!(norms.windows(2).all(|w| w[1] < w[0]), "{norms:?}");
    assert!(norms[4] < 0.1 * norms[0], "{norms:?}");
    assert!(num(&m, "/sweep/4/accuracy") < num(&m, "/sweep/0/accuracy") - 0.03);

    for r in m["runs"].as_array().into_iter().flatten().chain(sweep) {
        run.assert_plot(r["plot"].as_str().expect("plot name"));
    }
    run.assert_plot("loss.png");
    run.assert_plot("lambda_sweep.png");
    run.assert_no_temp_files();
    // The loss is printed during training, as the course's train() does.
    let out = run.stdout();
    assert!(out.contains("iter    500  loss"), "{out}");
    assert!(out.contains("iter   1000  loss 0.4914"), "{out}");
}

#[test]
fn the_course_setting_on_raw_inputs_misses_the_three_class_optimum() {
    let run = LabRun::new(
        EXE,
        &[
            "--raw-inputs",
            "--sweep",
            "0",
            "--grid",
            "16",
            "--device",
            "cpu",
        ],
    );
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["config"]["standardize"], false);
    // 2 classes still separate (measured 1.000, loss 0.0024).
    assert!(num(&m, "/runs/0/accuracy") >= 0.99);
    // 3 classes: δ 0.5 is too large for inputs between 0 and 10. The loss
    // reaches 1.03 at step 10, climbs back to 1.28 and ends at 1.2477 (the
    // optimum is 0.4914); class 1 is never predicted (accuracy 0.653).
    assert!(num(&m, "/runs/1/final_loss") > 1.0);
    assert!(num(&m, "/runs/1/accuracy") < 0.67);
    assert_eq!(num(&m, "/runs/1/recall/1"), 0.0);
    run.assert_no_temp_files();
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (&["--niter", "0"][..], "niter must be at least 1"),
        (&["--delta", "0"][..], "learning rate delta"),
        (&["--param-lambda", "-1"][..], "param_lambda must be"),
        (&["--sweep", "0,-1"][..], "param_lambda must be"),
        (&["--n", "0"][..], "at least 1"),
        (&["--grid", "1"][..], "grid"),
        (&["--threads", "0"][..], "--threads must be at least 1"),
        (&["--device", "tpu"][..], "invalid value 'tpu'"),
        // δ·∂W overflows f32 in the first update: found while training,
        // before the output folder is created.
        (&["--delta", "1e300", "--device", "cpu"][..], "diverged"),
    ] {
        let run = LabRun::new(EXE, args);
        run.assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
