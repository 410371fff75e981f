//! [`Raster`]: a matrix drawn as coloured cells on a line panel's axes, for signals with too many
//! channels to draw as lines (a ring of 32 stimulus units over time). Row `r` spans
//! `y ∈ [r − ½, r + ½]`, row 0 at the bottom, so the y axis reads the row index; column `c`
//! spans `x ∈ [x0 + c·dx, x0 + (c + 1)·dx)`, so the panel's time axis, shaded periods and series
//! line up with it. A colorbar sits on the right.
//!
//! Row labels are grouped: consecutive rows whose labels differ only in a consecutive trailing
//! number (`stimulus0`, `stimulus1`, …) get one label (`stimulus0–31`) at the group's centre and
//! a thin line sets the group off from its neighbours. Labels that would overlap are thinned.
//! Runs of equal cells along a row are drawn as one rectangle (crisp, small SVG); past 10 000
//! rectangles the raster is drawn as one embedded image instead.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{note_style, Chart};
use crate::colorbar::{colorbar_width, draw_colorbar};
use crate::output::DrawErr;
use crate::style::{text_width, ColorMap, INK, NOTE_SIZE};

/// A matrix to draw as coloured cells on a [`crate::Panel`]'s axes (set `Panel::raster`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Raster {
    /// Number of rows (e.g. input channels).
    pub rows: usize,
    /// Number of columns (e.g. time steps).
    pub cols: usize,
    /// Values, row-major, `rows * cols` long. Non-finite cells are drawn light grey.
    pub data: Vec<f64>,
    /// x of the left edge of column 0.
    pub x0: f64,
    /// Width of one column in x units; a non-positive or non-finite width counts as 1.
    pub dx: f64,
    /// One label per row (grouped as described in the module docs); empty ⇒ row indices.
    pub row_labels: Vec<String>,
    /// Sequential (viridis) or diverging (blue–white–red, symmetric about 0 by default).
    pub colormap: ColorMap,
    /// Value range of the colour map; `None` ⇒ data range (±max|v| for diverging).
    pub range: Option<(f64, f64)>,
    /// Text beside the colorbar.
    pub colorbar_label: String,
}

/// Above this many rectangles the cells are drawn as one image.
const MAX_RECTS: usize = 10_000;

impl Raster {
    /// Column width actually used.
    pub(crate) fn step(&self) -> f64 {
        if self.dx.is_finite() && self.dx > 0.0 {
            self.dx
        } else {
            1.0
        }
    }

    /// x extent `(left, right)`.
    pub(crate) fn x_extent(&self) -> (f64, f64) {
        (self.x0, self.x0 + self.cols as f64 * self.step())
    }

    /// y extent `(bottom, top)`.
    pub(crate) fn y_extent(&self) -> (f64, f64) {
        (-0.5, self.rows.max(1) as f64 - 0.5)
    }

    pub(crate) fn value_range(&self) -> (f64, f64) {
        self.colormap
            .value_range(self.range, self.data.iter().copied())
    }

    fn color(&self, v: f64, range: (f64, f64)) -> RGBColor {
        if !v.is_finite() {
            return RGBColor(215, 215, 215);
        }
        let (lo, hi) = range;
        self.colormap.color((v - lo) / (hi - lo))
    }

    /// Pixels the colorbar strip needs on the right of the panel.
    pub(crate) fn colorbar_strip(&self) -> i32 {
        16 + colorbar_width(self.value_range(), &self.colorbar_label)
    }

    /// Pixels the row labels need left of the axis.
    pub(crate) fn label_width(&self) -> i32 {
        row_groups(self)
            .iter()
            .map(|g| text_width(&g.2, NOTE_SIZE))
            .max()
            .unwrap_or(10)
    }
}

/// Rows `[start, end)` sharing one label, and the label.
fn row_groups(r: &Raster) -> Vec<(usize, usize, String)> {
    if r.row_labels.is_empty() {
        return (0..r.rows).map(|i| (i, i + 1, i.to_string())).collect();
    }
    let split = |s: &str| -> (String, Option<u64>) {
        let digits = s.len() - s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, tail) = s.split_at(s.len() - digits);
        (head.to_string(), tail.parse().ok())
    };
    let mut groups: Vec<(usize, usize, String)> = Vec::new();
    let mut first: Option<u64> = None;
    for (i, label) in r.row_labels.iter().enumerate().take(r.rows) {
        let (head, num) = split(label);
        let joins = i > 0 && !head.is_empty() && {
            let (ph, pn) = split(&r.row_labels[i - 1]);
            ph == head && matches!((pn, num), (Some(a), Some(b)) if b == a + 1)
        };
        match groups.last_mut() {
            Some(g) if joins => {
                g.1 = i + 1;
                g.2 = format!("{head}{}–{}", first.unwrap_or(0), num.unwrap_or(0));
            }
            _ => {
                groups.push((i, i + 1, label.clone()));
                first = num;
            }
        }
    }
    groups
}

/// Draws the cells, the group separators and the period boundaries (`bounds`, x values) onto
/// the chart.
pub(crate) fn draw_cells<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    r: &Raster,
    bounds: &[f64],
) -> Result<(), DrawErr> {
    let (rows, cols) = (r.rows, r.cols);
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let range = r.value_range();
    let dx = r.step();
    // Runs of equal values along each row: (row, first col, end col).
    let mut runs = Vec::new();
    for row in 0..rows {
        let v = &r.data[row * cols..(row + 1) * cols];
        let mut c0 = 0;
        for c in 1..=cols {
            if c == cols || v[c].to_bits() != v[c0].to_bits() {
                runs.push((row, c0, c));
                c0 = c;
            }
        }
    }
    if runs.len() <= MAX_RECTS {
        chart.draw_series(runs.iter().map(|&(row, c0, c1)| {
            let y = row as f64;
            Rectangle::new(
                [
                    (r.x0 + c0 as f64 * dx, y - 0.5),
                    (r.x0 + c1 as f64 * dx, y + 0.5),
                ],
                r.color(r.data[row * cols + c0], range).filled(),
            )
        }))?;
    } else {
        let (x0, x1) = r.x_extent();
        let (y0, y1) = r.y_extent();
        let (px0, py0) = chart.backend_coord(&(x0, y1));
        let (px1, py1) = chart.backend_coord(&(x1, y0));
        let (w, h) = ((px1 - px0).max(1) as usize, (py1 - py0).max(1) as usize);
        let mut buf = Vec::with_capacity(w * h * 3);
        for py in 0..h {
            let row = rows - 1 - ((py * rows) / h).min(rows - 1);
            for px in 0..w {
                let c = ((px * cols) / w).min(cols - 1);
                let col = r.color(r.data[row * cols + c], range);
                buf.extend_from_slice(&[col.0, col.1, col.2]);
            }
        }
        if let Some(img) = BitMapElement::with_owned_buffer((x0, y1), (w as u32, h as u32), buf) {
            chart.draw_series(std::iter::once(img))?;
        }
    }
    let (x0, x1) = r.x_extent();
    let (y0, y1) = r.y_extent();
    let line = INK.mix(0.45).stroke_width(1);
    for g in row_groups(r).iter().skip(1) {
        let y = g.0 as f64 - 0.5;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, y), (x1, y)],
            line,
        )))?;
    }
    for &b in bounds.iter().filter(|b| **b > x0 && **b < x1) {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(b, y0), (b, y1)],
            line,
        )))?;
    }
    Ok(())
}

/// Draws the row labels left of the axis and the colorbar in `strip` (both areas of the same
/// figure as the chart).
pub(crate) fn draw_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    strip: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    r: &Raster,
    x_left: f64,
) -> Result<(), DrawErr> {
    let base = area.get_base_pixel();
    let style = note_style(INK, NOTE_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
    let mut last_y: Option<i32> = None;
    let gap = NOTE_SIZE as i32 + 2;
    for (a, b, text) in row_groups(r) {
        let (px, py) = chart.backend_coord(&(x_left, (a + b - 1) as f64 / 2.0));
        if last_y.is_some_and(|ly| ly - py < gap) {
            continue;
        }
        last_y = Some(py);
        let (x, y) = (px - base.0, py - base.1);
        area.draw(&PathElement::new(
            vec![(x - 5, y), (x, y)],
            INK.stroke_width(1),
        ))?;
        area.draw(&Text::new(text, (x - 8, y), style.clone()))?;
    }
    let (y0, y1) = r.y_extent();
    let sb = strip.get_base_pixel();
    let top = chart.backend_coord(&(x_left, y1)).1 - sb.1;
    let bottom = chart.backend_coord(&(x_left, y0)).1 - sb.1;
    draw_colorbar(
        strip,
        (16, top, bottom),
        r.value_range(),
        r.colormap,
        &r.colorbar_label,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(labels: &[&str]) -> Raster {
        Raster {
            rows: labels.len(),
            row_labels: labels.iter().map(|s| s.to_string()).collect(),
            ..Raster::default()
        }
    }

    #[test]
    fn numbered_rows_share_a_label() {
        let g = row_groups(&raster(&[
            "fixation",
            "stimulus0",
            "stimulus1",
            "stimulus2",
            "loc0_shape0",
            "loc0_shape1",
            "loc1_shape0",
            "loc1_shape1",
            "cue1",
            "cue3",
        ]));
        let want = [
            (0, 1, "fixation"),
            (1, 4, "stimulus0–2"),
            (4, 6, "loc0_shape0–1"),
            (6, 8, "loc1_shape0–1"),
            (8, 9, "cue1"),
            (9, 10, "cue3"),
        ];
        let got: Vec<(usize, usize, &str)> =
            g.iter().map(|(a, b, s)| (*a, *b, s.as_str())).collect();
        assert_eq!(got, want);
        let numeric = row_groups(&Raster {
            rows: 3,
            ..Raster::default()
        });
        assert_eq!(numeric.len(), 3);
        assert_eq!(numeric[2].2, "2");
    }
}
