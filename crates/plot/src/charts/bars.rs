//! Horizontal bar charts.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{class_color, draw_err, save, Drawable, PlotError};

struct Bars<'a> {
    title: &'a str,
    labels: &'a [String],
    values: &'a [f64],
    range: (f64, f64),
}

impl Drawable for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let n = self.values.len();
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(230)
            .build_cartesian_2d(self.range.0..self.range.1, 0.0..n as f64)
            .map_err(draw_err)?;
        let labels = self.labels;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| super::row_label(labels, *y))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(self.values.iter().enumerate().map(|(i, &v)| {
                let row = (n - 1 - i) as f64;
                Rectangle::new(
                    [
                        (self.range.0, row + 0.15),
                        (v.max(self.range.0), row + 0.85),
                    ],
                    class_color(0).filled(),
                )
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(self.values.iter().enumerate().map(|(i, &v)| {
                let row = (n - 1 - i) as f64;
                Text::new(
                    format!("{v:.4}"),
                    (v.max(self.range.0), row + 0.7),
                    ("sans-serif", 13),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    }
}

/// Horizontal bars, first label on top; `range` is the value axis.
pub fn bar_chart(
    path: &Path,
    title: &str,
    labels: &[String],
    values: &[f64],
    range: (f64, f64),
) -> Result<(), PlotError> {
    super::check_rows(
        ("bar values", "bar labels"),
        values.len(),
        labels.len(),
        range,
    )?;
    let height = 80 + 34 * values.len() as u32;
    save(
        path,
        (900, height),
        &Bars {
            title,
            labels,
            values,
            range,
        },
    )
}
