//! The hybrid sweep's figure: a 3 × 3 grid of the 8 embeddings of the
//! training images (one per t-SNE weight) and the train/test accuracy
//! against the weight (log x axis, y on [0, 1] as in the course).

use std::path::Path;

use ndarray::Array2;
use plot::{
    class_color, draw_class_scatter, draw_err, draw_legend, save, Drawable, PlotError, ScatterStyle,
};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One panel: an embedding of points coloured by class.
#[derive(Debug, Clone)]
pub struct Panel {
    pub title: String,
    pub points: Array2<f64>,
    pub labels: Vec<usize>,
}

/// The sweep's figure data.
#[derive(Debug, Clone)]
pub struct SweepFigure {
    pub panels: Vec<Panel>,
    /// (weight, train accuracy, test accuracy).
    pub accuracy: Vec<(f64, f64, f64)>,
}

fn draw_panel<DB: DrawingBackend>(
    p: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    draw_class_scatter(
        area,
        &p.title,
        p.points.view(),
        &p.labels,
        ScatterStyle::PANEL,
    )
}

/// Weights on a log axis: w = 0 is drawn at 1 (the axis has no 0).
fn log_x(w: f64) -> f64 {
    w.max(1.0)
}

impl SweepFigure {
    fn draw_accuracy<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), PlotError> {
        let hi = self.accuracy.iter().map(|a| log_x(a.0)).fold(1.0, f64::max) * 1.5;
        // y on [0, 1], as the course draws it: accuracy "stays high"
        let mut chart = ChartBuilder::on(area)
            .caption("accuracy vs t-SNE weight (0 at 1)", ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d((0.7..hi).log_scale(), 0.0..1.0)
            .map_err(draw_err)?;
        chart.configure_mesh().draw().map_err(draw_err)?;
        for (name, col, pick) in [("train", 0usize, 1usize), ("test", 3, 2)] {
            let color = class_color(col);
            let pts: Vec<(f64, f64)> = self
                .accuracy
                .iter()
                .map(|a| (log_x(a.0), if pick == 1 { a.1 } else { a.2 }))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .map_err(draw_err)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}

impl Drawable for SweepFigure {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let cells = area.split_evenly((3, 3));
        for (p, cell) in self.panels.iter().zip(&cells).take(8) {
            draw_panel(p, cell)?;
        }
        if let Some(last) = cells.get(8) {
            self.draw_accuracy(last)?;
        }
        Ok(())
    }
}

/// Saves the sweep figure (PNG or SVG by the file name).
pub fn save_sweep(path: &Path, fig: &SweepFigure) -> Result<(), PlotError> {
    save(path, (1200, 1200), fig)
}
