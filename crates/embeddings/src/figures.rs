//! The lab's figures, one function per plot, built on [`crate::plots::Canvas`]
//! and the shared `plot` charts.

use std::path::Path;

use plot::{class_color, lighten, line_plot, PlotError, Series};
use plotters::style::{RGBColor, BLACK};

use crate::iris::SPECIES;
use crate::parts::gaussian::GaussianRun;
use crate::parts::joint::JointSummary;
use crate::parts::joint_loop::JointRun;
use crate::parts::regression::RegressionRun;
use crate::parts::table::TableRun;
use crate::plots::{Canvas, Marker};

const GREY: RGBColor = RGBColor(150, 150, 150);

/// The three label points as large crosses named by species.
fn label_points(c: &mut Canvas, table: &[Vec<f64>]) {
    for (k, (row, name)) in table.iter().zip(SPECIES).enumerate() {
        if let [x, y] = row.as_slice() {
            c.markers.push(
                Marker::dot((*x, *y), 12, class_color(k))
                    .cross()
                    .labelled(name),
            );
        }
    }
}

fn species_legend(c: &mut Canvas) {
    for (k, name) in SPECIES.iter().enumerate() {
        c.legend(*name, class_color(k), true);
    }
}

/// Part 1: each entry before (hollow) and after (filled) the step, with its index.
pub fn table(path: &Path, run: &TableRun) -> Result<(), PlotError> {
    let mut c = Canvas::new(format!(
        "embedding table 10 × 2, padding index {}: before and after one SGD step",
        run.padding_idx
    ));
    for (i, (b, a)) in run.before.iter().zip(&run.after).enumerate() {
        let (b, a) = ((b[0], b[1]), (a[0], a[1]));
        let pad = i as i64 == run.padding_idx;
        let color = if pad { BLACK } else { class_color(i) };
        if b != a {
            c.paths.push((vec![b, a], lighten(color, 0.5)));
        }
        c.markers.push(Marker::dot(b, 7, color).hollow());
        let text = if pad {
            format!("{i} (padding)")
        } else {
            i.to_string()
        };
        c.markers.push(Marker::dot(a, 5, color).labelled(text));
    }
    c.legend("before the step", GREY, false);
    c.legend("after the step", GREY, true);
    c.save(path)
}

/// Part 3: test predictions coloured by true species, label points as crosses.
pub fn regression(path: &Path, run: &RegressionRun, labels: &[usize]) -> Result<(), PlotError> {
    let mut c = Canvas::new(format!(
        "MSE regression onto label points (seed {}): test MAE {:.3}, nearest-point accuracy {:.3}",
        run.seed, run.mae, run.nearest_accuracy
    ));
    for (p, &y) in run.predictions.iter().zip(labels) {
        c.markers.push(Marker::dot((p[0], p[1]), 3, class_color(y)));
    }
    label_points(&mut c, &run.label_embedding);
    species_legend(&mut c);
    c.save(path)
}

/// Part 4: predicted means sized by the predicted variance; misclassified
/// flowers hollow.
pub fn gaussian(path: &Path, run: &GaussianRun, labels: &[usize]) -> Result<(), PlotError> {
    let mut c = Canvas::new(format!(
        "Gaussian regression (seed {}): test MAE {:.3}; radius ∝ predicted std",
        run.seed, run.mae
    ));
    let max_sd = run
        .variances
        .iter()
        .map(|v| v.sqrt())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    for ((p, &y), (&v, &ok)) in run
        .predictions
        .iter()
        .zip(labels)
        .zip(run.variances.iter().zip(&run.correct))
    {
        let r = 2.0 + 16.0 * v.sqrt() / max_sd;
        let m = Marker::dot((p[0], p[1]), r.round() as u32, class_color(y));
        c.markers.push(if ok { m } else { m.hollow() });
    }
    label_points(&mut c, &run.label_embedding);
    species_legend(&mut c);
    c.legend("misclassified (hollow)", GREY, false);
    c.save(path)
}

/// Part 4, as the course plots it: the predicted variance of the first
/// coordinate against that of the second, one dot per test flower.
pub fn variances(path: &Path, run: &GaussianRun, labels: &[usize]) -> Result<(), PlotError> {
    let mut c = Canvas::new(format!(
        "predicted variances var_0 vs var_1 of the test flowers (seed {})",
        run.seed
    ));
    c.x_label = "var_0 (predicted variance, first coordinate)".into();
    c.y_label = "var_1 (predicted variance, second coordinate)".into();
    for ((v, &y), &ok) in run.variances_xy.iter().zip(labels).zip(&run.correct) {
        if let [v0, v1] = v.as_slice() {
            let m = Marker::dot((*v0, *v1), 4, class_color(y));
            c.markers.push(if ok { m } else { m.hollow() });
        }
    }
    species_legend(&mut c);
    c.legend("misclassified (hollow)", GREY, false);
    c.save(path)
}

/// Part 5: the three rows' paths from their first position (after the
/// max-norm rescaling) to the last, over the final test predictions.
pub fn trajectory(
    path: &Path,
    title: &str,
    run: &JointRun,
    labels: &[usize],
) -> Result<(), PlotError> {
    let mut c = Canvas::new(title);
    for (p, &y) in run.predictions.iter().zip(labels) {
        c.markers
            .push(Marker::dot((p[0], p[1]), 2, lighten(class_color(y), 0.45)));
    }
    // skip the initial N(0, 25) draws: the first lookup rescales them to norm 1
    let path_of = |k: usize| -> Vec<(f64, f64)> {
        run.trajectory
            .iter()
            .skip(1)
            .map(|(_, t)| (t[k][0], t[k][1]))
            .collect()
    };
    for (k, name) in SPECIES.iter().enumerate() {
        let pts = path_of(k);
        if let (Some(&a), Some(&b)) = (pts.first(), pts.last()) {
            c.paths.push((pts.clone(), class_color(k)));
            c.markers.push(Marker::dot(a, 7, class_color(k)).hollow());
            c.markers
                .push(Marker::dot(b, 7, class_color(k)).cross().labelled(*name));
        }
    }
    species_legend(&mut c);
    c.legend("row after epoch 1 (hollow); cross: last epoch", GREY, false);
    c.save(path)
}

/// Part 5: a per-epoch quantity (mean over seeds) of several joint runs,
/// against log10(epoch).
pub fn curves(
    path: &Path,
    title: &str,
    y_label: &str,
    runs: &[&JointSummary],
    value: fn(&crate::parts::joint::EpochStats) -> f64,
) -> Result<(), PlotError> {
    let series: Vec<Series> = runs
        .iter()
        .map(|r| {
            let pts = r
                .epochs
                .iter()
                .map(|e| ((e.epoch as f64).log10(), value(e)))
                .collect();
            Series::new(r.name.clone(), pts)
        })
        .collect();
    line_plot(path, title, "log10(epoch)", y_label, &series, false)
}
