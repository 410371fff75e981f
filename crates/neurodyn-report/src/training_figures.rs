//! The figures every run gets: training curves from `metrics.csv` and example trials from
//! `recording.npz`, written to `RUN/figures/` as PNG + SVG.
//!
//! - `training_curves`: loss (task loss and total, log scale), accuracy on the training batch,
//!   learning rate (log scale) and gradient norm against the optimizer step. Noisy per-step
//!   values are drawn as dots under a moving average (a zig-zag line of 1000s of steps renders
//!   as spikes past the frame).
//! - `example_trials`: four test trials chosen across the evidence range (or the first four),
//!   one column each: inputs above, the softmax of the network's outputs with the targets dashed
//!   below, task periods shaded.

use crate::common::{align_legends, inputs_panel, outputs_panel, RecurrentRun};
use crate::error::{Context, ReportError, Result};
use neurodyn_plot::{panels, panels_sized, LegendPos, Panel, Series, SeriesStyle, Shade};
use std::path::{Path, PathBuf};

/// The columns of `metrics.csv` by name.
struct Metrics {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
}

impl Metrics {
    fn load(path: &Path) -> Result<Metrics> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut lines = text.lines();
        let header: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split(',')
            .map(str::to_string)
            .collect();
        let rows: Vec<Vec<f64>> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                l.split(',')
                    .map(|v| v.trim().parse().unwrap_or(f64::NAN))
                    .collect::<Vec<f64>>()
            })
            .filter(|r| r.len() == header.len())
            .collect();
        if !header.iter().any(|h| h == "step") {
            return Err(ReportError::Run(format!(
                "{}: expected a header with a 'step' column, got '{}'",
                path.display(),
                header.join(",")
            )));
        }
        Ok(Metrics { header, rows })
    }

    fn col(&self, name: &str) -> Vec<f64> {
        match self.header.iter().position(|h| h == name) {
            Some(k) => self.rows.iter().map(|r| r[k]).collect(),
            None => vec![f64::NAN; self.rows.len()],
        }
    }
}

/// Moving average over `w` points (centred, shrinking at the ends), for noisy batch metrics.
pub(crate) fn smooth(v: &[f64], w: usize) -> Vec<f64> {
    let h = w / 2;
    (0..v.len())
        .map(|i| {
            let s = &v[i.saturating_sub(h)..(i + h + 1).min(v.len())];
            let f: Vec<f64> = s.iter().copied().filter(|x| x.is_finite()).collect();
            if f.is_empty() {
                f64::NAN
            } else {
                f.iter().sum::<f64>() / f.len() as f64
            }
        })
        .collect()
}

/// One shaded band per curriculum stage, over the steps `metrics.csv` says it trained (its
/// `stage` column), labelled `stage N`, and what each stage changes (`delay_ms 200`, a task
/// name, `mask`, `until 0.9`), from the run's config. None without a curriculum, or when the
/// config cannot be read: the curves are still worth drawing.
fn stage_bands(cfg: Option<&neurodyn_train::RunConfig>, m: &Metrics) -> (Vec<Shade>, Vec<String>) {
    let Some(cfg) = cfg else {
        return (Vec::new(), Vec::new());
    };
    let (steps, stages) = (m.col("step"), m.col("stage"));
    let mut bands = Vec::new();
    let mut changes = Vec::new();
    for (i, stage) in cfg.train.curriculum.iter().enumerate() {
        let mut what: Vec<String> = stage.task.iter().cloned().collect();
        what.extend(stage.params.iter().map(|(k, v)| match v {
            neurodyn_tasks::ParamValue::Num(x) => format!("{k} {x}"),
            _ => k.clone(),
        }));
        if stage.mask.is_some() {
            what.push("mask".into());
        }
        if let Some(a) = stage.until_accuracy {
            what.push(format!("until {a}"));
        }
        changes.push(format!("{} = {}", i + 1, what.join(", ")));
        // Step k (1-based) trained over [k − 1, k] on the x axis.
        let mine = steps
            .iter()
            .zip(&stages)
            .filter(|&(_, &s)| s == (i + 1) as f64)
            .map(|(&k, _)| k);
        let (lo, hi) = mine.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), k| {
            (a.min(k - 1.0), b.max(k))
        });
        if lo < hi {
            bands.push(Shade::new(lo, hi, format!("stage {}", i + 1)));
        }
    }
    (bands, changes)
}

/// Write `training_curves` for the run in `run`, the curriculum's stages shaded; returns the SVG
/// path.
pub fn training_curves(run: &Path) -> Result<PathBuf> {
    let m = Metrics::load(&run.join("metrics.csv"))?;
    if m.rows.is_empty() {
        return Err(ReportError::Run(format!(
            "{}: no training step recorded",
            run.join("metrics.csv").display()
        )));
    }
    let step = m.col("step");
    let w = (m.rows.len() / 50).max(1) | 1;
    let cfg = std::fs::read_to_string(run.join("config.toml"))
        .ok()
        .and_then(|t| neurodyn_train::RunConfig::from_toml(&t).ok());
    let (bands, changes) = stage_bands(cfg.as_ref(), &m);
    // FORCE writes its RLS gain and the readout's change where gradient descent writes its
    // learning rate and gradient norm.
    let force = cfg
        .as_ref()
        .is_some_and(|c| matches!(c.train.method, neurodyn_train::Method::Force { .. }));
    let (lr_title, lr_label, g_title, g_label) = if force {
        (
            "RLS gain 1/(1/m + rᵀPr), mean over the batch",
            "gain",
            "Change of the readout per batch",
            "‖ΔW_out‖",
        )
    } else {
        (
            "Learning rate",
            "lr",
            "Gradient norm (before clipping)",
            "‖g‖",
        )
    };
    let stages = format!("Loss (stages: {})", changes.join("; "));
    let loss_title = match changes.len() {
        0 => "Loss",
        _ if stages.chars().count() <= 64 => &stages,
        _ => "Loss (curriculum stages shaded)",
    };
    let panel = |title: &str, y: &str, series: Vec<Series>, y_log: bool| Panel {
        title: title.into(),
        x_label: "step".into(),
        y_label: y.into(),
        series,
        y_log,
        legend: LegendPos::Auto,
        shaded: bands.clone(),
        ..Panel::default()
    };
    let loss = m.col("loss");
    let task = m.col("task_loss");
    let acc = m.col("accuracy");
    let grad = m.col("grad_norm");
    let mut loss_series = vec![
        Series::new("per step", step.clone(), loss.clone())
            .color(7)
            .style(SeriesStyle::Points),
        Series::new(format!("mean of {w}"), step.clone(), smooth(&loss, w)).color(0),
    ];
    if task.iter().zip(&loss).any(|(a, b)| (a - b).abs() > 1e-9) {
        loss_series.push(
            Series::new(
                format!("task loss, mean of {w}"),
                step.clone(),
                smooth(&task, w),
            )
            .color(1),
        );
    }
    let ps = [
        panel(loss_title, "loss", loss_series, true),
        panel(
            "Accuracy (training batch)",
            "accuracy",
            vec![
                Series::new("per step", step.clone(), acc.clone())
                    .color(7)
                    .style(SeriesStyle::Points),
                Series::new(format!("mean of {w}"), step.clone(), smooth(&acc, w)).color(0),
            ],
            false,
        ),
        panel(
            lr_title,
            lr_label,
            vec![Series::new("", step.clone(), m.col("lr")).color(2)],
            true,
        ),
        panel(
            g_title,
            g_label,
            vec![
                Series::new("per step", step.clone(), grad.clone())
                    .color(7)
                    .style(SeriesStyle::Points),
                Series::new(format!("mean of {w}"), step.clone(), smooth(&grad, w)).color(3),
            ],
            true,
        ),
    ];
    // Log axes get the data's full range so no spike is drawn past the frame.
    let ps = ps.map(|mut p| {
        if p.y_log {
            let v = p
                .series
                .iter()
                .flat_map(|s| s.y.iter().copied())
                .filter(|v| v.is_finite() && *v > 0.0);
            let (lo, hi) = v.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
            if lo.is_finite() && hi > lo {
                p.y_range = Some((lo / 1.2, hi * 1.2));
            }
        }
        p
    });
    // A column the run does not write (a vision run's gradient norm) leaves its panel out.
    let ps: Vec<Panel> = ps
        .into_iter()
        .filter(|p| p.series.iter().any(|s| s.y.iter().any(|v| v.is_finite())))
        .collect();
    let stem = run.join("figures").join("training_curves");
    std::fs::create_dir_all(run.join("figures"))
        .with_context(|| format!("cannot create {}", run.join("figures").display()))?;
    panels(&stem, &ps, 2)?;
    Ok(stem.with_extension("svg"))
}

/// Trials to show: spread over the evidence label's range when there is one, else the first ones.
fn pick_trials(ctx: &RecurrentRun, n: usize) -> Vec<usize> {
    let rec = &ctx.rec;
    let n = n.min(rec.n_trials);
    let col = ctx
        .spec
        .evidence_label
        .as_deref()
        .and_then(|l| rec.label(l));
    let Some(col) = col else {
        return (0..n).collect();
    };
    let mut idx: Vec<usize> = (0..rec.n_trials)
        .filter(|&i| col.values[i].is_finite())
        .collect();
    idx.sort_by(|&a, &b| col.values[a].total_cmp(&col.values[b]).then(a.cmp(&b)));
    if idx.len() < n {
        return (0..n).collect();
    }
    let mut out: Vec<usize> = (0..n)
        .map(|k| idx[k * (idx.len() - 1) / (n - 1).max(1)])
        .collect();
    out.dedup();
    out
}

/// Write `example_trials` for the run in `run`; returns the SVG path.
pub fn example_trials(run: &Path) -> Result<PathBuf> {
    let ctx = RecurrentRun::load(run)?;
    let trials = pick_trials(&ctx, 4);
    let sc = neurodyn_train::score(&ctx.rec);
    let mut top = Vec::new();
    let mut bottom = Vec::new();
    for &i in &trials {
        let cond: Vec<String> = ctx
            .spec
            .evidence_label
            .iter()
            .chain(ctx.rec.label("ground_truth").map(|c| &c.name))
            .filter_map(|l| {
                ctx.rec
                    .label(l)
                    .map(|c| crate::common::label_value(&ctx.spec, l, c.values[i]))
            })
            .take(1)
            .collect();
        let ok = if sc.correct.get(i).copied().unwrap_or(false) {
            "correct"
        } else {
            "error"
        };
        top.push(inputs_panel(
            &ctx.rec,
            &ctx.spec,
            i,
            &format!("trial {i}: {}, {ok}", cond.join(", ")),
        ));
        bottom.push(outputs_panel(&ctx.rec, &ctx.spec, i));
    }
    // Two trials per row: inputs above outputs; the legend only in the right column (one
    // legend position per column keeps the x axes aligned).
    let mut all: Vec<Panel> = Vec::new();
    for pair in (0..trials.len()).collect::<Vec<_>>().chunks(2) {
        for rows in [&top, &bottom] {
            for (c, &k) in pair.iter().enumerate() {
                let mut p = rows[k].clone();
                p.legend = if c == 1 || pair.len() == 1 {
                    LegendPos::Right
                } else {
                    LegendPos::Hidden
                };
                all.push(p);
            }
        }
    }
    align_legends(&mut all);
    let cols = trials.len().clamp(1, 2);
    let stem = ctx.fig("example_trials")?;
    panels_sized(&stem, &all, cols, (760, 300))?;
    Ok(stem.with_extension("svg"))
}

/// Training curves and example trials of the run in `run`; returns the SVG paths (PNG beside).
pub fn training_figures(run: &Path) -> Result<Vec<PathBuf>> {
    Ok(vec![training_curves(run)?, example_trials(run)?])
}

#[cfg(test)]
mod tests {
    use super::{stage_bands, Metrics};

    #[test]
    fn curriculum_stages_become_labelled_bands_where_they_trained() {
        let dir = std::env::temp_dir().join(format!("neurodyn-bands-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // Stage 2 ended on accuracy after 2 of its 30 steps.
        let mut csv = String::from("step,loss,stage\n");
        for (k, stage) in (1..=6).zip([1, 1, 2, 2, 0, 0]) {
            csv.push_str(&format!("{k},0.5,{stage}\n"));
        }
        std::fs::write(dir.join("metrics.csv"), csv).expect("write metrics");
        let m = Metrics::load(&dir.join("metrics.csv")).expect("metrics");
        assert!(stage_bands(None, &m).0.is_empty(), "no config, no bands");
        let cfg = neurodyn_train::RunConfig::from_toml(
            "[task]\nname = \"DelayMatchSample\"\n[train]\nsteps = 100\n\
             [[train.curriculum]]\nsteps = 2\nparams = { delay_ms = 200 }\n\
             [[train.curriculum]]\nsteps = 30\ntask = \"PerceptualDecisionMaking\"\n\
             until_accuracy = 0.9\n",
        )
        .expect("config");
        let (bands, changes) = stage_bands(Some(&cfg), &m);
        let spans: Vec<(f64, f64, &str)> = bands
            .iter()
            .map(|b| (b.from, b.to, b.label.as_str()))
            .collect();
        assert_eq!(
            spans,
            [(0.0, 2.0, "stage 1"), (2.0, 4.0, "stage 2")],
            "bands"
        );
        assert_eq!(
            changes,
            [
                "1 = delay_ms 200",
                "2 = PerceptualDecisionMaking, until 0.9"
            ],
            "what each stage changes"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
