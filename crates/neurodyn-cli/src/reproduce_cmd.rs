//! `neurodyn reproduce NAME [--quick] --out DIR`: train a seed document's committed sweep, test
//! its claims and write a claims table (`neurodyn_report::reproduce`).
//!
//! ```text
//! neurodyn reproduce seed-000 --out reproductions/seed-000      seed 000's CNN and experiments 3-7
//! neurodyn reproduce seed-001 --out reproductions/seed-001      36 runs, about 25 min on 2 cores
//! neurodyn reproduce seed-001 --quick --out /tmp/seed-001-quick  the pipeline in about a minute
//! neurodyn reproduce seed-002 --out reproductions/seed-002      conv-ctrnn vs CNN, under noise
//! neurodyn reproduce seed-003 --out reproductions/seed-003      the primer's worked examples
//! ```
//!
//! Running it again continues: finished runs are kept, interrupted ones resume.

use crate::sweep_cmd;
use anyhow::{bail, Context, Result};
use clap::Args;
use neurodyn_report::reproduce::{find, write_reproduction, Verdict, REPRODUCTIONS};
use neurodyn_train::sweep::{self, SweepSpec};
use std::path::{Path, PathBuf};

/// Arguments of `neurodyn reproduce`.
#[derive(Args, Debug)]
pub struct ReproduceArgs {
    /// The seed document: seed-000, seed-001, seed-002 or seed-003.
    pub name: String,
    /// The directory to train and write into (default: reproductions/NAME, or NAME-quick).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The short version: small networks trained briefly (checks the pipeline, not the claims).
    #[arg(long)]
    pub quick: bool,
    /// Runs trained at once (default: the number of CPUs).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Run `neurodyn reproduce`.
pub fn run(a: &ReproduceArgs) -> Result<()> {
    let Some(r) = find(&a.name) else {
        let names: Vec<&str> = REPRODUCTIONS.iter().map(|r| r.name()).collect();
        bail!(
            "no reproduction called '{}': available: {}",
            a.name,
            names.join(", ")
        );
    };
    let dir = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "reproductions/{}{}",
            r.name(),
            if a.quick { "-quick" } else { "" }
        ))
    });
    let text = r.sweep(a.quick);
    let spec = SweepSpec::from_toml(&text, Path::new(&format!("{}.toml", r.name())))?;
    let (m, fresh) = sweep::write_plan(&dir, &text, &spec)
        .with_context(|| format!("cannot plan {} into {}", r.name(), dir.display()))?;
    println!(
        "{} {}: {} runs in {}",
        r.name(),
        if fresh { "planned" } else { "continues" },
        m.runs.len(),
        dir.display()
    );
    let trained = sweep_cmd::run_all(&dir, a.jobs, a.quiet);
    let rows = sweep::collect(&dir, &m)?;
    sweep::write_results(&dir, &m, &rows)?;
    let mut figures = neurodyn_report::sweep_figures(&dir, &m, &rows)?;
    let (claims, own) = r.claims(&dir, &rows, a.quick)?;
    figures.extend(own);
    let files = write_reproduction(&dir, r, a.quick, &rows, &claims, &figures)?;
    for c in &claims {
        let v = match c.verdict {
            Verdict::Holds => "holds",
            Verdict::Differs => "DIFFERS",
            Verdict::Untested => "untested",
        };
        println!("  [{v}] {}: {}", c.id, c.ours);
    }
    let held = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Holds)
        .count();
    println!(
        "{held} of {} claims hold; wrote {}",
        claims.len(),
        files[0].display()
    );
    trained
}
