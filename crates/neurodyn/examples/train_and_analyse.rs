//! Train a network into a run directory from code, then run analyses from the registry and
//! write the HTML report: what `neurodyn train` and `neurodyn analyze RUN all` do.
//!
//! ```text
//! cargo run --release -p neurodyn --example train_and_analyse [OUT_DIR]
//! ```

use neurodyn::report::{find, run_all, sections, write_report, Outcome, RunView};
use neurodyn::train::{recipes, train_run};
use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "example-run".into()),
    );
    // The default recipe for the task, shortened so the example runs in seconds.
    let mut cfg = recipes::recipe("PerceptualDecisionMaking", 0);
    cfg.train.steps = 300;
    cfg.eval.n_trials = 200;
    let outcome = train_run(cfg, &out, false, |_| {})?;
    println!(
        "accuracy {:.3} on {} fresh trials",
        outcome.score.accuracy, outcome.score.n_trials
    );

    let view = RunView::open(&out)?;
    // One analysis by name, with the options it runs with by default.
    let pca = find("pca").ok_or_else(|| anyhow::anyhow!("no pca analysis"))?;
    if let Some(Outcome::Done(section)) = pca.run_default(&view)? {
        for (what, value) in &section.numbers {
            println!("{what}: {value}");
        }
    }
    // Every analysis that applies, then the report.
    let outcomes = run_all(&view)?;
    for (name, o) in &outcomes {
        if let Outcome::Skipped(why) = o {
            println!("{name}: skipped, {why}");
        }
    }
    let report = write_report(view.dir(), &sections(&outcomes))?;
    println!("report: {}", report.display());
    Ok(())
}
