//! `neurodyn quickstart`: the README's first command. Trains a CTRNN on PerceptualDecisionMaking
//! (dt 20 ms) on embedded defaults, evaluates it, runs the analyses, writes figures and a report.

use anyhow::Result;
use clap::Args;
use neurodyn_report::Outcome;
use std::path::PathBuf;

/// Arguments of `neurodyn quickstart`.
#[derive(Args, Debug, Clone)]
pub struct QuickstartArgs {
    /// Where to put the run (default: `quickstart-run`, or `quickstart-run-2`, `-3`, … when
    /// earlier runs exist, so running the quickstart again never touches an earlier run).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace the run `--out` holds (its files are removed first; other files are kept).
    #[arg(long)]
    pub force: bool,
}

/// Run the quickstart.
pub fn run(a: QuickstartArgs) -> Result<()> {
    let out_dir = match &a.out {
        Some(p) => p.clone(),
        None => (1..)
            .map(|k| {
                PathBuf::from(if k == 1 {
                    "quickstart-run".to_string()
                } else {
                    format!("quickstart-run-{k}")
                })
            })
            .find(|p| !p.exists())
            .unwrap_or_else(|| PathBuf::from("quickstart-run")),
    };
    let out_dir = &out_dir;
    let cfg = neurodyn_train::recipes::recipe("PerceptualDecisionMaking", a.seed);
    let start = if a.force {
        neurodyn_train::Start::Replace
    } else {
        neurodyn_train::Start::New
    };
    let out = crate::train_cmd::train_with_progress(cfg, out_dir, start, false)?;
    println!(
        "accuracy {:.3} on {} fresh trials ({:.1} s training)",
        out.score.accuracy, out.score.n_trials, out.train_seconds
    );
    let view = neurodyn_report::RunView::open(out_dir)?;
    let outcomes = neurodyn_report::run_all(&view)?;
    for (name, o) in &outcomes {
        match o {
            Outcome::Skipped(why) => println!("{name}: skipped, {why}"),
            Outcome::Done(s) => s.warnings.iter().for_each(|w| eprintln!("warning: {w}")),
        }
    }
    let sections = neurodyn_report::sections(&outcomes);
    let report = neurodyn_report::write_report(out_dir, &sections)?;
    println!("report: {}", report.display());
    println!("figures: {}", out_dir.join("figures").display());
    println!("run directory: {}", out_dir.display());
    Ok(())
}
