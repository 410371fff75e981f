//! `neurodyn sweep`: many runs from one sweep file, on this machine or as a Slurm job array
//! (`neurodyn_train::sweep` has the file format and the directory layout).
//!
//! ```text
//! neurodyn sweep plan study.toml --out sweeps/study     resolve and check every run, write configs
//! neurodyn sweep run sweeps/study --jobs 2              train what is unfinished, 2 at a time
//! neurodyn sweep status sweeps/study                    where each run stands
//! neurodyn sweep slurm sweeps/study --time 01:00:00     a job-array script for a cluster
//! neurodyn sweep run-one sweeps/study --index 7         one run (what each array task calls)
//! neurodyn sweep collect sweeps/study                   results.csv/.json and figures
//! neurodyn sweep analyze sweeps/study pca               an analysis on every finished run
//! ```

use crate::analyze::AnalyzeArgs;
use crate::train_cmd::progress_bar;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use neurodyn_report::{Outcome, RunView};
use neurodyn_train::sweep::{self, EventKind, RunStatus, SlurmOptions, SweepSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `neurodyn sweep` subcommands.
#[derive(Subcommand, Debug)]
pub enum SweepCmd {
    /// Resolve and check every run of a sweep file and write their configs into a new
    /// directory (nothing trains). Keys the base leaves out take each run's task recipe.
    Plan {
        /// The sweep file: [base] (or base_file), [grid], [zip], seeds.
        file: PathBuf,
        /// The sweep directory to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Train every unfinished run, N at a time. Run it again to continue: finished runs are
    /// skipped, interrupted ones resume from their checkpoint bit-identically.
    Run {
        /// The sweep directory.
        dir: PathBuf,
        /// Runs trained at once (each on the threads its config's train.threads asks for, 1 by
        /// default); default: the number of CPUs.
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Train one run by its index (what each Slurm array task runs); a finished run is skipped.
    RunOne {
        /// The sweep directory.
        dir: PathBuf,
        /// The run's index (0 … N−1).
        #[arg(long)]
        index: usize,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Where each run stands: pending, started (its checkpoint's step), failed, finished.
    Status {
        /// The sweep directory.
        dir: PathBuf,
    },
    /// Write DIR/slurm.sh, a Slurm job array over the unfinished runs, and print the sbatch
    /// command.
    Slurm(SlurmArgs),
    /// Write DIR/results.csv and results.json (swept values and each run's eval.json metrics)
    /// and figures of accuracy against every swept key and of the learning curves.
    Collect {
        /// The sweep directory.
        dir: PathBuf,
        /// The metric plotted against each swept key (figures/sweep_<metric>); every metric is
        /// in results.csv either way.
        #[arg(long, value_enum, default_value_t = neurodyn_report::SweepMetric::Accuracy)]
        metric: neurodyn_report::SweepMetric,
    },
    /// Run an analysis on every finished run of a sweep (RUN is the sweep directory); its key
    /// numbers of every run go to DIR/analysis/<name>.csv.
    Analyze(AnalyzeArgs),
}

/// Options of `neurodyn sweep slurm`.
#[derive(Args, Debug)]
pub struct SlurmArgs {
    /// The sweep directory.
    dir: PathBuf,
    /// Partition (`#SBATCH --partition`).
    #[arg(long)]
    partition: Option<String>,
    /// Time limit per run, e.g. 02:00:00.
    #[arg(long)]
    time: Option<String>,
    /// Memory per run, e.g. 4G.
    #[arg(long)]
    mem: Option<String>,
    /// CPUs per run (set train.threads in the sweep's base to use more than one).
    #[arg(long, default_value_t = 1)]
    cpus: usize,
    /// At most this many runs at once (`--array=…%K`; 0: no limit).
    #[arg(long, default_value_t = 0)]
    max_parallel: usize,
    /// Account to charge.
    #[arg(long)]
    account: Option<String>,
    /// The neurodyn binary the cluster's nodes run (default: this one).
    #[arg(long)]
    binary: Option<PathBuf>,
}

/// Run `neurodyn sweep …`.
pub fn run(cmd: SweepCmd) -> Result<()> {
    match cmd {
        SweepCmd::Plan { file, out } => plan(&file, &out),
        SweepCmd::Run { dir, jobs, quiet } => run_all(&dir, jobs, quiet),
        SweepCmd::RunOne { dir, index, quiet } => run_one(&dir, index, quiet),
        SweepCmd::Status { dir } => status(&dir),
        SweepCmd::Slurm(a) => slurm(&a),
        SweepCmd::Collect { dir, metric } => collect(&dir, metric),
        SweepCmd::Analyze(a) => analyze(&a),
    }
}

fn plan(file: &Path, out: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read sweep file {}", file.display()))?;
    let spec = SweepSpec::from_toml(&text, file)?;
    let (m, fresh) = sweep::write_plan(out, &text, &spec)?;
    let keys = if m.keys.is_empty() {
        "nothing swept".to_string()
    } else {
        m.keys.join(", ")
    };
    if fresh {
        println!(
            "planned {} runs into {} ({keys})",
            m.runs.len(),
            out.display()
        );
    } else {
        println!(
            "{} already holds this plan: {} runs ({keys})",
            out.display(),
            m.runs.len()
        );
    }
    for r in m.runs.iter().take(3) {
        println!("  {}: {}", r.dir, r.label(&m.keys));
    }
    if m.runs.len() > 3 {
        println!("  …");
    }
    println!(
        "next: neurodyn sweep run {} --jobs N   (or: neurodyn sweep slurm {})",
        out.display(),
        out.display()
    );
    Ok(())
}

/// Train the unfinished runs of the sweep in `dir` with a progress display (`sweep run`).
pub fn run_all(dir: &Path, jobs: Option<usize>, quiet: bool) -> Result<()> {
    let m = sweep::read_manifest(dir)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    // Progress counts runs, each in thousandths of its steps (runs differ in length and kind).
    let mut done: BTreeMap<usize, u64> = BTreeMap::new();
    let todo = m
        .runs
        .iter()
        .filter(|r| sweep::status(dir, r) != RunStatus::Finished)
        .count();
    let finished_before = m.runs.len() - todo;
    println!(
        "sweep {}: {} runs, {finished_before} finished, {todo} to train, {} at a time",
        dir.display(),
        m.runs.len(),
        jobs.min(todo.max(1))
    );
    if todo == 0 {
        println!(
            "nothing to train; next: neurodyn sweep collect {}",
            dir.display()
        );
        return Ok(());
    }
    let bar = progress_bar(
        todo as u64 * 1000,
        quiet,
        "{elapsed_precise} [{bar:30}] {percent:>3}% eta {eta:>4} {msg}",
    );
    let mut finished = 0;
    let failed = sweep::run_many(dir, &m, jobs, |e| {
        let run = &m.runs[e.index];
        match e.kind {
            EventKind::Started => {}
            EventKind::Step { step, total } => {
                done.insert(e.index, step * 1000 / total.max(1));
            }
            EventKind::Finished(out) => {
                finished += 1;
                done.insert(e.index, 1000);
                if let Some(o) = out {
                    let health = match o.warnings.len() {
                        0 => String::new(),
                        n => format!(", {n} health warning(s)"),
                    };
                    let line = format!(
                        "{} ({}): accuracy {:.3} in {:.1} s{health}",
                        run.dir,
                        run.label(&m.keys),
                        o.accuracy,
                        o.seconds
                    );
                    bar.suspend(|| println!("{line}"));
                }
            }
            EventKind::Failed(msg) => {
                let line = format!("{} ({}) failed: {msg}", run.dir, run.label(&m.keys));
                bar.suspend(|| eprintln!("{line}"));
            }
        }
        bar.set_position(done.values().sum());
        bar.set_message(format!("{finished}/{todo} runs"));
    });
    bar.finish_and_clear();
    println!(
        "{finished} of {todo} runs trained{}; next: neurodyn sweep collect {}",
        if failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", failed.len())
        },
        dir.display()
    );
    if !failed.is_empty() {
        let list: Vec<String> = failed.iter().map(|i| m.runs[*i].dir.clone()).collect();
        bail!(
            "{} run(s) did not finish: {} (see above; `neurodyn sweep run` tries them again)",
            failed.len(),
            list.join(", ")
        );
    }
    Ok(())
}

fn run_one(dir: &Path, index: usize, quiet: bool) -> Result<()> {
    let m = sweep::read_manifest(dir)?;
    let run = m.run(index)?;
    let bar = progress_bar(
        0,
        quiet,
        "{elapsed_precise} [{bar:30}] {pos}/{len} eta {eta:>3}",
    );
    let out = sweep::run_one(dir, index, |step, total| {
        bar.set_length(total);
        bar.set_position(step);
    })?;
    bar.finish_and_clear();
    let Some(o) = out else {
        println!("{}: already finished", run.dir);
        return Ok(());
    };
    println!(
        "{} ({}): accuracy {:.3} in {:.1} s",
        run.dir,
        run.label(&m.keys),
        o.accuracy,
        o.seconds
    );
    for w in &o.warnings {
        eprintln!("warning: network health: {w}");
    }
    Ok(())
}

fn status(dir: &Path) -> Result<()> {
    let m = sweep::read_manifest(dir)?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &m.runs {
        let st = sweep::status(dir, r);
        *counts.entry(st.name()).or_default() += 1;
        let detail = match &st {
            RunStatus::Started { step: Some(s) } => format!("started, checkpoint at step {s}"),
            RunStatus::Failed(msg) => format!("failed: {msg}"),
            RunStatus::Running(by) => format!("running ({by})"),
            other => other.name().to_string(),
        };
        println!("{} ({}): {detail}", r.dir, r.label(&m.keys));
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("{} runs: {}", m.runs.len(), summary.join(", "));
    Ok(())
}

fn slurm(a: &SlurmArgs) -> Result<()> {
    let m = sweep::read_manifest(&a.dir)?;
    let dir = std::fs::canonicalize(&a.dir)
        .with_context(|| format!("cannot resolve {}", a.dir.display()))?;
    let todo: Vec<usize> = m
        .runs
        .iter()
        .filter(|r| sweep::status(&dir, r) != RunStatus::Finished)
        .map(|r| r.index)
        .collect();
    if todo.is_empty() {
        println!(
            "every run of {} is finished; nothing to submit",
            a.dir.display()
        );
        return Ok(());
    }
    let binary = match &a.binary {
        Some(b) => b.clone(),
        None => {
            std::env::current_exe().context("cannot find this program's path; give --binary")?
        }
    };
    let o = SlurmOptions {
        partition: a.partition.clone(),
        time: a.time.clone(),
        mem: a.mem.clone(),
        cpus: a.cpus,
        max_parallel: a.max_parallel,
        account: a.account.clone(),
    };
    let script = sweep::slurm_script(&m.name, &dir, &binary, &todo, &o);
    let path = dir.join("slurm.sh");
    neurodyn_train::checkpoint::write_atomic(&path, script.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    println!(
        "wrote {} for {} of {} runs (--array={})",
        path.display(),
        todo.len(),
        m.runs.len(),
        sweep::array_spec(&todo, a.max_parallel)
    );
    println!("submit: sbatch {}", path.display());
    Ok(())
}

fn collect(dir: &Path, metric: neurodyn_report::SweepMetric) -> Result<()> {
    let m = sweep::read_manifest(dir)?;
    let rows = sweep::collect(dir, &m)?;
    let mut files = sweep::write_results(dir, &m, &rows)?;
    files.extend(neurodyn_report::sweep_figures_of(dir, &m, &rows, metric)?);
    let finished = rows.iter().filter(|r| r.accuracy.is_some()).count();
    println!("{finished} of {} runs finished", rows.len());
    for f in files {
        println!("  wrote {}", f.display());
    }
    if finished < rows.len() {
        eprintln!(
            "note: {} run(s) not finished are listed without metrics (`neurodyn sweep status {}`)",
            rows.len() - finished,
            dir.display()
        );
    }
    Ok(())
}

fn analyze(a: &AnalyzeArgs) -> Result<()> {
    let dir = &a.run;
    let m = sweep::read_manifest(dir)?;
    let mut table: Vec<(usize, Vec<(String, String)>)> = Vec::new();
    let mut failures = 0;
    for r in &m.runs {
        if sweep::status(dir, r) != RunStatus::Finished {
            continue;
        }
        let run_dir = sweep::run_dir(dir, r);
        let result = RunView::open(&run_dir)
            .map_err(anyhow::Error::from)
            .and_then(|view| {
                if a.which == "all" {
                    let outcomes = neurodyn_report::run_all(&view)?;
                    neurodyn_report::write_report(
                        view.dir(),
                        &neurodyn_report::sections(&outcomes),
                    )?;
                    Ok(neurodyn_report::sections(&outcomes)
                        .into_iter()
                        .flat_map(|s| {
                            let name = s.name.clone();
                            s.numbers
                                .into_iter()
                                .map(move |(k, v)| (format!("{name}.{k}"), v))
                        })
                        .collect())
                } else {
                    match neurodyn_report::run_named(&view, &a.which, &a.options)? {
                        Outcome::Done(s) => Ok(s.numbers),
                        Outcome::Skipped(why) => bail!("does not apply: {why}"),
                    }
                }
            });
        match result {
            Ok(numbers) => {
                println!("{} ({}): {} done", r.dir, r.label(&m.keys), a.which);
                table.push((r.index, numbers));
            }
            Err(e) => {
                failures += 1;
                eprintln!(
                    "{} ({}): {} failed: {e:#}",
                    r.dir,
                    r.label(&m.keys),
                    a.which
                );
            }
        }
    }
    if table.is_empty() && failures == 0 {
        bail!(
            "no run of {} has finished yet (`neurodyn sweep run` first)",
            dir.display()
        );
    }
    // One row per run: swept values, then every number any run reported, in first-seen order.
    let mut columns: Vec<String> = Vec::new();
    for (_, nums) in &table {
        for (k, _) in nums {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let cell = sweep::csv_cell;
    let mut csv = String::from("index,dir");
    for k in m.keys.iter().chain(&columns) {
        csv.push(',');
        csv.push_str(&cell(k));
    }
    csv.push('\n');
    for (i, nums) in &table {
        let run = &m.runs[*i];
        csv.push_str(&format!("{i},{}", run.dir));
        for k in &m.keys {
            csv.push(',');
            csv.push_str(&cell(
                &run.values.get(k).map(sweep::json_text).unwrap_or_default(),
            ));
        }
        for c in &columns {
            csv.push(',');
            let v = nums
                .iter()
                .find(|(k, _)| k == c)
                .map_or("", |(_, v)| v.as_str());
            csv.push_str(&cell(v));
        }
        csv.push('\n');
    }
    let out_dir = dir.join("analysis");
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let path: PathBuf = out_dir.join(format!("{}.csv", a.which.replace('-', "_")));
    neurodyn_train::checkpoint::write_atomic(&path, csv.as_bytes())?;
    println!("{} runs analysed; wrote {}", table.len(), path.display());
    if failures > 0 {
        bail!("{failures} run(s) failed {} (see above)", a.which);
    }
    Ok(())
}
