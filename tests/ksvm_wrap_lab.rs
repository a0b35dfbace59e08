//! ksvm_wrap end to end, quick mode, on CPU: metrics.json fields, the surface plot.

use dl_labs::{fresh_dir, torch_rng_lock};
use ksvm_wrap::lab::{run_lab, LabConfig};
use ksvm_wrap::{Gamma, KSVMWrap};
use rand::SeedableRng;
use tch::Device;

#[test]
fn quick_lab_run_writes_metrics_and_plot() {
    // PTDeep's initial weights come from tch::manual_seed: hold the lock.
    let _rng = torch_rng_lock();
    let out = fresh_dir("ksvm_wrap_quick");
    let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
    cfg.datasets = 3;
    cfg.train.niter = 200;
    cfg.train.log_every = 200;
    cfg.grid = 48;
    let report = run_lab(&cfg).expect("quick run");
    assert_eq!(report.comparison.len(), 2, "two settings");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["lab"], "ksvm_wrap");
    assert_eq!(json["device"], "cpu");
    let config = &json["config"];
    assert_eq!(config["seed"], 100);
    assert_eq!(config["svm"]["c"], 1.0);
    assert_eq!(config["svm"]["gamma"], "auto");
    assert_eq!(config["datasets"], 3);
    assert_eq!(config["train"]["niter"], 200);

    // The reference run: gmm(6,2,10), seed 100, C = 1, γ = 1/D = 0.5.
    let r = &json["reference"];
    assert_eq!(r["n_examples"], 60);
    assert_eq!(r["gamma"], 0.5);
    // Measured with seed 100 (also asserted in the crate's unit tests): 56 of 60 right.
    assert!((r["accuracy"].as_f64().unwrap() - 56.0 / 60.0).abs() < 1e-12);
    assert_eq!(r["n_support"], 46);
    let support = r["support"].as_array().unwrap();
    assert_eq!(support.len(), 46);
    assert!(support.iter().all(|i| i.as_u64().unwrap() < 60));
    assert_eq!(r["precision"].as_array().unwrap().len(), 2);
    let ap = r["ap"].as_f64().unwrap();
    assert!((0.9..=1.0).contains(&ap), "reference AP {ap}");
    let plot = out.join(r["plot"].as_str().unwrap());
    assert_eq!(plot.file_name().unwrap(), "surface.png");
    assert_eq!(&std::fs::read(&plot).unwrap()[1..4], b"PNG");

    // The comparison: per setting, both models summarised over the data sets.
    let cmp = json["comparison"].as_array().unwrap();
    assert_eq!(cmp[0]["data"], serde_json::json!({"k": 6, "c": 2, "n": 10}));
    assert_eq!(
        cmp[1]["data"],
        serde_json::json!({"k": 10, "c": 2, "n": 10})
    );
    for s in cmp {
        assert_eq!(s["n_datasets"], 3);
        assert_eq!(s["runs"].as_array().unwrap().len(), 3);
        assert_eq!(s["ptdeep_config"], serde_json::json!([2, 10, 10, 2]));
        for model in ["svm", "ptdeep"] {
            for metric in ["accuracy", "ap"] {
                let st = &s[model][metric];
                let (mean, std) = (st["mean"].as_f64().unwrap(), st["std"].as_f64().unwrap());
                assert!((0.0..=1.0).contains(&mean), "{model} {metric} mean {mean}");
                assert!(std >= 0.0);
                assert!(st["min"].as_f64().unwrap() <= mean && mean <= st["max"].as_f64().unwrap());
            }
        }
        let wins = [
            "svm_more_accurate",
            "equally_accurate",
            "ptdeep_more_accurate",
        ]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum::<u64>();
        assert_eq!(wins, 3);
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_svm_fits_a_three_class_mixture() {
    // Three classes, one-vs-one: well above chance (1/3) on training data.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (x, y) = data::sample_gauss_2d(3, 30, &mut rng).unwrap();
    let y = y.to_vec();
    let m = KSVMWrap::new(x.view(), &y, 1.0, Gamma::Auto).unwrap();
    let pred = m.predict(x.view()).unwrap();
    let perf = metrics::eval_perf_multi(&pred, &y, Some(3)).unwrap();
    assert!(perf.accuracy > 0.8, "accuracy {}", perf.accuracy);
    assert_eq!(m.pairs().len(), 3);
}
