//! Grids of x–y line panels: training curves (loss / accuracy vs step), example trials (inputs,
//! targets and outputs stacked with shaded task periods), any "several curves per axes" figure.
//!
//! ```no_run
//! use neurodyn_plot::{panels, Panel, Series, SeriesStyle, Shade};
//! let t: Vec<f64> = (0..100).map(|i| i as f64 * 20.0).collect();
//! let out: Vec<f64> = t.iter().map(|v| (v / 500.0).sin()).collect();
//! let panel = Panel {
//!     title: "Example trial".into(),
//!     x_label: "time (ms)".into(),
//!     y_label: "output".into(),
//!     series: vec![Series::new("choice 1", t.clone(), out).style(SeriesStyle::Line)],
//!     shaded: vec![Shade::new(0.0, 300.0, "fixation"), Shade::new(300.0, 1300.0, "stimulus")],
//!     ..Panel::default()
//! };
//! panels("/tmp/trial", &[panel], 1)?;
//! # Ok::<(), neurodyn_plot::PlotError>(())
//! ```

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{self, dashed, note_style, to_axis, Axes, Chart, Entries, LegendPos, Swatch};
use crate::output::{check_len, save, DrawErr, DrawResult, Figure};
use crate::raster::{self, Raster};
use crate::style::{
    finite_range, log_range, padded, palette, text_width, INK, NOTE_SIZE, PANEL_TITLE_SIZE,
    TITLE_SIZE,
};
use crate::PlotError;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesStyle {
    /// Solid line; non-finite points break the line into pieces.
    #[default]
    Line,
    /// Dashed line (targets, references).
    Dashed,
    /// Markers only.
    Points,
    /// Solid line with a marker on each point.
    LineAndPoints,
    /// Vertical stems from 0 to each value, with a marker on top.
    Stem,
    /// Solid line one pixel wide (many background curves, e.g. one per class, under a bold
    /// summary curve).
    Thin,
}

/// One named curve. `x` and `y` must have the same length; NaN/inf points are skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Legend text; an empty name gets no legend entry.
    pub name: String,
    /// x values (same length as `y`).
    pub x: Vec<f64>,
    /// y values.
    pub y: Vec<f64>,
    /// Palette index ([`crate::palette`]), or [`INK_INDEX`] for the house dark grey; `None` uses the
    /// series' position in its panel.
    pub color: Option<usize>,
    /// How the series is drawn.
    pub style: SeriesStyle,
    /// Error bars: the lower and upper y of each point (e.g. a 95 % interval), drawn as
    /// vertical lines with caps; `None` draws none.
    pub err: Option<(Vec<f64>, Vec<f64>)>,
}

impl Series {
    /// A solid-line series with the default colour.
    pub fn new(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            name: name.into(),
            x,
            y,
            color: None,
            style: SeriesStyle::Line,
            err: None,
        }
    }

    /// Same series with error bars from `lo` to `hi` (one pair per point).
    pub fn err(mut self, lo: Vec<f64>, hi: Vec<f64>) -> Self {
        self.err = Some((lo, hi));
        self
    }

    /// Same series drawn with `style`.
    pub fn style(mut self, style: SeriesStyle) -> Self {
        self.style = style;
        self
    }

    /// Same series in palette colour `index` ([`INK_INDEX`]: the dark grey of axes and text, set off
    /// from the ten palette colours).
    pub fn color(mut self, index: usize) -> Self {
        self.color = Some(index);
        self
    }
}

/// The colour index of the house dark grey (axes, text) for [`Series::color`]: a summary
/// curve drawn over curves in all ten palette colours.
pub const INK_INDEX: usize = usize::MAX;

/// The colour of palette index `i`, or the dark grey for [`INK_INDEX`].
fn series_color(i: usize) -> RGBColor {
    if i == INK_INDEX {
        INK
    } else {
        palette(i)
    }
}

/// A shaded x-interval with a label, e.g. a task period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shade {
    /// Start of the interval (x units).
    pub from: f64,
    /// End of the interval (x units).
    pub to: f64,
    /// Text written at the top of the band (skipped when the band is too narrow for it).
    pub label: String,
}

impl Shade {
    /// Band `[from, to]` labelled `label`.
    pub fn new(from: f64, to: f64, label: impl Into<String>) -> Self {
        Shade {
            from,
            to,
            label: label.into(),
        }
    }
}

/// One set of axes with its curves, shading and reference lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    /// Title above the axes (may be empty).
    pub title: String,
    /// x-axis label (leave empty on upper panels of a stack that share the time axis).
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// The curves.
    pub series: Vec<Series>,
    /// Fixed x range; `None` fits the data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range; `None` fits the data with a small margin.
    pub y_range: Option<(f64, f64)>,
    /// Logarithmic x axis (non-positive x are skipped).
    pub x_log: bool,
    /// Logarithmic y axis (non-positive y are skipped), e.g. for a loss curve.
    pub y_log: bool,
    /// Shaded x-intervals drawn behind the data (task periods).
    pub shaded: Vec<Shade>,
    /// Horizontal dashed reference lines at these y values (e.g. chance level).
    pub hlines: Vec<f64>,
    /// Vertical dashed reference lines at these x values (e.g. zero evidence).
    pub vlines: Vec<f64>,
    /// Where the legend of named series goes.
    pub legend: LegendPos,
    /// Names of the x positions 0, 1, …, n−1, written as the x ticks (a categorical axis, e.g.
    /// model kinds); the x range is then −0.5 … n−0.5 unless `x_range` is set. Empty: numeric.
    pub x_categories: Vec<String>,
    /// A matrix drawn as coloured cells under the series (many channels over time), with its
    /// colorbar on the right; the y axis then spans its rows. See [`Raster`].
    pub raster: Option<Raster>,
}

/// Draws `panels` in a grid with `columns` columns (row-major; `0` is treated as `1`) and
/// writes `STEM.png` and `STEM.svg`. Cells are 900×600 px for a single panel, 900×300 px when
/// stacked in one column, 620×420 px otherwise.
pub fn panels(stem: impl AsRef<Path>, panels: &[Panel], columns: usize) -> Result<(), PlotError> {
    let columns = columns.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(columns).max(1);
    let cell = match (rows, columns) {
        (1, 1) => (900, 600),
        (_, 1) => (900, 300),
        _ => (620, 420),
    };
    panels_sized(stem, panels, columns, cell)
}

/// [`panels`] with an explicit cell size in pixels (width, height) per panel.
pub fn panels_sized(
    stem: impl AsRef<Path>,
    panels: &[Panel],
    columns: usize,
    cell: (u32, u32),
) -> Result<(), PlotError> {
    let stem = stem.as_ref();
    for p in panels {
        if let Some(r) = &p.raster {
            check_len(
                stem,
                || format!("raster data in panel '{}'", p.title),
                r.rows * r.cols,
                r.data.len(),
            )?;
            if !r.row_labels.is_empty() {
                check_len(
                    stem,
                    || format!("raster row_labels in panel '{}'", p.title),
                    r.rows,
                    r.row_labels.len(),
                )?;
            }
        }
        for s in &p.series {
            check_len(
                stem,
                || format!("y of series '{}' in panel '{}'", s.name, p.title),
                s.x.len(),
                s.y.len(),
            )?;
        }
    }
    let columns = columns.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(columns).max(1);
    let fig = Grid {
        panels,
        rows,
        columns,
        cell: (cell.0.max(200), cell.1.max(150)),
    };
    save(stem, &fig)
}

struct Grid<'a> {
    panels: &'a [Panel],
    rows: usize,
    columns: usize,
    cell: (u32, u32),
}

impl Figure for Grid<'_> {
    fn size(&self) -> (u32, u32) {
        (
            self.cell.0 * self.columns as u32,
            self.cell.1 * self.rows as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let title_size = if self.panels.len() == 1 {
            TITLE_SIZE
        } else {
            PANEL_TITLE_SIZE
        };
        let areas = root.split_evenly((self.rows, self.columns));
        // Panels in one column share their y label area and legend strip, so that their
        // plotting areas (and time axes) line up.
        let mut align = vec![(0, 0); self.columns];
        for (k, (area, panel)) in areas.iter().zip(self.panels).enumerate() {
            let (y_area, strip) = panel_margins(area, panel, title_size);
            let a = &mut align[k % self.columns];
            *a = (a.0.max(y_area), a.1.max(strip));
        }
        for (k, (area, panel)) in areas.iter().zip(self.panels).enumerate() {
            draw_panel(area, panel, title_size, align[k % self.columns])?;
        }
        Ok(())
    }
}

/// Points of a series in drawn coordinates, split into finite runs.
fn runs(s: &Series, x_log: bool, y_log: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in s.x.iter().zip(&s.y) {
        let p = (to_axis(*x, x_log), to_axis(*y, y_log));
        if p.0.is_finite() && p.1.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push(p);
            }
        } else if out.last().is_some_and(|r| !r.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Axis range in drawn coordinates: explicit, or fitted to the finite `values`.
pub(crate) fn axis_range(
    explicit: Option<(f64, f64)>,
    log: bool,
    values: impl Iterator<Item = f64>,
    pad: f64,
) -> (f64, f64) {
    let r = match (explicit, log) {
        (Some((a, b)), log) => (to_axis(a, log), to_axis(b, log)),
        (None, true) => {
            let (a, b) = log_range(values);
            (a.log10(), b.log10())
        }
        (None, false) => padded(finite_range(values), pad),
    };
    if r.0.is_finite() && r.1.is_finite() && r.1 > r.0 {
        r
    } else {
        padded(None, 0.0)
    }
}

fn ranges(p: &Panel) -> ((f64, f64), (f64, f64)) {
    if let Some(r) = &p.raster {
        let x = p.x_range.map_or_else(
            || r.x_extent(),
            |(a, b)| (to_axis(a, p.x_log), to_axis(b, p.x_log)),
        );
        let y = p.y_range.map_or_else(
            || r.y_extent(),
            |(a, b)| (to_axis(a, p.y_log), to_axis(b, p.y_log)),
        );
        return (x, y);
    }
    let xs = p.series.iter().flat_map(|s| s.x.iter().copied());
    let x = match p.x_categories.len() {
        0 => axis_range(p.x_range, p.x_log, xs, 0.01),
        n => p.x_range.unwrap_or((-0.5, n as f64 - 0.5)),
    };
    let stems = p.series.iter().any(|s| s.style == SeriesStyle::Stem);
    let ys = p
        .series
        .iter()
        .flat_map(|s| s.y.iter().copied())
        .chain(p.hlines.iter().copied())
        .chain(stems.then_some(0.0));
    let y = axis_range(p.y_range, p.y_log, ys, 0.06);
    (x, y)
}

fn entries(p: &Panel) -> Entries {
    if p.legend == LegendPos::Hidden {
        return Vec::new();
    }
    p.series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.is_empty())
        .map(|(i, s)| {
            let c = series_color(s.color.unwrap_or(i));
            let swatch = match s.style {
                SeriesStyle::Dashed => Swatch::Dashed(c),
                SeriesStyle::Points | SeriesStyle::Stem => Swatch::Dot(c),
                _ => Swatch::Line(c),
            };
            (s.name.clone(), swatch)
        })
        .collect()
}

/// Draws one panel onto `area`.
/// A panel laid out on its area: the area left after a raster's colour-bar strip, that strip,
/// the axes, the legend entries and the points a legend must not cover.
struct PanelLayout<'a, DB: DrawingBackend> {
    area: DrawingArea<DB, Shift>,
    strip: Option<DrawingArea<DB, Shift>>,
    axes: Axes<'a>,
    entries: Entries,
    obstacles: Vec<(f64, f64)>,
}

/// The layout of panel `p` on `area`.
fn panel_axes<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &'a Panel,
    title_size: f64,
) -> PanelLayout<'a, DB> {
    let (area, strip) = match &p.raster {
        Some(r) => {
            let (w, _) = area.dim_in_pixel();
            let (a, s) = area.split_horizontally(w as i32 - r.colorbar_strip());
            (a, Some(s))
        }
        None => (area.clone(), None),
    };
    let (x, mut y) = ranges(p);
    if p.y_range.is_none() && p.shaded.iter().any(|s| !s.label.is_empty()) {
        y.1 += 0.14 * (y.1 - y.0); // headroom so period names sit above the data
    }
    let entries = entries(p);
    let axes = Axes {
        min_y_area: 0,
        title: &p.title,
        title_size,
        x_label: &p.x_label,
        y_label: &p.y_label,
        x,
        y,
        x_log: p.x_log,
        y_log: p.y_log,
        grid: p.raster.is_none(),
        custom_x_ticks: None,
        x_categories: &p.x_categories,
        custom_y_ticks: p.raster.as_ref().map(Raster::label_width),
    };
    let obstacles = obstacles(p, x, y);
    PanelLayout {
        area,
        strip,
        axes,
        entries,
        obstacles,
    }
}

/// The y label area and the legend strip panel `p` takes on `area` on its own.
fn panel_margins<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
    title_size: f64,
) -> (i32, i32) {
    let PanelLayout {
        area,
        axes,
        entries,
        obstacles,
        ..
    } = panel_axes(area, p, title_size);
    let strip = axes::legend_strip(&area, &axes, &entries, &obstacles, p.legend);
    let (w, h) = area.dim_in_pixel();
    let y_area = axes::y_area(&axes, ((w as i32 - strip).max(1) as u32, h));
    (y_area, strip)
}

pub(crate) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
    title_size: f64,
    (min_y_area, min_strip): (i32, i32),
) -> Result<(), DrawErr> {
    let PanelLayout {
        area,
        strip,
        mut axes,
        entries,
        obstacles,
    } = panel_axes(area, p, title_size);
    axes.min_y_area = min_y_area;
    let area = &area;
    let (x, y) = (axes.x, axes.y);
    let (main, side) =
        axes::reserve_legend_aligned(area, &axes, &entries, &obstacles, p.legend, min_strip);
    let mut chart = axes::build(&main, &axes)?;
    draw_body(&mut chart, p, x, y)?;
    axes::place_legend(&chart, side.as_ref(), &entries, &obstacles, p.legend)?;
    if let (Some(r), Some(strip)) = (&p.raster, &strip) {
        raster::draw_labels(&main, strip, &chart, r, x.0)?;
    }
    Ok(())
}

fn draw_body<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    p: &Panel,
    x: (f64, f64),
    y: (f64, f64),
) -> Result<(), DrawErr> {
    draw_shades(chart, p, x, y)?;
    if let Some(r) = &p.raster {
        let bounds: Vec<f64> = p.shaded.iter().map(|s| to_axis(s.from, p.x_log)).collect();
        raster::draw_cells(chart, r, &bounds)?;
    }
    for h in &p.hlines {
        let h = to_axis(*h, p.y_log);
        if h.is_finite() {
            dashed(
                chart,
                vec![(x.0, h), (x.1, h)],
                INK.mix(0.5).stroke_width(1),
            )?;
        }
    }
    for v in &p.vlines {
        let v = to_axis(*v, p.x_log);
        if v.is_finite() {
            dashed(
                chart,
                vec![(v, y.0), (v, y.1)],
                INK.mix(0.5).stroke_width(1),
            )?;
        }
    }
    for (i, s) in p.series.iter().enumerate() {
        draw_series(
            chart,
            s,
            series_color(s.color.unwrap_or(i)),
            p.x_log,
            p.y_log,
            y,
        )?;
    }
    Ok(())
}

/// Data points plus the period-label boxes, in drawn coordinates.
fn obstacles(p: &Panel, x: (f64, f64), y: (f64, f64)) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = p
        .series
        .iter()
        .flat_map(|s| runs(s, p.x_log, p.y_log))
        .flatten()
        .collect();
    for sh in p.shaded.iter().filter(|s| !s.label.is_empty()) {
        let (a, b) = (to_axis(sh.from, p.x_log), to_axis(sh.to, p.x_log));
        let top = y.1 - 0.05 * (y.1 - y.0);
        for k in 0..=8 {
            let xv = a + (b - a) * k as f64 / 8.0;
            if xv >= x.0 && xv <= x.1 {
                pts.push((xv, top));
            }
        }
    }
    pts
}

fn draw_shades<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    p: &Panel,
    x: (f64, f64),
    y: (f64, f64),
) -> Result<(), DrawErr> {
    for (k, sh) in p.shaded.iter().enumerate() {
        let a = to_axis(sh.from, p.x_log).max(x.0);
        let b = to_axis(sh.to, p.x_log).min(x.1);
        if !(a.is_finite() && b.is_finite()) || b <= a {
            continue;
        }
        // Alternate two soft tints so neighbouring periods stay distinguishable.
        let tint = if k % 2 == 0 {
            RGBColor(120, 120, 120).mix(0.10)
        } else {
            RGBColor(31, 119, 180).mix(0.08)
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(a, y.0), (b, y.1)],
            tint.filled(),
        )))?;
        let px = chart.backend_coord(&(b, y.1)).0 - chart.backend_coord(&(a, y.1)).0;
        if !sh.label.is_empty() && text_width(&sh.label, NOTE_SIZE) + 6 < px {
            let style = note_style(INK, NOTE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
            chart.draw_series(std::iter::once(
                EmptyElement::at(((a + b) / 2.0, y.1)) + Text::new(sh.label.clone(), (0, 5), style),
            ))?;
        }
    }
    Ok(())
}

fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    color: RGBColor,
    x_log: bool,
    y_log: bool,
    y: (f64, f64),
) -> Result<(), DrawErr> {
    let line = color.stroke_width(2);
    if let Some((lo, hi)) = &s.err {
        // Vertical bars with caps 3 px wide, under the markers.
        for ((&px, &a), &b) in s.x.iter().zip(lo).zip(hi) {
            let (px, a, b) = (to_axis(px, x_log), to_axis(a, y_log), to_axis(b, y_log));
            if !(px.is_finite() && a.is_finite() && b.is_finite()) {
                continue;
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(px, a), (px, b)],
                color.stroke_width(1),
            )))?;
            for end in [a, b] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((px, end))
                        + PathElement::new(vec![(-3, 0), (3, 0)], color.stroke_width(1)),
                ))?;
            }
        }
    }
    let runs = runs(s, x_log, y_log);
    let n: usize = runs.iter().map(Vec::len).sum();
    let radius = if n > 200 {
        2
    } else if n > 60 {
        3
    } else {
        4
    };
    for run in runs {
        match s.style {
            SeriesStyle::Line => {
                chart.draw_series(LineSeries::new(run, line))?;
            }
            SeriesStyle::Dashed => dashed(chart, run, line)?,
            SeriesStyle::Thin => {
                chart.draw_series(LineSeries::new(run, color.stroke_width(1)))?;
            }
            SeriesStyle::Points => {
                chart.draw_series(
                    run.into_iter()
                        .map(|p| Circle::new(p, radius, color.filled())),
                )?;
            }
            SeriesStyle::LineAndPoints => {
                chart.draw_series(LineSeries::new(run.clone(), line))?;
                chart.draw_series(
                    run.into_iter()
                        .map(|p| Circle::new(p, radius, color.filled())),
                )?;
            }
            SeriesStyle::Stem => {
                let base = if y_log { y.0 } else { 0.0 };
                chart.draw_series(run.iter().map(|&(px, py)| {
                    PathElement::new(vec![(px, base), (px, py)], color.stroke_width(1))
                }))?;
                chart.draw_series(
                    run.into_iter()
                        .map(|p| Circle::new(p, radius, color.filled())),
                )?;
            }
        }
    }
    Ok(())
}
