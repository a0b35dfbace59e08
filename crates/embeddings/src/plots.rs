//! A 2-D canvas for this lab's figures: markers of any size (hollow or
//! filled, with an optional text label), polylines and a legend. Drawn with
//! plotters through `plot::save`, like the shared plots, so PNG and SVG
//! both work and files are written atomically.

use std::path::Path;

use plot::{draw_err, draw_legend, save, Drawable, PlotError, Rect};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One point of a figure.
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: (f64, f64),
    /// Radius in pixels.
    pub size: u32,
    pub color: RGBColor,
    pub filled: bool,
    /// Drawn as a cross instead of a circle.
    pub cross: bool,
    /// Text written beside the point.
    pub label: Option<String>,
}

impl Marker {
    pub fn dot(at: (f64, f64), size: u32, color: RGBColor) -> Self {
        Marker {
            at,
            size,
            color,
            filled: true,
            cross: false,
            label: None,
        }
    }

    pub fn hollow(mut self) -> Self {
        self.filled = false;
        self
    }

    pub fn cross(mut self) -> Self {
        self.cross = true;
        self
    }

    pub fn labelled(mut self, text: impl Into<String>) -> Self {
        self.label = Some(text.into());
        self
    }
}

/// A legend entry: its text, colour and whether its sample is filled.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub text: String,
    pub color: RGBColor,
    pub filled: bool,
}

/// Everything on one figure.
#[derive(Debug, Clone, Default)]
pub struct Canvas {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub markers: Vec<Marker>,
    /// Polylines (e.g. a row's trajectory) with their colour.
    pub paths: Vec<(Vec<(f64, f64)>, RGBColor)>,
    pub legend: Vec<LegendEntry>,
}

impl Canvas {
    pub fn new(title: impl Into<String>) -> Self {
        Canvas {
            title: title.into(),
            x_label: "dimension 1".into(),
            y_label: "dimension 2".into(),
            ..Canvas::default()
        }
    }

    pub fn legend(&mut self, text: impl Into<String>, color: RGBColor, filled: bool) {
        self.legend.push(LegendEntry {
            text: text.into(),
            color,
            filled,
        });
    }

    /// The bounding box of everything drawn, with a margin of 8 % per side
    /// (at least 0.05).
    fn bounds(&self) -> Result<(f64, f64, f64, f64), PlotError> {
        let pts = self
            .markers
            .iter()
            .map(|m| m.at)
            .chain(self.paths.iter().flat_map(|p| p.0.iter().copied()));
        let r = Rect::bounding(pts)?.padded(0.08, 0.05);
        Ok((r.x_min, r.x_max, r.y_min, r.y_max))
    }

    /// Writes the figure (PNG, or SVG for a `.svg` name).
    pub fn save(&self, path: &Path) -> Result<(), PlotError> {
        self.bounds()?;
        save(path, (760, 640), self)
    }
}

impl Drawable for Canvas {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let (x0, x1, y0, y1) = self.bounds()?;
        area.fill(&WHITE).map_err(draw_err)?;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(draw_err)?;
        for (pts, color) in &self.paths {
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
                .map_err(draw_err)?;
        }
        for m in &self.markers {
            let style = if m.filled {
                m.color.filled()
            } else {
                m.color.stroke_width(2)
            };
            if m.cross {
                chart
                    .draw_series(std::iter::once(Cross::new(m.at, m.size as i32, style)))
                    .map_err(draw_err)?;
            } else {
                chart
                    .draw_series(std::iter::once(Circle::new(m.at, m.size as i32, style)))
                    .map_err(draw_err)?;
            }
            if let Some(text) = &m.label {
                let at = (m.at.0, m.at.1);
                let offset = (m.size as i32 + 3, -(m.size as i32) - 12);
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(at)
                            + Text::new(text.clone(), offset, ("sans-serif", 14).into_font()),
                    ))
                    .map_err(draw_err)?;
            }
        }
        if !self.legend.is_empty() {
            for e in &self.legend {
                let (c, filled) = (e.color, e.filled);
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(draw_err)?
                    .label(e.text.clone())
                    .legend(move |(x, y)| {
                        let style = if filled {
                            c.filled()
                        } else {
                            c.stroke_width(2)
                        };
                        Circle::new((x, y), 5, style)
                    });
            }
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_writes_png_and_svg_and_rejects_bad_points() {
        let dir = tempfile_dir();
        let mut c = Canvas::new("test");
        c.markers
            .push(Marker::dot((0.0, 0.0), 4, RED).labelled("a"));
        c.markers
            .push(Marker::dot((1.0, 2.0), 8, BLUE).hollow().cross());
        c.paths
            .push((vec![(0.0, 0.0), (0.5, 1.0), (1.0, 2.0)], GREEN));
        c.legend("red", RED, true);
        for name in ["c.png", "c.svg"] {
            c.save(&dir.join(name)).unwrap();
            assert!(std::fs::metadata(dir.join(name)).unwrap().len() > 500);
        }
        assert!(matches!(
            Canvas::new("empty").save(&dir.join("e.png")),
            Err(PlotError::EmptyFigure)
        ));
        c.markers.push(Marker::dot((f64::NAN, 0.0), 2, RED));
        assert!(matches!(
            c.save(&dir.join("n.png")),
            Err(PlotError::NonFinitePoints)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("embeddings-plots-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
