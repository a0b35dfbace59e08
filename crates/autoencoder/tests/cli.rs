//! The autoencoder binary end to end (tiny settings) and its bad-input paths.

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_autoencoder");

fn need_mnist() {
    assert!(
        labtest::mnist_dir().is_some(),
        "MNIST is missing: run ./dl setup (it fetches data/mnist)"
    );
}

#[test]
fn tiny_run_writes_metrics_figures_weights_and_checkpoints() {
    need_mnist();
    let run = LabRun::new(
        EXE,
        &[
            "--n-train",
            "1200",
            "--epochs",
            "2",
            "--tsne-every",
            "6",
            "--tsne-iter",
            "400",
            "--device",
            "cpu",
            "--threads",
            "2",
        ],
    );
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "autoencoder");
    assert_eq!(num(&m, "/n_params"), 1_647_109.0);
    assert_eq!(num(&m, "/n_train"), 1200.0);
    assert_eq!(num(&m, "/n_test"), 10_000.0);
    // Pixel NCM with class means of the first 1,200 training images, scored on
    // all 10,000 test images, is deterministic: 7,709 correct. (The course's
    // 0.8203 uses all 60,000 training images.)
    assert_eq!(num(&m, "/pixel_ncm/accuracy"), 0.7709);
    let runs = m["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "plain and contrastive");
    for r in runs {
        assert_eq!(r["epochs"], 2);
        assert_eq!(r["losses"].as_array().expect("losses").len(), 2);
        // Two epochs move the loss below the first epoch's.
        let l0 = r["losses"][0]["total"].as_f64().expect("loss");
        let l1 = r["losses"][1]["total"].as_f64().expect("loss");
        assert!(l1 < l0, "{l0} -> {l1}");
        let acc = r["latent_ncm"]["accuracy"].as_f64().expect("accuracy");
        assert!(acc > 0.1, "codes carry some class information: {acc}");
        assert!(run
            .out
            .join(r["weights"].as_str().expect("weights"))
            .exists());
    }
    assert!(run.out.join("checkpoint_plain_seed100.ot").exists());
    assert!(run.out.join("checkpoint_contrastive_seed100.ot").exists());
    run.assert_plot("loss_curves.png");
    run.assert_plot("reconstructions_plain.png");
    run.assert_plot("reconstructions_contrastive.png");
    // the course's figures: one training image; pixels and codes side by side
    run.assert_plot("training_image.png");
    run.assert_plot("tsne_pixels_vs_codes.png");
    // both NCM comparisons, for pixels and for every run's codes
    let cos = num(&m, "/pixel_ncm_cosine/accuracy");
    assert!((0.5..1.0).contains(&cos), "cosine NCM on pixels: {cos}");
    for r in runs {
        assert!(r["latent_ncm_cosine"]["accuracy"].as_f64().is_some());
    }
    assert_eq!(m["config"]["train"]["pair_rule"], "course");
    assert_eq!(m["config"]["ncm"], "l2");
    let tsne = m["tsne"].as_array().expect("tsne");
    assert_eq!(tsne.len(), 3);
    for t in tsne {
        assert_eq!(t["points"], 200);
        run.assert_plot(t["plot"].as_str().expect("plot"));
    }
    // t-SNE of 200 raw digits keeps most of them among their own kind.
    let knn = num(&m, "/tsne/0/knn5_cv_accuracy");
    assert!(knn > 0.6, "5-NN in the t-SNE map of 200 digits: {knn}");
    run.assert_no_temp_files();
}

#[test]
fn resume_continues_a_finished_run_to_more_epochs() {
    need_mnist();
    let args = |epochs: &'static str| {
        vec![
            "--n-train",
            "600",
            "--epochs",
            epochs,
            "--variant",
            "plain",
            "--no-tsne",
            "--device",
            "cpu",
            "--checkpoint-every",
            "1",
        ]
    };
    let first = LabRun::new(EXE, &args("1"));
    first.assert_success();
    let out = first.out.to_str().expect("utf-8 path").to_string();
    // Another precision does not resume an fp32 checkpoint.
    let mut other = args("2");
    other.extend(["--resume", "--out", out.as_str(), "--precision", "bf16"]);
    let refused = std::process::Command::new(EXE)
        .args(&other)
        .current_dir(labtest::workspace_root())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && err.contains("precision: Bf16"),
        "{err}"
    );
    // Same folder, one more epoch, resumed from the checkpoint.
    let mut more = args("2");
    more.extend(["--resume", "--out", out.as_str()]);
    let second = std::process::Command::new(EXE)
        .args(&more)
        .current_dir(labtest::workspace_root())
        .output()
        .expect("run");
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let m = first.metrics();
    assert_eq!(m["runs"][0]["epochs"], 2);
    assert_eq!(
        m["runs"][0]["epochs_this_run"], 1,
        "one epoch came from the checkpoint"
    );
    // An uninterrupted two-epoch run gives the same losses, bit for bit.
    let straight = LabRun::new(EXE, &args("2"));
    straight.assert_success();
    assert_eq!(
        m["runs"][0]["losses"][1]["total"],
        straight.metrics()["runs"][0]["losses"][1]["total"]
    );
}

#[test]
fn bad_arguments_are_rejected_before_anything_is_written() {
    for (args, needle) in [
        (
            &["--epochs", "0"][..],
            "--epochs: epochs must be at least 1",
        ),
        (&["--lr", "-1"][..], "--lr: the learning rate"),
        (&["--tau", "0"][..], "--tau: the temperature"),
        (
            &["--n-train", "5"][..],
            "--n-train: n_train must be at least",
        ),
        (&["--n-train", "70000"][..], "more than the 60000"),
        (&["--tsne-every", "0"][..], "--tsne-every: the t-SNE stride"),
        (&["--full", "--epochs", "3"][..], "cannot be used with"),
        (
            &["--no-tsne", "--tsne-every", "5"][..],
            "--tsne-every does nothing with --no-tsne",
        ),
        (
            &["--bench", "--full"][..],
            "--full does nothing with --bench",
        ),
        (&["--resume"][..], "--resume: no checkpoint to resume"),
        (&["--mnist-dir", "no/such/folder"][..], "no/such/folder"),
        (&["--variant", "sideways"][..], "invalid value"),
        (&["--precision", "fp16"][..], "invalid value"),
        (
            &["--precision", "tf32", "--device", "cpu"][..],
            "tf32 needs a CUDA device",
        ),
        (&["--seeds", "0"][..], "--seeds must be at least 1"),
        (&["--threads", "0"][..], "--threads must be at least 1"),
        (&["--seeds", "1,2"][..], "invalid value '1,2'"),
    ] {
        LabRun::new(EXE, args).assert_rejected(needle);
    }
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &[], true);
}
