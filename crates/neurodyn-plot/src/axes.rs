//! The standard 2-D axes every x–y figure shares: caption, margins sized to the tick text,
//! light grid, axis labels, log axes (data are drawn as `log10(v)` on a linear axis and the
//! ticks are labelled with the original values), and a legend placed in the emptiest corner.

use plotters::chart::ChartContext;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::output::DrawErr;
use crate::style::{
    nice_ticks, text_width, tick_text, FONT, GRID, INK, LABEL_SIZE, LEGEND_SIZE, TICK_SIZE,
};

/// A linear 2-D chart in data coordinates.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What the axes of one chart look like.
pub(crate) struct Axes<'a> {
    /// The y label area is at least this wide (px): panels stacked in a figure share one, so
    /// their plotting areas line up.
    pub min_y_area: i32,
    pub title: &'a str,
    pub title_size: f64,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Axis ranges in drawn coordinates (already `log10` for a log axis).
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub x_log: bool,
    pub y_log: bool,
    /// Draw grid lines.
    pub grid: bool,
    /// Extra pixels below the x axis for labels the caller draws itself (then plotters draws
    /// no x tick labels); `None` ⇒ plotters' numeric x ticks.
    pub custom_x_ticks: Option<i32>,
    /// Pixels left of the y axis for labels the caller draws itself (then plotters draws no y
    /// tick labels); `None` ⇒ plotters' numeric y ticks.
    pub custom_y_ticks: Option<i32>,
    /// Names of the x positions 0, 1, …, n−1 (a categorical x axis); empty: numeric ticks.
    pub x_categories: &'a [String],
}

/// Maps a data value to drawn coordinates: `log10` on a log axis (non-positive ⇒ NaN).
pub(crate) fn to_axis(v: f64, log: bool) -> f64 {
    if !log {
        v
    } else if v > 0.0 {
        v.log10()
    } else {
        f64::NAN
    }
}

/// Tick text in data units. On a log axis spanning at least a decade only whole powers of ten
/// are labelled (the other grid lines stay unlabelled); on a narrower one values get two
/// significant digits.
fn axis_tick(v: f64, log: bool, span: f64) -> String {
    if !log {
        // Key points such as -5.6e-17 are zero up to rounding.
        return tick_text(if v.abs() < span.abs() * 1e-9 { 0.0 } else { v });
    }
    let whole = (v - v.round()).abs() < 1e-6;
    if whole {
        tick_text(10f64.powf(v.round()))
    } else if span >= 1.0 {
        String::new()
    } else {
        let value = 10f64.powf(v);
        let digits = 1 - value.abs().log10().floor() as i32;
        let scale = 10f64.powi(digits);
        tick_text((value * scale).round() / scale)
    }
}

/// The y label area's width (px) for axes `ax` on an area of `dims` pixels.
pub(crate) fn y_area(ax: &Axes, dims: (u32, u32)) -> i32 {
    layout(ax, dims).y_area
}

/// Label-area sizes and tick counts for axes `ax` on an area of `dims` pixels.
struct Layout {
    n_x: usize,
    n_y: usize,
    x_area: i32,
    y_area: i32,
}

const MARGIN: (i32, i32, i32, i32) = (8, 6, 8, 22); // top, bottom, left, right

fn layout(ax: &Axes, (w, h): (u32, u32)) -> Layout {
    let n_x = ((w as f64 / 110.0).round() as usize).clamp(2, 10);
    let n_y = ((h as f64 / 70.0).round() as usize).clamp(2, 8);
    let widest = ax.custom_y_ticks.unwrap_or_else(|| {
        nice_ticks(ax.y.0, ax.y.1, n_y)
            .iter()
            .map(|v| text_width(&axis_tick(*v, ax.y_log, ax.y.1 - ax.y.0), TICK_SIZE))
            .max()
            .unwrap_or(20)
    });
    Layout {
        n_x,
        n_y,
        x_area: ax.custom_x_ticks.unwrap_or(TICK_SIZE as i32)
            + 14
            + if ax.x_label.is_empty() { 0 } else { 30 },
        y_area: (widest + 14 + if ax.y_label.is_empty() { 0 } else { 32 }).max(ax.min_y_area),
    }
}

/// Estimated size in pixels of the plotting area `build` will create on an area of `dims`.
pub(crate) fn plot_dims(ax: &Axes, dims: (u32, u32)) -> (i32, i32) {
    let l = layout(ax, dims);
    let caption = if ax.title.is_empty() {
        0
    } else {
        ax.title_size as i32 + 10
    };
    (
        dims.0 as i32 - MARGIN.2 - MARGIN.3 - l.y_area,
        dims.1 as i32 - MARGIN.0 - MARGIN.1 - l.x_area - caption,
    )
}

/// A title that fits `width` pixels: the text at `size`, else at a smaller size (down to 75 %),
/// else cut with "…" at that size. A centred caption wider than its area loses both ends.
pub(crate) fn fit_title(title: &str, size: f64, width: i32) -> (String, f64) {
    // `text_width` measures the regular face; the bold one is up to ~10 % wider.
    let text_width = |t: &str, s: f64| (text_width(t, s) as f64 * 1.1).ceil() as i32;
    let mut s = size;
    while text_width(title, s) > width && s > 0.75 * size {
        s -= 0.5;
    }
    if text_width(title, s) <= width {
        return (title.to_string(), s);
    }
    let mut chars: Vec<char> = title.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(&cut, s) <= width {
            return (cut, s);
        }
    }
    (String::new(), s)
}

/// Builds the chart and draws its mesh; the caller then draws series onto it.
pub(crate) fn build<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    ax: &Axes,
) -> Result<Chart<'a, DB>, DrawErr> {
    let Layout {
        n_x,
        n_y,
        x_area,
        y_area,
    } = layout(ax, area.dim_in_pixel());
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(MARGIN.0)
        .margin_bottom(MARGIN.1)
        .margin_left(MARGIN.2)
        .margin_right(MARGIN.3)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    let title;
    if !ax.title.is_empty() {
        let (text, size) = fit_title(ax.title, ax.title_size, area.dim_in_pixel().0 as i32 - 8);
        title = text;
        builder.caption(&title, bold(size));
    }
    let mut chart = builder.build_cartesian_2d(ax.x.0..ax.x.1, ax.y.0..ax.y.1)?;

    let (x_log, y_log) = (ax.x_log, ax.y_log);
    let (x_span, y_span) = (ax.x.1 - ax.x.0, ax.y.1 - ax.y.0);
    let categories = ax.x_categories;
    let fx = move |v: &f64| {
        if categories.is_empty() {
            return axis_tick(*v, x_log, x_span);
        }
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < categories.len() {
            categories[k as usize].clone()
        } else {
            String::new()
        }
    };
    let fy = move |v: &f64| axis_tick(*v, y_log, y_span);
    let grid = if ax.grid { GRID } else { WHITE };
    chart
        .configure_mesh()
        .x_labels(match (ax.custom_x_ticks, categories.len()) {
            (Some(_), _) => 0,
            (None, 0) => n_x,
            (None, n) => n,
        })
        .y_labels(if ax.custom_y_ticks.is_some() { 0 } else { n_y })
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style((FONT, TICK_SIZE).into_font().color(&INK))
        .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK))
        .x_desc(ax.x_label)
        .y_desc(ax.y_label)
        .bold_line_style(grid.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.stroke_width(1))
        .set_all_tick_mark_size(5)
        .draw()?;
    Ok(chart)
}

/// Where a figure's legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendPos {
    /// Inside the axes in a corner free of data if there is one, otherwise outside on the right.
    #[default]
    Auto,
    /// Always outside the axes, to the right.
    Right,
    /// No legend even if series are named.
    Hidden,
}

/// A legend entry's symbol.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Dot(RGBColor),
    Hollow(RGBColor),
    Cross(RGBColor),
}

/// Legend entries: text and symbol.
pub(crate) type Entries = Vec<(String, Swatch)>;

const ROW_H: i32 = 24;
const PAD: i32 = 8;
const SWATCH_W: i32 = 26;

/// Pixel size (width, height) of the legend box for `entries`.
pub(crate) fn legend_size(entries: &Entries) -> (i32, i32) {
    let text = entries
        .iter()
        .map(|(t, _)| text_width(t, LEGEND_SIZE))
        .max()
        .unwrap_or(0);
    (
        PAD + SWATCH_W + 8 + text + PAD,
        PAD + ROW_H * entries.len() as i32 + PAD / 2,
    )
}

fn draw_swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    swatch: Swatch,
) -> Result<(), DrawErr> {
    let w = SWATCH_W;
    match swatch {
        Swatch::Line(c) => area.draw(&PathElement::new(
            vec![(x, y), (x + w, y)],
            c.stroke_width(3),
        ))?,
        Swatch::Dashed(c) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 9, y)],
                c.stroke_width(3),
            ))?;
            area.draw(&PathElement::new(
                vec![(x + 16, y), (x + w, y)],
                c.stroke_width(3),
            ))?;
        }
        Swatch::Dot(c) => area.draw(&Circle::new((x + w / 2, y), 5, c.filled()))?,
        Swatch::Hollow(c) => {
            area.draw(&Circle::new((x + w / 2, y), 6, WHITE.filled()))?;
            area.draw(&Circle::new((x + w / 2, y), 6, c.stroke_width(2)))?;
        }
        Swatch::Cross(c) => {
            let (cx, r) = (x + w / 2, 6);
            area.draw(&PathElement::new(
                vec![(cx - r, y - r), (cx + r, y + r)],
                c.stroke_width(3),
            ))?;
            area.draw(&PathElement::new(
                vec![(cx - r, y + r), (cx + r, y - r)],
                c.stroke_width(3),
            ))?;
        }
    }
    Ok(())
}

/// Draws a framed legend with its top-left corner at `origin` (pixels in `area`).
pub(crate) fn draw_legend_at<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &Entries,
    origin: (i32, i32),
) -> Result<(), DrawErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, h) = legend_size(entries);
    let (x, y) = origin;
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        WHITE.mix(0.9).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x, y), (x + w, y + h)],
        RGBColor(200, 200, 200).stroke_width(1),
    ))?;
    let style = note_style(INK, LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (text, swatch)) in entries.iter().enumerate() {
        let cy = y + PAD + ROW_H * k as i32 + ROW_H / 2;
        draw_swatch(area, (x + PAD, cy), *swatch)?;
        area.draw(&Text::new(
            text.clone(),
            (x + PAD + SWATCH_W + 8, cy),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// Data points inside each corner box (upper right, upper left, lower right, lower left) of a
/// legend-sized box on a plot of `plot` pixels showing ranges `x`, `y`.
fn corner_counts(
    plot: (i32, i32),
    x: (f64, f64),
    y: (f64, f64),
    entries: &Entries,
    obstacles: &[(f64, f64)],
) -> [usize; 4] {
    let (lw, lh) = legend_size(entries);
    let bw = (lw + 12) as f64 / plot.0.max(1) as f64;
    let bh = (lh + 12) as f64 / plot.1.max(1) as f64;
    let mut counts = [0usize; 4];
    for (px, py) in obstacles {
        let u = (px - x.0) / (x.1 - x.0);
        let v = (py - y.0) / (y.1 - y.0);
        if !(u.is_finite() && v.is_finite()) {
            continue;
        }
        let (left, right) = (u <= bw, u >= 1.0 - bw);
        let (top, bottom) = (v >= 1.0 - bh, v <= bh);
        counts[0] += (right && top) as usize;
        counts[1] += (left && top) as usize;
        counts[2] += (right && bottom) as usize;
        counts[3] += (left && bottom) as usize;
    }
    counts
}

/// The first corner (upper right, upper left, lower right, lower left) where the legend box
/// covers none of `obstacles` (data coordinates), if any.
pub(crate) fn free_corner(
    plot: (i32, i32),
    x: (f64, f64),
    y: (f64, f64),
    entries: &Entries,
    obstacles: &[(f64, f64)],
) -> Option<usize> {
    let counts = corner_counts(plot, x, y, entries, obstacles);
    (0..4).find(|i| counts[*i] == 0)
}

/// Draws the legend inside the plotting area of `chart`, in the corner covering the fewest
/// `obstacles` (data coordinates); ties prefer upper right.
pub(crate) fn legend_inside<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    entries: &Entries,
    obstacles: &[(f64, f64)],
) -> Result<(), DrawErr> {
    if entries.is_empty() {
        return Ok(());
    }
    let plot = chart.plotting_area().strip_coord_spec();
    let (pw, ph) = plot.dim_in_pixel();
    let (pw, ph) = (pw as i32, ph as i32);
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let counts = corner_counts(
        (pw, ph),
        (xr.start, xr.end),
        (yr.start, yr.end),
        entries,
        obstacles,
    );
    let best = (0..4).min_by_key(|i| counts[*i]).unwrap_or(0);
    let (lw, lh) = legend_size(entries);
    let m = 10;
    let origin = match best {
        0 => (pw - lw - m, m),
        1 => (m, m),
        2 => (pw - lw - m, ph - lh - m),
        _ => (m, ph - lh - m),
    };
    draw_legend_at(&plot, entries, origin)
}

/// Splits `area` for a chart and, when the legend must go outside, a strip on the right for
/// it. Returns (chart area, legend strip). With [`LegendPos::Auto`] the legend goes inside when
/// some corner of the plot is free of `obstacles` (data coordinates of everything drawn).
pub(crate) fn reserve_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ax: &Axes,
    entries: &Entries,
    obstacles: &[(f64, f64)],
    pos: LegendPos,
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    reserve_legend_aligned(area, ax, entries, obstacles, pos, 0)
}

/// The width (px) a legend beside the axes takes (0 when it goes inside).
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ax: &Axes,
    entries: &Entries,
    obstacles: &[(f64, f64)],
    pos: LegendPos,
) -> i32 {
    let (w, _) = area.dim_in_pixel();
    match reserve_legend(area, ax, entries, obstacles, pos) {
        (_, None) => 0,
        (main, Some(_)) => w as i32 - main.dim_in_pixel().0 as i32,
    }
}

/// [`reserve_legend`], keeping at least `min_strip` px on the right (empty when the legend goes
/// inside), so that panels stacked in one figure share the width of their plotting areas.
pub(crate) fn reserve_legend_aligned<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ax: &Axes,
    entries: &Entries,
    obstacles: &[(f64, f64)],
    pos: LegendPos,
    min_strip: i32,
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    let (w, _) = area.dim_in_pixel();
    if min_strip > 0 {
        let (main, side) = area.split_horizontally(w as i32 - min_strip);
        let inside = match pos {
            LegendPos::Hidden => true,
            LegendPos::Right => entries.is_empty(),
            LegendPos::Auto => {
                entries.is_empty()
                    || free_corner(
                        plot_dims(ax, main.dim_in_pixel()),
                        ax.x,
                        ax.y,
                        entries,
                        obstacles,
                    )
                    .is_some()
            }
        };
        return (main, (!inside).then_some(side));
    }
    let inside = match pos {
        LegendPos::Hidden => true,
        LegendPos::Right => entries.is_empty(),
        LegendPos::Auto => {
            entries.is_empty()
                || free_corner(
                    plot_dims(ax, area.dim_in_pixel()),
                    ax.x,
                    ax.y,
                    entries,
                    obstacles,
                )
                .is_some()
        }
    };
    if inside {
        return (area.clone(), None);
    }
    let (w, _) = area.dim_in_pixel();
    let (lw, _) = legend_size(entries);
    let (main, side) = area.split_horizontally(w as i32 - lw - 14);
    (main, Some(side))
}

/// Draws the legend planned by [`reserve_legend`]: in `side` (top-aligned with the plot) if
/// given, otherwise inside the plot's freest corner. Does nothing for [`LegendPos::Hidden`].
pub(crate) fn place_legend<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    side: Option<&DrawingArea<DB, Shift>>,
    entries: &Entries,
    obstacles: &[(f64, f64)],
    pos: LegendPos,
) -> Result<(), DrawErr> {
    if pos == LegendPos::Hidden || entries.is_empty() {
        return Ok(());
    }
    match side {
        Some(side) => {
            let top = chart.plotting_area().get_pixel_range().1.start - side.get_base_pixel().1;
            draw_legend_at(side, entries, (4, top))
        }
        None => legend_inside(chart, entries, obstacles),
    }
}

/// Dashed polyline in data coordinates (plotters' dashed series, wrapped for reuse).
pub(crate) fn dashed<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: Vec<(f64, f64)>,
    style: ShapeStyle,
) -> Result<(), DrawErr> {
    chart.draw_series(DashedLineSeries::new(points, 8, 6, style))?;
    Ok(())
}

/// Text style for annotations drawn by the figure modules themselves.
pub(crate) fn note_style(color: RGBColor, size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

/// Bold title font (loads the bold face; `FontDesc::style` alone would keep the regular one).
pub(crate) fn bold(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold)
}

#[cfg(test)]
mod title_tests {
    use super::fit_title;
    use crate::style::{ensure_fonts, text_width};

    #[test]
    fn titles_shrink_then_cut_to_fit() {
        ensure_fonts().expect("fonts");
        let (t, s) = fit_title("short", 16.0, 600);
        assert_eq!((t.as_str(), s), ("short", 16.0));
        let long =
            "trial 0 inputs: ground_truth=2 (choice1), coherence=51.2, signed_coherence=-51.2";
        let (t, s) = fit_title(long, 16.0, 300);
        assert!(t.ends_with('…') && s >= 12.0, "{t} at {s}");
        assert!(text_width(&t, s) <= 300, "{t}");
    }
}
