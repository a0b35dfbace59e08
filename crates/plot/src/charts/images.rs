//! Image grids: digits and weight maps.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{diverging, draw_err, gray, save, Drawable, PlotError};

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
