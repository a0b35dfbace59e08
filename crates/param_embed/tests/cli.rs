//! The param_embed binary end to end (quick settings, fewer images) and its
//! bad-input paths.

use labtest::{num, LabRun};

const EXE: &str = env!("CARGO_BIN_EXE_param_embed");

fn need_mnist() {
    assert!(
        labtest::mnist_dir().is_some(),
        "MNIST is missing: run ./dl setup (it fetches data/mnist)"
    );
}

const SMALL: [&str; 8] = [
    "--n-train",
    "1000",
    "--n-held-out",
    "500",
    "--device",
    "cpu",
    "--threads",
    "2",
];

fn args<'a>(routine: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![routine];
    v.extend_from_slice(&SMALL);
    v.extend_from_slice(extra);
    v
}

#[test]
fn tsne_quick_run_writes_metrics_and_plots() {
    need_mnist();
    let run = LabRun::new(EXE, &args("tsne", &["--epochs", "10"]));
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["lab"], "param_embed");
    assert_eq!(m["routine"], "tsne");
    assert_eq!(m["config"]["precision"], "fp32", "the precision is saved");
    assert_eq!(num(&m, "/n_train"), 1000.0);
    assert_eq!(num(&m, "/n_held_out"), 500.0);
    // PCA has no randomness: measured 5-NN 0.384, trustworthiness 0.721 on these images.
    let pca = num(&m, "/pca/knn5");
    assert!((0.3..0.45).contains(&pca), "PCA 5-NN {pca}");
    // Measured with seed 100 (same arguments, run by hand): 5-NN 0.534,
    // trustworthiness 0.772; both clearly above PCA.
    let knn = num(&m, "/embedding/knn5");
    assert!(knn > pca + 0.1, "t-SNE 5-NN {knn} vs PCA {pca}");
    assert!(num(&m, "/embedding/trustworthiness") > num(&m, "/pca/trustworthiness"));
    assert_eq!(m["phases"].as_array().map(Vec::len), Some(2));
    // the course's convention: each epoch's loss summed over its batches
    // (1,000 images in batches of 500: two batches)
    let main = &m["phases"][1];
    assert_eq!(main["batches"], 2);
    let (sum, mean) = (num(main, "/loss_sums/0"), num(main, "/losses/0"));
    assert!((sum - 2.0 * mean).abs() < 1e-9, "{sum} vs 2 × {mean}");
    run.assert_plot("pca.png");
    // the course's figure (training images) and the held-out images
    assert_eq!(m["plots"]["tsne"], "tsne.png");
    run.assert_plot("tsne.png");
    run.assert_plot("tsne_held_out.png");
    run.assert_no_temp_files();
}

#[test]
fn umap_quick_run_writes_metrics_and_plots() {
    need_mnist();
    let run = LabRun::new(EXE, &args("umap", &["--epochs", "15", "--k", "15"]));
    run.assert_success();
    let m = run.metrics();
    assert_eq!(m["routine"], "umap");
    assert_eq!(m["held_out"], "test images 0..500");
    let knn = num(&m, "/embedding/knn5");
    assert!(knn > num(&m, "/pca/knn5"), "UMAP 5-NN {knn}");
    run.assert_plot("umap.png");
    run.assert_no_temp_files();
}

#[test]
fn hybrid_sweep_writes_the_grid() {
    need_mnist();
    let run = LabRun::new(
        EXE,
        &args("hybrid", &["--epochs", "20", "--weights", "0,50"]),
    );
    run.assert_success();
    let m = run.metrics();
    let sweep = m["sweep"].as_array().expect("sweep");
    assert_eq!(sweep.len(), 2);
    for r in sweep {
        // 20 epochs (40 steps) on 1,000 images: test accuracy well above chance.
        let acc = r["test_accuracy"].as_f64().expect("accuracy");
        assert!(acc > 0.3, "{acc}");
    }
    run.assert_plot("hybrid_grid.png");
    run.assert_no_temp_files();
}

#[test]
fn bad_input_is_rejected() {
    LabRun::new(EXE, &args("tsne", &["--perplexity", "1000"]))
        .assert_rejected("--perplexity: perplexity must be");
    LabRun::new(EXE, &args("umap", &["--k", "1000"]))
        .assert_rejected("--k: k = 1000 nearest neighbours");
    LabRun::new(EXE, &args("umap", &["--perplexity", "10"])).assert_rejected("does nothing");
    LabRun::new(EXE, &args("hybrid", &["--weights", "-1"])).assert_rejected("loss weight");
    LabRun::new(EXE, &args("tsne", &["--epochs", "0"])).assert_rejected("epochs");
    LabRun::new(EXE, &["tsne", "--full", "--n-train", "10"]).assert_rejected("--full");
    LabRun::new(EXE, &["tsne", "--n-held-out", "100000"]).assert_rejected("exceed");
    LabRun::new(EXE, &args("hybrid", &["--seeds", "2"])).assert_rejected("does nothing");
    LabRun::new(EXE, &args("tsne", &["--seeds", "0"])).assert_rejected("--seeds");
    LabRun::new(EXE, &args("tsne", &["--precision", "tf32"]))
        .assert_rejected("tf32 needs a CUDA device");
    LabRun::new(EXE, &args("hybrid", &["--bench"])).assert_rejected("--bench does nothing");
    LabRun::new(EXE, &["tsne", "--threads", "0"]).assert_rejected("--threads must be at least 1");
    LabRun::new(EXE, &args("tsne", &["--bench", "--seeds", "2"]))
        .assert_rejected("--seeds does nothing with --bench");
}

#[test]
fn the_shared_flags_are_listed_once_and_checked_before_any_work() {
    labtest::assert_shared_flags(EXE, &["tsne"], true);
}
