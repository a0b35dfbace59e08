//! One test per assignment on synthetic MNIST-shaped data (fast, CPU), and the
//! bad-input behaviour of the binary.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use mnist_shootout::data::Dataset;
use mnist_shootout::{run, Assignment, ShootoutConfig};
use serde_json::Value;
use tch::Device;

fn setup(name: &str) -> (ShootoutConfig, Dataset) {
    let out = std::env::temp_dir().join(format!("mnist-shootout-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut cfg = ShootoutConfig::quick(Device::Cpu, out);
    cfg.n_train = 1000;
    cfg.n_test = 500;
    cfg.epochs = 4;
    cfg.batch = 50;
    cfg.lambdas = vec![0.0, 0.1];
    cfg.batch_sizes = vec![20, 500];
    cfg.svm_train = 300;
    cfg.svm_test = 200;
    (cfg, Dataset::synthetic(1000, 500, 7, Device::Cpu))
}

fn one(name: &str, a: Assignment) -> (Value, Value, std::path::PathBuf) {
    let (cfg, data) = setup(name);
    let report = run(&cfg, &data, &[a]).expect("assignment runs");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(cfg.out.join("metrics.json")).unwrap())
            .unwrap();
    assert_eq!(json["lab"], "mnist_shootout");
    assert_eq!(json["config"]["seed"], 100);
    let v = json["assignments"][a.name()].clone();
    assert_eq!(v["device"], "cpu");
    assert!(cfg.out.join("comparison.md").exists() && cfg.out.join("comparison.png").exists());
    assert!(!report.comparison.is_empty());
    (v, json, cfg.out)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn weights_images_and_lambda_shrinks_norm() {
    let (v, _, out) = one("weights", Assignment::Weights);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(f(&runs[0]["test_accuracy"]) >= 0.9, "{}", runs[0]);
    assert!(f(&runs[1]["weight_norm"]) < f(&runs[0]["weight_norm"]));
    assert!(out.join("weights_lambda0.png").exists() && out.join("weights_lambda0.1.png").exists());
}

#[test]
fn configs_train_and_find_hardest_images() {
    let (v, _, out) = one("configs", Assignment::Configs);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[1]["n_params"], 784 * 100 + 100 + 100 * 10 + 10);
    for r in runs {
        let loss = r["result"]["epoch_loss"].as_array().unwrap();
        assert!(f(&loss[3]) < f(&loss[0]), "loss falls: {loss:?}");
        assert_eq!(
            r["result"]["test"]["precision"].as_array().unwrap().len(),
            10
        );
    }
    let best = runs
        .iter()
        .map(|r| f(&r["result"]["test"]["accuracy"]))
        .fold(0.0, f64::max);
    assert!(best >= 0.95, "best test accuracy {best}");
    let hardest = v["hardest"].as_array().unwrap();
    assert_eq!(hardest.len(), 20);
    assert!(
        f(&hardest[0]["loss"]) >= f(&hardest[19]["loss"]),
        "sorted by loss"
    );
    assert!(out.join("hardest_train_images.png").exists() && out.join("configs_loss.png").exists());
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    let (v, _, _) = one("early", Assignment::EarlyStopping);
    let val: Vec<f64> = v["validation_accuracy"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert_eq!(val.len(), 4);
    assert_eq!(v["n_validation"], 200);
    let best_epoch = v["best_epoch"].as_u64().unwrap() as usize;
    let max = val.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(val[best_epoch - 1], max);
    // After restoring, the model scores exactly its best validation accuracy again.
    assert!((f(&v["best"]["validation"]) - max).abs() < 1e-9, "{v}");
    assert!(f(&v["best"]["validation"]) >= f(&v["last"]["validation"]));
}

#[test]
fn smaller_batches_take_more_steps_and_reach_lower_loss() {
    let (v, _, _) = one("mb", Assignment::TrainMb);
    let runs = v["runs"].as_array().unwrap();
    let last = |i: usize| {
        f(runs[i]["result"]["epoch_loss"]
            .as_array()
            .unwrap()
            .last()
            .unwrap())
    };
    assert_eq!(runs[0]["batch"], 20);
    assert!(
        last(0) < last(1),
        "batch 20: {} vs batch 500: {}",
        last(0),
        last(1)
    );
}

#[test]
fn adam_with_and_without_decay() {
    let (v, _, _) = one("adam", Assignment::Adam);
    let lr: Vec<f64> = v["lr_per_epoch"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    assert!(lr.iter().all(|&l| l == 1e-4));
    assert!(
        f(&v["result"]["test"]["accuracy"]) >= 0.8,
        "{}",
        v["result"]["test"]["accuracy"]
    );
    let (v, _, _) = one("adam_decay", Assignment::AdamDecay);
    let lr: Vec<f64> = v["lr_per_epoch"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    for (k, l) in lr.iter().enumerate() {
        assert!(
            (l - 1e-4 * (1.0 - 1e-4f64).powi(k as i32)).abs() < 1e-15,
            "epoch {k}: {l}"
        );
    }
}

#[test]
fn untrained_model_is_at_chance() {
    let (v, _, _) = one("random", Assignment::Random);
    let acc = f(&v["test"]["accuracy"]);
    assert!(acc < 0.3, "untrained accuracy {acc}");
    assert!(
        (f(&v["test"]["loss"]) - 10f64.ln()).abs() < 1.5,
        "loss {} vs ln 10",
        v["test"]["loss"]
    );
}

#[test]
fn rbf_and_linear_svm() {
    let (v, _, _) = one("svm", Assignment::Svm);
    assert!(f(&v["rbf"]["test_accuracy"]) >= 0.9, "{}", v["rbf"]);
    assert!(v["rbf"]["n_support"].as_u64().unwrap() > 0);
    assert_eq!(v["rbf"]["n_train"], 300);
    assert!(f(&v["linear"]["test_accuracy"]) >= 0.9, "{}", v["linear"]);
}

#[test]
fn batch_norm_variant_trains() {
    let (v, _, out) = one("bn", Assignment::Batchnorm);
    assert!(f(&v["batch_norm"]["train"]["accuracy"]) >= 0.9);
    assert!(f(&v["plain"]["train"]["accuracy"]) >= 0.9);
    assert!(out.join("batchnorm_loss.png").exists());
}

#[test]
fn bad_settings_are_rejected_before_work() {
    let (mut cfg, data) = setup("bad");
    cfg.batch_sizes = vec![0];
    let err = run(&cfg, &data, &[]).unwrap_err();
    assert!(err.to_string().contains("batch sizes"), "{err}");
    assert!(!cfg.out.exists(), "nothing written");
    assert!("nonsense"
        .parse::<Assignment>()
        .unwrap_err()
        .contains("early_stopping"));
}

#[test]
fn missing_mnist_folder_says_how_to_fetch_it() {
    let bin = env!("CARGO_BIN_EXE_mnist_shootout");
    let out = std::process::Command::new(bin)
        .args(["--mnist-dir", "/nonexistent/mnist", "--out"])
        .arg(std::env::temp_dir().join("mnist-shootout-never"))
        .env("DL_LABS_NO_PROGRESS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("./dl setup") && err.contains("/nonexistent/mnist"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn corrupt_mnist_file_is_named_with_the_fix() {
    // A folder whose training images are cut short.
    let dir = std::env::temp_dir().join(format!("mnist-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (prefix, n) in [("train", 3usize), ("t10k", 2)] {
        let pixels = vec![7u8; n * 784];
        data::mnist::write_idx_images(
            &dir.join(format!("{prefix}-images-idx3-ubyte")),
            28,
            28,
            &pixels,
        )
        .unwrap();
        data::mnist::write_idx_labels(
            &dir.join(format!("{prefix}-labels-idx1-ubyte")),
            &vec![1u8; n],
        )
        .unwrap();
    }
    let p = dir.join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mnist_shootout"))
        .arg("--mnist-dir")
        .arg(&dir)
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("truncated")
            && err.contains("train-images-idx3-ubyte")
            && err.contains("./dl setup"),
        "{err}"
    );
    assert!(!dir.join("out").exists(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}
