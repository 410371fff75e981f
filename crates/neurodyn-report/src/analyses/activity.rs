//! `analyze RUN activity`: what the units do. Figures: `activity` (one trial: inputs, the six
//! most active units, the population mean, outputs vs targets, with task periods shaded) and
//! `activity_max` (maximum rate of each unit, a stem plot that reveals silent units; coursework
//! seed 001, fig. 7). Numbers: `neurodyn_analysis::activity` (per-trial means, per-unit maxima).

use crate::analysis::{Analysis, NoOptions, Outcome};
use crate::common::{
    align_legends, fig_files, fmt3, inputs_panel, outputs_panel, shades, RecurrentRun, Section,
};
use crate::error::Result;
use neurodyn_analysis::activity::{self, ActivityConfig};
use neurodyn_plot::{panels_sized, stem_plot, LegendPos, Panel, Series};

/// Units below this maximum rate count as silent.
const SILENT: f64 = 1e-3;

/// Run the activity analysis.
pub fn run(ctx: &RecurrentRun) -> Result<Section> {
    let rec = &ctx.rec;
    let res = activity::run(rec, &ActivityConfig::default())?;
    let mut files = ctx.save("activity", &res, Some(&res.to_npz()?))?;

    let i = 0;
    let t = ctx.times(i);
    let u = rec.n_units;
    let mut order: Vec<usize> = (0..u).collect();
    order.sort_by(|&a, &b| res.max_rate[b].total_cmp(&res.max_rate[a]));
    let rate = |k: usize| -> Vec<f64> {
        (0..t.len())
            .map(|s| rec.rates[(i * rec.n_steps + s) * u + k] as f64)
            .collect()
    };
    let units = Panel {
        y_label: "rate".into(),
        series: order
            .iter()
            .take(6)
            .enumerate()
            .map(|(c, &k)| Series::new(format!("unit {k}"), t.clone(), rate(k)).color(c))
            .collect(),
        shaded: shades(rec, i, ctx.dt()),
        legend: LegendPos::Right,
        ..Panel::default()
    };
    // Population mean over units at each step: this trial, and averaged over all trials.
    let this: Vec<f64> = (0..t.len())
        .map(|s| {
            (0..u)
                .map(|k| rec.rates[(i * rec.n_steps + s) * u + k] as f64)
                .sum::<f64>()
                / u as f64
        })
        .collect();
    let all: Vec<f64> = (0..t.len())
        .map(|s| {
            let trials: Vec<usize> = (0..rec.n_trials)
                .filter(|&j| rec.trial_len[j] > s)
                .collect();
            let sum: f64 = trials
                .iter()
                .flat_map(|&j| (0..u).map(move |k| rec.rates[(j * rec.n_steps + s) * u + k] as f64))
                .sum();
            sum / (trials.len() * u).max(1) as f64
        })
        .collect();
    let mean = Panel {
        y_label: "mean rate".into(),
        series: vec![
            Series::new("this trial", t.clone(), this).color(0),
            Series::new("all trials", t.clone(), all).color(7),
        ],
        shaded: shades(rec, i, ctx.dt()),
        legend: LegendPos::Right,
        ..Panel::default()
    };
    let title = format!("Trial {i}: inputs, most active units, population mean, outputs");
    let stem = ctx.fig("activity")?;
    let mut ps = [
        inputs_panel(rec, &ctx.spec, i, &title),
        units,
        mean,
        outputs_panel(rec, &ctx.spec, i),
    ];
    align_legends(&mut ps);
    panels_sized(&stem, &ps, 1, (1000, 260))?;
    files.extend(fig_files(&stem));

    let stem_max = ctx.fig("activity_max")?;
    stem_plot(
        &stem_max,
        "Maximum rate of each unit (all recorded trials)",
        &res.max_rate,
        "unit",
        "max rate",
    )?;
    files.extend(fig_files(&stem_max));

    let silent = res.max_rate.iter().filter(|&&m| m < SILENT).count();
    let mean_all =
        res.trial_mean.iter().filter(|v| v.is_finite()).sum::<f64>() / res.n_trials.max(1) as f64;
    let top = res
        .max_rate
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Ok(Section {
        name: "activity".into(),
        title: "Activity".into(),
        note: "One test trial: inputs, the six units with the largest maximum rate, the population mean and the \
               network's output probabilities against the targets (dashed); then the maximum rate of every unit."
            .into(),
        figures: vec![stem.with_extension("svg"), stem_max.with_extension("svg")],
        numbers: vec![
            ("mean rate (all trials, units, steps)".into(), fmt3(mean_all)),
            ("largest unit maximum".into(), fmt3(top)),
            (format!("silent units (max rate < {SILENT})"), format!("{silent} of {}", res.n_units)),
        ],
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN activity`.
pub struct Activity;

impl Analysis for Activity {
    const NAME: &'static str = "activity";
    const ABOUT: &'static str = "Unit traces over one trial beside inputs and outputs, population mean, max rate per unit.";
    type Input = RecurrentRun;
    type Options = NoOptions;
    fn defaults(_: &RecurrentRun) -> Option<NoOptions> {
        Some(NoOptions {})
    }
    fn run(ctx: &RecurrentRun, _: &NoOptions) -> Result<Outcome> {
        run(ctx).map(Outcome::Done)
    }
}
