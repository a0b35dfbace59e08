//! pt_deep end to end, quick mode, on CPU: JSON fields, plots, accuracy.

use data::GmmSpec;
use dl_labs::{fresh_dir, torch_rng_lock};
use pt_deep::lab::run_lab;
use pt_deep::{Activation, PTDeep, TrainParams};
use pt_deep::{LabConfig, LayerConfig};
use rand::SeedableRng;
use tch::{nn::VarStore, Device};

#[test]
fn quick_lab_run_writes_metrics_and_plots() {
    let _rng = torch_rng_lock();
    tch::set_num_threads(1); // tiny problem: one thread is fastest, as in the binary
    let out = fresh_dir("pt_deep_quick");
    let mut cfg = LabConfig::lab_default(Device::Cpu, out.clone());
    cfg.train = TrainParams {
        niter: 2000,
        ..cfg.train
    };
    cfg.grid = 48;
    let report = run_lab(&cfg).expect("quick run");
    assert_eq!(report.runs.len(), 6, "2 data sets × 3 configs");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(json["lab"], "pt_deep");
    assert_eq!(json["config"]["seed"], 100);
    assert_eq!(json["device"], "cpu");
    let runs = json["runs"].as_array().unwrap();
    for run in runs {
        for key in [
            "data",
            "config",
            "activation",
            "seed",
            "accuracy",
            "precision",
            "recall",
            "ap",
            "device",
        ] {
            assert!(!run[key].is_null() || key == "ap", "run has {key}: {run}");
        }
        assert_eq!(run["precision"].as_array().unwrap().len(), 2);
        let acc = run["accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc));
        let plot = out.join(run["plot"].as_str().unwrap());
        assert_eq!(
            &std::fs::read(&plot).unwrap()[1..4],
            b"PNG",
            "{}",
            plot.display()
        );
    }
    // Data sets: gmm(4,2,40) has 160 points, gmm(6,2,10) has 60.
    assert_eq!(runs[0]["n_examples"], 160);
    assert_eq!(runs[5]["n_examples"], 60);
    assert_eq!(runs[5]["config"], serde_json::json!([2, 10, 10, 2]));
    // The deep net fits its training data at least as well as logistic regression.
    let acc = |i: usize| runs[i]["accuracy"].as_f64().unwrap();
    assert!(
        acc(5) >= acc(3),
        "[2,10,10,2] {} vs [2,2] {}",
        acc(5),
        acc(3)
    );
    let gif = out.join(json["animation"].as_str().expect("animation written"));
    assert_eq!(&std::fs::read(gif).unwrap()[..3], b"GIF");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn deep_net_fits_a_separable_seeded_mixture() {
    let _rng = torch_rng_lock();
    // Seed 5 gives six components whose classes a small net can separate;
    // the inputs are standardised as in the lab.
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let (x, y) = data::sample_gmm_2d(6, 2, 20, &mut rng).unwrap();
    let x = data::Standardizer::fit(x.view())
        .unwrap()
        .transform(x.view());
    let y = y.to_vec();
    let yoh = data::class_to_onehot(&y, Some(2)).unwrap();
    tch::manual_seed(1);
    let vs = VarStore::new(Device::Cpu);
    let m = PTDeep::new(&vs.root(), &[2, 10, 10, 2], Activation::Relu).unwrap();
    let xt = torch_util::to_tensor(x.view(), Device::Cpu);
    let yt = torch_util::to_tensor(yoh.view(), Device::Cpu);
    let p = TrainParams {
        niter: 5000,
        delta: 0.1,
        lambda: 1e-4,
        log_every: 1000,
    };
    pt_deep::train(&vs, &m, &xt, &yt, &p, |_, _, _| {}).unwrap();
    let pred = torch_util::to_labels(&pt_deep::train::predict(&m, &xt)).unwrap();
    let perf = metrics::eval_perf_multi(&pred, &y, Some(2)).unwrap();
    assert!(perf.accuracy >= 0.95, "train accuracy {}", perf.accuracy);
}

#[test]
fn lab_spec_strings_parse_like_the_cli() {
    assert_eq!(
        "4,2,40".parse::<GmmSpec>().unwrap(),
        GmmSpec { k: 4, c: 2, n: 40 }
    );
    assert_eq!(
        "2,10,10,2".parse::<LayerConfig>().unwrap().0,
        vec![2, 10, 10, 2]
    );
}
