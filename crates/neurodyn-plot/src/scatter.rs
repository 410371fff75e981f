//! Point clouds with a reference shape: [`eigenvalues`] (a spectrum in the complex plane with
//! its stability boundary, equal aspect) and [`psychometric`] (choice probability against
//! evidence, data points with fitted curves).
//!
//! ```no_run
//! use neurodyn_plot::{eigenvalues, Boundary};
//! eigenvalues("/tmp/eig", "Spectrum of W", &[(0.5, 0.2), (0.5, -0.2), (1.02, 0.0)],
//!             Boundary::UnitCircle, Some(2))?;
//! # Ok::<(), neurodyn_plot::PlotError>(())
//! ```

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::{self, dashed, Axes, Entries, LegendPos, Swatch};
use crate::output::{check_len, save, DrawResult, Figure};
use crate::panels::{panels_sized, Panel, Series, SeriesStyle};
use crate::style::{finite_range, padded, palette, INK, TITLE_SIZE};
use crate::PlotError;

/// The stability boundary drawn under an eigenvalue spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary {
    /// |λ| = 1: discrete-time maps (e.g. the eigenvalues of `W` for a discrete update).
    UnitCircle,
    /// The unit circle, framed on the eigenvalues near μ = 1 (those with Re μ ≥ 0.5), where a
    /// slow or marginal mode and a saddle's unstable one are told apart; the rest are left out.
    UnitCircleNearOne,
    /// Re λ = 0: continuous-time Jacobians.
    ImaginaryAxis,
    /// Re λ = c, e.g. `c = 1` for the eigenvalues of `W` in a leaky rate network.
    VerticalLine(f64),
}

/// Complex-plane scatter of `eigs` (re, im) over the stability `boundary`, equal aspect,
/// 900×700 px; `highlight` (an index into `eigs`, e.g. the slowest mode) is drawn larger in red
/// and listed as "marked eigenvalue". Axes read μ over the unit circle (a discrete map) and λ
/// otherwise. Non-finite eigenvalues are skipped.
pub fn eigenvalues(
    stem: impl AsRef<Path>,
    title: &str,
    eigs: &[(f64, f64)],
    boundary: Boundary,
    highlight: Option<usize>,
) -> Result<(), PlotError> {
    save(
        stem.as_ref(),
        &Eigs {
            title,
            eigs,
            boundary,
            highlight: highlight.filter(|i| *i < eigs.len()),
        },
    )
}

struct Eigs<'a> {
    title: &'a str,
    eigs: &'a [(f64, f64)],
    boundary: Boundary,
    highlight: Option<usize>,
}

impl Eigs<'_> {
    fn boundary_points(&self, y: (f64, f64)) -> Vec<(f64, f64)> {
        match self.boundary {
            // From −π to π, so that the arc near μ = 1 that `UnitCircleNearOne` keeps is one
            // piece (from 0 to 2π its two halves were joined across the frame by a chord).
            Boundary::UnitCircle | Boundary::UnitCircleNearOne => (0..=2400)
                .map(|k| {
                    let a = (k as f64 / 2400.0 - 0.5) * std::f64::consts::TAU;
                    (a.cos(), a.sin())
                })
                .collect(),
            Boundary::ImaginaryAxis => vec![(0.0, y.0), (0.0, y.1)],
            Boundary::VerticalLine(c) => vec![(c, y.0), (c, y.1)],
        }
    }
}

impl Figure for Eigs<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let near_one = self.boundary == Boundary::UnitCircleNearOne;
        let finite = || {
            self.eigs
                .iter()
                .filter(move |(r, i)| r.is_finite() && i.is_finite() && (!near_one || *r >= 0.5))
        };
        let extra: Vec<(f64, f64)> = match self.boundary {
            Boundary::UnitCircle => vec![(-1.0, -1.0), (1.0, 1.0)],
            Boundary::UnitCircleNearOne => {
                vec![(1.0, -0.02), (1.0, 0.02), (0.98, 0.0), (1.02, 0.0)]
            }
            Boundary::ImaginaryAxis => vec![(0.0, 0.0)],
            Boundary::VerticalLine(c) => vec![(c, 0.0)],
        };
        let pts = || finite().copied().chain(extra.iter().copied());
        let mut x = padded(finite_range(pts().map(|p| p.0)), 0.08);
        let mut y = padded(finite_range(pts().map(|p| p.1)), 0.08);
        // Equal aspect: widen whichever range is short for the plot's pixel shape.
        let mut ax = Axes {
            min_y_area: 0,
            title: self.title,
            title_size: TITLE_SIZE,
            // A discrete map's eigenvalues are written μ, a continuous system's λ.
            x_label: if matches!(
                self.boundary,
                Boundary::UnitCircle | Boundary::UnitCircleNearOne
            ) {
                "Re μ"
            } else {
                "Re λ"
            },
            y_label: if matches!(
                self.boundary,
                Boundary::UnitCircle | Boundary::UnitCircleNearOne
            ) {
                "Im μ"
            } else {
                "Im λ"
            },
            x,
            y,
            x_log: false,
            y_log: false,
            grid: true,
            custom_x_ticks: None,
            x_categories: &[],
            custom_y_ticks: None,
        };
        let entries = self.entries();
        let (pw, ph) = axes::plot_dims(&ax, root.dim_in_pixel());
        let square = |pw: i32, x: (f64, f64), y: (f64, f64)| {
            let (ux, uy) = (
                (x.1 - x.0) / pw.max(1) as f64,
                (y.1 - y.0) / ph.max(1) as f64,
            );
            if ux > uy {
                let (c, half) = ((y.0 + y.1) / 2.0, ux * ph as f64 / 2.0);
                (x, (c - half, c + half))
            } else {
                let (c, half) = ((x.0 + x.1) / 2.0, uy * pw as f64 / 2.0);
                ((c - half, c + half), y)
            }
        };
        let mut obstacles: Vec<(f64, f64)> = finite().copied().collect();
        obstacles.extend(self.boundary_points(y));
        // Legend inside if a corner is free at full width, else outside on the right.
        let (xi, yi) = square(pw, x, y);
        let pos = if axes::free_corner((pw, ph), xi, yi, &entries, &obstacles).is_some() {
            (x, y) = (xi, yi);
            LegendPos::Auto
        } else {
            (x, y) = square(pw - axes::legend_size(&entries).0 - 14, x, y);
            LegendPos::Right
        };
        ax.x = x;
        ax.y = y;
        obstacles.extend(self.boundary_points(y));
        let (main, side) = axes::reserve_legend(root, &ax, &entries, &obstacles, pos);
        let mut chart = axes::build(&main, &ax)?;
        for line in [vec![(x.0, 0.0), (x.1, 0.0)], vec![(0.0, y.0), (0.0, y.1)]] {
            chart.draw_series(std::iter::once(PathElement::new(
                line,
                RGBColor(190, 190, 190),
            )))?;
        }
        let inside = |p: &(f64, f64)| p.0 >= x.0 && p.0 <= x.1 && p.1 >= y.0 && p.1 <= y.1;
        let boundary: Vec<(f64, f64)> = if near_one {
            self.boundary_points(y).into_iter().filter(inside).collect()
        } else {
            self.boundary_points(y)
        };
        dashed(&mut chart, boundary, INK.stroke_width(2))?;
        let dot = palette(0).mix(0.75).filled();
        chart.draw_series(finite().map(|p| Circle::new(*p, 4, dot)))?;
        if let Some(i) = self.highlight {
            let p = self.eigs[i];
            if p.0.is_finite() && p.1.is_finite() && (!near_one || inside(&p)) {
                chart.draw_series(std::iter::once(Circle::new(p, 8, palette(3).filled())))?;
                chart.draw_series(std::iter::once(Circle::new(p, 8, INK.stroke_width(1))))?;
            }
        }
        axes::place_legend(&chart, side.as_ref(), &entries, &obstacles, pos)?;
        Ok(())
    }
}

impl Eigs<'_> {
    fn entries(&self) -> Entries {
        let mut e: Entries = vec![
            ("eigenvalues".into(), Swatch::Dot(palette(0))),
            ("stability boundary".into(), Swatch::Dashed(INK)),
        ];
        if self.highlight.is_some() {
            e.push(("marked eigenvalue".into(), Swatch::Dot(palette(3))));
        }
        e
    }
}

/// One condition of a psychometric figure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PsychCurve {
    /// Legend text (e.g. the context); empty ⇒ no entry.
    pub name: String,
    /// Evidence levels of the measured points.
    pub x: Vec<f64>,
    /// Measured choice probability at each level.
    pub p: Vec<f64>,
    /// x of the fitted curve (empty ⇒ no curve).
    pub fit_x: Vec<f64>,
    /// y of the fitted curve.
    pub fit_y: Vec<f64>,
    /// Each point's interval (lower, upper), e.g. a 95 % binomial interval; `None`: no bars.
    pub interval: Option<(Vec<f64>, Vec<f64>)>,
}

/// Choice probability vs evidence: one colour per curve, measured points as dots (with their
/// intervals as error bars when given), fitted curves as lines, y from 0 to 1 with a dashed line at 0.5 and at x = 0. 900×600 px.
/// Several curves (e.g. one per context) share the axes.
pub fn psychometric(
    stem: impl AsRef<Path>,
    title: &str,
    x_label: &str,
    y_label: &str,
    curves: &[PsychCurve],
) -> Result<(), PlotError> {
    let stem = stem.as_ref();
    let mut series = Vec::new();
    for (i, c) in curves.iter().enumerate() {
        check_len(
            stem,
            || format!("p of curve '{}'", c.name),
            c.x.len(),
            c.p.len(),
        )?;
        check_len(
            stem,
            || format!("fit_y of curve '{}'", c.name),
            c.fit_x.len(),
            c.fit_y.len(),
        )?;
        let has_fit = !c.fit_x.is_empty();
        if has_fit {
            series.push(Series::new(String::new(), c.fit_x.clone(), c.fit_y.clone()).color(i));
        }
        let style = if has_fit {
            SeriesStyle::Points
        } else {
            SeriesStyle::LineAndPoints
        };
        let mut points = Series::new(c.name.clone(), c.x.clone(), c.p.clone())
            .style(style)
            .color(i);
        if let Some((lo, hi)) = &c.interval {
            check_len(
                stem,
                || format!("interval of curve '{}'", c.name),
                c.x.len(),
                lo.len(),
            )?;
            check_len(
                stem,
                || format!("interval of curve '{}'", c.name),
                c.x.len(),
                hi.len(),
            )?;
            points = points.err(lo.clone(), hi.clone());
        }
        series.push(points);
    }
    let xs = finite_range(
        curves
            .iter()
            .flat_map(|c| c.x.iter().chain(&c.fit_x).copied()),
    );
    let panel = Panel {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series,
        x_range: Some(padded(xs, 0.05)),
        y_range: Some((-0.03, 1.03)),
        hlines: vec![0.5],
        vlines: match xs {
            Some((lo, hi)) if lo < 0.0 && hi > 0.0 => vec![0.0],
            _ => Vec::new(),
        },
        ..Panel::default()
    };
    panels_sized(stem, &[panel], 1, (900, 600))
}
