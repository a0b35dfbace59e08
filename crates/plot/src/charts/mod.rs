//! Scatter by class, line plots, image grids, bar and strip charts, one file each.

mod bars;
mod images;
mod lines;
mod scatter;
mod strips;

use crate::PlotError;

pub use bars::bar_chart;
pub use images::{image_grid, ImageMap};
pub use lines::{line_plot, points_and_lines, Series};
pub use scatter::{draw_class_scatter, scatter_classes, scatter_side_by_side, ScatterStyle};
pub use strips::strip_chart;

/// The label of row `y` of a chart with one row per label (first label on
/// top, rows centred on k + 0.5); empty between rows.
fn row_label(labels: &[String], y: f64) -> String {
    let n = labels.len();
    let i = (y - 0.5).round();
    if i >= 0.0 && (i as usize) < n && (y - 0.5 - i).abs() < 1e-6 {
        labels[n - 1 - i as usize].clone()
    } else {
        String::new()
    }
}

/// Checks the inputs of a chart with one row per label: at least one row,
/// a label for each, and a value axis `range` with `range.1 > range.0`.
fn check_rows(
    what: (&'static str, &'static str),
    rows: usize,
    labels: usize,
    range: (f64, f64),
) -> Result<(), PlotError> {
    if rows == 0 {
        return Err(PlotError::LengthMismatch {
            what: what.0,
            expected: 1,
            found: 0,
        });
    }
    if labels != rows {
        return Err(PlotError::LengthMismatch {
            what: what.1,
            expected: rows,
            found: labels,
        });
    }
    if range.1.partial_cmp(&range.0) != Some(std::cmp::Ordering::Greater) {
        return Err(PlotError::EmptyRange {
            lo: range.0,
            hi: range.1,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_write_files_and_reject_bad_input() {
        let d = std::env::temp_dir().join(format!("dl-labs-charts-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let pts = ndarray::arr2(&[[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]);
        scatter_classes(&d.join("s.png"), "s", pts.view(), &[0, 1, 2]).unwrap();
        assert!(scatter_classes(&d.join("s.png"), "s", pts.view(), &[0]).is_err());
        let labels = [0usize, 1, 2];
        scatter_side_by_side(
            &d.join("two.png"),
            &[("a", pts.view(), &labels), ("b", pts.view(), &labels)],
            0.1,
        )
        .unwrap();
        assert!(std::fs::metadata(d.join("two.png")).unwrap().len() > 1000);
        assert!(scatter_side_by_side(&d.join("x.png"), &[("a", pts.view(), &[0])], 1.0).is_err());
        assert!(scatter_side_by_side(&d.join("x.png"), &[], 1.0).is_err());
        let s = [
            Series::from_values("loss", &[1.0, 0.5, 0.25]),
            Series::from_values("b", &[0.9, 0.8, 0.1]),
        ];
        line_plot(&d.join("l.png"), "loss", "iteration", "loss", &s, true).unwrap();
        line_plot(&d.join("l.svg"), "loss", "iteration", "loss", &s, false).unwrap();
        points_and_lines(
            &d.join("p.png"),
            "fit",
            ("x", "y"),
            &[(0.0, 1.0), (1.0, 3.0)],
            &s[..1],
        )
        .unwrap();
        let imgs = vec![vec![0.5f32; 28 * 28], vec![-0.1f32; 28 * 28]];
        image_grid(
            &d.join("g.png"),
            "w",
            &imgs,
            (28, 28),
            &["a".into(), "b".into()],
            2,
            ImageMap::Diverging,
        )
        .unwrap();
        assert!(image_grid(
            &d.join("g.png"),
            "w",
            &imgs,
            (10, 10),
            &[],
            2,
            ImageMap::Gray
        )
        .is_err());
        bar_chart(
            &d.join("b.png"),
            "acc",
            &["a".into(), "b".into()],
            &[0.9, 0.95],
            (0.8, 1.0),
        )
        .unwrap();
        assert!(bar_chart(
            &d.join("b.png"),
            "acc",
            &["a".into()],
            &[0.9, 0.95],
            (0.8, 1.0)
        )
        .is_err());
        for f in ["s.png", "l.png", "l.svg", "g.png", "p.png", "b.png"] {
            assert!(
                std::fs::metadata(d.join(f)).unwrap().len() > 100,
                "{f} written"
            );
        }
        std::fs::remove_dir_all(&d).unwrap();
    }
}
