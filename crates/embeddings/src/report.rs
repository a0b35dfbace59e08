//! The goals a run is checked against, and the tables it prints.

use crate::params::ProtocolName;
use crate::part5::Part5Report;
use crate::stats::OverSeeds;
pub use crate::summary::Check;
use crate::summary::LabReport;

/// PyTorch, the course's protocol over 10 seeded splits (mean, std).
pub const TORCH_ACCURACY: (f64, f64) = (0.958, 0.018);
pub const TORCH_MAE: (f64, f64) = (0.154, 0.052);
pub const TORCH_NEAREST: (f64, f64) = (0.908, 0.057);
pub const TORCH_GAUSSIAN_MAE: (f64, f64) = (0.100, 0.044);
/// The notebooks' single (unseeded) split.
pub const NOTEBOOK_ACCURACY: f64 = 0.983;
pub const NOTEBOOK_MAE: f64 = 0.0877;
pub const NOTEBOOK_GAUSSIAN_MAE: f64 = 0.0631;

fn within(goal: &str, s: &OverSeeds, (m, sd): (f64, f64)) -> Check {
    Check {
        goal: format!("{goal}: mean within one std of PyTorch's {m} ± {sd}"),
        value: s.mean,
        met: s.within(m, sd),
    }
}

fn at_least(goal: &str, s: &OverSeeds, target: f64) -> Check {
    Check {
        goal: format!("{goal}: mean ≥ {target} (the notebook's single split)"),
        value: s.mean,
        met: s.mean >= target,
    }
}

fn at_most(goal: &str, s: &OverSeeds, target: f64) -> Check {
    Check {
        goal: format!("{goal}: mean ≤ {target} (the notebook's single split)"),
        value: s.mean,
        met: s.mean <= target,
    }
}

/// The goals that apply to the parts and protocol of this run.
pub fn checks(r: &LabReport) -> Vec<Check> {
    let mut out = Vec::new();
    let course = r.params.protocol.name == ProtocolName::Course;
    if let Some(p) = &r.part2 {
        out.push(if course {
            within("part 2 accuracy", &p.accuracy, TORCH_ACCURACY)
        } else {
            at_least("part 2 accuracy", &p.accuracy, 0.965)
        });
    }
    if let Some(p) = &r.part3 {
        if course {
            out.push(within("part 3 MAE", &p.mae, TORCH_MAE));
            out.push(within(
                "part 3 nearest-point accuracy",
                &p.nearest_accuracy,
                TORCH_NEAREST,
            ));
        } else {
            out.push(at_most("part 3 MAE", &p.mae, NOTEBOOK_MAE));
        }
    }
    if let Some(p) = &r.part4 {
        out.push(if course {
            within("part 4 MAE", &p.mae, TORCH_GAUSSIAN_MAE)
        } else {
            at_most("part 4 MAE", &p.mae, NOTEBOOK_GAUSSIAN_MAE)
        });
    }
    if let Some(p) = &r.part5 {
        let first = p.naive_fast.epochs.first().map(|e| e.spread.mean);
        if let (Some(first), Ok(last)) = (first, p.naive_fast.last()) {
            out.push(Check {
                goal: "5(a) the fast naive table collapses: final spread < 10 % of epoch 1's"
                    .into(),
                value: last.spread.mean / first,
                met: last.spread.mean < 0.1 * first,
            });
        }
        let chosen = p.remedies.iter().find(|s| s.name == p.chosen);
        if let Some(Ok(last)) = chosen.map(|c| c.last()) {
            out.push(Check {
                goal: format!(
                    "5(c) remedy '{}' keeps the rows apart: mean smallest distance ≥ 0.5",
                    p.chosen
                ),
                value: last.min_distance.mean,
                met: last.min_distance.mean >= 0.5,
            });
            if let Some(p2) = &r.part2 {
                out.push(Check {
                    goal: format!(
                        "5(c) remedy '{}': test accuracy within 0.03 of part 2's mean ({:.3})",
                        p.chosen, p2.accuracy.mean
                    ),
                    value: last.test_accuracy.mean,
                    met: last.test_accuracy.mean >= p2.accuracy.mean - 0.03,
                });
            }
        }
    }
    out
}

fn ms(s: &OverSeeds) -> String {
    format!("{:.3} ± {:.3}", s.mean, s.std)
}

fn row(part: &str, what: &str, s: &OverSeeds, reference: String) -> Vec<String> {
    vec![
        part.into(),
        what.into(),
        format!("{:.3}", s.default_seed),
        ms(s),
        reference,
    ]
}

fn opt(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.4}"))
}

/// The printed results: one line per number of parts 2–5, then the checks.
pub fn summary(r: &LabReport) -> String {
    let torch = |(m, s): (f64, f64)| format!("{m} ± {s} (PyTorch)");
    let mut rows = Vec::new();
    if let Some(p) = &r.part2 {
        rows.push(row(
            "2",
            "accuracy",
            &p.accuracy,
            format!("{} / {}", torch(TORCH_ACCURACY), NOTEBOOK_ACCURACY),
        ));
        rows.push(row(
            "2",
            "macro precision",
            &p.macro_precision,
            String::new(),
        ));
        rows.push(row("2", "macro recall", &p.macro_recall, String::new()));
        rows.push(row(
            "2",
            "micro precision = recall",
            &p.micro_precision,
            String::new(),
        ));
    }
    if let Some(p) = &r.part3 {
        rows.push(row(
            "3",
            "test MAE",
            &p.mae,
            format!("{} / {}", torch(TORCH_MAE), NOTEBOOK_MAE),
        ));
        rows.push(row(
            "3",
            "nearest-point accuracy",
            &p.nearest_accuracy,
            torch(TORCH_NEAREST),
        ));
    }
    if let Some(p) = &r.part4 {
        rows.push(row(
            "4",
            "test MAE",
            &p.mae,
            format!("{} / {}", torch(TORCH_GAUSSIAN_MAE), NOTEBOOK_GAUSSIAN_MAE),
        ));
        rows.push(row(
            "4",
            "nearest-point accuracy",
            &p.nearest_accuracy,
            String::new(),
        ));
    }
    if let Some(p) = &r.part5 {
        for s in std::iter::once(&p.naive_course)
            .chain([&p.naive_fast])
            .chain(p.remedies.iter())
        {
            if let Ok(l) = s.last() {
                let name = format!("{}: test accuracy", s.name);
                rows.push(row("5", &name, &l.test_accuracy, String::new()));
                rows.push(row(
                    "5",
                    &format!("{}: spread", s.name),
                    &l.spread,
                    String::new(),
                ));
            }
        }
    }
    let n = r.seeds.len();
    let default = r.params.seed;
    let mut out = labkit::table(
        &[
            "part",
            "quantity",
            &format!("seed {default}"),
            &format!("mean ± std ({n} seeds)"),
            "reference",
        ],
        &rows,
    );
    if let Some(run) = r.part2.as_ref().and_then(|p| p.runs.first()) {
        let rows: Vec<Vec<String>> = run
            .confusion
            .iter()
            .zip(crate::iris::SPECIES)
            .map(|(row, name)| {
                std::iter::once(format!("true {name}"))
                    .chain(row.iter().map(|n| n.to_string()))
                    .collect()
            })
            .collect();
        out.push_str(&format!(
            "\npart 2, seed {}: confusion matrix of the test flowers; per-class precision {:.3?}, recall {:.3?}\n",
            run.seed, run.precision, run.recall
        ));
        let mut header = vec![String::new()];
        header.extend(
            crate::iris::SPECIES
                .iter()
                .map(|n| format!("predicted {n}")),
        );
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        out.push_str(&labkit::table(&header, &rows));
    }
    if let Some(p) = &r.part4 {
        let m = |s: &Option<OverSeeds>| s.as_ref().map_or("–".into(), ms);
        let med = |s: &Option<OverSeeds>| {
            s.as_ref()
                .map_or("–".into(), |s| format!("{:.1}", s.median))
        };
        out.push_str(&format!(
            "\npart 4, mean predicted variance per seed (mean ± std over seeds): \
             correct {} vs misclassified {} (higher for the misclassified in {} of the {} seeds \
             with mistakes; median ratio {}); setosa {} vs versicolor/virginica {} \
             (median ratio {})\n\
             pooled over all test flowers of all seeds: correct {}, misclassified {}, \
             setosa {}, versicolor/virginica {}\n",
            m(&p.var_correct),
            m(&p.var_wrong),
            p.wrong_above_correct,
            p.seeds_with_errors,
            med(&p.ratio_wrong_correct),
            m(&p.var_setosa),
            m(&p.var_versicolor_virginica),
            med(&p.ratio_overlap_setosa),
            opt(p.pooled.correct),
            opt(p.pooled.wrong),
            opt(p.pooled.setosa),
            opt(p.pooled.versicolor_virginica)
        ));
    }
    if let Some(p) = &r.part5 {
        out.push_str(&part5_table(p));
    }
    out.push_str("\nchecks:\n");
    for c in &r.checks {
        let mark = if c.met { "met" } else { "NOT met" };
        out.push_str(&format!("  [{mark}] {} (got {:.4})\n", c.goal, c.value));
    }
    out
}

/// The printed part 5: the naive runs epoch by epoch, the freeze, the remedies.
pub fn part5_table(p: &Part5Report) -> String {
    let mut out = String::new();
    for s in [&p.naive_course, &p.naive_fast] {
        let rows: Vec<Vec<String>> = s
            .epochs
            .iter()
            .map(|e| {
                vec![
                    e.epoch.to_string(),
                    format!("{:.2e}", e.loss.mean),
                    format!("{:.4}", e.spread.mean),
                    format!("{:.4}", e.min_distance.mean),
                    format!("{:.3}", e.train_accuracy.mean),
                    format!("{:.3}", e.test_accuracy.mean),
                ]
            })
            .collect();
        out.push_str(&format!(
            "\npart 5(a), {} (table lr × {}), mean over seeds:\n",
            s.name, s.spec.table_lr_scale
        ));
        out.push_str(&labkit::table(
            &[
                "epoch",
                "loss",
                "spread",
                "closest rows",
                "train acc",
                "test acc",
            ],
            &rows,
        ));
    }
    let f = &p.freeze;
    out.push_str(&format!(
        "\npart 5(b): initial rows have norm {:.2}; epoch 1 changes the table by {:.3} \
         (max-norm rescaling to {}); epochs 2… together by {:.3} with the gradient, \
         {:.3} with the lookup detached\n",
        f.initial_row_norm.mean,
        f.first_epoch_change.mean,
        p.max_norm,
        f.later_change.mean,
        f.later_change_detached
    ));
    for (ep, g) in &f.grad_norm {
        out.push_str(&format!("  ‖∂loss/∂table‖ at epoch {ep}: {:.4}\n", g.mean));
    }
    let rows: Vec<Vec<String>> = f
        .default_seed_steps
        .iter()
        .map(|(ep, a, b)| {
            vec![
                ep.to_string(),
                format!("{:.4}", a.renorm),
                format!("{:.6}", a.step),
                format!("{:.4}", a.grad),
                format!("{:.4}", b.renorm),
                format!("{:.6}", b.step),
            ]
        })
        .collect();
    out.push_str("  default seed, the table's change in one epoch (Frobenius norm):\n");
    out.push_str(&labkit::table(
        &[
            "epoch",
            "rescaling",
            "step",
            "‖gradient‖",
            "rescaling (detached)",
            "step (detached)",
        ],
        &rows,
    ));
    let rows: Vec<Vec<String>> = std::iter::once(&p.naive_fast)
        .chain(p.remedies.iter())
        .filter_map(|s| s.last().ok().map(|l| (s, l)))
        .map(|(s, l)| {
            vec![
                s.name.clone(),
                format!("{:.4} ± {:.4}", l.spread.mean, l.spread.std),
                format!("{:.4}", l.min_distance.mean),
                format!("{:.3}", l.train_accuracy.mean),
                format!("{:.3} ± {:.3}", l.test_accuracy.mean, l.test_accuracy.std),
                format!("{:.2}", s.path_length.mean),
            ]
        })
        .collect();
    out.push_str(
        "\npart 5(c), remedies with the fast table, last epoch \
         (path: how far the rows travel after epoch 1):\n",
    );
    out.push_str(&labkit::table(
        &[
            "objective",
            "spread",
            "closest rows",
            "train acc",
            "test acc",
            "path",
        ],
        &rows,
    ));
    out.push_str(&format!("chosen: {} ({})\n", p.chosen, p.choice_rule));
    out
}
