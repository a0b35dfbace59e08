//! The printed summary of a lab run: the reference run and the comparison.

use super::{LabConfig, LabReport, ReferenceReport, SettingReport, Stats};

/// Everything `cargo run -p ksvm_wrap` prints after training.
pub fn summary(cfg: &LabConfig, report: &LabReport) -> String {
    let r = &report.reference;
    format!(
        "KSVMWrap, reference run: {} with seed {}, C = {}, kernel {}\n{}\n\
         KSVMWrap vs PTDeep over {} data sets per setting: trained on N points per \
         component, tested on N fresh ones\n(mean ± std; PTDeep: {} steps, δ {}, λ {}, \
         standardised inputs; \"more accurate\" counts data sets by test accuracy)\n{}",
        r.data,
        r.seed,
        cfg.svm.c,
        cfg.svm.kernel,
        reference_table(r),
        cfg.datasets,
        cfg.train.niter,
        cfg.train.delta,
        cfg.train.lambda,
        comparison_table(&report.comparison)
    )
}

/// The reference run as a one-row table.
pub fn reference_table(r: &ReferenceReport) -> String {
    let join = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join("/")
    };
    let classes: Vec<String> = (0..r.precision.len()).map(|c| format!("c{c}")).collect();
    let classes = classes.join("/");
    let rows = vec![vec![
        r.data.to_string(),
        format!("{:.3}", r.accuracy),
        join(&r.precision),
        join(&r.recall),
        r.ap.map_or("n/a".into(), |a| format!("{a:.3}")),
        format!("{} of {}", r.n_support, r.n_examples),
        format!("{:.1}", r.fit_seconds * 1e3),
    ]];
    labkit::table(
        &[
            "data",
            "accuracy",
            &format!("precision {classes}"),
            &format!("recall {classes}"),
            "AP",
            "support vectors",
            "fit ms",
        ],
        &rows,
    )
}

/// The comparison: one row per setting and model.
pub fn comparison_table(settings: &[SettingReport]) -> String {
    let st = |s: &Option<Stats>| s.map_or("n/a".into(), |s| s.to_string());
    let ms = |s: &Option<Stats>| s.map_or("n/a".into(), |s| format!("{:.1}", s.mean * 1e3));
    let mut rows = Vec::new();
    for s in settings {
        let wins = |n: usize| format!("{n} of {}", s.n_datasets);
        let support = s
            .svm_support
            .map_or("n/a".into(), |v| format!("{:.1} SVs", v.mean));
        let cfg: Vec<String> = s.ptdeep_config.iter().map(|d| d.to_string()).collect();
        for (model, m, won, size) in [
            ("KSVMWrap".to_string(), &s.svm, s.wins_test.svm, support),
            (
                format!("PTDeep [{}]", cfg.join(",")),
                &s.ptdeep,
                s.wins_test.ptdeep,
                format!("{} params", s.ptdeep_params),
            ),
        ] {
            rows.push(vec![
                s.data.to_string(),
                model,
                st(&m.train_accuracy),
                st(&m.train_ap),
                st(&m.test_accuracy),
                st(&m.test_ap),
                wins(won),
                size,
                ms(&m.seconds),
            ]);
        }
    }
    labkit::table(
        &[
            "data",
            "model",
            "train accuracy",
            "train AP",
            "test accuracy",
            "test AP",
            "more accurate",
            "size",
            "ms per fit",
        ],
        &rows,
    )
}
