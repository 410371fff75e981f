//! `analyze RUN rdm-time`: time-resolved RDMs of a recurrent run, the dissimilarity between
//! the task's conditions (the values of a trial label) at each step of the trial
//! ([`neurodyn_analysis::rdm_time`]).
//!
//! ```text
//! neurodyn analyze RUN rdm-time [--label ground_truth] [--method euclidean|correlation|cosine]
//!                               [--align stimulus] [--stride 0] [--min-trials 2]
//! ```
//!
//! Writes `analysis/rdm_time.json` / `.npz` (`rdms (step, condition, condition)`, `steps`,
//! `conditions`, `n_trials`, `mean_dissimilarity`), `figures/rdm_time.png|.svg` (the mean
//! dissimilarity between conditions against time, the task's periods shaded) and
//! `figures/rdm_time_snapshots.png|.svg` (the RDM in the middle of each period of the first
//! trial, side by side on one colour scale).

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, has_ground_truth_classes, shades, RecurrentRun, Section};
use crate::error::{ReportError, Result};
use clap::{Args, ValueEnum};
use neurodyn_analysis::rdm::RdmMethod;
use neurodyn_analysis::rdm_time::{self, TimeRdmConfig};
use neurodyn_plot::{heatmap, panels_sized, ColorMap, Heatmap, LegendPos, Panel, Series};

/// The measure on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, Default)]
pub enum TimeMethodArg {
    /// Squared Euclidean distance / number of units.
    #[default]
    Euclidean,
    /// 1 − Pearson r between the condition patterns (undefined where a pattern is flat).
    Correlation,
    /// 1 − cosine similarity.
    Cosine,
}

/// Options of `analyze RUN rdm-time`.
#[derive(Args, Debug, Clone)]
pub struct RdmTimeArgs {
    /// The trial label whose values are the conditions.
    #[arg(long, default_value = "ground_truth")]
    pub label: String,
    /// Dissimilarity measure.
    #[arg(long, value_enum, default_value_t = TimeMethodArg::Euclidean)]
    pub method: TimeMethodArg,
    /// Count time from the onset of this period in each trial.
    #[arg(long)]
    pub align: Option<String>,
    /// Every N-th step (0: at most 60 steps).
    #[arg(long, default_value_t = 0)]
    pub stride: usize,
    /// Trials each condition needs at a step.
    #[arg(long, default_value_t = 2)]
    pub min_trials: usize,
}

/// Run `analyze RUN rdm-time`.
pub fn run(ctx: &RecurrentRun, a: &RdmTimeArgs) -> Result<Section> {
    let rec = &ctx.rec;
    let cfg = TimeRdmConfig {
        label: a.label.clone(),
        method: match a.method {
            TimeMethodArg::Euclidean => RdmMethod::Euclidean,
            TimeMethodArg::Correlation => RdmMethod::Correlation,
            TimeMethodArg::Cosine => RdmMethod::Cosine,
        },
        align: a.align.clone(),
        stride: a.stride,
        min_trials: a.min_trials,
    };
    let res = rdm_time::run(rec, &cfg)?;
    let mut files = ctx.save("rdm_time", &res, Some(&res.to_npz()?))?;
    let dt = ctx.dt();
    let k = res.conditions.len();
    let from = match &res.align {
        None => "trial onset".to_string(),
        Some(p) => format!("the onset of '{p}'"),
    };
    let (t, d): (Vec<f64>, Vec<f64>) = res
        .steps
        .iter()
        .zip(&res.mean_dissimilarity)
        .filter_map(|(&s, v)| v.map(|v| (s as f64 * dt, v)))
        .unzip();
    let shaded = match &res.align {
        None => shades(rec, 0, dt),
        Some(_) => Vec::new(),
    };
    let panel = Panel {
        title: format!("'{}': {k} conditions apart", res.label),
        x_label: format!("time from {from} (ms)"),
        y_label: "mean dissimilarity between conditions".into(),
        series: vec![Series::new("mean over condition pairs", t.clone(), d.clone()).color(0)],
        shaded,
        legend: LegendPos::Auto,
        ..Panel::default()
    };
    let stem = ctx.fig("rdm_time")?;
    panels_sized(&stem, &[panel], 1, (900, 420))?;
    files.extend(fig_files(&stem));

    // Snapshots: the computed step nearest the middle of each period of the first trial (or, with
    // an alignment or no periods, four steps spread over the trial).
    let mut picks: Vec<(String, usize)> = Vec::new();
    let nearest = |step: f64| -> Option<usize> {
        res.steps
            .iter()
            .enumerate()
            .filter(|(i, _)| res.mean_dissimilarity[*i].is_some())
            .min_by(|a, b| {
                ((*a.1 as f64) - step)
                    .abs()
                    .total_cmp(&((*b.1 as f64) - step).abs())
            })
            .map(|(i, _)| i)
    };
    if res.align.is_none() {
        for (name, _) in &rec.periods {
            if let Some((s, e)) = rec.period(name, 0) {
                if let Some(i) = nearest((s + e) as f64 / 2.0) {
                    picks.push((name.clone(), i));
                }
            }
        }
    }
    if picks.is_empty() {
        let defined: Vec<usize> = (0..res.steps.len())
            .filter(|&i| res.mean_dissimilarity[i].is_some())
            .collect();
        for q in 0..4 {
            let i = defined[(q * (defined.len() - 1)) / 3];
            picks.push((format!("{} ms", fmt3(res.steps[i] as f64 * dt)), i));
        }
        picks.dedup_by_key(|p| p.1);
    }
    picks.sort_by_key(|p| p.1);
    let cols = picks.len() * (k + 1) - 1;
    let mut data = vec![f64::NAN; k * cols];
    let mut col_labels = vec![String::new(); cols];
    for (q, (name, i)) in picks.iter().enumerate() {
        let c0 = q * (k + 1);
        col_labels[c0 + k / 2] = name.clone();
        for r in 0..k {
            for c in 0..k {
                data[r * cols + c0 + c] = res.rdms[(i * k + r) * k + c];
            }
        }
    }
    let stem_snap = ctx.fig("rdm_time_snapshots")?;
    heatmap(
        &stem_snap,
        &Heatmap {
            title: format!(
                "RDMs of '{}' ({} conditions, {}) over the trial",
                res.label,
                k,
                cfg.method.name()
            ),
            data,
            rows: k,
            cols,
            row_labels: res.conditions.iter().map(|v| fmt3(*v)).collect(),
            col_labels,
            y_label: res.label.clone(),
            colormap: ColorMap::Sequential,
            colorbar_label: cfg.method.name().into(),
            ..Heatmap::default()
        },
    )?;
    files.extend(fig_files(&stem_snap));

    let (peak_i, peak) = res
        .mean_dissimilarity
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| ReportError::Run("no step with a defined RDM".into()))?;
    let mut warnings = Vec::new();
    if res.n_undefined > 0 {
        warnings.push(format!(
            "{} steps have a condition pattern without direction (flat rates) under {}; they are \
             left out",
            res.n_undefined,
            cfg.method.name()
        ));
    }
    Ok(Section {
        name: "rdm_time".into(),
        title: format!("Time-resolved RDMs of '{}'", res.label),
        note: format!(
            "At each step (from {from}), the mean rates of each value of '{}' over its trials \
             running then, and their {} dissimilarities; steps where a value has fewer than {} \
             trials are left out ({} of {}).",
            res.label,
            cfg.method.name(),
            a.min_trials,
            res.n_short,
            res.steps.len()
        ),
        figures: vec![stem.with_extension("svg"), stem_snap.with_extension("svg")],
        numbers: vec![
            ("conditions".into(), k.to_string()),
            (
                "largest mean dissimilarity (time)".into(),
                format!("{} at {} ms", fmt3(peak), fmt3(res.steps[peak_i] as f64 * dt)),
            ),
        ],
        files,
        warnings,
    })
}

/// `analyze RUN rdm-time` (by default when the recording has two `ground_truth` values or more).
pub struct RdmTime;

impl Analysis for RdmTime {
    const NAME: &'static str = "rdm-time";
    const ABOUT: &'static str =
        "Recurrent runs: RDMs between the values of a trial label at each step of the trial.";
    type Input = RecurrentRun;
    type Options = RdmTimeArgs;
    fn defaults(ctx: &RecurrentRun) -> Option<RdmTimeArgs> {
        has_ground_truth_classes(ctx).then(|| RdmTimeArgs {
            label: "ground_truth".into(),
            method: TimeMethodArg::Euclidean,
            align: None,
            stride: 0,
            min_trials: 2,
        })
    }
    fn run(ctx: &RecurrentRun, options: &RdmTimeArgs) -> Result<Outcome> {
        run(ctx, options).map(Outcome::Done)
    }
}
