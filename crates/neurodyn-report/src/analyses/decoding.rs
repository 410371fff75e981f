//! `analyze RUN decoding`: when, within a trial, the population carries a trial label. At each
//! step a cross-validated ridge classifier reads the label out of the recorded rates
//! (`neurodyn_analysis::decoding`), beside the same decoder trained on shuffled labels. Default
//! label: `ground_truth`; time runs from trial onset, or from a period's onset with `--align`.
//! Figure: `decoding`.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, has_ground_truth_classes, shades, RecurrentRun, Section};
use crate::error::Result;
use clap::Args;
use neurodyn_analysis::decoding::{self, DecodingConfig};
use neurodyn_plot::{panels_sized, LegendPos, Panel, Series, SeriesStyle};

/// Options of `analyze RUN decoding`.
#[derive(Args, Debug, Clone)]
pub struct DecodingArgs {
    /// The trial label to decode (see the recording's labels).
    #[arg(long, default_value_t = DecodingConfig::default().label)]
    pub label: String,
    /// Cross-validation folds.
    #[arg(long, default_value_t = DecodingConfig::default().folds)]
    pub folds: usize,
    /// Ridge penalty of the decoder.
    #[arg(long, default_value_t = DecodingConfig::default().alpha)]
    pub alpha: f64,
    /// Label permutations for the chance baseline.
    #[arg(long, default_value_t = DecodingConfig::default().shuffles)]
    pub shuffles: usize,
    /// Decode every N-th step (0: at most 60 steps).
    #[arg(long, default_value_t = DecodingConfig::default().stride)]
    pub stride: usize,
    /// Count time from the onset of this period in each trial (e.g. `decision`), not from
    /// trial onset.
    #[arg(long)]
    pub align: Option<String>,
}

impl DecodingArgs {
    /// The defaults ([`DecodingConfig`]'s), when the run's recording has a `ground_truth` label
    /// with two values or more.
    pub fn default_for(ctx: &RecurrentRun) -> Option<DecodingArgs> {
        let d = DecodingConfig::default();
        has_ground_truth_classes(ctx).then_some(DecodingArgs {
            label: d.label,
            folds: d.folds,
            alpha: d.alpha,
            shuffles: d.shuffles,
            stride: d.stride,
            align: d.align,
        })
    }
}

/// Run the decoding analysis.
pub fn run(ctx: &RecurrentRun, a: &DecodingArgs) -> Result<Section> {
    let rec = &ctx.rec;
    let cfg = DecodingConfig {
        label: a.label.clone(),
        folds: a.folds,
        alpha: a.alpha,
        shuffles: a.shuffles,
        stride: a.stride,
        align: a.align.clone(),
        ..DecodingConfig::default()
    };
    let res = decoding::run(rec, &cfg)?;
    let mut files = ctx.save("decoding", &res, Some(&res.to_npz()?))?;
    let dt = ctx.dt();
    let t: Vec<f64> = res.steps.iter().map(|&s| s as f64 * dt).collect();
    // The periods of the first trial that has the alignment period, shifted with it.
    let (shaded, from) = match &res.align {
        None => (shades(rec, 0, dt), "trial onset".to_string()),
        Some(name) => {
            let shaded = (0..rec.n_trials)
                .find_map(|i| rec.period(name, i).map(|(s, _)| (i, s)))
                .map(|(i, s)| {
                    let shift = s as f64 * dt;
                    let mut v = shades(rec, i, dt);
                    for sh in &mut v {
                        sh.from -= shift;
                        sh.to -= shift;
                    }
                    v
                })
                .unwrap_or_default();
            (shaded, format!("the onset of '{name}'"))
        }
    };
    let mut series =
        vec![
            Series::new("decoder (cross-validated)", t.clone(), res.accuracy.clone())
                .color(0)
                .style(SeriesStyle::LineAndPoints),
        ];
    series.push(
        Series::new(
            "most frequent class's share",
            t.clone(),
            res.majority.clone(),
        )
        .color(3)
        .style(SeriesStyle::Dashed),
    );
    series.push(
        Series::new(
            "chance, 95 % band's top (binomial)",
            t.clone(),
            res.chance_upper.clone(),
        )
        .color(3)
        .style(SeriesStyle::Line),
    );
    if a.shuffles > 0 {
        series.push(
            Series::new(
                format!("shuffled labels (mean of {})", a.shuffles),
                t.clone(),
                res.shuffled.clone(),
            )
            .color(7)
            .style(SeriesStyle::Dashed),
        );
    }
    let panel = Panel {
        title: format!(
            "Decoding '{}' ({} classes) from {} units",
            res.label,
            res.classes.len(),
            rec.n_units
        ),
        x_label: format!("time from {from} (ms)"),
        y_label: "accuracy".into(),
        series,
        y_range: Some((0.0, 1.05)),
        shaded,
        legend: LegendPos::Auto,
        ..Panel::default()
    };
    let stem = ctx.fig("decoding")?;
    panels_sized(&stem, &[panel], 1, (900, 420))?;
    files.extend(fig_files(&stem));
    let peak_shuffled = res
        .shuffled
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::NAN, f64::max);
    Ok(Section {
        name: "decoding".into(),
        title: "Population decoding".into(),
        note: format!(
            "At each step, counted from {from}, a ridge classifier (α = {}) reads '{}' out of the rates of the \
             trials running then, accuracy averaged over {} contiguous folds; dashed, the chance references \
             among the same trials: the same decoder on labels shuffled among them, and the most frequent \
             class's share, with the top of its 95 % band (binomial over the trials at that step: above \
             it, decoding beats chance at the 2.5 % level). Shaded: the periods of one trial.",
            a.alpha, res.label, a.folds
        ),
        figures: vec![stem.with_extension("svg")],
        numbers: vec![
            (
                "best accuracy (time)".into(),
                format!("{} at {} ms", fmt3(res.best.1), fmt3(res.best.0 as f64 * dt)),
            ),
            ("highest shuffled-label accuracy".into(), fmt3(peak_shuffled)),
            (
                "steps above the chance band".into(),
                format!(
                    "{} of {}",
                    res.accuracy
                        .iter()
                        .zip(&res.chance_upper)
                        .filter(|(a, c)| a > c)
                        .count(),
                    res.steps.len()
                ),
            ),
            (
                "most frequent class's share (largest over steps)".into(),
                fmt3(res.majority.iter().copied().fold(f64::NAN, f64::max)),
            ),
        ],
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN decoding` (by default when the recording has two `ground_truth` classes or more).
pub struct Decoding;

impl Analysis for Decoding {
    const NAME: &'static str = "decoding";
    const ABOUT: &'static str = "Cross-validated decoding of a trial label from the rates at each step, against shuffles.";
    type Input = RecurrentRun;
    type Options = DecodingArgs;
    fn defaults(ctx: &RecurrentRun) -> Option<DecodingArgs> {
        DecodingArgs::default_for(ctx)
    }
    fn run(ctx: &RecurrentRun, options: &DecodingArgs) -> Result<Outcome> {
        run(ctx, options).map(Outcome::Done)
    }
}
