//! The mnist_shootout binary end to end, as a student runs it: quick mode on
//! two cheap assignments, and its bad-input paths. Needs data/mnist
//! (`./dl setup`; CI sets it up).

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_mnist_shootout");

fn require_mnist() {
    assert!(
        labtest::mnist_dir().is_some(),
        "MNIST is not in data/mnist: run `./dl setup` (CI sets it up before the tests)"
    );
}

#[test]
fn quick_run_of_two_assignments() {
    require_mnist();
    let run = LabRun::new(
        EXE,
        &[
            "--only",
            "random",
            "--only",
            "early_stopping",
            "--device",
            "cpu",
        ],
    );
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "mnist_shootout");
    assert_eq!(m["config"]["mode"], "quick");
    assert_eq!(m["config"]["seed"], 100);
    assert_eq!(m["config"]["precision"], "fp32", "the precision is saved");
    assert_eq!(m["config"]["n_train"], 20_000);
    assert_eq!(
        (m["n_fit"].as_u64(), m["n_validation"].as_u64()),
        (Some(16_000), Some(4_000))
    );
    let a = &m["assignments"];
    assert!(
        a["configs"].is_null() && a["svm"].is_null(),
        "only what --only asked for"
    );
    // Seed 100, quick mode: untrained [784,100,10] test loss 112.4 under N(0,1),
    // 2.339 under He (ln 10 = 2.303); early stopping's model 0.9376 test accuracy,
    // best epoch 8 of 8.
    assert!(num(&m, "/assignments/random/std_normal/test/loss") > 50.0);
    assert!((num(&m, "/assignments/random/he/test/loss") - 10f64.ln()).abs() < 0.1);
    assert!(num(&m, "/assignments/early_stopping/best/test") >= 0.925);
    assert_eq!(a["early_stopping"]["epochs"], 8);
    assert_eq!(a["early_stopping"]["seed"], 100);
    assert_eq!(m["comparison"].as_array().map(Vec::len), Some(4));
    run.assert_plot("early_stopping.png");
    run.assert_plot("comparison.png");
    run.assert_no_temp_files();
    assert!(run.stdout().contains("| early_stopping |"), "table printed");
    assert!(
        run.stdout().contains("idle threads: passive"),
        "the binary restarts itself with OMP_WAIT_POLICY=PASSIVE: {}",
        run.stdout()
    );
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    require_mnist();
    for (args, needle) in [
        (&["--only", "nonsense"][..], "invalid value 'nonsense'"),
        (
            &["--epochs", "0"][..],
            "--epochs: epochs must be at least 1",
        ),
        (&["--mnist-dir", "/nonexistent/mnist"][..], "./dl setup"),
        (&["--n-train", "70000"][..], "70000 were asked for"),
        (
            &["--n-train", "5"][..],
            "--n-train: need at least 10 training images",
        ),
        (&["--threads", "0"][..], "--threads must be at least 1"),
        (
            &["--bench", "--epochs", "3"][..],
            "--epochs does nothing with --bench",
        ),
        (
            &["--bench", "--only", "adam"][..],
            "--only does nothing with --bench",
        ),
        (
            &["--only", "adam", "--svm-train", "100"][..],
            "--svm-train does nothing",
        ),
        (
            &["--only", "random", "--epochs", "3"][..],
            "random trains nothing",
        ),
        (&["--svm-train", "30000"][..], "the SVM takes 2 to 20000"),
        (
            &["--n-train", "20001", "--only", "batchnorm"][..],
            "last batch of one image",
        ),
        (
            &["--precision", "tf32", "--device", "cpu", "--only", "adam"][..],
            "tf32 needs a CUDA device",
        ),
        (&["--precision", "fp16"][..], "invalid value 'fp16'"),
        (
            &["--only", "svm", "--precision", "bf16"][..],
            "only the assignments that train MLPs use it",
        ),
        (
            &["--bench", "--precision", "bf16"][..],
            "--precision does nothing with --bench",
        ),
    ] {
        let run = LabRun::new(EXE, args);
        run.assert_rejected(needle);
    }
}

#[test]
fn corrupt_mnist_file_is_named_with_the_fix() {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (prefix, n) in [("train", 30usize), ("t10k", 2)] {
        let pixels = vec![7u8; n * 784];
        data::mnist::write_idx_images(
            &dir.path().join(format!("{prefix}-images-idx3-ubyte")),
            28,
            28,
            &pixels,
        )
        .expect("write images");
        data::mnist::write_idx_labels(
            &dir.path().join(format!("{prefix}-labels-idx1-ubyte")),
            &vec![1u8; n],
        )
        .expect("write labels");
    }
    let p = dir.path().join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&p).expect("read back");
    std::fs::write(&p, &bytes[..bytes.len() - 100]).expect("truncate");
    let mnist = dir.path().to_string_lossy().into_owned();
    let run = LabRun::new(EXE, &["--mnist-dir", &mnist]);
    run.assert_rejected("truncated");
    let err = run.stderr();
    assert!(
        err.contains("train-images-idx3-ubyte") && err.contains("./dl setup"),
        "{err}"
    );
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
