//! `neurodyn analyze RUN <analysis>`: the analysis toolbox on a trained run.
//!
//! ```text
//! neurodyn analyze RUN activity                 unit traces, population mean, max rate per unit
//! neurodyn analyze RUN pca                      explained variance, 2-D/3-D trajectories
//! neurodyn analyze RUN fixed-points [--input stimulus-zero-coherence|zero|period-mean]
//!                                   [--input-vector 1,0.5,0.5] [--n-starts N]
//! neurodyn analyze RUN selectivity [--label ground_truth --a 1 --b 2 --period stimulus]
//! neurodyn analyze RUN decoding [--label ground_truth --folds 5 --alpha 1 --shuffles 2]
//! neurodyn analyze RUN connectivity             effective W_rec sorted by selectivity
//! neurodyn analyze RUN psychometric             choice vs evidence with a logistic fit
//! neurodyn analyze RUN lesion --units 0,3,5 | --cluster | --group-a 0,1 --group-b 2,3
//! neurodyn analyze RUN task-variance [--n 200]  (runs trained on several tasks: A+B+…)
//! neurodyn analyze RUN rdm [--layers conv1,fc1 --method correlation --conditions images]   (vision runs)
//! neurodyn analyze RUN dprime [--layer fc1 --classes 1,7 --unit 2]                       (vision runs)
//! ```
//!
//! Each analysis writes its numbers to `RUN/analysis/<name>.json` (+ `.npz` arrays numpy opens)
//! and its figures to `RUN/figures/<name>*.png|.svg`, and prints where. [`run_all`] runs every
//! analysis that applies with its defaults and returns the [`Section`]s of the HTML report.

mod activity;
mod common;
mod connectivity;
mod decoding;
mod fixed_points;
mod lesion;
mod pca;
mod psychometric;
mod representation;
mod selectivity;
mod task_variance;

pub use common::{
    align_legends, channels_panel, inputs_panel, outputs_panel, write_atomic, Ctx, Section,
};

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// Arguments of `neurodyn analyze`.
#[derive(Args, Debug, Clone)]
pub struct AnalyzeArgs {
    /// Run directory (as written by `neurodyn train`).
    pub run: PathBuf,
    /// The analysis.
    #[command(subcommand)]
    pub which: Analysis,
}

/// The analyses.
#[derive(Subcommand, Debug, Clone)]
pub enum Analysis {
    /// Unit traces over one trial beside inputs and outputs, population mean, max rate per unit.
    Activity,
    /// PCA of the recorded rates: explained variance, trajectories coloured by condition.
    Pca,
    /// Fixed points under a constant input, their stability and the line-attractor direction.
    FixedPoints(fixed_points::FixedPointArgs),
    /// Per-unit selectivity (d′) between two label values.
    Selectivity(selectivity::SelectivityArgs),
    /// Cross-validated decoding of a trial label from the rates at each step, against shuffles.
    Decoding(decoding::DecodingArgs),
    /// The effective recurrent weights, units sorted by selectivity.
    Connectivity,
    /// Choice probability against the task's evidence, with a logistic fit.
    Psychometric(psychometric::PsychometricArgs),
    /// Silence units or cut connections, re-evaluate on fresh trials.
    Lesion(lesion::LesionArgs),
    /// Task variance per unit and task, clusters, and each cluster lesioned (multi-task runs).
    TaskVariance(task_variance::TaskVarianceArgs),
    /// Vision runs: representational dissimilarity matrices per layer and the category index.
    Rdm(representation::RdmArgs),
    /// Vision runs: per-unit d′ and ROC AUC of a layer between two classes.
    Dprime(representation::DprimeArgs),
    /// Every analysis that applies, with defaults.
    All,
}

/// Run `neurodyn analyze`.
pub fn run(a: AnalyzeArgs) -> Result<()> {
    if neurodyn_train::vision::is_vision_run(&a.run) {
        let section = match &a.which {
            Analysis::Rdm(r) => representation::run_rdm(&a.run, r)?,
            Analysis::Dprime(d) => representation::run_dprime(&a.run, d)?,
            _ => anyhow::bail!(
                "{} is a vision run; it takes `analyze RUN rdm` and `analyze RUN dprime` (the \
                 other analyses take recurrent runs)",
                a.run.display()
            ),
        };
        section.print();
        return Ok(());
    }
    if matches!(a.which, Analysis::Rdm(_) | Analysis::Dprime(_)) {
        anyhow::bail!(
            "{} is not a vision run; rdm and dprime read the activations.npz of `neurodyn train \
             --task Mnist` (or another image task)",
            a.run.display()
        );
    }
    let ctx = Ctx::load(&a.run)?;
    let section = match &a.which {
        Analysis::Activity => activity::run(&ctx)?,
        Analysis::Pca => pca::run(&ctx)?,
        Analysis::FixedPoints(f) => fixed_points::run(&ctx, f)?,
        Analysis::Selectivity(s) => selectivity::run(&ctx, s)?,
        Analysis::Decoding(d) => decoding::run(&ctx, d)?,
        Analysis::Connectivity => connectivity::run(&ctx)?,
        Analysis::Psychometric(p) => match psychometric::run(&ctx, p)? {
            Some(s) => s,
            None => return Ok(()),
        },
        Analysis::Lesion(l) => lesion::run(&ctx, l)?,
        Analysis::TaskVariance(t) => task_variance::run(&ctx, t)?,
        Analysis::Rdm(_) | Analysis::Dprime(_) => unreachable!("vision runs are handled above"),
        Analysis::All => {
            let sections = all(&ctx);
            for s in &sections {
                s.print();
            }
            let report = crate::report::write_report(&ctx.dir, &sections)?;
            println!("report: {}", report.display());
            return Ok(());
        }
    };
    section.print();
    Ok(())
}

/// Run every analysis that applies to the run in `run` with its defaults (the quickstart's
/// analyses); a failing analysis becomes a section that says why, so one failure does not hide
/// the rest.
pub fn run_all(run: &Path) -> Result<Vec<Section>> {
    let ctx = Ctx::load(run)?;
    Ok(all(&ctx))
}

fn all(ctx: &Ctx) -> Vec<Section> {
    let mut out = Vec::new();
    let mut push = |name: &str, r: Result<Option<Section>>| match r {
        Ok(Some(s)) => out.push(s),
        Ok(None) => {}
        Err(e) => {
            eprintln!("warning: analysis {name} failed: {e:#}");
            out.push(Section {
                name: name.into(),
                title: name.into(),
                note: format!("failed: {e:#}"),
                ..Section::default()
            });
        }
    };
    push("activity", activity::run(ctx).map(Some));
    push("pca", pca::run(ctx).map(Some));
    push(
        "fixed_points",
        fixed_points::run_if_applies(ctx, &fixed_points::FixedPointArgs::default_for(ctx)),
    );
    if let Some(args) = selectivity::SelectivityArgs::default_for(ctx) {
        push("selectivity", selectivity::run(ctx, &args).map(Some));
    }
    if let Some(args) = decoding::DecodingArgs::default_for(ctx) {
        push("decoding", decoding::run(ctx, &args).map(Some));
    }
    push("connectivity", connectivity::run(ctx).map(Some));
    if task_variance::applies(ctx) {
        push(
            "task_variance",
            task_variance::run(ctx, &task_variance::TaskVarianceArgs::default()).map(Some),
        );
    }
    push(
        "psychometric",
        psychometric::run(ctx, &psychometric::PsychometricArgs::default()),
    );
    if selectivity::SelectivityArgs::default_for(ctx).is_some() {
        push(
            "lesion",
            lesion::run(ctx, &lesion::LesionArgs::by_cluster()).map(Some),
        );
    }
    out
}
