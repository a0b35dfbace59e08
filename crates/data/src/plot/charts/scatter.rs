//! Points coloured by class, with a legend.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::super::{class_color, draw_err, save, Drawable, PlotError};
use crate::plot::Rect;

struct Scatter<'a> {
    title: &'a str,
    points: ArrayView2<'a, f64>,
    labels: &'a [usize],
}

impl Drawable for Scatter<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let r = Rect::around(self.points, 0.03)?;
        area.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(r.x_min..r.x_max, r.y_min..r.y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .draw()
            .map_err(draw_err)?;
        let n_classes = self.labels.iter().max().map_or(0, |m| m + 1);
        for c in 0..n_classes {
            let pts = self
                .points
                .rows()
                .into_iter()
                .zip(self.labels)
                .filter(move |(_, &l)| l == c)
                .map(|(p, _)| Circle::new((p[0], p[1]), 2, class_color(c).filled()));
            chart
                .draw_series(pts)
                .map_err(draw_err)?
                .label(c.to_string())
                .legend(move |(x, y)| Circle::new((x, y), 4, class_color(c).filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}

/// Points (N × 2) coloured by class, with a legend (t-SNE and embedding views).
pub fn scatter_classes<'a>(
    path: &Path,
    title: &'a str,
    points: ArrayView2<'a, f64>,
    labels: &'a [usize],
) -> Result<(), PlotError> {
    if points.nrows() != labels.len() {
        return Err(PlotError::LengthMismatch {
            what: "labels",
            expected: points.nrows(),
            found: labels.len(),
        });
    }
    save(
        path,
        (720, 640),
        &Scatter {
            title,
            points,
            labels,
        },
    )
}
