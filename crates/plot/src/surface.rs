//! Decision surfaces with the data drawn on top (`graph_surface` + `graph_data`).

use std::path::Path;

use ndarray::{Array1, Array2, ArrayView2};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{class_color, diverging, draw_err, ensure_font, Drawable, PlotError};

/// An axis-aligned rectangle of the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

impl Rect {
    /// The bounding box of the rows of `x` (N × 2), grown by `margin` times
    /// its size on every side (the data then sits well inside the plot).
    pub fn around(x: ArrayView2<f64>, margin: f64) -> Result<Rect, PlotError> {
        if x.ncols() != 2 || x.nrows() == 0 {
            return Err(PlotError::PointsShape {
                rows: x.nrows(),
                cols: x.ncols(),
            });
        }
        let r = Rect::bounding(x.rows().into_iter().map(|p| (p[0], p[1])))?;
        Ok(r.padded(margin, 1e-9 * margin))
    }

    /// The smallest rectangle holding every point: an error for a point that
    /// is NaN or infinite, and for no points at all.
    pub fn bounding(points: impl IntoIterator<Item = (f64, f64)>) -> Result<Rect, PlotError> {
        let mut r = Rect {
            x_min: f64::MAX,
            x_max: f64::MIN,
            y_min: f64::MAX,
            y_max: f64::MIN,
        };
        let mut finite = true;
        for (x, y) in points {
            finite &= x.is_finite() && y.is_finite();
            r.x_min = r.x_min.min(x);
            r.x_max = r.x_max.max(x);
            r.y_min = r.y_min.min(y);
            r.y_max = r.y_max.max(y);
        }
        if !finite {
            return Err(PlotError::NonFinitePoints);
        }
        if r.x_min > r.x_max {
            return Err(PlotError::EmptyFigure);
        }
        Ok(r)
    }

    /// Grown on every side by `fraction` of its size along that axis, and by
    /// at least `min_pad` (so that a flat box still has an extent).
    pub fn padded(self, fraction: f64, min_pad: f64) -> Rect {
        let dx = ((self.x_max - self.x_min) * fraction).max(min_pad);
        let dy = ((self.y_max - self.y_min) * fraction).max(min_pad);
        Rect {
            x_min: self.x_min - dx,
            x_max: self.x_max + dx,
            y_min: self.y_min - dy,
            y_max: self.y_max + dy,
        }
    }
}

/// A decision function sampled on a grid over a rectangle.
#[derive(Debug, Clone)]
pub struct Surface {
    pub rect: Rect,
    /// `values[[row, col]]`: row 0 is the bottom edge (y_min), col 0 the left one.
    pub values: Array2<f64>,
    /// The level drawn as the decision boundary.
    pub offset: f64,
    /// Values are class indices: colour each cell by its class and draw the
    /// boundary wherever the class changes (multi-class decision regions).
    pub classes: bool,
}

/// Checks a `--grid` setting (a surface is sampled on grid × grid points)
/// before any work starts.
pub fn check_grid(grid: usize) -> Result<(), PlotError> {
    if grid < 2 {
        return Err(PlotError::GridTooSmall {
            width: grid,
            height: grid,
        });
    }
    Ok(())
}

/// Samples `f` over `rect` on a `width` × `height` grid of cell centres.
///
/// `f` receives all grid points at once (rows of an M × 2 matrix) and returns
/// one value per point, so a model can evaluate them in a single batch.
/// Colours run from blue (below `offset`) through white to red (above);
/// the contour `f = offset` is drawn in black.
pub fn graph_surface<F>(
    f: F,
    rect: Rect,
    offset: f64,
    width: usize,
    height: usize,
) -> Result<Surface, PlotError>
where
    F: FnOnce(ArrayView2<f64>) -> Array1<f64>,
{
    if width < 2 || height < 2 {
        return Err(PlotError::GridTooSmall { width, height });
    }
    if !(rect.x_max > rect.x_min && rect.y_max > rect.y_min) {
        return Err(PlotError::EmptyRect {
            x_min: rect.x_min,
            x_max: rect.x_max,
            y_min: rect.y_min,
            y_max: rect.y_max,
        });
    }
    let dx = (rect.x_max - rect.x_min) / width as f64;
    let dy = (rect.y_max - rect.y_min) / height as f64;
    let grid = Array2::from_shape_fn((width * height, 2), |(i, k)| {
        let (row, col) = (i / width, i % width);
        if k == 0 {
            rect.x_min + (col as f64 + 0.5) * dx
        } else {
            rect.y_min + (row as f64 + 0.5) * dy
        }
    });
    let v = f(grid.view());
    if v.len() != width * height {
        return Err(PlotError::ValueCount {
            expected: width * height,
            found: v.len(),
        });
    }
    let values = v.into_shape_with_order((height, width)).map_err(draw_err)?;
    Ok(Surface {
        rect,
        values,
        offset,
        classes: false,
    })
}

/// Like [`graph_surface`] for a function returning class indices: each cell is
/// tinted with its class colour, boundaries are drawn where the class changes.
pub fn graph_classes<F>(f: F, rect: Rect, width: usize, height: usize) -> Result<Surface, PlotError>
where
    F: FnOnce(ArrayView2<f64>) -> Array1<f64>,
{
    let mut s = graph_surface(f, rect, 0.0, width, height)?;
    s.classes = true;
    Ok(s)
}

/// The decision surface of any probabilistic classifier, the one helper every
/// lab draws its surfaces with.
///
/// `proba` maps grid points (M × 2, in plot coordinates) to class
/// probabilities (M × C); it does its own input scaling and device transfer.
/// Two classes: P(class 1) coloured from blue to red, boundary at ½; more
/// classes: the predicted class as coloured regions. An error returned by
/// `proba` comes back as [`PlotError::DecisionFunction`].
pub fn decision_surface<F, E>(proba: F, rect: Rect, grid: usize) -> Result<Surface, PlotError>
where
    F: FnOnce(ArrayView2<f64>) -> Result<Array2<f64>, E>,
    E: std::error::Error + Send + Sync + 'static,
{
    check_grid(grid)?;
    let mut failure = None;
    let mut two_classes = true;
    let values = |g: ArrayView2<f64>| match proba(g) {
        Ok(p) if p.ncols() == 2 => p.column(1).to_owned(),
        Ok(p) => {
            two_classes = false;
            p.rows()
                .into_iter()
                .map(|r| metrics::argmax(r) as f64)
                .collect()
        }
        Err(e) => {
            failure = Some(e);
            Array1::zeros(0)
        }
    };
    let mut s = graph_surface(values, rect, 0.5, grid, grid);
    if let Some(e) = failure {
        return Err(PlotError::DecisionFunction(Box::new(e)));
    }
    if let Ok(s) = s.as_mut() {
        if !two_classes {
            s.classes = true;
            s.offset = 0.0;
        }
    }
    s
}

/// Points to draw over a surface: colour = true class, circle = classified
/// correctly, square = wrong; `special` points (support vectors) twice as large.
#[derive(Debug, Clone)]
pub struct DataLayer {
    pub x: Array2<f64>,
    pub y_true: Vec<usize>,
    pub y_pred: Vec<usize>,
    pub special: Vec<usize>,
}

/// Checks and bundles the inputs of a data scatter (see [`DataLayer`]).
pub fn graph_data(
    x: ArrayView2<f64>,
    y_true: &[usize],
    y_pred: &[usize],
    special: &[usize],
) -> Result<DataLayer, PlotError> {
    if x.ncols() != 2 {
        return Err(PlotError::PointsShape {
            rows: x.nrows(),
            cols: x.ncols(),
        });
    }
    for (what, labels) in [("true labels", y_true), ("predicted labels", y_pred)] {
        if labels.len() != x.nrows() {
            return Err(PlotError::LengthMismatch {
                what,
                expected: x.nrows(),
                found: labels.len(),
            });
        }
    }
    if let Some(&i) = special.iter().find(|&&i| i >= x.nrows()) {
        return Err(PlotError::SpecialOutOfRange {
            index: i,
            n: x.nrows(),
        });
    }
    Ok(DataLayer {
        x: x.to_owned(),
        y_true: y_true.to_vec(),
        y_pred: y_pred.to_vec(),
        special: special.to_vec(),
    })
}

/// A surface, data, or both, with a title.
#[derive(Debug, Clone, Default)]
pub struct Figure2d {
    pub title: String,
    pub surface: Option<Surface>,
    pub data: Option<DataLayer>,
}

impl Figure2d {
    pub fn new(title: impl Into<String>) -> Self {
        Figure2d {
            title: title.into(),
            ..Default::default()
        }
    }
    pub fn with_surface(mut self, s: Surface) -> Self {
        self.surface = Some(s);
        self
    }
    pub fn with_data(mut self, d: DataLayer) -> Self {
        self.data = Some(d);
        self
    }

    fn rect(&self) -> Result<Rect, PlotError> {
        match (&self.surface, &self.data) {
            (Some(s), _) => Ok(s.rect),
            (None, Some(d)) => Rect::around(d.x.view(), 0.05),
            (None, None) => Err(PlotError::EmptyFigure),
        }
    }

    /// Writes the figure as PNG (or SVG for a `.svg` path), 640 × 600 pixels.
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        super::save(path, (640, 600), self)
    }
}

impl Drawable for Figure2d {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let r = self.rect()?;
        area.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(r.x_min..r.x_max, r.y_min..r.y_max)
            .map_err(draw_err)?;
        if let Some(s) = &self.surface {
            draw_surface(&mut chart, s)?;
        }
        chart
            .configure_mesh()
            .disable_mesh()
            .draw()
            .map_err(draw_err)?;
        if let Some(d) = &self.data {
            draw_points(&mut chart, d)?;
        }
        Ok(())
    }
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_surface<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Surface,
) -> Result<(), PlotError> {
    let (h, w) = s.values.dim();
    let r = s.rect;
    let dx = (r.x_max - r.x_min) / w as f64;
    let dy = (r.y_max - r.y_min) / h as f64;
    let spread = s
        .values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, v| m.max((v - s.offset).abs()))
        .max(1e-12);
    let side = |i: usize, j: usize| {
        if s.classes {
            s.values[[i, j]].round() as i64
        } else {
            i64::from(s.values[[i, j]] > s.offset)
        }
    };
    let cells = (0..h).flat_map(|i| (0..w).map(move |j| (i, j)));
    chart
        .draw_series(cells.map(|(i, j)| {
            // A cell whose right or upper neighbour lies on the other side of
            // the offset is on the boundary: draw it black.
            let boundary = (j + 1 < w && side(i, j) != side(i, j + 1))
                || (i + 1 < h && side(i, j) != side(i + 1, j));
            let color = if boundary {
                BLACK
            } else if s.classes {
                super::lighten(
                    class_color(s.values[[i, j]].max(0.0).round() as usize),
                    0.65,
                )
            } else {
                diverging(0.5 + (s.values[[i, j]] - s.offset) / (2.0 * spread))
            };
            let (x0, y0) = (r.x_min + j as f64 * dx, r.y_min + i as f64 * dy);
            Rectangle::new([(x0, y0), (x0 + dx, y0 + dy)], color.filled())
        }))
        .map_err(draw_err)?;
    Ok(())
}

fn draw_points<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    d: &DataLayer,
) -> Result<(), PlotError> {
    let mut big = vec![false; d.x.nrows()];
    for &i in &d.special {
        big[i] = true;
    }
    let pts = || (0..d.x.nrows()).map(|i| (i, (d.x[[i, 0]], d.x[[i, 1]])));
    let size = |i: usize| if big[i] { 8 } else { 4 };
    chart
        .draw_series(
            pts()
                .filter(|&(i, _)| d.y_true[i] == d.y_pred[i])
                .map(|(i, p)| {
                    EmptyElement::at(p)
                        + Circle::new((0, 0), size(i), class_color(d.y_true[i]).filled())
                        + Circle::new((0, 0), size(i), BLACK.stroke_width(1))
                }),
        )
        .map_err(draw_err)?;
    chart
        .draw_series(
            pts()
                .filter(|&(i, _)| d.y_true[i] != d.y_pred[i])
                .map(|(i, p)| {
                    let s = size(i);
                    EmptyElement::at(p)
                        + Rectangle::new([(-s, -s), (s, s)], class_color(d.y_true[i]).filled())
                        + Rectangle::new([(-s, -s), (s, s)], BLACK.stroke_width(1))
                }),
        )
        .map_err(draw_err)?;
    Ok(())
}

/// Writes the figures as frames of an animated GIF (`delay_ms` per frame), atomically.
pub fn save_gif(
    path: &Path,
    size: (u32, u32),
    delay_ms: u32,
    frames: &[Figure2d],
) -> Result<(), PlotError> {
    if frames.is_empty() {
        return Err(PlotError::NoFrames);
    }
    ensure_font();
    labkit::write_atomically(path, |tmp| {
        let area = BitMapBackend::gif(tmp, size, delay_ms)
            .map_err(draw_err)?
            .into_drawing_area();
        for f in frames {
            f.draw(&area)?;
            area.present().map_err(draw_err)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr2, Axis};

    fn tmpdir(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("dl-labs-plot-{name}-"))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn bounding_box_and_padding() {
        let r = Rect::bounding([(1.0, -2.0), (3.0, 4.0), (2.0, 0.0)]).unwrap();
        assert_eq!((r.x_min, r.x_max, r.y_min, r.y_max), (1.0, 3.0, -2.0, 4.0));
        // 10 % of 2 is 0.2 along x; 10 % of 6 is 0.6 along y.
        let p = r.padded(0.1, 0.0);
        assert!((p.x_min - 0.8).abs() < 1e-12 && (p.x_max - 3.2).abs() < 1e-12);
        assert!((p.y_min + 2.6).abs() < 1e-12 && (p.y_max - 4.6).abs() < 1e-12);
        // A flat box grows by the minimum pad.
        let flat = Rect::bounding([(5.0, 1.0), (5.0, 2.0)])
            .unwrap()
            .padded(0.1, 0.5);
        assert_eq!((flat.x_min, flat.x_max), (4.5, 5.5));
        assert!(matches!(
            Rect::bounding(std::iter::empty()),
            Err(PlotError::EmptyFigure)
        ));
        assert!(matches!(
            Rect::bounding([(0.0, f64::NAN)]),
            Err(PlotError::NonFinitePoints)
        ));
        // `around` is the same box, padded by its margin.
        let x = arr2(&[[1.0, -2.0], [3.0, 4.0]]);
        assert_eq!(Rect::around(x.view(), 0.1).unwrap(), r.padded(0.1, 1e-10));
    }

    #[test]
    fn surface_samples_cell_centres_in_order() {
        let rect = Rect {
            x_min: 0.0,
            x_max: 4.0,
            y_min: 0.0,
            y_max: 2.0,
        };
        // f = x + 10 y: bottom-left cell centre is (0.5, 0.5)
        let s = graph_surface(
            |g| g.map_axis(Axis(1), |p| p[0] + 10.0 * p[1]),
            rect,
            0.0,
            4,
            2,
        )
        .unwrap();
        assert_eq!(s.values.dim(), (2, 4));
        assert_eq!(s.values[[0, 0]], 0.5 + 5.0);
        assert_eq!(s.values[[1, 3]], 3.5 + 15.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let rect = Rect {
            x_min: 0.0,
            x_max: 1.0,
            y_min: 0.0,
            y_max: 1.0,
        };
        assert!(matches!(
            graph_surface(|_| Array1::zeros(3), rect, 0.0, 4, 4),
            Err(PlotError::ValueCount {
                expected: 16,
                found: 3
            })
        ));
        let x = arr2(&[[0.0, 0.0], [1.0, 1.0]]);
        assert!(matches!(
            graph_data(x.view(), &[0], &[0, 1], &[]),
            Err(PlotError::LengthMismatch {
                expected: 2,
                found: 1,
                ..
            })
        ));
        assert!(matches!(
            graph_data(x.view(), &[0, 1], &[0, 1], &[2]),
            Err(PlotError::SpecialOutOfRange { index: 2, n: 2 })
        ));
        let nan = arr2(&[[f64::NAN, 0.0]]);
        assert!(matches!(
            Rect::around(nan.view(), 0.1),
            Err(PlotError::NonFinitePoints)
        ));
    }

    #[test]
    fn writes_png_svg_and_gif() {
        let tmp = tmpdir("fig");
        let d = tmp.path();
        let x = arr2(&[[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]]);
        let rect = Rect::around(x.view(), 0.2).unwrap();
        let s = graph_surface(|g| g.column(0).to_owned() - 1.0, rect, 0.0, 32, 32).unwrap();
        let data = graph_data(x.view(), &[0, 1, 1], &[0, 1, 0], &[1]).unwrap();
        let fig = Figure2d::new("test").with_surface(s).with_data(data);
        fig.save(&d.join("f.png")).unwrap();
        fig.save(&d.join("f.svg")).unwrap();
        save_gif(&d.join("f.gif"), (200, 200), 100, &[fig.clone(), fig]).unwrap();
        let png = std::fs::read(d.join("f.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert!(std::fs::read_to_string(d.join("f.svg"))
            .unwrap()
            .contains("<svg"));
        assert_eq!(&std::fs::read(d.join("f.gif")).unwrap()[..3], b"GIF");
    }
}
