//! `neurodyn`: train biologically constrained RNNs on cognitive tasks and analyse them.
//!
//! ```text
//! neurodyn quickstart                      train, evaluate, analyse, report (embedded defaults)
//! neurodyn tasks list | show | sample | plot   the task suite
//! neurodyn train [CONFIG] [--task ..]      train a network into a run directory (RNN, or CNN/MLP
//!                                          on an image task: --task Mnist)
//! neurodyn eval RUN [--trials FILE.npz]    score a trained network
//! neurodyn analyze RUN <analysis>        the analysis toolbox on a trained run
//! neurodyn compare A.npz B.npz [--method rsa|cka|predictivity]   two response sets, one score
//! neurodyn sweep plan|run|slurm|collect   many runs from one sweep file
//! neurodyn reproduce seed-001 [--quick]    a seed's sweep, its claims tested
//! neurodyn bench [--torch-python PY] [--jax-python PY]   training steps beside PyTorch and JAX
//! ```
//!
//! Output goes through this file's `print!` / `println!` / `eprintln!`, which replace std's for
//! the whole binary: when the reader of stdout goes away (`neurodyn tasks list | head -2`) the
//! process ends quietly with status 0, as ripgrep does, instead of std's panic "failed printing
//! to stdout: Broken pipe"; any other stdout failure (a full disk) is a one-line error and
//! status 1; a closed stderr is ignored (there is nowhere left to report to).

// These shadow std's macros in every module below: `macro_rules!` are textually scoped, so they
// must come before the `mod` lines.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*), false)
    };
}

macro_rules! println {
    () => {
        $crate::write_stdout(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*), true)
    };
}

macro_rules! eprintln {
    ($($arg:tt)*) => {
        $crate::write_stderr(format_args!($($arg)*))
    };
}

mod analyze;
mod bench;
mod compare_cmd;
mod eval_cmd;
mod quickstart;
mod reproduce_cmd;
mod sweep_cmd;
mod tasks_cmd;
mod train_cmd;
mod vision_cmd;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::{ErrorKind, Write};

/// Train biologically constrained recurrent networks on cognitive tasks, then study them.
#[derive(Parser)]
#[command(
    name = "neurodyn",
    version,
    about,
    long_about = "neurodyn trains biologically constrained networks on the tasks animals perform \
(the NeuroGym suite, Yang et al. 2019's 20 tasks, flip-flop and memory tasks; CNNs and \
convolutional RNNs on images) and studies them with the methods used on real brains: PCA \
trajectories, fixed points and line attractors, spectra, single-unit selectivity, task-variance \
clusters, lesions, decoding, representational dissimilarity and signal detection. Every run is a directory of plain files (TOML, CSV, JSON, \
safetensors, npz) that numpy opens; the same config and seed give bit-identical results.\n\n\
Start with `neurodyn quickstart`: it trains a network on a perceptual decision, analyses it and \
writes figures and an HTML report.",
    after_help = "Examples:\n  neurodyn quickstart\n  neurodyn tasks list\n  neurodyn train --task \
DelayMatchSample --out runs/dms\n  neurodyn analyze runs/dms all\n  neurodyn train my.toml   \
(keys it leaves out take its task's recipe)"
)]
struct Cli {
    /// PNG resolution: device pixels per figure pixel, 1 to 8 (2: a 900 × 600 figure is a
    /// 1800 × 1200 PNG). The SVG beside each PNG is a vector drawing.
    #[arg(long, global = true, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    png_scale: u32,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train a CTRNN on PerceptualDecisionMaking, evaluate and analyse it, write figures and a report.
    Quickstart(quickstart::QuickstartArgs),
    /// The task suite: list, show, sample.
    #[command(subcommand)]
    Tasks(tasks_cmd::TasksCmd),
    /// Train a network into a run directory.
    Train(train_cmd::TrainArgs),
    /// Score a trained network on fresh or given trials.
    Eval(eval_cmd::EvalArgs),
    /// Analyse a trained run (`neurodyn analyze RUN --help` lists the analyses).
    Analyze(analyze::AnalyzeArgs),
    /// Compare two response sets (npz, conditions × features or conditions × repeats ×
    /// features): RSA of their RDMs, linear CKA, or ridge predictivity, with a bootstrap interval.
    Compare(compare_cmd::CompareArgs),
    /// Many runs from one sweep file (seeds, hyperparameters, model variants): plan, run on
    /// this machine or as a Slurm job array, collect a results table and figures.
    #[command(subcommand)]
    Sweep(sweep_cmd::SweepCmd),
    /// Reproduce a seed document: train its committed sweep, test its claims, write a claims
    /// table with figures.
    Reproduce(reproduce_cmd::ReproduceArgs),
    /// Time training steps of the engine (and of PyTorch and JAX, given --torch-python and
    /// --jax-python), on the same threads.
    Bench(bench::BenchArgs),
    /// Print a shell completion script (e.g. `neurodyn completions bash > ~/.local/share/bash-completion/completions/neurodyn`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (roff): `neurodyn.1` and one per subcommand, into a directory
    /// (`man -l DIR/neurodyn.1` reads one).
    Man {
        /// The directory to write them into (created if missing).
        #[arg(long, default_value = "man")]
        out: std::path::PathBuf,
    },
}

/// `cmd` and every subcommand below it taking `-2` or `-0.5` as a value (`--seed -2` is then an
/// invalid seed, not "unexpected argument '-2'").
fn with_negative_numbers(cmd: clap::Command) -> clap::Command {
    let cmd = cmd.allow_negative_numbers(true);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .iter()
        .fold(cmd, |c, n| c.mut_subcommand(n, with_negative_numbers))
}

/// Refuse to write `path` when it is a directory, or a file that exists and `force` is not
/// given: a command never overwrites a file it did not create unless told to.
pub(crate) fn check_output(path: &std::path::Path, force: bool) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!(
            "{} is a directory; give a file name (e.g. {})",
            path.display(),
            path.join("out.npz").display()
        );
    }
    if path.exists() && !force {
        anyhow::bail!(
            "{} exists; pass --force to overwrite it, or choose another file",
            path.display()
        );
    }
    Ok(())
}

fn main() {
    let matches = with_negative_numbers(Cli::command()).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    neurodyn_plot::set_png_scale(cli.png_scale);
    let result = match cli.cmd {
        Cmd::Quickstart(a) => quickstart::run(a),
        Cmd::Tasks(c) => tasks_cmd::run(c),
        Cmd::Train(a) => train(a),
        Cmd::Eval(a) if neurodyn_train::vision::is_vision_run(&a.run) => vision_cmd::eval(&a),
        Cmd::Eval(a) => eval_cmd::run(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::Analyze(a) => analyze::run(a),
        Cmd::Compare(a) => compare_cmd::run(&a),
        Cmd::Sweep(c) => sweep_cmd::run(c),
        Cmd::Reproduce(a) => reproduce_cmd::run(&a),
        Cmd::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "neurodyn", &mut out);
            print!("{}", String::from_utf8_lossy(&out));
            Ok(())
        }
        Cmd::Man { out } => man_pages(&out),
    };
    if let Err(e) = result {
        eprintln!("error: {}", message(&e));
        std::process::exit(1);
    }
}

/// Write `neurodyn.1` and a page per subcommand (`neurodyn-train.1`, …) into `dir`.
fn man_pages(dir: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cmd = Cli::command();
    let mut pages = vec![("neurodyn".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let page = sub
            .clone()
            .bin_name(format!("neurodyn {}", sub.get_name()))
            .display_name(format!("neurodyn-{}", sub.get_name()));
        pages.push((format!("neurodyn-{}", sub.get_name()), page));
    }
    for (name, page) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(page)
            .title(name.clone())
            .render(&mut buf)?;
        let path = dir.join(format!("{name}.1"));
        neurodyn_train::checkpoint::write_atomic(&path, &buf)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// An error and its causes on one line, `outer: cause: cause`, leaving out a cause whose text
/// the message already ends with (the library errors that keep an `std::io::Error` as their
/// source also print it: `path: No such file or directory`).
fn message(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.ends_with(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// `neurodyn train`: an image task (or a vision config) trains a CNN/MLP, anything else a
/// recurrent network.
fn train(a: train_cmd::TrainArgs) -> anyhow::Result<()> {
    let vision = match &a.resume {
        Some(d) => neurodyn_train::vision::is_vision_run(d),
        None => vision_cmd::wants_vision(&a)?,
    };
    if a.check {
        return if vision {
            vision_cmd::check(&a)
        } else {
            train_cmd::check(&a)
        };
    }
    if vision {
        vision_cmd::train(&a).map(|_| ())
    } else {
        train_cmd::run(a).map(|_| ())
    }
}

/// Write to stdout (the binary's `print!` / `println!`). A broken pipe ends the process quietly
/// with status 0; any other error ends it with a message and status 1. Never panics.
fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        write_stderr(format_args!("error: writing to stdout: {e}"));
        std::process::exit(1);
    }
}

/// Write a line to stderr (the binary's `eprintln!`), ignoring failure: with stderr gone there
/// is nowhere to report it.
fn write_stderr(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}
