//! `analyze RUN selectivity`: per-unit selectivity between two sets of trials defined by a label
//! (`--label ground_truth --a 1 --b 2`), each trial's rate averaged over a period (`--period
//! stimulus`), in both conventions (`neurodyn_analysis::selectivity`): nn-brain's
//! `d′ = (μa − μb)/√((σa² + σb²)/2)` and the coursework's `s = √2·d′`. Positive = prefers `a`.
//!
//! Figures: `selectivity_hist` (d′ of every active unit) and `selectivity_units` (the inputs of
//! one trial over the condition-averaged rates of the four most selective units, set a solid, set
//! b dashed). Unknown labels, values or periods fail with the available ones listed.

use crate::analysis::{Analysis, Outcome};
use crate::common::{
    align_legends, distinct, fig_files, fmt3, has_ground_truth_classes, inputs_panel, label_value,
    shades, RecurrentRun, Section,
};
use crate::error::{ReportError, Result};
use clap::Args;
use neurodyn_analysis::selectivity::{self, SelectivityConfig, SelectivityResult};
use neurodyn_analysis::{require_label, Window};
use neurodyn_plot::{histogram, panels_sized, LegendPos, Panel, Series, SeriesStyle};

/// Options of `analyze RUN selectivity`.
#[derive(Args, Debug, Clone)]
pub struct SelectivityArgs {
    /// Label that splits the trials.
    #[arg(long, default_value = "ground_truth")]
    pub label: String,
    /// Label value of set a (default: the label's smallest value).
    #[arg(long, allow_hyphen_values = true)]
    pub a: Option<f64>,
    /// Label value of set b (default: the label's second value).
    #[arg(long, allow_hyphen_values = true)]
    pub b: Option<f64>,
    /// Period averaged per trial (`whole` = every step; default: stimulus when the task has it).
    #[arg(long)]
    pub period: Option<String>,
}

impl SelectivityArgs {
    /// Defaults for the run, or `None` when it has no `ground_truth` label with two values.
    pub fn default_for(ctx: &RecurrentRun) -> Option<SelectivityArgs> {
        has_ground_truth_classes(ctx).then(|| SelectivityArgs {
            label: "ground_truth".into(),
            a: None,
            b: None,
            period: None,
        })
    }
}

/// The validated comparison: config, set values and the window's name.
pub fn config(ctx: &RecurrentRun, a: &SelectivityArgs) -> Result<(SelectivityConfig, f64, f64, String)> {
    let rec = &ctx.rec;
    let col = require_label(rec, &a.label)?;
    let vals = distinct(&col.values);
    let list = || {
        vals.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if vals.len() < 2 {
        return Err(ReportError::Options(format!(
            "label '{}' has fewer than two values ({}); nothing to compare",
            a.label,
            list()
        )));
    }
    let va = a.a.unwrap_or(vals[0]);
    let vb = a.b.unwrap_or(if vals[1] != va { vals[1] } else { vals[0] });
    for (flag, v) in [("--a", va), ("--b", vb)] {
        if !vals.contains(&v) {
            return Err(ReportError::Options(format!(
                "{flag} {v}: label '{}' never takes this value (values: {})",
                a.label,
                list()
            )));
        }
    }
    if va == vb {
        return Err(ReportError::Options(format!(
            "--a and --b are both {va}; pick two different values of '{}' ({})",
            a.label,
            list()
        )));
    }
    let has = |p: &str| rec.periods.iter().any(|(n, _)| n == p);
    let name = a.period.clone().unwrap_or_else(|| {
        if has("stimulus") {
            "stimulus".into()
        } else {
            "whole".into()
        }
    });
    let window = if name == "whole" {
        Window::Whole
    } else {
        Window::Period(name.clone())
    };
    window.validate(rec)?;
    let cfg = SelectivityConfig {
        label: a.label.clone(),
        group_a: vec![va],
        group_b: vec![vb],
        window,
        ..SelectivityConfig::default()
    };
    Ok((cfg, va, vb, name))
}

/// Compute the selectivity the options describe.
pub fn compute(ctx: &RecurrentRun, a: &SelectivityArgs) -> Result<(SelectivityResult, f64, f64, String)> {
    let (cfg, va, vb, period) = config(ctx, a)?;
    Ok((selectivity::run(&ctx.rec, &cfg)?, va, vb, period))
}

/// Run the selectivity analysis.
pub fn run(ctx: &RecurrentRun, a: &SelectivityArgs) -> Result<Section> {
    let (res, va, vb, period) = compute(ctx, a)?;
    let label = &a.label;
    let json =
        serde_json::json!({"label": label, "a": va, "b": vb, "period": period, "result": &res});
    let mut files = ctx.save("selectivity", &json, Some(&res.to_npz()?))?;

    let finite: Vec<f64> = res
        .d_prime
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let stem_h = ctx.fig("selectivity_hist")?;
    let title = format!(
        "d′, {label} {va} vs {vb}, {period} ({} active units)",
        finite.len()
    );
    histogram(
        &stem_h,
        &title,
        &finite,
        20,
        &format!("d′  (> 0: prefers {})", label_value(&ctx.spec, label, va)),
        &[(0.0, "no preference")],
    )?;

    // The most selective units, averaged per set over the trials at each step.
    let mut order: Vec<usize> = (0..res.n_units)
        .filter(|&k| res.d_prime[k].is_finite())
        .collect();
    order.sort_by(|&x, &y| res.d_prime[y].abs().total_cmp(&res.d_prime[x].abs()));
    let rec = &ctx.rec;
    let col = require_label(rec, label)?;
    let t_len = rec.trial_len[0];
    let mean_of = |k: usize, v: f64| -> Vec<f64> {
        (0..t_len)
            .map(|s| {
                let tr: Vec<usize> = (0..rec.n_trials)
                    .filter(|&i| col.values[i] == v && rec.trial_len[i] > s)
                    .collect();
                tr.iter()
                    .map(|&i| rec.rates[(i * rec.n_steps + s) * rec.n_units + k] as f64)
                    .sum::<f64>()
                    / tr.len().max(1) as f64
            })
            .collect()
    };
    let t = ctx.times(0);
    let mut series = Vec::new();
    for (c, &k) in order.iter().take(4).enumerate() {
        series.push(
            Series::new(
                format!("unit {k} (d′ {:+.2})", res.d_prime[k]),
                t.clone(),
                mean_of(k, va),
            )
            .color(c),
        );
        series.push(
            Series::new(String::new(), t.clone(), mean_of(k, vb))
                .color(c)
                .style(SeriesStyle::Dashed),
        );
    }
    let units = Panel {
        x_label: "time (ms)".into(),
        y_label: "mean rate".into(),
        title: format!(
            "mean over trials: solid {}, dashed {}",
            label_value(&ctx.spec, label, va),
            label_value(&ctx.spec, label, vb)
        ),
        series,
        shaded: shades(rec, 0, ctx.dt()),
        legend: LegendPos::Right,
        ..Panel::default()
    };
    let stem_u = ctx.fig("selectivity_units")?;
    let top = inputs_panel(
        rec,
        &ctx.spec,
        0,
        "Most selective units (inputs of trial 0 above)",
    );
    let mut ps = [top, units];
    align_legends(&mut ps);
    panels_sized(&stem_u, &ps, 1, (1000, 340))?;
    files.extend(fig_files(&stem_h));
    files.extend(fig_files(&stem_u));

    let strong = finite.iter().filter(|v| v.abs() > 1.0).count();
    let max = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let infinite = res.d_prime.iter().filter(|v| v.is_infinite()).count();
    let pref_a = finite.iter().filter(|&&v| v > 0.0).count();
    Ok(Section {
        name: "selectivity".into(),
        title: format!("Selectivity ({label} {va} vs {vb})"),
        note: format!(
            "Per-unit d′ between trials with {label} = {va} and {label} = {vb}, rates averaged over the {period} \
             period: d′ = (μa − μb)/√((σa² + σb²)/2), the difference of the means in units of their pooled \
             standard deviation (the JSON also holds s = √2·d′, the difference over √(σa² + σb²)). Below: the most selective \
             units' rates averaged over the trials of each set."
        ),
        figures: vec![stem_h.with_extension("svg"), stem_u.with_extension("svg")],
        numbers: vec![
            ("units with |d′| > 1".into(), format!("{strong} of {}", finite.len())),
            ("largest |d′|".into(), fmt3(max)),
            (format!("units preferring {label} = {va} / {vb}"), format!("{pref_a} / {}", finite.len() - pref_a)),
            (
                "units with no spread within either set (d′ = ±∞, left out above)".into(),
                infinite.to_string(),
            ),
        ],
        files,
        warnings: if infinite > 0 {
            vec![format!(
                "{infinite} units have the same rate on every trial of a set (no trial-to-trial \
                 variability, e.g. a task without input noise): their d′ is ±∞ and they are left \
                 out of the histogram; add input noise (model.sigma_in) for a graded measure"
            )]
        } else {
            Vec::new()
        },
    })
}

/// `analyze RUN selectivity` (by default when the recording has two `ground_truth` classes or more).
pub struct Selectivity;

impl Analysis for Selectivity {
    const NAME: &'static str = "selectivity";
    const ABOUT: &'static str = "Per-unit selectivity (d′) between two label values.";
    type Input = RecurrentRun;
    type Options = SelectivityArgs;
    fn defaults(ctx: &RecurrentRun) -> Option<SelectivityArgs> {
        SelectivityArgs::default_for(ctx)
    }
    fn run(ctx: &RecurrentRun, options: &SelectivityArgs) -> Result<Outcome> {
        run(ctx, options).map(Outcome::Done)
    }
}
