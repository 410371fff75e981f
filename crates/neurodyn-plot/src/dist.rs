//! One-dimensional summaries: [`histogram`] (a distribution with labelled reference lines),
//! [`bar`] (one labelled bar per item, e.g. accuracy after each lesion) and [`stem_plot`]
//! (one value per unit, e.g. maximal activation). Binning is the only computation here.
//!
//! ```no_run
//! use neurodyn_plot::{bar, histogram};
//! histogram("/tmp/w_hist", "Weights", &[0.1, -0.2, 0.3, 0.05], 20, "weight", &[(0.0, "zero")])?;
//! bar("/tmp/lesions", "Lesions", &["none", "E", "I"], &[0.98, 0.61, 0.45], "accuracy")?;
//! # Ok::<(), neurodyn_plot::PlotError>(())
//! ```

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{self, dashed, note_style, Axes, Entries, LegendPos, Swatch};
use crate::output::{check_len, save, DrawResult, Figure};
use crate::panels::{panels_sized, Panel, Series, SeriesStyle};
use crate::style::{
    finite_range, padded, palette, text_width, INK, NOTE_SIZE, TICK_SIZE, TITLE_SIZE,
};
use crate::PlotError;

/// Histogram of the finite `values` in `bins` equal bins (at least 1) over their range, with
/// dashed vertical reference lines `(x, label)` listed in the legend. 900×600 px.
pub fn histogram(
    stem: impl AsRef<Path>,
    title: &str,
    values: &[f64],
    bins: usize,
    x_label: &str,
    vlines: &[(f64, &str)],
) -> Result<(), PlotError> {
    let bins = bins.max(1);
    let (lo, hi) = padded(finite_range(values.iter().copied()), 0.0);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        let k = (((v - lo) / width) as usize).min(bins - 1);
        counts[k] += 1;
    }
    let fig = Hist {
        title,
        x_label,
        edges: (lo, width),
        counts,
        vlines,
    };
    save(stem.as_ref(), &fig)
}

struct Hist<'a> {
    title: &'a str,
    x_label: &'a str,
    /// First edge and bin width.
    edges: (f64, f64),
    counts: Vec<usize>,
    vlines: &'a [(f64, &'a str)],
}

impl Figure for Hist<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (lo, w) = self.edges;
        let hi = lo + w * self.counts.len() as f64;
        let xs = [lo, hi]
            .into_iter()
            .chain(self.vlines.iter().map(|(v, _)| *v));
        let x = padded(finite_range(xs), 0.03);
        let top = self.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let y = (0.0, top * 1.08);
        let ax = Axes {
            min_y_area: 0,
            title: self.title,
            title_size: TITLE_SIZE,
            x_label: self.x_label,
            y_label: "count",
            x,
            y,
            x_log: false,
            y_log: false,
            grid: true,
            custom_x_ticks: None,
            x_categories: &[],
            custom_y_ticks: None,
        };
        let entries: Entries = self
            .vlines
            .iter()
            .enumerate()
            .filter(|(_, (v, l))| !l.is_empty() && v.is_finite())
            .map(|(k, (_, l))| (l.to_string(), Swatch::Dashed(palette(3 + k))))
            .collect();
        let mut obstacles = Vec::new();
        for (k, c) in self.counts.iter().enumerate() {
            let cx = lo + w * (k as f64 + 0.5);
            for f in 0..=4 {
                obstacles.push((cx, *c as f64 * f as f64 / 4.0));
            }
        }
        let (main, side) = axes::reserve_legend(root, &ax, &entries, &obstacles, LegendPos::Auto);
        let mut chart = axes::build(&main, &ax)?;
        let fill = palette(0).mix(0.85).filled();
        chart.draw_series(self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(
            |(k, c)| {
                let x0 = lo + w * k as f64;
                Rectangle::new([(x0, 0.0), (x0 + w, *c as f64)], fill)
            },
        ))?;
        chart.draw_series(self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(
            |(k, c)| {
                let x0 = lo + w * k as f64;
                Rectangle::new([(x0, 0.0), (x0 + w, *c as f64)], WHITE.stroke_width(1))
            },
        ))?;
        for (k, (v, _)) in self.vlines.iter().enumerate() {
            if v.is_finite() {
                dashed(
                    &mut chart,
                    vec![(*v, y.0), (*v, y.1)],
                    palette(3 + k).stroke_width(2),
                )?;
            }
        }
        axes::place_legend(&chart, side.as_ref(), &entries, &obstacles, LegendPos::Auto)?;
        Ok(())
    }
}

/// Bar chart with one bar per label (values may be negative; NaN bars are left out). Labels
/// are rotated when they do not fit side by side; values are written on the bars when there
/// are at most 20. Fails with [`PlotError::ShapeMismatch`] if the lengths differ.
pub fn bar<S: AsRef<str>>(
    stem: impl AsRef<Path>,
    title: &str,
    labels: &[S],
    values: &[f64],
    y_label: &str,
) -> Result<(), PlotError> {
    bar_with_reference(stem, title, labels, values, y_label, None)
}

/// [`bar`] with a dashed horizontal reference line at `reference.0`, labelled `reference.1`
/// (e.g. chance level).
pub fn bar_with_reference<S: AsRef<str>>(
    stem: impl AsRef<Path>,
    title: &str,
    labels: &[S],
    values: &[f64],
    y_label: &str,
    reference: Option<(f64, &str)>,
) -> Result<(), PlotError> {
    let stem = stem.as_ref();
    check_len(stem, || "bar values".into(), labels.len(), values.len())?;
    let labels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
    save(
        stem,
        &Bars {
            title,
            labels,
            values,
            y_label,
            reference,
        },
    )
}

struct Bars<'a> {
    title: &'a str,
    labels: Vec<&'a str>,
    values: &'a [f64],
    y_label: &'a str,
    reference: Option<(f64, &'a str)>,
}

impl Figure for Bars<'_> {
    fn size(&self) -> (u32, u32) {
        (900, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let n = self.labels.len();
        let widest = self
            .labels
            .iter()
            .map(|l| text_width(l, TICK_SIZE))
            .max()
            .unwrap_or(0);
        let slot = 760 / n.max(1) as i32;
        let rotate = widest + 8 > slot;
        let label_h = if rotate {
            (widest * 9 / 10).min(220)
        } else {
            TICK_SIZE as i32
        };
        let ys = self
            .values
            .iter()
            .copied()
            .chain([0.0])
            .chain(self.reference.map(|r| r.0));
        let (lo, hi) = finite_range(ys).unwrap_or((0.0, 1.0));
        let span = if hi > lo { hi - lo } else { 1.0 };
        let y = (
            if lo < 0.0 { lo - 0.1 * span } else { 0.0 },
            if hi > 0.0 {
                hi + 0.1 * span
            } else {
                0.0 + 0.05 * span
            },
        );
        let x = (-0.6, n.max(1) as f64 - 0.4);
        let ax = Axes {
            min_y_area: 0,
            title: self.title,
            title_size: TITLE_SIZE,
            x_label: "",
            y_label: self.y_label,
            x,
            y,
            x_log: false,
            y_log: false,
            grid: true,
            custom_x_ticks: Some(label_h + 6),
            x_categories: &[],
            custom_y_ticks: None,
        };
        let mut chart = axes::build(root, &ax)?;
        chart.draw_series(
            self.values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| {
                    let c = palette(0).mix(0.9).filled();
                    Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64 + 0.35, *v)], c)
                }),
        )?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x.0, 0.0), (x.1, 0.0)],
            INK.stroke_width(1),
        )))?;
        if let Some((level, label)) = self.reference.filter(|r| r.0.is_finite()) {
            dashed(
                &mut chart,
                vec![(x.0, level), (x.1, level)],
                INK.mix(0.6).stroke_width(1),
            )?;
            let (px, py) = chart.backend_coord(&(x.1, level));
            let st = note_style(INK, NOTE_SIZE).pos(Pos::new(HPos::Right, VPos::Bottom));
            root.draw(&Text::new(label.to_string(), (px - 4, py - 3), st))?;
        }
        // Value labels share one number of decimals: three significant digits of the largest.
        let largest = self
            .values
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        let decimals = if largest > 0.0 {
            (2 - largest.log10().floor() as i32).clamp(0, 6) as usize
        } else {
            0
        };
        let (_, plot_bottom) = chart.backend_coord(&(0.0, y.0));
        let style = if rotate {
            note_style(INK, TICK_SIZE)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Right, VPos::Center))
        } else {
            note_style(INK, TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top))
        };
        let value_style = note_style(INK, NOTE_SIZE);
        for (i, label) in self.labels.iter().enumerate() {
            let (px, _) = chart.backend_coord(&(i as f64, 0.0));
            root.draw(&Text::new(
                label.to_string(),
                (px, plot_bottom + 8),
                style.clone(),
            ))?;
            let v = self.values[i];
            if n <= 20 && v.is_finite() {
                let (vx, vy) = chart.backend_coord(&(i as f64, v));
                let (anchor, dy) = if v >= 0.0 {
                    (VPos::Bottom, -4)
                } else {
                    (VPos::Top, 4)
                };
                let st = value_style.pos(Pos::new(HPos::Center, anchor));
                root.draw(&Text::new(format!("{v:.decimals$}"), (vx, vy + dy), st))?;
            }
        }
        Ok(())
    }
}

/// One stem per value (x = index 0, 1, …), e.g. the maximal activation of each unit.
/// 900×500 px.
pub fn stem_plot(
    stem: impl AsRef<Path>,
    title: &str,
    values: &[f64],
    x_label: &str,
    y_label: &str,
) -> Result<(), PlotError> {
    let panel = Panel {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        series: vec![Series {
            name: String::new(),
            x: (0..values.len()).map(|i| i as f64).collect(),
            y: values.to_vec(),
            color: Some(0),
            style: SeriesStyle::Stem,
            err: None,
        }],
        x_range: (!values.is_empty()).then(|| {
            (
                -0.5 - 0.01 * values.len() as f64,
                values.len() as f64 - 0.5 + 0.01 * values.len() as f64,
            )
        }),
        ..Panel::default()
    };
    panels_sized(stem, &[panel], 1, (900, 500))
}
