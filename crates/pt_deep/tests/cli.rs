//! The pt_deep binary end to end, as a student runs it (quick settings).

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_pt_deep");

#[test]
fn quick_run_writes_metrics_plots_and_animation() {
    let run = LabRun::new(EXE, &["--niter", "2000", "--grid", "48", "--device", "cpu"]);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "pt_deep");
    assert_eq!(m["config"]["seed"], 100);
    assert_eq!(m["config"]["train"]["niter"], 2000);
    let runs = m["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 6, "two data sets × three configurations");
    // Seed 100, 2000 steps: [2,10,10,2] separates gmm(6,2,10) completely
    // (measured 1.000), [2,2] cannot (measured 0.583: a line through six blobs).
    let deep = num(&m, "/runs/5/accuracy");
    let linear = num(&m, "/runs/3/accuracy");
    assert_eq!(runs[5]["config"], serde_json::json!([2, 10, 10, 2]));
    assert!(deep >= 0.95, "deep net on gmm(6,2,10): {deep}");
    assert!(
        linear <= 0.75,
        "logistic regression on gmm(6,2,10): {linear}"
    );
    assert!(num(&m, "/runs/5/ap") >= 0.98);
    assert_eq!(num(&m, "/runs/5/n_params"), 162.0);
    for r in runs {
        run.assert_plot(r["plot"].as_str().expect("plot name"));
    }
    run.assert_plot("training_gmm6-2-10_2-10-10-2.gif");
    run.assert_no_temp_files();
    assert!(run.stdout().contains("[2,10,10,2]"), "table printed");
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (&["--niter", "0"][..], "--niter: niter must be at least 1"),
        (&["--delta", "-1"][..], "learning rate"),
        (&["--config", "2,0,2"][..], "size 0"),
        (&["--config", "3,10,2"][..], "features"),
        (&["--data", "1,2,10"][..], "K = 1 < C = 2"),
        (&["--grid", "1"][..], "grid"),
        (
            &["--bench", "--niter", "5"][..],
            "--niter does nothing with --bench",
        ),
        (&["--threads", "0"][..], "--threads"),
    ] {
        let run = LabRun::new(EXE, args);
        run.assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
