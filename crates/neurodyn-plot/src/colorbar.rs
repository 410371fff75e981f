//! A vertical colorbar: the colour map as a gradient strip with value ticks and a rotated
//! label, drawn in pixel coordinates beside a heatmap or value-coloured plot.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::note_style;
use crate::output::DrawErr;
use crate::style::{nice_ticks, text_width, tick_text, ColorMap, INK, LABEL_SIZE, TICK_SIZE};

/// Width of the gradient strip in pixels.
const BAR_W: i32 = 20;

/// Horizontal space (pixels) a colorbar with these ticks and label needs.
pub(crate) fn colorbar_width(range: (f64, f64), label: &str) -> i32 {
    let ticks = nice_ticks(range.0, range.1, 6);
    let widest = ticks
        .iter()
        .map(|v| text_width(&tick_text(*v), TICK_SIZE))
        .max()
        .unwrap_or(20);
    BAR_W
        + 10
        + widest
        + if label.is_empty() {
            8
        } else {
            LABEL_SIZE as i32 + 18
        }
}

/// Draws the colorbar with its strip spanning pixel rows `top..bottom` at column `left` of
/// `area`; `range` maps to the map's `[0, 1]` (low value at the bottom).
pub(crate) fn draw_colorbar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (left, top, bottom): (i32, i32, i32),
    range: (f64, f64),
    map: ColorMap,
    label: &str,
) -> Result<(), DrawErr> {
    let h = (bottom - top).max(1);
    for row in 0..h {
        let t = 1.0 - (row as f64 + 0.5) / h as f64;
        area.draw(&Rectangle::new(
            [(left, top + row), (left + BAR_W, top + row + 1)],
            map.color(t).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(left, top), (left + BAR_W, bottom)],
        INK.stroke_width(1),
    ))?;
    let (lo, hi) = range;
    let span = hi - lo;
    let style = note_style(INK, TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut widest = 0;
    if span > 0.0 && span.is_finite() {
        for v in nice_ticks(lo, hi, 6) {
            let y = bottom - ((v - lo) / span * h as f64).round() as i32;
            area.draw(&PathElement::new(
                vec![(left + BAR_W, y), (left + BAR_W + 5, y)],
                INK.stroke_width(1),
            ))?;
            let text = tick_text(v);
            widest = widest.max(text_width(&text, TICK_SIZE));
            area.draw(&Text::new(text, (left + BAR_W + 8, y), style.clone()))?;
        }
    }
    if !label.is_empty() {
        let x = left + BAR_W + 14 + widest + LABEL_SIZE as i32 / 2;
        let style = note_style(INK, LABEL_SIZE)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw(&Text::new(
            label.to_string(),
            (x, (top + bottom) / 2),
            style,
        ))?;
    }
    Ok(())
}
