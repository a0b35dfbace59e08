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
    /// Opacity of the points (1 = opaque).
    alpha: f64,
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
                .map(move |(p, _)| {
                    Circle::new((p[0], p[1]), 2, class_color(c).mix(self.alpha).filled())
                });
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
            alpha: 1.0,
        },
    )
}

/// Several class scatters side by side, each with its title, at opacity
/// `alpha` (the course draws its t-SNE maps of pixels and codes this way,
/// alpha 0.1).
struct Panels<'a> {
    panels: Vec<Scatter<'a>>,
}

impl Drawable for Panels<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let cells = area.split_evenly((1, self.panels.len().max(1)));
        for (p, cell) in self.panels.iter().zip(&cells) {
            p.draw(cell)?;
        }
        Ok(())
    }
}

/// Class scatters (each N × 2 with its labels and title) side by side in one
/// figure, points drawn with opacity `alpha` in (0, 1].
pub fn scatter_side_by_side<'a>(
    path: &Path,
    panels: &[(&'a str, ArrayView2<'a, f64>, &'a [usize])],
    alpha: f64,
) -> Result<(), PlotError> {
    if panels.is_empty() {
        return Err(PlotError::NoFrames);
    }
    for (_, p, l) in panels {
        if p.nrows() != l.len() {
            return Err(PlotError::LengthMismatch {
                what: "labels",
                expected: p.nrows(),
                found: l.len(),
            });
        }
    }
    let alpha = if alpha.is_finite() {
        alpha.clamp(0.01, 1.0)
    } else {
        1.0
    };
    let n = panels.len() as u32;
    save(
        path,
        (640 * n, 620),
        &Panels {
            panels: panels
                .iter()
                .map(|(title, points, labels)| Scatter {
                    title,
                    points: *points,
                    labels,
                    alpha,
                })
                .collect(),
        },
    )
}
