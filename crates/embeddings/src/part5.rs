//! Part 5: learning the label embedding jointly with the net.
//!
//! Setting (as the original notebook): a table of 3 rows in 2-D drawn from
//! N(0, 5²) with max-norm 1, trained together with a net 4→100→100→2 on the
//! MSE between each prediction and its label's row.
//!
//! - (a) The naive joint MSE has its minimum (loss 0) where all rows and all
//!   predictions coincide. At the course's speed (SGD lr 0.01 for net and
//!   table) the rows drift together slowly; when the table learns as fast as
//!   the net (table lr 1.0, a third of the way to its class's mean prediction
//!   per epoch) the spread falls by ~95 % within 1,000 epochs, the loss to
//!   ~1e-4, and the closest rows merge.
//! - (b) The freeze: the first lookup rescales the N(0, 25) rows (norm ≈ 7) to
//!   norm 1, a change of ≈ 12 in one step; afterwards the gradient reaching
//!   the table is the class residual times lr/3 ≈ 0.003 per epoch, shrinking
//!   as the net fits. A table cut off from the gradient (a detached lookup, or
//!   an optimiser without the table) shows the same first step and then
//!   exactly nothing.
//! - (c) Remedies, each run with the fast table: a margin between rows, unit-
//!   length rows, and a nearest-row classification term. One is chosen by a
//!   rule on the training flowers only.

use serde::Serialize;

use crate::iris::IrisBatch;
use crate::joint::{train, JointLog, JointRun, JointSpec, Objective, INIT_STD, MAX_NORM};
use crate::params::TrainSpec;
use crate::stats::OverSeeds;
use crate::EmbeddingsError;

/// The table learns this many times faster than the net in the "fast" runs.
pub const FAST_TABLE: f64 = 100.0;
/// Epochs at which the per-epoch numbers are recorded.
pub const LOG_EPOCHS: [usize; 12] = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/// The remedies of 5(c), in the order they are measured.
pub fn remedies() -> Vec<Objective> {
    vec![
        Objective::Margin {
            margin: 1.0,
            weight: 1.0,
        },
        Objective::UnitNorm,
        Objective::Prototype { weight: 0.1 },
    ]
}

/// Mean ± std over seeds of one logged epoch.
#[derive(Debug, Clone, Serialize)]
pub struct EpochStats {
    pub epoch: usize,
    pub loss: OverSeeds,
    pub spread: OverSeeds,
    pub min_distance: OverSeeds,
    pub train_accuracy: OverSeeds,
    pub test_accuracy: OverSeeds,
}

/// One joint run over all seeds.
#[derive(Debug, Clone, Serialize)]
pub struct JointSummary {
    pub name: String,
    pub spec: JointSpec,
    pub epochs: Vec<EpochStats>,
    pub runs: Vec<JointRun>,
}

impl JointSummary {
    fn new(name: &str, spec: JointSpec, runs: Vec<JointRun>) -> Result<Self, EmbeddingsError> {
        let n_logs = runs.first().map_or(0, |r| r.logs.len());
        let mut epochs = Vec::new();
        for i in 0..n_logs {
            let of = |f: fn(&JointLog) -> f64| {
                OverSeeds::new(runs.iter().map(|r| f(&r.logs[i])).collect())
                    .ok_or(EmbeddingsError::ZeroEpochs)
            };
            epochs.push(EpochStats {
                epoch: runs[0].logs[i].epoch,
                loss: of(|l| l.loss)?,
                spread: of(|l| l.spread)?,
                min_distance: of(|l| l.min_distance)?,
                train_accuracy: of(|l| l.train_accuracy)?,
                test_accuracy: of(|l| l.test_accuracy)?,
            });
        }
        Ok(JointSummary {
            name: name.to_string(),
            spec,
            epochs,
            runs,
        })
    }

    /// The numbers after the last epoch.
    pub fn last(&self) -> Result<&EpochStats, EmbeddingsError> {
        self.epochs.last().ok_or(EmbeddingsError::ZeroEpochs)
    }
}

/// 5(b): how much the table changes in the first epoch and afterwards.
#[derive(Debug, Clone, Serialize)]
pub struct FreezeReport {
    /// Norm of the initial rows (mean over rows), per seed.
    pub initial_row_norm: OverSeeds,
    /// ‖ΔE‖ in epoch 1 (the max-norm rescaling plus the first step).
    pub first_epoch_change: OverSeeds,
    /// Σ‖ΔE‖ over epochs 2…E with the gradient reaching the table.
    pub later_change: OverSeeds,
    /// The same with the table cut off from the gradient (default seed).
    pub later_change_detached: f64,
    /// ‖∂loss/∂E‖ at epochs 1, 10, 100 and the last, with the gradient.
    pub grad_norm: Vec<(usize, OverSeeds)>,
    /// The default seed's table after epochs 0, 1, 2, 10 and the last
    /// (gradient reaching the table), and the last with it cut off.
    pub tables: Vec<(String, Vec<[f64; 2]>)>,
}

/// Everything part 5 measures.
#[derive(Debug, Clone, Serialize)]
pub struct Part5Report {
    pub init_std: f64,
    pub max_norm: f64,
    pub fast_table_lr_scale: f64,
    /// 5(a) at the course's speed and with the fast table.
    pub naive_course: JointSummary,
    pub naive_fast: JointSummary,
    pub freeze: FreezeReport,
    /// 5(c), each with the fast table.
    pub remedies: Vec<JointSummary>,
    pub chosen: String,
    pub choice_rule: &'static str,
}

fn spec(train: TrainSpec, objective: Objective, table_lr_scale: f64, trace: bool) -> JointSpec {
    JointSpec {
        train,
        objective,
        table_lr_scale,
        detach_table: false,
        log_epochs: LOG_EPOCHS.to_vec(),
        trace_steps: trace,
    }
}

fn freeze_report(wired: &[JointRun], detached: &[JointRun]) -> Result<FreezeReport, EmbeddingsError> {
    let none = || EmbeddingsError::ZeroEpochs;
    let sum_later = |r: &JointRun| r.steps.iter().skip(1).map(|s| s.renorm + s.step).sum::<f64>();
    let mut first = Vec::new();
    let mut init_norm = Vec::new();
    for r in wired {
        let s = r.steps.first().ok_or_else(none)?;
        first.push(s.renorm + s.step);
        let (_, t) = r.trajectory.first().ok_or_else(none)?;
        init_norm.push(t.iter().map(|p| p[0].hypot(p[1])).sum::<f64>() / t.len().max(1) as f64);
    }
    let w = wired.first().ok_or_else(none)?;
    let d = detached.first().ok_or_else(none)?;
    let e = w.steps.len();
    let mut grad_norm = Vec::new();
    for ep in [1, 10, 100, e] {
        if (1..=e).contains(&ep) && !grad_norm.iter().any(|(k, _)| *k == ep) {
            let v = OverSeeds::of(wired, |r| r.steps[ep - 1].grad).ok_or_else(none)?;
            grad_norm.push((ep, v));
        }
    }
    let mut tables = Vec::new();
    for ep in [0, 1, 2, 10, e] {
        if let Some((_, t)) = w.trajectory.iter().find(|(k, _)| *k == ep) {
            tables.push((format!("epoch {ep}"), t.clone()));
        }
    }
    let (_, last) = d.trajectory.last().ok_or_else(none)?;
    tables.push((format!("epoch {e}, detached"), last.clone()));
    Ok(FreezeReport {
        initial_row_norm: OverSeeds::new(init_norm).ok_or_else(none)?,
        first_epoch_change: OverSeeds::new(first).ok_or_else(none)?,
        later_change: OverSeeds::of(wired, sum_later).ok_or_else(none)?,
        later_change_detached: sum_later(d),
        grad_norm,
        tables,
    })
}

/// The rule of 5(c), on training flowers only: the highest mean training
/// accuracy of the nearest row; ties within 0.005 go to the larger mean
/// smallest distance between rows.
pub const CHOICE_RULE: &str = "highest mean training nearest-row accuracy at the last epoch; \
     within 0.005 of it, the largest mean smallest distance between rows";

pub fn choose(remedies: &[JointSummary]) -> Result<String, EmbeddingsError> {
    let mut scored = Vec::new();
    for r in remedies {
        let l = r.last()?;
        scored.push((r.name.clone(), l.train_accuracy.mean, l.min_distance.mean));
    }
    let best_acc = scored.iter().map(|s| s.1).fold(f64::NEG_INFINITY, f64::max);
    scored
        .into_iter()
        .filter(|s| s.1 >= best_acc - 0.005)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|s| s.0)
        .ok_or(EmbeddingsError::ZeroEpochs)
}

/// Runs 5(a), (b) and (c) on every seed of `data`.
///
/// The run with the table cut off from the gradient (5(b)) uses the default
/// seed only: it is the same as the naive run up to epoch 1, and after it the
/// table provably stays put.
pub fn run(data: &IrisBatch, course: &TrainSpec) -> Result<Part5Report, EmbeddingsError> {
    let naive = train(data, &spec(*course, Objective::Mse, 1.0, true))?;
    let mut cut = spec(*course, Objective::Mse, 1.0, true);
    cut.detach_table = true;
    let detached = train(&data.first_seed()?, &cut)?;
    let freeze = freeze_report(&naive, &detached)?;
    let fast = spec(*course, Objective::Mse, FAST_TABLE, false);
    let naive_fast = JointSummary::new("naive, fast table", fast.clone(), train(data, &fast)?)?;
    let mut remedy_runs = Vec::new();
    for objective in remedies() {
        let s = spec(*course, objective, FAST_TABLE, false);
        let runs = train(data, &s)?;
        remedy_runs.push(JointSummary::new(objective.name(), s, runs)?);
    }
    let chosen = choose(&remedy_runs)?;
    Ok(Part5Report {
        init_std: INIT_STD,
        max_norm: MAX_NORM,
        fast_table_lr_scale: FAST_TABLE,
        naive_course: JointSummary::new(
            "naive, course speed",
            spec(*course, Objective::Mse, 1.0, true),
            naive,
        )?,
        naive_fast,
        freeze,
        remedies: remedy_runs,
        chosen,
        choice_rule: CHOICE_RULE,
    })
}

/// The printed part 5: the naive runs epoch by epoch, the freeze, the remedies.
pub fn epoch_table(p: &Part5Report) -> String {
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
            &["epoch", "loss", "spread", "closest rows", "train acc", "test acc"],
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
    let rows: Vec<Vec<String>> = p
        .remedies
        .iter()
        .filter_map(|s| s.last().ok().map(|l| (s, l)))
        .map(|(s, l)| {
            vec![
                s.name.clone(),
                format!("{:.4} ± {:.4}", l.spread.mean, l.spread.std),
                format!("{:.4}", l.min_distance.mean),
                format!("{:.3}", l.train_accuracy.mean),
                format!("{:.3} ± {:.3}", l.test_accuracy.mean, l.test_accuracy.std),
            ]
        })
        .collect();
    out.push_str("\npart 5(c), remedies with the fast table, last epoch:\n");
    out.push_str(&labkit::table(
        &["remedy", "spread", "closest rows", "train acc", "test acc"],
        &rows,
    ));
    out.push_str(&format!("chosen: {} ({})\n", p.chosen, p.choice_rule));
    out
}
