//! Line plots: loss or accuracy curves over a shared x axis.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{class_color, draw_err, draw_legend, save, Drawable, PlotError};

/// One named curve of a line plot.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
        }
    }
    /// y values at x = 0, 1, 2, …
    pub fn from_values(name: impl Into<String>, ys: &[f64]) -> Self {
        Series::new(
            name,
            ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
        )
    }
}

struct Lines<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [Series],
    points: &'a [(f64, f64)],
    log_y: bool,
}

impl Drawable for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let pts = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter())
                .chain(self.points)
                .filter(|p| p.0.is_finite() && p.1.is_finite())
        };
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in pts() {
            if self.log_y && y <= 0.0 {
                continue;
            }
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if x0 > x1 {
            return Err(PlotError::NoFinitePoints);
        }
        if x1 <= x0 {
            x1 = x0 + 1.0;
        }
        if y1 <= y0 {
            y1 = y0 + y0.abs().max(1e-6);
        }
        area.fill(&WHITE).map_err(draw_err)?;
        let mut b = ChartBuilder::on(area);
        b.caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60);
        let color = |i: usize| class_color(i).stroke_width(2);
        macro_rules! body {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(self.x_label)
                    .y_desc(self.y_label)
                    .y_label_formatter(&|v: &f64| tick_label(*v))
                    .draw()
                    .map_err(draw_err)?;
                for (i, s) in self.series.iter().enumerate() {
                    let keep = s
                        .points
                        .iter()
                        .copied()
                        .filter(|p| p.1.is_finite() && (!self.log_y || p.1 > 0.0));
                    chart
                        .draw_series(LineSeries::new(keep, color(i)))
                        .map_err(draw_err)?
                        .label(s.name.clone())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color(i))
                        });
                }
                if !self.points.is_empty() {
                    let dots = self
                        .points
                        .iter()
                        .copied()
                        .filter(|p| p.1.is_finite() && (!self.log_y || p.1 > 0.0));
                    chart
                        .draw_series(dots.map(|p| Circle::new(p, 4, BLACK.filled())))
                        .map_err(draw_err)?
                        .label("data")
                        .legend(|(x, y)| Circle::new((x, y), 4, BLACK.filled()));
                }
                draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
            }};
        }
        // plotters labels a log axis only at powers of ten: over less than a
        // decade there would be no tick labels, so such a plot stays linear.
        if self.log_y && y1 / y0 >= 10.0 {
            body!(b
                .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
                .map_err(draw_err)?);
        } else {
            let pad = (y1 - y0) * 0.05;
            body!(b
                .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
                .map_err(draw_err)?);
        }
        Ok(())
    }
}

/// Curves over a shared x axis (loss or accuracy against iteration / epoch).
/// `log_y` asks for a log y axis; it is used when the values span at least a
/// factor of 10 (otherwise a log axis would show no tick labels).
pub fn line_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    log_y: bool,
) -> Result<(), PlotError> {
    save(
        path,
        (760, 480),
        &Lines {
            title,
            x_label,
            y_label,
            series,
            points: &[],
            log_y,
        },
    )
}

/// Data points (black dots) with curves over them, e.g. a fitted line.
pub fn points_and_lines(
    path: &Path,
    title: &str,
    labels: (&str, &str),
    points: &[(f64, f64)],
    series: &[Series],
) -> Result<(), PlotError> {
    let (x_label, y_label) = labels;
    save(
        path,
        (760, 480),
        &Lines {
            title,
            x_label,
            y_label,
            series,
            points,
            log_y: false,
        },
    )
}

/// A tick label with at most three significant digits: `0.7`, `0.012`,
/// `250`, `1.5e-5` (a log axis otherwise prints values such as
/// 0.7000000000000001 in full).
pub(crate) fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let digits = (2 - a.log10().floor() as i32).max(0) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::tick_label;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.7000000000000001), "0.7");
        assert_eq!(tick_label(0.0123456), "0.0123");
        assert_eq!(tick_label(250.0), "250");
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(0.00001234), "1.2e-5");
        assert_eq!(tick_label(0.0), "0");
    }
}
