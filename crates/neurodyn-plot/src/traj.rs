//! State-space figures: trajectories (e.g. PCA projections of population activity) coloured by
//! condition, with start markers, fixed points (filled = stable, hollow = unstable, cross =
//! other) and segments (e.g. a line-attractor direction). The data types are shared by the
//! 2-D ([`trajectories_2d`]) and 3-D ([`crate::trajectories_3d`]) builders through the
//! dimension `D`.
//!
//! ```no_run
//! use neurodyn_plot::{trajectories_2d, Marker, MarkerKind, Traj, TrajColor, TrajPlot};
//! let plot = TrajPlot::<2> {
//!     title: "Population trajectories".into(),
//!     axis_labels: ["PC 1".into(), "PC 2".into()],
//!     trajs: vec![Traj {
//!         points: vec![[0.0, 0.0], [1.0, 0.5], [1.5, 1.5]],
//!         color: TrajColor::Category(0),
//!         label: "choice left".into(),
//!     }],
//!     markers: vec![Marker { pos: [1.5, 1.5], kind: MarkerKind::Filled, label: "stable".into() }],
//!     ..TrajPlot::default()
//! };
//! trajectories_2d("/tmp/pca", &plot)?;
//! # Ok::<(), neurodyn_plot::PlotError>(())
//! ```

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::{self, Axes, Chart, Entries, LegendPos, Swatch};
use crate::colorbar::{colorbar_width, draw_colorbar};
use crate::output::{save, DrawErr, DrawResult, Figure};
use crate::style::{finite_range, padded, palette, ColorMap, INK, TITLE_SIZE};
use crate::PlotError;

/// How a trajectory is coloured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrajColor {
    /// Palette colour `i` (a condition / category).
    Category(usize),
    /// Position `t ∈ [0, 1]` on the plot's colour map (e.g. a normalised coherence).
    Value(f64),
}

impl Default for TrajColor {
    fn default() -> Self {
        TrajColor::Category(0)
    }
}

/// One trajectory through a `D`-dimensional space. Non-finite points break the line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Traj<const D: usize> {
    /// Points in order of time.
    pub points: Vec<[f64; D]>,
    /// Colour of the line and its start marker.
    pub color: TrajColor,
    /// Legend text; trajectories sharing a label share one legend entry. Empty ⇒ no entry.
    pub label: String,
}

/// What a marker denotes (its drawing follows dynamical-systems convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarkerKind {
    /// Filled black circle: a stable fixed point.
    #[default]
    Filled,
    /// Hollow circle: an unstable fixed point.
    Hollow,
    /// Cross: anything else (saddles, slow points, targets).
    Cross,
}

/// A labelled point such as a fixed point.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker<const D: usize> {
    /// Position.
    pub pos: [f64; D],
    /// Symbol.
    pub kind: MarkerKind,
    /// Legend text; markers sharing a label share one entry. Empty ⇒ no entry.
    pub label: String,
}

/// A straight segment such as a line-attractor direction, drawn thick and dark.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment<const D: usize> {
    /// One end.
    pub from: [f64; D],
    /// The other end.
    pub to: [f64; D],
    /// Legend text (empty ⇒ no entry).
    pub label: String,
}

/// A state-space figure in `D` dimensions (2 or 3).
#[derive(Debug, Clone, PartialEq)]
pub struct TrajPlot<const D: usize> {
    /// Figure title.
    pub title: String,
    /// One label per axis, e.g. `["PC 1", "PC 2"]`.
    pub axis_labels: [String; D],
    /// The trajectories.
    pub trajs: Vec<Traj<D>>,
    /// Fixed points and other labelled points.
    pub markers: Vec<Marker<D>>,
    /// Straight segments.
    pub segments: Vec<Segment<D>>,
    /// Put a small dot on each trajectory's first point (legend entry "start").
    pub mark_start: bool,
    /// Colour map for [`TrajColor::Value`].
    pub colormap: ColorMap,
    /// Colorbar for value-coloured trajectories: (label, value at 0, value at 1).
    pub colorbar: Option<(String, f64, f64)>,
    /// Where the legend goes.
    pub legend: LegendPos,
}

impl<const D: usize> Default for TrajPlot<D> {
    fn default() -> Self {
        TrajPlot {
            title: String::new(),
            axis_labels: std::array::from_fn(|_| String::new()),
            trajs: Vec::new(),
            markers: Vec::new(),
            segments: Vec::new(),
            mark_start: true,
            colormap: ColorMap::Sequential,
            colorbar: None,
            legend: LegendPos::Auto,
        }
    }
}

impl<const D: usize> TrajPlot<D> {
    /// Colour of trajectory `t`.
    pub(crate) fn traj_color(&self, t: &Traj<D>) -> RGBColor {
        match t.color {
            TrajColor::Category(i) => palette(i),
            TrajColor::Value(v) => self.colormap.color(v),
        }
    }

    /// Legend entries: one per distinct trajectory label, then start, markers, segments.
    pub(crate) fn entries(&self) -> Entries {
        let mut out: Entries = Vec::new();
        let mut push = |label: &str, swatch: Swatch| {
            if !label.is_empty() && !out.iter().any(|(l, _)| l == label) {
                out.push((label.to_string(), swatch));
            }
        };
        for t in &self.trajs {
            push(&t.label, Swatch::Line(self.traj_color(t)));
        }
        if self.mark_start && self.trajs.iter().any(|t| !t.points.is_empty()) {
            push("start", Swatch::Dot(RGBColor(110, 110, 110)));
        }
        for m in &self.markers {
            let swatch = match m.kind {
                MarkerKind::Filled => Swatch::Dot(INK),
                MarkerKind::Hollow => Swatch::Hollow(INK),
                MarkerKind::Cross => Swatch::Cross(INK),
            };
            push(&m.label, swatch);
        }
        for s in &self.segments {
            push(&s.label, Swatch::Line(INK));
        }
        out
    }

    /// Every finite coordinate along axis `k` (points, markers, segment ends).
    pub(crate) fn coords(&self, k: usize) -> Vec<f64> {
        let trajs = self
            .trajs
            .iter()
            .flat_map(|t| t.points.iter().map(move |p| p[k]));
        let marks = self.markers.iter().map(|m| m.pos[k]);
        let segs = self.segments.iter().flat_map(|s| [s.from[k], s.to[k]]);
        trajs
            .chain(marks)
            .chain(segs)
            .filter(|v| v.is_finite())
            .collect()
    }
}

/// Splits `points` into runs of finite points (a NaN breaks the line).
pub(crate) fn finite_runs<const D: usize>(points: &[[f64; D]]) -> Vec<Vec<[f64; D]>> {
    let mut out = vec![Vec::new()];
    for p in points {
        if p.iter().all(|v| v.is_finite()) {
            if let Some(last) = out.last_mut() {
                last.push(*p);
            }
        } else if out.last().is_some_and(|r: &Vec<[f64; D]>| !r.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// Draws a 2-D state-space figure (900×700 px) and writes `STEM.png` / `STEM.svg`.
pub fn trajectories_2d(stem: impl AsRef<Path>, plot: &TrajPlot<2>) -> Result<(), PlotError> {
    save(stem.as_ref(), &Traj2d(plot))
}

struct Traj2d<'a>(&'a TrajPlot<2>);

/// Draws one marker centred on pixel `(x, y)` of `area`.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    kind: MarkerKind,
) -> Result<(), DrawErr> {
    let r = 7;
    match kind {
        MarkerKind::Filled => {
            area.draw(&Circle::new((x, y), r, INK.filled()))?;
            area.draw(&Circle::new((x, y), r, WHITE.stroke_width(1)))?;
        }
        MarkerKind::Hollow => {
            area.draw(&Circle::new((x, y), r, WHITE.filled()))?;
            area.draw(&Circle::new((x, y), r, INK.stroke_width(2)))?;
        }
        MarkerKind::Cross => {
            let style = INK.stroke_width(3);
            area.draw(&PathElement::new(
                vec![(x - r, y - r), (x + r, y + r)],
                style,
            ))?;
            area.draw(&PathElement::new(
                vec![(x - r, y + r), (x + r, y - r)],
                style,
            ))?;
        }
    }
    Ok(())
}

/// Start dot: the trajectory colour with a dark rim.
pub(crate) fn draw_start<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    color: RGBColor,
) -> Result<(), DrawErr> {
    area.draw(&Circle::new(at, 5, color.filled()))?;
    area.draw(&Circle::new(at, 5, INK.stroke_width(1)))?;
    Ok(())
}

impl Figure for Traj2d<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let p = self.0;
        let area = match &p.colorbar {
            Some((label, lo, hi)) => {
                let (w, _) = root.dim_in_pixel();
                let (main, bar) =
                    root.split_horizontally(w as i32 - colorbar_width((*lo, *hi), label) - 10);
                let (_, h) = bar.dim_in_pixel();
                let range = (*lo, *hi);
                draw_colorbar(&bar, (4, 60, h as i32 - 80), range, p.colormap, label)?;
                main
            }
            None => root.clone(),
        };
        let x = padded(finite_range(p.coords(0)), 0.05);
        let y = padded(finite_range(p.coords(1)), 0.05);
        let ax = Axes {
            min_y_area: 0,
            title: &p.title,
            title_size: TITLE_SIZE,
            x_label: &p.axis_labels[0],
            y_label: &p.axis_labels[1],
            x,
            y,
            x_log: false,
            y_log: false,
            grid: true,
            custom_x_ticks: None,
            x_categories: &[],
            custom_y_ticks: None,
        };
        let entries = p.entries();
        let obstacles: Vec<(f64, f64)> = p.coords(0).into_iter().zip(p.coords(1)).collect();
        let (main, side) = axes::reserve_legend(&area, &ax, &entries, &obstacles, p.legend);
        let mut chart = axes::build(&main, &ax)?;
        draw_body(&mut chart, p)?;
        axes::place_legend(&chart, side.as_ref(), &entries, &obstacles, p.legend)?;
        Ok(())
    }
}

fn draw_body<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, p: &TrajPlot<2>) -> DrawResult {
    let thin = p.trajs.len() > 40;
    for t in &p.trajs {
        let color = p.traj_color(t);
        let style = if thin {
            color.mix(0.6).stroke_width(1)
        } else {
            color.stroke_width(2)
        };
        for run in finite_runs(&t.points) {
            if matches!(t.color, TrajColor::Value(_)) {
                // A grey halo keeps near-white colours of a diverging map visible.
                let halo = RGBColor(175, 175, 175).stroke_width(style.stroke_width + 2);
                chart.draw_series(LineSeries::new(run.iter().map(|q| (q[0], q[1])), halo))?;
            }
            chart.draw_series(LineSeries::new(run.iter().map(|q| (q[0], q[1])), style))?;
        }
    }
    for s in &p.segments {
        chart.draw_series(LineSeries::new(
            [(s.from[0], s.from[1]), (s.to[0], s.to[1])],
            INK.stroke_width(4),
        ))?;
    }
    let plot = chart.plotting_area().strip_coord_spec();
    let base = chart.plotting_area().get_base_pixel();
    let to_px = |q: [f64; 2]| {
        let (x, y) = chart.backend_coord(&(q[0], q[1]));
        (x - base.0, y - base.1)
    };
    if p.mark_start {
        for t in &p.trajs {
            if let Some(first) = finite_runs(&t.points).first().and_then(|r| r.first()) {
                draw_start(&plot, to_px(*first), p.traj_color(t))?;
            }
        }
    }
    for m in &p.markers {
        if m.pos.iter().all(|v| v.is_finite()) {
            draw_marker(&plot, to_px(m.pos), m.kind)?;
        }
    }
    Ok(())
}
