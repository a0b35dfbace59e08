//! Strip charts: one row per category, one dot per value, the mean marked.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{class_color, draw_err, save, Drawable, PlotError};

struct Strips<'a> {
    title: &'a str,
    x_label: &'a str,
    labels: &'a [String],
    values: &'a [Vec<f64>],
    range: (f64, f64),
}

/// A small deterministic vertical offset for the `k`-th dot of a row, so
/// that equal values stay visible side by side.
fn jitter(k: usize) -> f64 {
    let golden = 0.618_033_988_75;
    ((k as f64 * golden).fract() - 0.5) * 0.5
}

impl Drawable for Strips<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let n = self.values.len();
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(260)
            .build_cartesian_2d(self.range.0..self.range.1, 0.0..n as f64)
            .map_err(draw_err)?;
        let labels = self.labels;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .x_desc(self.x_label)
            .y_label_formatter(&|y| super::row_label(labels, *y))
            .draw()
            .map_err(draw_err)?;
        for (i, row) in self.values.iter().enumerate() {
            let y = (n - 1 - i) as f64 + 0.5;
            let color = class_color(0).mix(0.55);
            chart
                .draw_series(
                    row.iter()
                        .enumerate()
                        .map(|(k, &v)| Circle::new((v, y + jitter(k)), 4, color.filled())),
                )
                .map_err(draw_err)?;
            if !row.is_empty() {
                let mean = row.iter().sum::<f64>() / row.len() as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(mean, y - 0.38), (mean, y + 0.38)],
                        class_color(3).stroke_width(3),
                    )))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

/// One row per label (first on top) with a dot per value and a red tick at
/// the row's mean; `range` is the value axis.
pub fn strip_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    labels: &[String],
    values: &[Vec<f64>],
    range: (f64, f64),
) -> Result<(), PlotError> {
    super::check_rows(
        ("strip rows", "strip labels"),
        values.len(),
        labels.len(),
        range,
    )?;
    let height = 90 + 34 * values.len() as u32;
    save(
        path,
        (960, height),
        &Strips {
            title,
            x_label,
            labels,
            values,
            range,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_are_drawn_and_bad_shapes_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("s.svg");
        let labels = vec!["a".to_string(), "b".to_string()];
        strip_chart(
            &p,
            "t",
            "x",
            &labels,
            &[vec![0.0, 1.0, 1.0], vec![]],
            (0.0, 1.0),
        )
        .unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert_eq!(svg.matches("<circle").count(), 3, "one dot per value");
        assert!(matches!(
            strip_chart(&p, "t", "x", &labels, &[vec![1.0]], (0.0, 1.0)),
            Err(PlotError::LengthMismatch { .. })
        ));
        assert!(matches!(
            strip_chart(&p, "t", "x", &labels, &[vec![], vec![]], (1.0, 1.0)),
            Err(PlotError::EmptyRange { .. })
        ));
    }
}
