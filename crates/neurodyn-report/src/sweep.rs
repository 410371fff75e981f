//! The figures of a sweep (`neurodyn sweep collect`), in `DIR/figures/`:
//!
//! - `sweep_accuracy`: one panel per swept key (seeds aside): accuracy on fresh trials at each of
//!   its values, one line per setting of the other swept keys, the mean over seeds with ± s.d.
//!   bars and each seed's run as a dot (dodged sideways a little per line).
//! - `sweep_learning`: training-batch accuracy against the step, smoothed, the mean over seeds of
//!   each setting; one panel per value of the first swept key when there are more than 8
//!   settings.
//!
//! Only finished runs are drawn.

use crate::error::{Context, Result};
use crate::training_figures::smooth;
use neurodyn_plot::{panels_sized, LegendPos, Panel, Series, SeriesStyle};
use neurodyn_train::sweep::{json_text, Manifest, ResultRow};
use std::path::{Path, PathBuf};

/// A setting: the values of `keys` in a row, as text short enough for a legend or a tick.
fn setting(row: &ResultRow, keys: &[&String]) -> Vec<String> {
    keys.iter()
        .map(|k| short_value(&row.values.get(*k).map(json_text).unwrap_or_default()))
        .collect()
}

/// A value for a figure: a multi-task name as "mix of N tasks", other long text cut with "…".
fn short_value(v: &str) -> String {
    if v.chars().count() <= 32 {
        v.to_string()
    } else if v.contains('+') {
        format!("mix of {} tasks", v.split('+').count())
    } else {
        v.chars().take(31).chain(std::iter::once('…')).collect()
    }
}

/// The `step` and `accuracy` columns of a run's `metrics.csv` (a recurrent or a vision run's).
fn step_accuracy(path: &Path) -> Result<(Vec<f64>, Vec<f64>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| {
            crate::error::ReportError::Run(format!("{}: no column '{name}'", path.display()))
        })
    };
    let (s, a) = (col("step")?, col("accuracy")?);
    let (mut step, mut acc) = (Vec::new(), Vec::new());
    for l in lines {
        let cells: Vec<&str> = l.split(',').collect();
        let get = |k: usize| cells.get(k).and_then(|v| v.parse::<f64>().ok());
        if let (Some(x), Some(y)) = (get(s), get(a)) {
            step.push(x);
            acc.push(y);
        }
    }
    Ok((step, acc))
}

/// Distinct items in order of first appearance.
fn distinct<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for it in items {
        if !out.contains(&it) {
            out.push(it);
        }
    }
    out
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

/// A legend name for a setting of `keys` (`gru, ContextDecisionMaking`; the key names when a
/// value alone would not say what it is, as for numbers).
fn legend(keys: &[&String], values: &[String]) -> String {
    keys.iter()
        .zip(values)
        .map(|(k, v)| {
            let last = k.rsplit('.').next().unwrap_or(k);
            if v.parse::<f64>().is_ok() || v == "true" || v == "false" {
                format!("{last}={v}")
            } else {
                v.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The metric of [`sweep_figures_of`]'s first figure: a column of `results.csv`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SweepMetric {
    /// Accuracy on fresh trials.
    #[default]
    Accuracy,
    /// Accuracy counting fixation breaks as errors.
    StrictAccuracy,
    /// The loss of the last training step.
    FinalLoss,
    /// Training wall time (s).
    TrainSeconds,
    /// Optimizer steps trained (early stopping ends some sooner).
    Steps,
}

impl SweepMetric {
    /// The column's name in `results.csv`.
    pub fn name(self) -> &'static str {
        match self {
            SweepMetric::Accuracy => "accuracy",
            SweepMetric::StrictAccuracy => "strict_accuracy",
            SweepMetric::FinalLoss => "final_loss",
            SweepMetric::TrainSeconds => "train_seconds",
            SweepMetric::Steps => "steps",
        }
    }
    /// A run's value.
    fn of(self, r: &ResultRow) -> Option<f64> {
        match self {
            SweepMetric::Accuracy => r.accuracy,
            SweepMetric::StrictAccuracy => r.strict_accuracy,
            SweepMetric::FinalLoss => r.final_loss,
            SweepMetric::TrainSeconds => r.train_seconds,
            SweepMetric::Steps => r.steps.map(|s| s as f64),
        }
    }
}

/// Write the sweep's figures into `dir/figures/`, accuracy on fresh trials against each swept
/// key and the learning curves; returns the files. None when no run has finished.
pub fn sweep_figures(dir: &Path, manifest: &Manifest, rows: &[ResultRow]) -> Result<Vec<PathBuf>> {
    sweep_figures_of(dir, manifest, rows, SweepMetric::Accuracy)
}

/// [`sweep_figures`] with `metric` against each swept key (`figures/sweep_<metric>`).
pub fn sweep_figures_of(
    dir: &Path,
    manifest: &Manifest,
    rows: &[ResultRow],
    metric: SweepMetric,
) -> Result<Vec<PathBuf>> {
    let done: Vec<&ResultRow> = rows.iter().filter(|r| r.accuracy.is_some()).collect();
    if done.is_empty() {
        return Ok(Vec::new());
    }
    let fig_dir = dir.join("figures");
    std::fs::create_dir_all(&fig_dir)
        .with_context(|| format!("cannot create {}", fig_dir.display()))?;
    let keys: Vec<&String> = manifest.keys.iter().filter(|k| *k != "seed").collect();
    let n_seeds = distinct(done.iter().map(|r| r.values.get("seed").map(json_text))).len();
    let mut files = Vec::new();

    // Accuracy against each swept key.
    let mut panels = Vec::new();
    let panel_keys: Vec<Option<&String>> = if keys.is_empty() {
        vec![None]
    } else {
        keys.iter().map(|k| Some(*k)).collect()
    };
    for key in panel_keys {
        let others: Vec<&String> = keys.iter().copied().filter(|k| Some(*k) != key).collect();
        let x_of = |r: &ResultRow| {
            short_value(&match key {
                Some(k) => r.values.get(k).map(json_text).unwrap_or_default(),
                None => r.values.get("seed").map(json_text).unwrap_or_default(),
            })
        };
        let xs = distinct(done.iter().map(|r| x_of(r)));
        let lines = distinct(done.iter().map(|r| setting(r, &others)));
        let mut series = Vec::new();
        for (li, line) in lines.iter().enumerate() {
            // Lines side by side within ±0.2 of their value, so bars and dots do not overlap.
            let step = (0.4 / lines.len() as f64).min(0.08);
            let dodge = (li as f64 - (lines.len() as f64 - 1.0) / 2.0) * step;
            let (mut x, mut y, mut lo, mut hi) = (vec![], vec![], vec![], vec![]);
            let (mut px, mut py) = (vec![], vec![]);
            for (xi, xv) in xs.iter().enumerate() {
                let acc: Vec<f64> = done
                    .iter()
                    .filter(|r| &x_of(r) == xv && &setting(r, &others) == line)
                    .filter_map(|r| metric.of(r))
                    .collect();
                if acc.is_empty() {
                    continue;
                }
                let (m, sd) = mean_sd(&acc);
                x.push(xi as f64 + dodge);
                y.push(m);
                lo.push(m - sd);
                hi.push(m + sd);
                for a in acc {
                    px.push(xi as f64 + dodge);
                    py.push(a);
                }
            }
            let name = if others.is_empty() {
                String::new()
            } else {
                legend(&others, line)
            };
            series.push(
                Series::new(name, x, y)
                    .err(lo, hi)
                    .style(SeriesStyle::LineAndPoints)
                    .color(li),
            );
            if n_seeds > 1 {
                series.push(Series::new("", px, py).style(SeriesStyle::Points).color(li));
            }
        }
        let what = match metric {
            SweepMetric::Accuracy => "accuracy",
            SweepMetric::StrictAccuracy => "strict accuracy",
            SweepMetric::FinalLoss => "final loss",
            SweepMetric::TrainSeconds => "training time (s)",
            SweepMetric::Steps => "steps trained",
        };
        let title = match key {
            Some(k) => format!("{what} vs {k}"),
            None => format!("{what} per seed"),
        };
        let y_label = if n_seeds > 1 {
            format!("{what} (mean ± s.d., {n_seeds} seeds)")
        } else if metric == SweepMetric::Accuracy {
            "accuracy (fresh trials)".into()
        } else {
            what.to_string()
        };
        panels.push(Panel {
            title,
            x_label: key.cloned().unwrap_or_else(|| "seed".into()),
            y_label,
            series,
            x_categories: xs,
            legend: LegendPos::Auto,
            ..Panel::default()
        });
    }
    // One column: each panel's legend sits on its right, and category names need the width.
    let stem = fig_dir.join(format!("sweep_{}", metric.name()));
    panels_sized(&stem, &panels, 1, (1100, 420))?;
    files.extend(crate::common::fig_files(&stem));

    // Learning curves: training-batch accuracy, mean over seeds per setting.
    let settings = distinct(done.iter().map(|r| setting(r, &keys)));
    let split = settings.len() > 8 && keys.len() > 1;
    let groups: Vec<Option<String>> = if split {
        distinct(settings.iter().map(|s| Some(s[0].clone())))
    } else {
        vec![None]
    };
    let mut panels = Vec::new();
    for g in &groups {
        let mut series = Vec::new();
        for s in &settings {
            if g.as_ref().is_some_and(|g| &s[0] != g) {
                continue;
            }
            let mut curves: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
            for r in done.iter().filter(|r| &setting(r, &keys) == s) {
                let (step, acc) = step_accuracy(&dir.join(&r.dir).join("metrics.csv"))?;
                let w = (acc.len() / 20).max(1);
                curves.push((step, smooth(&acc, w)));
            }
            let n = curves.iter().map(|c| c.0.len()).min().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let x = curves[0].0[..n].to_vec();
            let y: Vec<f64> = (0..n)
                .map(|i| curves.iter().map(|c| c.1[i]).sum::<f64>() / curves.len() as f64)
                .collect();
            let (shown_keys, shown): (Vec<&String>, Vec<String>) = if g.is_some() {
                (keys[1..].to_vec(), s[1..].to_vec())
            } else {
                (keys.clone(), s.clone())
            };
            // The same colour for the same setting of the other keys in every panel.
            let color = series.len();
            series.push(Series::new(legend(&shown_keys, &shown), x, y).color(color));
        }
        let title = match g {
            Some(v) => format!("{} = {v}", keys[0]),
            None if n_seeds > 1 => format!("training accuracy (mean over {n_seeds} seeds)"),
            None => "training accuracy".into(),
        };
        panels.push(Panel {
            title,
            x_label: "step".into(),
            y_label: "accuracy (training batch)".into(),
            series,
            legend: LegendPos::Auto,
            ..Panel::default()
        });
    }
    let stem = fig_dir.join("sweep_learning");
    panels_sized(&stem, &panels, 1, (1100, 420))?;
    files.extend(crate::common::fig_files(&stem));
    Ok(files)
}
