//! The goals a run is checked against, and the tables it prints.

use crate::params::ProtocolName;
use crate::parts::joint::Part5Report;
use crate::stats::OverSeeds;
pub use crate::summary::Check;
use crate::summary::LabReport;

/// A reference run of the course's code in PyTorch (torch 2.15.0, CPU),
/// `crates/embeddings/reference/iris_course.py` over splits 0–9 (mean, std).
pub const TORCH_ACCURACY: (f64, f64) = (0.926, 0.102);
pub const TORCH_MAE: (f64, f64) = (0.199, 0.077);
pub const TORCH_NEAREST: (f64, f64) = (0.955, 0.025);
pub const TORCH_GAUSSIAN_MAE: (f64, f64) = (0.159, 0.054);
pub const TORCH_JOINT_MAE: (f64, f64) = (0.182, 0.076);
/// The course's part 2 notebook: its first and last printed losses.
pub const COURSE_CLASSIFIER_LOSS: (f64, f64) = (1.105, 0.634);
/// The course's part 5 notebook: test MAE of its (detached-target) run.
pub const COURSE_JOINT_MAE: f64 = 0.2455;
/// The notebooks' single (unseeded) split.
pub const NOTEBOOK_ACCURACY: f64 = 0.983;
pub const NOTEBOOK_MAE: f64 = 0.0877;
pub const NOTEBOOK_GAUSSIAN_MAE: f64 = 0.0631;

fn within(goal: &str, s: &OverSeeds, (m, sd): (f64, f64)) -> Check {
    Check {
        goal: format!("{goal}: mean within one std of the PyTorch reference run's {m} ± {sd}"),
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
        if let (true, Ok(l)) = (course, p.course_detached.last()) {
            out.push(within(
                "part 5 course run (target detached) test MAE",
                &l.test_mae,
                TORCH_JOINT_MAE,
            ));
        }
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
    let torch = |(m, s): (f64, f64)| format!("{m} ± {s} (PyTorch ref.)");
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
        if let Ok(l) = p.course_detached.last() {
            rows.push(row(
                "5",
                "course (target detached): test MAE",
                &l.test_mae,
                format!("{} / {COURSE_JOINT_MAE}", torch(TORCH_JOINT_MAE)),
            ));
        }
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
    out.push_str(&loss_logs(r));
    if let Some(run) = r.part4.as_ref().and_then(|p| p.runs.first()) {
        out.push_str(&format!(
            "\npart 4, seed {}: predicted means and variances of the test flowers \
             (as pandas' describe())\n",
            run.seed
        ));
        out.push_str(&describe(run));
    }
    if let Some(p) = &r.part5 {
        out.push_str(&part5_table(p));
    }
    out.push_str(&quirk_table(&r.quirks));
    out.push_str("\nchecks:\n");
    for c in &r.checks {
        let mark = if c.met { "met" } else { "NOT met" };
        out.push_str(&format!("  [{mark}] {} (got {:.4})\n", c.goal, c.value));
    }
    out
}

/// The default seed's losses at the course's print schedule, parts 2–4,
/// beside the course's printed values where it gives them.
pub fn loss_logs(r: &LabReport) -> String {
    let logs: Vec<(&str, &[(usize, f64)])> = [
        r.part2
            .as_ref()
            .and_then(|p| p.runs.first())
            .map(|x| ("part 2", x.loss_log.as_slice())),
        r.part3
            .as_ref()
            .and_then(|p| p.runs.first())
            .map(|x| ("part 3", x.loss_log.as_slice())),
        r.part4
            .as_ref()
            .and_then(|p| p.runs.first())
            .map(|x| ("part 4", x.loss_log.as_slice())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let Some((_, first)) = logs.first() else {
        return String::new();
    };
    let steps: Vec<usize> = first.iter().map(|(i, _)| *i).collect();
    let last_print = steps
        .iter()
        .copied()
        .filter(|i| i % crate::params::LOG_EVERY == 0)
        .max();
    let mut header: Vec<String> = vec!["step".into()];
    header.extend(logs.iter().map(|(n, _)| n.to_string()));
    let course_col = r.part2.is_some() && r.params.protocol.name == ProtocolName::Course;
    if course_col {
        header.push("part 2, course (first / last printed)".into());
    }
    let rows: Vec<Vec<String>> = steps
        .iter()
        .enumerate()
        .map(|(k, &step)| {
            let mut row = vec![step.to_string()];
            for (_, log) in &logs {
                row.push(log.get(k).map_or("–".into(), |(_, l)| format!("{l:.4}")));
            }
            if course_col {
                let (a, b) = COURSE_CLASSIFIER_LOSS;
                row.push(if step == 0 {
                    format!("{a}")
                } else if Some(step) == last_print {
                    format!("{b}")
                } else {
                    String::new()
                });
            }
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    format!(
        "\nlosses of seed {} at the course's print steps (every {} steps, 0-based, \
         before that step's update; and the last step):\n{}",
        r.params.seed,
        crate::params::LOG_EVERY,
        labkit::table(&header, &rows)
    )
}

/// Count, mean, std, min, quartiles and max of a column (pandas' `describe`:
/// sample std, linearly interpolated quantiles).
pub fn describe_column(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    if n == 0 {
        return vec![0.0; 8];
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let std = if n > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let pos = p * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
    };
    vec![
        n as f64,
        mean,
        std,
        s[0],
        q(0.25),
        q(0.5),
        q(0.75),
        s[n - 1],
    ]
}

fn describe(run: &crate::parts::gaussian::GaussianRun) -> String {
    let col = |rows: &[Vec<f64>], j: usize| -> Vec<f64> {
        rows.iter().filter_map(|r| r.get(j).copied()).collect()
    };
    let cols = [
        describe_column(&col(&run.predictions, 0)),
        describe_column(&col(&run.predictions, 1)),
        describe_column(&col(&run.variances_xy, 0)),
        describe_column(&col(&run.variances_xy, 1)),
    ];
    let names = ["count", "mean", "std", "min", "25%", "50%", "75%", "max"];
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            std::iter::once(n.to_string())
                .chain(cols.iter().map(|c| {
                    if i == 0 {
                        format!("{}", c[0])
                    } else {
                        format!("{:.4}", c[i])
                    }
                }))
                .collect()
        })
        .collect();
    labkit::table(&["", "mean_0", "mean_1", "var_0", "var_1"], &rows)
}

/// Each quirk of the course's code against the same run with it fixed.
pub fn quirk_table(q: &[crate::quirks::QuirkEffect]) -> String {
    if q.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = q
        .iter()
        .map(|e| {
            vec![
                e.part.to_string(),
                e.quantity.to_string(),
                e.quirk.to_string(),
                ms(&e.course),
                e.fix.to_string(),
                ms(&e.fixed),
                format!("{:+.3}", e.fixed.mean - e.course.mean),
            ]
        })
        .collect();
    format!(
        "\nthe course's quirks, each fixed alone on the same seeds (mean ± std):\n{}",
        labkit::table(
            &[
                "part",
                "quantity",
                "course's code",
                "course",
                "fixed",
                "fixed",
                "Δ mean"
            ],
            &rows
        )
    )
}

/// The printed part 5: the course's run, the naive runs epoch by epoch, the
/// freeze, the remedies.
pub fn part5_table(p: &Part5Report) -> String {
    let mut out = String::new();
    out.push_str("\npart 5, the model's trainable tensors (name: shape for one seed):\n");
    for (name, shape) in &p.parameters {
        out.push_str(&format!("  {name}: {shape:?}\n"));
    }
    if let Some((_, t)) = p.freeze.tables.first() {
        out.push_str(&format!(
            "  the table before training (default seed, N(0, {}²)): {}\n",
            p.init_std,
            t.iter()
                .map(|r| format!("({:.3}, {:.3})", r[0], r[1]))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Ok(l) = p.course_detached.last() {
        out.push_str(&format!(
            "\npart 5, the course's run (target detached, the table gets no gradient): \
             test MAE {} (course: {COURSE_JOINT_MAE}), nearest-row test accuracy {}\n",
            ms(&l.test_mae),
            ms(&l.test_accuracy)
        ));
    }
    for s in [&p.course_detached, &p.naive_course, &p.naive_fast] {
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
                    format!("{:.4}", e.test_mae.mean),
                ]
            })
            .collect();
        out.push_str(&format!(
            "\npart 5, {} (table lr × {}), mean over seeds:\n",
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
                "test MAE",
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
