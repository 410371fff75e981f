//! Matrix heatmaps: weight matrices (with E|I block separators), RSA dissimilarity matrices,
//! tuning maps. Row 0 is at the top (matrix convention). Laid out in pixels so cells are square
//! where the shape allows, labels never overlap (they are thinned or rotated), and a colorbar
//! sits on the right.
//!
//! Matrices up to 10 000 cells are drawn as one rectangle per cell (crisp in SVG); larger ones
//! as a single embedded image, which keeps the SVG small.
//!
//! ```no_run
//! use neurodyn_plot::{heatmap, ColorMap, Heatmap};
//! let w: Vec<f64> = (0..64).map(|i| ((i * 37 % 17) as f64 - 8.0) / 8.0).collect();
//! let hm = Heatmap {
//!     title: "Recurrent weights".into(),
//!     data: w,
//!     rows: 8,
//!     cols: 8,
//!     colormap: ColorMap::Diverging,
//!     row_blocks: vec![6],
//!     col_blocks: vec![6],
//!     colorbar_label: "weight".into(),
//!     ..Heatmap::default()
//! };
//! heatmap("/tmp/w_rec", &hm)?;
//! # Ok::<(), neurodyn_plot::PlotError>(())
//! ```

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{bold, note_style};
use crate::colorbar::{colorbar_width, draw_colorbar};
use crate::output::{check_len, save, DrawResult, Figure};
use crate::style::{
    luminance, nice_ticks, text_width, tick_text, ColorMap, INK, LABEL_SIZE, NOTE_SIZE, TICK_SIZE,
    TITLE_SIZE,
};
use crate::PlotError;

/// A matrix to draw as a heatmap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heatmap {
    /// Figure title.
    pub title: String,
    /// Values, row-major, `rows * cols` long. Non-finite cells are drawn light grey.
    pub data: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// One label per row; empty ⇒ numeric row indices.
    pub row_labels: Vec<String>,
    /// One label per column; empty ⇒ numeric column indices.
    pub col_labels: Vec<String>,
    /// Label under the columns (e.g. "presynaptic unit").
    pub x_label: String,
    /// Label beside the rows (e.g. "postsynaptic unit").
    pub y_label: String,
    /// Sequential (viridis) or diverging (blue–white–red, symmetric about 0 by default).
    pub colormap: ColorMap,
    /// Value range of the colour map; `None` ⇒ data range (±max|v| for diverging).
    pub range: Option<(f64, f64)>,
    /// Draw a separator line before each of these row indices (e.g. `[n_exc]`).
    pub row_blocks: Vec<usize>,
    /// Draw a separator line before each of these column indices.
    pub col_blocks: Vec<usize>,
    /// Text beside the colorbar.
    pub colorbar_label: String,
    /// Write each value in its cell (integers without decimals, others to two; only drawn when
    /// cells are at least 30 px and the text fits).
    pub annotate: bool,
}

/// Draws `hm` and writes `STEM.png` / `STEM.svg`. Fails with
/// [`PlotError::ShapeMismatch`] when `data`, `row_labels` or `col_labels` disagree with
/// `rows`/`cols`.
pub fn heatmap(stem: impl AsRef<Path>, hm: &Heatmap) -> Result<(), PlotError> {
    let stem = stem.as_ref();
    check_len(
        stem,
        || "heatmap data".into(),
        hm.rows * hm.cols,
        hm.data.len(),
    )?;
    if !hm.row_labels.is_empty() {
        check_len(
            stem,
            || "heatmap row_labels".into(),
            hm.rows,
            hm.row_labels.len(),
        )?;
    }
    if !hm.col_labels.is_empty() {
        check_len(
            stem,
            || "heatmap col_labels".into(),
            hm.cols,
            hm.col_labels.len(),
        )?;
    }
    save(stem, &Layout::new(hm))
}

/// Pixel layout of the whole figure.
struct Layout<'a> {
    hm: &'a Heatmap,
    range: (f64, f64),
    /// Plot rectangle: left, top, width, height.
    plot: (i32, i32, i32, i32),
    size: (u32, u32),
    rotate_cols: bool,
}

/// Tick positions (index, text) along an axis of `n` cells spanning `len` pixels.
fn ticks(n: usize, labels: &[String], len: i32) -> Vec<(usize, String)> {
    if n == 0 {
        return Vec::new();
    }
    if labels.is_empty() {
        let target = ((len / 60).max(2) as usize).min(n);
        return nice_ticks(0.0, (n - 1) as f64, target)
            .into_iter()
            .filter(|v| v.fract() == 0.0)
            .map(|v| (v as usize, tick_text(v)))
            .collect();
    }
    // Empty labels get no tick; the others are thinned to fit when they crowd.
    let named: Vec<(usize, &String)> = labels
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let per = (NOTE_SIZE as i32 + 4).max(1);
    let every = ((named.len() as i32 * per + len.max(1) - 1) / len.max(1)).max(1) as usize;
    named
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % every == 0)
        .map(|(_, (i, l))| (i, l.clone()))
        .collect()
}

impl<'a> Layout<'a> {
    fn new(hm: &'a Heatmap) -> Layout<'a> {
        let range = hm.colormap.value_range(hm.range, hm.data.iter().copied());
        let (rows, cols) = (hm.rows.max(1) as f64, hm.cols.max(1) as f64);
        let cell = (640.0 / cols).min(600.0 / rows);
        let pw = (cols * cell).clamp(160.0, 640.0) as i32;
        let ph = (rows * cell).clamp(160.0, 600.0) as i32;
        let row_w = ticks(hm.rows, &hm.row_labels, ph)
            .iter()
            .map(|(_, t)| text_width(t, tick_size(hm)))
            .max()
            .unwrap_or(0);
        let col_ticks = ticks(hm.cols, &hm.col_labels, pw);
        let col_w = col_ticks
            .iter()
            .map(|(_, t)| text_width(t, tick_size(hm)))
            .max()
            .unwrap_or(0);
        let col_room = pw / col_ticks.len().max(1) as i32;
        let rotate_cols = !hm.col_labels.is_empty() && col_w + 6 > col_room;
        let y_label = if hm.y_label.is_empty() {
            0
        } else {
            LABEL_SIZE as i32 + 16
        };
        let x_label = if hm.x_label.is_empty() {
            0
        } else {
            LABEL_SIZE as i32 + 16
        };
        let left = 16 + y_label + row_w + 10;
        let top = if hm.title.is_empty() {
            20
        } else {
            TITLE_SIZE as i32 + 32
        };
        let col_h = if rotate_cols { col_w } else { TICK_SIZE as i32 };
        let bottom = 12 + col_h + x_label + 16;
        let right = 30 + colorbar_width(range, &hm.colorbar_label) + 16;
        // Wide enough for the title (bold: a little wider than the regular face measures).
        let title_w = text_width(&hm.title, TITLE_SIZE) * 11 / 10;
        let w = (left + pw + right).max(500).max(title_w + 24);
        let h = top + ph + bottom;
        Layout {
            hm,
            range,
            plot: (left, top, pw, ph),
            size: (w as u32, h as u32),
            rotate_cols,
        }
    }

    fn color(&self, v: f64) -> RGBColor {
        if !v.is_finite() {
            return RGBColor(215, 215, 215);
        }
        let (lo, hi) = self.range;
        self.hm.colormap.color((v - lo) / (hi - lo))
    }

    /// Pixel edge of column boundary `c` and row boundary `r`.
    fn col_x(&self, c: usize) -> i32 {
        let (l, _, w, _) = self.plot;
        l + (c as f64 * w as f64 / self.hm.cols.max(1) as f64).round() as i32
    }

    fn row_y(&self, r: usize) -> i32 {
        let (_, t, _, h) = self.plot;
        t + (r as f64 * h as f64 / self.hm.rows.max(1) as f64).round() as i32
    }
}

fn tick_size(hm: &Heatmap) -> f64 {
    if hm.row_labels.is_empty() && hm.col_labels.is_empty() {
        TICK_SIZE
    } else {
        NOTE_SIZE
    }
}

impl Figure for Layout<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let hm = self.hm;
        let (left, top, pw, ph) = self.plot;
        if !hm.title.is_empty() {
            let style = TextStyle::from(bold(TITLE_SIZE)).pos(Pos::new(HPos::Center, VPos::Top));
            // Centred over the plot, moved in where that would cut it at an edge.
            let half = text_width(&hm.title, TITLE_SIZE) * 11 / 20 + 12;
            let w = self.size.0 as i32;
            let cx = (left + pw / 2).clamp(half.min(w / 2), (w - half).max(w / 2));
            root.draw(&Text::new(hm.title.clone(), (cx, 10), style))?;
        }
        let (rows, cols) = (hm.rows, hm.cols);
        if rows * cols <= 10_000 {
            for r in 0..rows {
                for c in 0..cols {
                    let corners = [
                        (self.col_x(c), self.row_y(r)),
                        (self.col_x(c + 1), self.row_y(r + 1)),
                    ];
                    root.draw(&Rectangle::new(
                        corners,
                        self.color(hm.data[r * cols + c]).filled(),
                    ))?;
                }
            }
        } else {
            let mut buf = Vec::with_capacity((pw * ph * 3) as usize);
            for py in 0..ph {
                let r = ((py as usize * rows) / ph as usize).min(rows - 1);
                for px in 0..pw {
                    let c = ((px as usize * cols) / pw as usize).min(cols - 1);
                    let col = self.color(hm.data[r * cols + c]);
                    buf.extend_from_slice(&[col.0, col.1, col.2]);
                }
            }
            if let Some(img) =
                BitMapElement::with_owned_buffer((left, top), (pw as u32, ph as u32), buf)
            {
                root.draw(&img)?;
            }
        }
        self.draw_annotations(root)?;
        for &r in hm.row_blocks.iter().filter(|r| **r > 0 && **r < rows) {
            let y = self.row_y(r);
            root.draw(&PathElement::new(
                vec![(left, y), (left + pw, y)],
                INK.stroke_width(2),
            ))?;
        }
        for &c in hm.col_blocks.iter().filter(|c| **c > 0 && **c < cols) {
            let x = self.col_x(c);
            root.draw(&PathElement::new(
                vec![(x, top), (x, top + ph)],
                INK.stroke_width(2),
            ))?;
        }
        root.draw(&Rectangle::new(
            [(left, top), (left + pw, top + ph)],
            INK.stroke_width(1),
        ))?;
        self.draw_ticks(root)?;
        let bar_left = left + pw + 30;
        draw_colorbar(
            root,
            (bar_left, top, top + ph),
            self.range,
            hm.colormap,
            &hm.colorbar_label,
        )?;
        Ok(())
    }
}

impl Layout<'_> {
    fn draw_annotations<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let hm = self.hm;
        let cell_w = self.plot.2 / hm.cols.max(1) as i32;
        let cell_h = self.plot.3 / hm.rows.max(1) as i32;
        if !hm.annotate || cell_w < 30 || cell_h < 18 {
            return Ok(());
        }
        let size = (cell_h as f64 * 0.45).clamp(10.0, NOTE_SIZE);
        for r in 0..hm.rows {
            for c in 0..hm.cols {
                let v = hm.data[r * hm.cols + c];
                if !v.is_finite() {
                    continue;
                }
                // Counts as integers, anything else to two decimals.
                let text = if v.fract() == 0.0 && v.abs() < 1e6 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                };
                if text_width(&text, size) > cell_w - 2 {
                    continue;
                }
                let ink = if luminance(self.color(v)) < 0.5 {
                    WHITE
                } else {
                    INK
                };
                let style = note_style(ink, size).pos(Pos::new(HPos::Center, VPos::Center));
                let at = (
                    (self.col_x(c) + self.col_x(c + 1)) / 2,
                    (self.row_y(r) + self.row_y(r + 1)) / 2,
                );
                root.draw(&Text::new(text, at, style))?;
            }
        }
        Ok(())
    }

    fn draw_ticks<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let hm = self.hm;
        let (left, top, pw, ph) = self.plot;
        let size = tick_size(hm);
        let row_style = note_style(INK, size).pos(Pos::new(HPos::Right, VPos::Center));
        let mut row_w = 0;
        for (r, text) in ticks(hm.rows, &hm.row_labels, ph) {
            let y = (self.row_y(r) + self.row_y(r + 1)) / 2;
            root.draw(&PathElement::new(
                vec![(left - 5, y), (left, y)],
                INK.stroke_width(1),
            ))?;
            row_w = row_w.max(text_width(&text, size));
            root.draw(&Text::new(text, (left - 8, y), row_style.clone()))?;
        }
        let bottom = top + ph;
        let col_style = if self.rotate_cols {
            note_style(INK, size)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            note_style(INK, size).pos(Pos::new(HPos::Center, VPos::Top))
        };
        let mut col_h = size as i32;
        for (c, text) in ticks(hm.cols, &hm.col_labels, pw) {
            let x = (self.col_x(c) + self.col_x(c + 1)) / 2;
            root.draw(&PathElement::new(
                vec![(x, bottom), (x, bottom + 5)],
                INK.stroke_width(1),
            ))?;
            if self.rotate_cols {
                col_h = col_h.max(text_width(&text, size));
            }
            root.draw(&Text::new(text, (x, bottom + 8), col_style.clone()))?;
        }
        let label_style = note_style(INK, LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        if !hm.x_label.is_empty() {
            let y = bottom + 10 + col_h + 8 + LABEL_SIZE as i32 / 2;
            root.draw(&Text::new(
                hm.x_label.clone(),
                (left + pw / 2, y),
                label_style.clone(),
            ))?;
        }
        if !hm.y_label.is_empty() {
            let x = left - 10 - row_w - 10 - LABEL_SIZE as i32 / 2;
            let style = label_style.transform(FontTransform::Rotate270);
            root.draw(&Text::new(hm.y_label.clone(), (x, top + ph / 2), style))?;
        }
        Ok(())
    }
}

/// Greyscale images `(h, w)` each, row-major, laid out `columns` to a row with a one-pixel gap
/// (drawn light grey) between them, on one colour range (`range`, or all images' range), as a
/// heatmap titled `title` (say there what the rows are). Writes `STEM.png` / `STEM.svg`. Fails
/// when an image is not `h · w` long.
pub fn image_grid(
    stem: impl AsRef<Path>,
    title: &str,
    images: &[Vec<f64>],
    (h, w): (usize, usize),
    columns: usize,
    range: Option<(f64, f64)>,
) -> Result<(), PlotError> {
    let columns = columns.clamp(1, images.len().max(1));
    let grid_rows = images.len().div_ceil(columns).max(1);
    let (rows, cols) = (grid_rows * (h + 1) - 1, columns * (w + 1) - 1);
    let mut data = vec![f64::NAN; rows * cols];
    for (k, img) in images.iter().enumerate() {
        check_len(stem.as_ref(), || format!("image {k}"), h * w, img.len())?;
        let (r0, c0) = ((k / columns) * (h + 1), (k % columns) * (w + 1));
        for y in 0..h {
            let at = (r0 + y) * cols + c0;
            data[at..at + w].copy_from_slice(&img[y * w..(y + 1) * w]);
        }
    }
    heatmap(
        stem,
        &Heatmap {
            title: title.to_string(),
            data,
            rows,
            cols,
            row_labels: vec![String::new(); rows],
            col_labels: vec![String::new(); cols],
            colormap: ColorMap::Gray,
            range,
            colorbar_label: "pixel".into(),
            ..Heatmap::default()
        },
    )
}

/// Greyscale images `(h, w)` each in one row, each with `labels[k]` under it (e.g. "7→1": true
/// and predicted class), on one colour range as [`image_grid`]. Writes `STEM.png` /
/// `STEM.svg`. Fails when an image is not `h · w` long or the labels are not one per image.
pub fn image_row(
    stem: impl AsRef<Path>,
    title: &str,
    images: &[Vec<f64>],
    hw: (usize, usize),
    labels: &[String],
    range: Option<(f64, f64)>,
) -> Result<(), PlotError> {
    row_of_maps(
        stem.as_ref(),
        title,
        images,
        hw,
        labels,
        range,
        ColorMap::Gray,
        "pixel",
    )
}

/// Signed maps `(h, w)` in one row (e.g. channels of an eigenvector or a weight), blue–white–red
/// on one range symmetric about 0, `labels[k]` under each and `colorbar_label` on the scale;
/// otherwise as [`image_row`].
pub fn signed_row(
    stem: impl AsRef<Path>,
    title: &str,
    maps: &[Vec<f64>],
    hw: (usize, usize),
    labels: &[String],
    colorbar_label: &str,
) -> Result<(), PlotError> {
    let m = maps
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, &v| a.max(v.abs()));
    let m = if m > 0.0 { m } else { 1.0 };
    row_of_maps(
        stem.as_ref(),
        title,
        maps,
        hw,
        labels,
        Some((-m, m)),
        ColorMap::Diverging,
        colorbar_label,
    )
}

#[allow(clippy::too_many_arguments)]
fn row_of_maps(
    stem: &Path,
    title: &str,
    images: &[Vec<f64>],
    (h, w): (usize, usize),
    labels: &[String],
    range: Option<(f64, f64)>,
    colormap: ColorMap,
    colorbar_label: &str,
) -> Result<(), PlotError> {
    check_len(stem, || "image labels".into(), images.len(), labels.len())?;
    let cols = (images.len() * (w + 1)).max(1) - 1;
    let mut data = vec![f64::NAN; h * cols.max(1)];
    let mut col_labels = vec![String::new(); cols.max(1)];
    for (k, img) in images.iter().enumerate() {
        check_len(stem, || format!("image {k}"), h * w, img.len())?;
        let c0 = k * (w + 1);
        for y in 0..h {
            data[y * cols + c0..y * cols + c0 + w].copy_from_slice(&img[y * w..(y + 1) * w]);
        }
        col_labels[c0 + w / 2].clone_from(&labels[k]);
    }
    heatmap(
        stem,
        &Heatmap {
            title: title.to_string(),
            data,
            rows: h,
            cols: cols.max(1),
            row_labels: vec![String::new(); h],
            col_labels,
            colormap,
            range,
            colorbar_label: colorbar_label.into(),
            ..Heatmap::default()
        },
    )
}
