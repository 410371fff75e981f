//! `neurodyn quickstart`: the README's first command. Trains a CTRNN on PerceptualDecisionMaking
//! (dt 20 ms) on embedded defaults, evaluates it, runs the analyses, writes figures and a report.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `neurodyn quickstart`.
#[derive(Args, Debug, Clone)]
pub struct QuickstartArgs {
    /// Where to put the run.
    #[arg(long, default_value = "quickstart-run")]
    pub out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace an existing quickstart run in `--out`.
    #[arg(long)]
    pub force: bool,
}

/// Run the quickstart.
pub fn run(a: QuickstartArgs) -> Result<()> {
    if a.force && a.out.join("config.toml").exists() {
        std::fs::remove_dir_all(&a.out)?;
    }
    let cfg = neurodyn_train::recipes::recipe("PerceptualDecisionMaking", a.seed);
    let out = crate::train_cmd::train_with_progress(cfg, &a.out, false, false)?;
    println!(
        "accuracy {:.3} on {} fresh trials ({:.1} s training)",
        out.score.accuracy, out.score.n_trials, out.train_seconds
    );
    let sections = crate::analyze::run_all(&a.out)?;
    let report = crate::report::write_report(&a.out, &sections)?;
    println!("report: {}", report.display());
    println!("figures: {}", a.out.join("figures").display());
    println!("run directory: {}", a.out.display());
    Ok(())
}
