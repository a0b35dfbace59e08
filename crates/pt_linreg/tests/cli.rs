//! The pt_linreg binary end to end at the course's setting (it takes well
//! under a second), and its bad-input paths.
//!
//! Golden values come from seed 100: the starting point (a, b) is the first two
//! N(0, 1) draws of `StdRng::seed_from_u64(100)`, and everything after it is
//! f64 arithmetic. Recompute them with `cargo run -p pt_linreg` (the first
//! printed lines) and `results/pt_linreg/metrics.json`.

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_pt_linreg");

#[test]
fn course_setting_prints_every_step_and_converges() {
    let run = LabRun::new(EXE, &[]);
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "pt_linreg");
    assert_eq!(
        m["config"],
        serde_json::json!({"seed": 100, "lr": 0.1, "steps": 100, "n": 50,
                           "steps_n": 1000, "print_every": 1, "format": "png"})
    );
    // Golden: the seeded start (printed as a = 0.2917, b = 0.6521) and the
    // loss there, ((0.2917 + 0.6521 − 3)² + (2·0.2917 + 0.6521 − 5)²)/2 = 9.199671.
    assert!((num(&m, "/start/0") - 0.291_716_6).abs() < 1e-7);
    assert!((num(&m, "/start/1") - 0.652_079_2).abs() < 1e-7);
    assert!((num(&m, "/two_points/steps/0/loss") - 9.199_671).abs() < 1e-6);

    // The loss curve: one entry per step, the loss falling from 9.2 to 1.4e-3.
    let steps = m["two_points"]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 100);
    let losses: Vec<f64> = steps.iter().map(|s| num(s, "/loss")).collect();
    assert!(
        losses.windows(2).all(|w| w[1] < w[0]),
        "loss falls every step"
    );
    // After 100 steps: measured a = 1.9272, b = 1.1178, loss 1.40e-3.
    let (a, b) = (num(&m, "/two_points/a"), num(&m, "/two_points/b"));
    assert!(
        (a - 2.0).abs() < 0.08 && (b - 1.0).abs() < 0.13,
        "a {a}, b {b}"
    );
    assert!(num(&m, "/two_points/loss") < 1.5e-3);
    // Autograd and the hand formulas agree (measured: exactly, and 1.8e-15).
    assert!(num(&m, "/two_points/max_grad_diff") < 1e-12);
    assert!(num(&m, "/n_points/fit/max_grad_diff") < 1e-12);

    // 50 points: gradient descent meets the least-squares line (measured
    // a = 2.0250, b = 0.9651 both ways) near the true y = 2x + 1.
    let (ga, gb) = (num(&m, "/n_points/fit/a"), num(&m, "/n_points/fit/b"));
    let (la, lb) = (
        num(&m, "/n_points/least_squares/0"),
        num(&m, "/n_points/least_squares/1"),
    );
    assert!((ga - la).abs() < 1e-6 && (gb - lb).abs() < 1e-6);
    assert!(
        (la - 2.0).abs() < 0.1 && (lb - 1.0).abs() < 0.1,
        "{la} {lb}"
    );
    assert_eq!(
        m["n_points"]["fit"]["steps"].as_array().map(Vec::len),
        Some(1000)
    );

    // Every step of the two-point fit is printed, as the course's loop does.
    let out = run.stdout();
    let printed = out
        .lines()
        .skip_while(|l| !l.starts_with("1)"))
        .skip(1)
        .take_while(|l| !l.starts_with("after"))
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .count();
    assert_eq!(printed, 100, "{out}");
    assert!(out.contains("   0  9.199671   0.2917   0.6521"), "{out}");

    run.assert_plot("fit.png");
    run.assert_plot("loss.png");
    run.assert_no_temp_files();
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (&["--steps", "0"][..], "--steps: steps must be at least 1"),
        (&["--lr", "0"][..], "learning rate must be a positive"),
        (&["--n", "1"][..], "at least 2 points"),
        (
            &["--print-every", "0"][..],
            "--print-every: the print interval must be at least 1",
        ),
        // lr 5 overshoots (the two-point fit converges only below lr ≈ 0.29).
        (&["--lr", "5"][..], "--lr: gradient descent diverged"),
        (&["--steps", "-3"][..], "invalid value"),
        (&["--threads", "0"][..], "--threads must be at least 1"),
    ] {
        let run = LabRun::new(EXE, args);
        run.assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
