//! Points coloured by class, with a legend.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{class_color, draw_err, draw_legend, save, Drawable, PlotError, Rect};

/// How a class scatter is drawn: the full-size view (axes, legend) or a
/// small panel of a grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScatterStyle {
    pub title_size: u32,
    pub margin: u32,
    /// Room for tick labels on both axes.
    pub axes: bool,
    /// Dot radius in pixels.
    pub radius: u32,
    /// Opacity of the dots (1 = opaque).
    pub alpha: f64,
    /// One legend entry per class.
    pub legend: bool,
}

impl ScatterStyle {
    /// A figure of its own: axes, a legend, dots of radius 2.
    pub const VIEW: ScatterStyle = ScatterStyle {
        title_size: 18,
        margin: 12,
        axes: true,
        radius: 2,
        alpha: 1.0,
        legend: true,
    };
    /// One small panel of a grid: no axes labels, no legend, dots of radius 1.
    pub const PANEL: ScatterStyle = ScatterStyle {
        title_size: 15,
        margin: 6,
        axes: false,
        radius: 1,
        alpha: 1.0,
        legend: false,
    };
}

/// Draws `points` (N × 2) coloured by `labels` into `area`, over their
/// bounding box: the class scatter of every figure, alone or in a grid.
pub fn draw_class_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    points: ArrayView2<f64>,
    labels: &[usize],
    style: ScatterStyle,
) -> Result<(), PlotError> {
    let r = Rect::around(points, 0.03)?;
    let axes = if style.axes { (32, 44) } else { (0, 0) };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", style.title_size))
        .margin(style.margin)
        .x_label_area_size(axes.0)
        .y_label_area_size(axes.1)
        .build_cartesian_2d(r.x_min..r.x_max, r.y_min..r.y_max)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .draw()
        .map_err(draw_err)?;
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    for c in 0..n_classes {
        let pts = points
            .rows()
            .into_iter()
            .zip(labels)
            .filter(move |(_, &l)| l == c)
            .map(move |(p, _)| {
                let color = class_color(c).mix(style.alpha).filled();
                Circle::new((p[0], p[1]), style.radius, color)
            });
        let series = chart.draw_series(pts).map_err(draw_err)?;
        if style.legend {
            series
                .label(c.to_string())
                .legend(move |(x, y)| Circle::new((x, y), 4, class_color(c).filled()));
        }
    }
    if style.legend {
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

struct Scatter<'a> {
    title: &'a str,
    points: ArrayView2<'a, f64>,
    labels: &'a [usize],
    /// Opacity of the points (1 = opaque).
    alpha: f64,
}

impl Drawable for Scatter<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let style = ScatterStyle {
            alpha: self.alpha,
            ..ScatterStyle::VIEW
        };
        draw_class_scatter(area, self.title, self.points, self.labels, style)
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
