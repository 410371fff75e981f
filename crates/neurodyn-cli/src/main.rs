//! `neurodyn`: train biologically constrained RNNs on cognitive tasks and analyse them.
//!
//! ```text
//! neurodyn quickstart                      train, evaluate, analyse, report (embedded defaults)
//! neurodyn tasks list | show | sample | plot   the task suite
//! neurodyn train [CONFIG] [--task ..]      train a network into a run directory
//! neurodyn eval RUN [--trials FILE.npz]    score a trained network
//! neurodyn analyze RUN <analysis>        the analysis toolbox on a trained run
//! neurodyn bench [--torch-python PY]       time training steps, side by side with PyTorch
//! ```

mod analyze;
mod bench;
mod eval_cmd;
mod figures;
mod quickstart;
mod report;
mod tasks_cmd;
mod train_cmd;

use clap::{Parser, Subcommand};

/// Train biologically constrained recurrent networks on cognitive tasks, then study them.
#[derive(Parser)]
#[command(name = "neurodyn", version, about)]
struct Cli {
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
    /// Analyse a trained run: activity, pca, fixed-points, selectivity, connectivity, psychometric, lesion.
    Analyze(analyze::AnalyzeArgs),
    /// Time training steps of the engine (and of PyTorch, given --torch-python).
    Bench(bench::BenchArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Quickstart(a) => quickstart::run(a),
        Cmd::Tasks(c) => tasks_cmd::run(c),
        Cmd::Train(a) => train_cmd::run(a).map(|_| ()),
        Cmd::Eval(a) => eval_cmd::run(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::Analyze(a) => analyze::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
