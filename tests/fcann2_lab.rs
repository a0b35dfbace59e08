//! fcann2 end to end in quick mode: metrics.json fields and the two plots.

use dl_labs::fresh_dir;
use fcann2::lab::{run_lab, LabConfig};

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("metrics.json written"))
        .expect("valid JSON")
}

#[test]
fn quick_lab_run_writes_metrics_and_plots() {
    let out = fresh_dir("fcann2_quick");
    let mut cfg = LabConfig::lab_default(out.clone());
    cfg.params.niter = 3000;
    cfg.grid = 48;
    cfg.print_lines = 0;
    let report = run_lab(&cfg).expect("quick run");

    let json = read_json(&out.join("metrics.json"));
    assert_eq!(json["lab"], "fcann2");
    let config = &json["config"];
    assert_eq!(config["seed"], 100);
    assert_eq!(config["data"], serde_json::json!({"k": 6, "c": 2, "n": 10}));
    assert_eq!(config["params"]["hidden"], 5);
    assert_eq!(config["params"]["niter"], 3000);
    assert_eq!(config["params"]["delta"], 0.05);
    assert_eq!(config["params"]["lambda"], 1e-3);
    assert_eq!(config["standardize"], false);
    assert_eq!(json["n_examples"], 60);
    assert_eq!(json["n_params"], 2 * 5 + 5 + 5 * 2 + 2);

    let acc = json["accuracy"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&acc), "accuracy {acc}");
    assert_eq!(acc, report.accuracy);
    for key in ["precision", "recall", "support"] {
        assert_eq!(json[key].as_array().unwrap().len(), 2, "{key}");
    }
    let ap = json["ap"].as_f64().expect("AP of P(class 1)");
    assert!((0.0..=1.0).contains(&ap));

    let curve = json["loss_curve"].as_array().unwrap();
    assert_eq!(curve.len(), 1 + 3000 / 100, "step 1, then every 100 steps");
    assert_eq!(curve[0][0], 1);
    assert_eq!(curve[curve.len() - 1][0], 3000);
    let (first, last) = (
        json["initial_loss"].as_f64().unwrap(),
        json["final_loss"].as_f64().unwrap(),
    );
    assert!(last < first, "loss {first} -> {last}");

    let us = json["us_per_iter"].as_f64().unwrap();
    assert!(us > 0.0);
    assert_eq!(json["numpy_us_per_iter"], 51.0);
    assert!((json["speedup_vs_numpy"].as_f64().unwrap() - 51.0 / us).abs() < 1e-9);
    assert_eq!(
        json["model"]["w1"].as_array().unwrap().len(),
        2,
        "W1 is 2 × 5"
    );
    assert_eq!(json["model"]["b2"].as_array().unwrap().len(), 2);

    for key in ["surface_plot", "loss_plot"] {
        let name = json[key].as_str().unwrap();
        assert!(name.ends_with(".png"), "{name}");
        let bytes = std::fs::read(out.join(name)).expect("plot written");
        assert_eq!(&bytes[1..4], b"PNG", "{name}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn svg_plots_and_standardised_inputs() {
    let out = fresh_dir("fcann2_svg");
    let mut cfg = LabConfig::lab_default(out.clone());
    cfg.params.niter = 300;
    cfg.grid = 16;
    cfg.print_lines = 0;
    cfg.standardize = true;
    cfg.format = labkit::PlotFormat::Svg;
    run_lab(&cfg).expect("quick run");
    let json = read_json(&out.join("metrics.json"));
    assert_eq!(json["config"]["standardize"], true);
    assert_eq!(json["config"]["format"], "svg");
    // The scaling the model expects is saved with its weights.
    assert_eq!(json["model"]["input_std"].as_array().unwrap().len(), 2);
    for name in ["surface.svg", "loss.svg"] {
        let text = std::fs::read_to_string(out.join(name)).expect("plot written");
        assert!(text.contains("<svg"), "{name}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
