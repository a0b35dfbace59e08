//! Scatter by class, line plots and image grids.

use std::path::Path;

use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{class_color, diverging, draw_err, gray, save, Drawable, PlotError};
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
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.8))
                    .border_style(BLACK)
                    .draw()
                    .map_err(draw_err)?;
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

/// How image values become colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMap {
    /// Values in [0, 1] as ink: 0 white, 1 black (digits).
    Gray,
    /// Signed values, blue < 0 < red, symmetric per image (weight maps).
    Diverging,
}

struct Grid<'a> {
    title: &'a str,
    images: &'a [Vec<f32>],
    shape: (usize, usize),
    captions: &'a [String],
    ncols: usize,
    map: ImageMap,
}

const CELL: u32 = 84; // 3 px per pixel of a 28 × 28 image
const CAPTION: u32 = 18;

impl Drawable for Grid<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        area.fill(&WHITE).map_err(draw_err)?;
        let area = area
            .titled(self.title, ("sans-serif", 18))
            .map_err(draw_err)?;
        let (rows, cols) = self.shape;
        let nrows = self.images.len().div_ceil(self.ncols);
        let panels = area.split_evenly((nrows, self.ncols));
        for (k, img) in self.images.iter().enumerate() {
            let panel = &panels[k];
            let (pw, _) = panel.dim_in_pixel();
            let px = ((pw.min(CELL) as usize) / cols.max(rows)).max(1) as i32;
            let x_off = (pw as i32 - px * cols as i32) / 2;
            let scale = match self.map {
                ImageMap::Gray => 1.0,
                ImageMap::Diverging => img.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12),
            };
            for r in 0..rows {
                for c in 0..cols {
                    let v = f64::from(img[r * cols + c]);
                    let color = match self.map {
                        ImageMap::Gray => gray(v),
                        ImageMap::Diverging => diverging(0.5 + v / (2.0 * f64::from(scale))),
                    };
                    let (x, y) = (x_off + c as i32 * px, r as i32 * px);
                    panel
                        .draw(&Rectangle::new([(x, y), (x + px, y + px)], color.filled()))
                        .map_err(draw_err)?;
                }
            }
            if let Some(cap) = self.captions.get(k) {
                let y = rows as i32 * px + 2;
                panel
                    .draw(&Text::new(cap.clone(), (x_off, y), ("sans-serif", 13)))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}

/// Images (each `rows·cols` values, row-major) in a grid of `ncols` columns,
/// with an optional caption under each.
pub fn image_grid(
    path: &Path,
    title: &str,
    images: &[Vec<f32>],
    shape: (usize, usize),
    captions: &[String],
    ncols: usize,
    map: ImageMap,
) -> Result<(), PlotError> {
    if images.is_empty() || ncols == 0 {
        return Err(PlotError::NoImages);
    }
    if let Some((i, img)) = images
        .iter()
        .enumerate()
        .find(|(_, im)| im.len() != shape.0 * shape.1)
    {
        return Err(PlotError::ImageSize {
            index: i,
            len: img.len(),
            rows: shape.0,
            cols: shape.1,
        });
    }
    let ncols = ncols.min(images.len());
    let nrows = images.len().div_ceil(ncols) as u32;
    let size = (ncols as u32 * (CELL + 8), 40 + nrows * (CELL + CAPTION + 8));
    save(
        path,
        size,
        &Grid {
            title,
            images,
            shape,
            captions,
            ncols,
            map,
        },
    )
}

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
            .y_label_formatter(&|y| {
                let i = (*y - 0.5).round();
                if i >= 0.0 && (i as usize) < labels.len() && (y - 0.5 - i).abs() < 1e-6 {
                    labels[n - 1 - i as usize].clone()
                } else {
                    String::new()
                }
            })
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
    if values.is_empty() {
        return Err(PlotError::LengthMismatch {
            what: "bar values",
            expected: 1,
            found: 0,
        });
    }
    if labels.len() != values.len() {
        return Err(PlotError::LengthMismatch {
            what: "bar labels",
            expected: values.len(),
            found: labels.len(),
        });
    }
    if range.1.partial_cmp(&range.0) != Some(std::cmp::Ordering::Greater) {
        return Err(PlotError::EmptyRange {
            lo: range.0,
            hi: range.1,
        });
    }
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
