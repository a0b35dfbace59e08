//! Plots written as files: PNG by default, SVG when the file name ends in `.svg`.
//!
//! - [`surface`]: `graph_surface` (a decision function over a rectangle) and
//!   `graph_data` (points coloured by true class, marked by correctness),
//!   drawn together as a [`Figure2d`], alone or as a GIF of training frames;
//! - [`charts`]: class-coloured scatter, line plots (loss curves), image grids
//!   (28×28 digits, weight maps).
//!
//! Text uses the DejaVu Sans font shipped in `assets/fonts`, so no system font
//! library is needed. Every file is written atomically (temporary name, rename).

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

pub mod charts;
pub mod surface;

pub use charts::{
    bar_chart, draw_class_scatter, image_grid, line_plot, points_and_lines, scatter_classes,
    scatter_side_by_side, strip_chart, ImageMap, ScatterStyle, Series,
};
pub use surface::{
    check_grid, decision_surface, graph_classes, graph_data, graph_surface, save_gif, DataLayer,
    Figure2d, Rect, Surface,
};

/// Everything that can go wrong while making a plot. Each variant carries the
/// values that were wrong.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The plotting backend failed (its own message).
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("need N × 2 points with N ≥ 1, got {rows} × {cols}")]
    PointsShape { rows: usize, cols: usize },
    #[error("the points contain NaN or infinity")]
    NonFinitePoints,
    #[error("a surface grid must be at least 2 × 2 (grid ≥ 2), got {width} × {height}")]
    GridTooSmall { width: usize, height: usize },
    #[error("the plot rectangle is empty: x in [{x_min}, {x_max}], y in [{y_min}, {y_max}]")]
    EmptyRect {
        x_min: f64,
        x_max: f64,
        y_min: f64,
        y_max: f64,
    },
    #[error("the decision function returned {found} values for {expected} grid points")]
    ValueCount { expected: usize, found: usize },
    #[error("the decision function failed: {0}")]
    DecisionFunction(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("{what}: expected {expected}, found {found}")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("special index {index} is out of range for {n} points")]
    SpecialOutOfRange { index: usize, n: usize },
    #[error("a figure needs a surface or data")]
    EmptyFigure,
    #[error("an animation needs at least one frame")]
    NoFrames,
    #[error("a line plot needs at least one finite point")]
    NoFinitePoints,
    #[error("an image grid needs at least one image and one column")]
    NoImages,
    #[error("image {index} has {len} values, expected {rows}×{cols}")]
    ImageSize {
        index: usize,
        len: usize,
        rows: usize,
        cols: usize,
    },
    #[error("the value range [{lo}, {hi}] is empty")]
    EmptyRange { lo: f64, hi: f64 },
    #[error(transparent)]
    Output(#[from] labkit::OutputError),
}

/// A plotting backend's error as a [`PlotError`] (for `map_err` in figures
/// drawn outside this crate too).
pub fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

static FONT: Once = Once::new();
const DEJAVU: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the shipped font as "sans-serif" (once per process).
pub(crate) fn ensure_font() {
    FONT.call_once(|| {
        // The font is a fixed, valid file compiled into the binary.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU);
    });
}

/// Something that can draw itself on any plotters backend.
pub trait Drawable {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// Draws `item` into `path` (PNG, or SVG for a `.svg` name) of `size` pixels, atomically.
pub fn save<T: Drawable>(path: &Path, size: (u32, u32), item: &T) -> Result<(), PlotError> {
    ensure_font();
    let svg = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    labkit::write_atomically(path, |tmp| {
        if svg {
            let area = SVGBackend::new(tmp, size).into_drawing_area();
            item.draw(&area)?;
            area.present().map_err(draw_err)
        } else {
            let area = BitMapBackend::new(tmp, size).into_drawing_area();
            item.draw(&area)?;
            area.present().map_err(draw_err)
        }
    })
}

/// Draws a chart's legend (the labels its series were given) in a white box
/// with a black border at `position`: the one legend style of every plot.
pub fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    CT: plotters::coord::CoordTranslate,
{
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(draw_err)
}

/// Ten well-separated class colours (the usual categorical palette).
pub const CLASS_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of class `c` (cycles after ten).
pub fn class_color(c: usize) -> RGBColor {
    CLASS_COLORS[c % CLASS_COLORS.len()]
}

fn lerp(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub fn lighten(c: RGBColor, amount: f64) -> RGBColor {
    lerp(c, WHITE, amount)
}

/// A light blue–white–red map for t in [0, 1] (0.5 is white): decision
/// surfaces and signed weight maps. Light enough for points drawn on top.
pub fn diverging(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (lo, mid, hi) = (
        RGBColor(90, 120, 220),
        RGBColor(247, 247, 247),
        RGBColor(220, 90, 70),
    );
    if t < 0.5 {
        lerp(lo, mid, t * 2.0)
    } else {
        lerp(mid, hi, (t - 0.5) * 2.0)
    }
}

/// Grey levels for t in [0, 1]: 0 white, 1 black (ink on paper, as digits are shown).
pub fn gray(t: f64) -> RGBColor {
    let v = (255.0
        * (1.0
            - if t.is_finite() {
                t.clamp(0.0, 1.0)
            } else {
                0.0
            }))
    .round() as u8;
    RGBColor(v, v, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_maps() {
        assert_eq!(diverging(0.5), RGBColor(247, 247, 247));
        assert_eq!(diverging(0.0), RGBColor(90, 120, 220));
        assert_eq!(diverging(2.0), RGBColor(220, 90, 70));
        assert_eq!(gray(0.0), RGBColor(255, 255, 255));
        assert_eq!(gray(1.0), RGBColor(0, 0, 0));
        assert_eq!(class_color(11), class_color(1));
    }
}
