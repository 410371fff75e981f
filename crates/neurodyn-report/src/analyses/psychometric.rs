//! `analyze RUN psychometric`: the probability of choosing output class 1 against the task's
//! evidence variable (`TaskSpec::evidence_label`, e.g. `signed_coherence`: positive = evidence
//! for class 1) on fresh trials, with a maximum-likelihood logistic fit
//! (`neurodyn_analysis::psychometric`). The choice is the one the run is scored on: the argmax
//! output at the trial's last response step (`neurodyn_train::score`). Tasks without an evidence
//! label are skipped with a message. Figure: `psychometric`.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, RecurrentRun, Section};
use crate::error::{Context, Result};
use clap::Args;
use neurodyn_analysis::psychometric::run_on_trials;
use neurodyn_analysis::require_label;
use neurodyn_plot::{psychometric, PsychCurve};
use serde_json::json;

/// Options of `analyze RUN psychometric`.
#[derive(Args, Debug, Clone)]
pub struct PsychometricArgs {
    /// Fresh trials to run.
    #[arg(long, default_value_t = 1000)]
    pub n: usize,
    /// Seed of the fresh trials (default: the run's eval seed).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl Default for PsychometricArgs {
    fn default() -> Self {
        PsychometricArgs {
            n: 1000,
            seed: None,
        }
    }
}

/// Run the psychometric analysis; skipped when the task has no evidence variable.
pub fn run(ctx: &RecurrentRun, a: &PsychometricArgs) -> Result<Outcome> {
    let Some(ev) = ctx.spec.evidence_label.clone() else {
        return Ok(Outcome::Skipped(format!(
            "task {} has no evidence variable (TaskSpec::evidence_label)",
            ctx.spec.name
        )));
    };
    let mut loaded = neurodyn_train::load_run::<f32>(&ctx.dir)
        .with_context(|| format!("cannot load the network of {}", ctx.dir.display()))?;
    let seed = a.seed.unwrap_or(loaded.cfg.eval.seed);
    neurodyn_train::ensure_trials_fit(
        loaded.task.as_ref(),
        loaded.net.n_units(),
        a.n,
        &format!("psychometric --n {}", a.n),
        "ask for fewer trials (--n)",
    )?;
    let trials = neurodyn_tasks::sample_trials(loaded.task.as_ref(), a.n.max(2), seed);
    let rec = neurodyn_train::record(&mut loaded.net, &trials, 250)?;
    let sc = neurodyn_train::score(&rec);
    let col = require_label(&rec, &ev)?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (i, &v) in col.values.iter().enumerate() {
        if v.is_finite() {
            x.push(v);
            y.push(sc.choice[i] == 1);
        }
    }
    let res = run_on_trials(&x, &y, false, 101)?;
    // Output class 1 (0 is fixation), by the task's name for it.
    let choice1 = ctx
        .spec
        .output_names
        .get(1)
        .cloned()
        .unwrap_or_else(|| "class 1".into());
    let json = json!({"evidence_label": ev, "positive_choice": 1, "positive_choice_name": choice1, "n_trials": x.len(), "seed": seed, "accuracy": sc.accuracy, "result": &res});
    let mut files = ctx.save("psychometric", &json, Some(&res.to_npz()?))?;
    let stem = ctx.fig("psychometric")?;
    let curve = PsychCurve {
        name: String::new(),
        x: res.x.clone(),
        p: res.p.clone(),
        fit_x: res.curve_x.clone(),
        fit_y: res.curve_p.clone(),
        interval: Some((res.p_lo.clone(), res.p_hi.clone())),
    };
    let title = format!(
        "Psychometric curve ({} fresh trials, accuracy {:.3})",
        x.len(),
        sc.accuracy
    );
    psychometric(
        &stem,
        &title,
        &ev.replace('_', " "),
        &format!("p({choice1})"),
        &[curve],
    )?;
    files.extend(fig_files(&stem));
    let fit = &res.fit;
    Ok(Outcome::Done(Section {
        name: "psychometric".into(),
        title: "Psychometric curve".into(),
        note: format!(
            "Fraction of {} fresh trials on which the network chose {choice1}, against {ev} (dots), with the fitted \
             logistic p(x) = 1/(1 + exp(−(x − x0)/s)); bars are 95 % Wilson intervals of each fraction.",
            x.len()
        ),
        figures: vec![stem.with_extension("svg")],
        numbers: vec![
            ("bias x0 (point of subjective equality)".into(), fmt3(fit.x0)),
            ("scale s (1/slope)".into(), fmt3(fit.s)),
            ("accuracy on these trials".into(), fmt3(sc.accuracy)),
        ],
        files,
        warnings: Vec::new(),
    }))
}

/// `analyze RUN psychometric` (skipped on tasks without an evidence variable).
pub struct Psychometric;

impl Analysis for Psychometric {
    const NAME: &'static str = "psychometric";
    const ABOUT: &'static str = "Choice probability against the task's evidence, with a logistic fit.";
    type Input = RecurrentRun;
    type Options = PsychometricArgs;
    fn defaults(_: &RecurrentRun) -> Option<PsychometricArgs> {
        Some(PsychometricArgs::default())
    }
    fn run(ctx: &RecurrentRun, options: &PsychometricArgs) -> Result<Outcome> {
        run(ctx, options)
    }
}
