//! `neurodyn analyze RUN <analysis> [options]`: the analyses of `neurodyn_report`'s registry as
//! subcommands (their names, help and options come from the registry, so a new analysis needs
//! no change here), and `analyze RUN all`: every analysis that applies with its defaults, then
//! the HTML report.
//!
//! ```text
//! neurodyn analyze RUN activity | pca | connectivity
//! neurodyn analyze RUN fixed-points [--input stimulus-zero-coherence|zero|period-mean]
//!                                   [--input-vector 1,0.5,0.5] [--n-starts N]
//! neurodyn analyze RUN selectivity [--label ground_truth --a 1 --b 2 --period stimulus]
//! neurodyn analyze RUN decoding [--label ground_truth --folds 5 --alpha 1 --shuffles 2]
//! neurodyn analyze RUN psychometric [--n 1000]
//! neurodyn analyze RUN lesion --units 0,3,5 | --cluster | --group-a 0,1 --group-b 2,3
//! neurodyn analyze RUN lesion --layer conv2 [--units 3,5]             (vision runs)
//! neurodyn analyze RUN task-variance [--n 200]  (runs trained on several tasks: A+B+…)
//! neurodyn analyze RUN rdm [--layers conv1,fc1 --method correlation]   (vision runs)
//! neurodyn analyze RUN dprime [--layer fc1 --classes 1,7 --unit 2]     (vision runs)
//! neurodyn analyze RUN encoding [--layer 8_relu --unit 2 --scale 7 --class 1]   (vision runs)
//! neurodyn analyze RUN tuning [--units 2,5 --transform rotation --values 0,90]  (vision runs)
//! neurodyn analyze RUN rsa [--method spearman --rdm correlation]       (vision runs)
//! neurodyn analyze RUN actmax [--layer fc2 --unit 2 --starts 8]       (vision runs)
//! neurodyn analyze RUN all
//! neurodyn analyze DATA.npz rdm|dprime|layer-decoding|predictivity|rsa|all   (responses; results in DATA_analysis/)
//! ```

use anyhow::{bail, Result};
use clap::{Arg, ArgMatches, Command};
use neurodyn_report::{Outcome, RunView, Section, ANALYSES};
use std::path::PathBuf;

/// Arguments of `neurodyn analyze`: the run, the analysis and its options (parsed by the
/// analysis' own options type).
#[derive(Debug, Clone)]
pub struct AnalyzeArgs {
    /// Run directory (as written by `neurodyn train`).
    pub run: PathBuf,
    /// The analysis' name, or `all`.
    pub which: String,
    /// Its options as given.
    pub options: ArgMatches,
}

impl clap::FromArgMatches for AnalyzeArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let missing = |what: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::MissingRequiredArgument,
                format!("{what} is required\n"),
            )
        };
        let run = m
            .get_one::<PathBuf>("run")
            .cloned()
            .ok_or_else(|| missing("RUN"))?;
        let (which, options) = m.subcommand().ok_or_else(|| missing("ANALYSIS"))?;
        Ok(AnalyzeArgs {
            run,
            which: which.to_string(),
            options: options.clone(),
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for AnalyzeArgs {
    fn augment_args(cmd: Command) -> Command {
        let cmd = cmd
            .arg(
                Arg::new("run")
                    .value_name("RUN")
                    .required(true)
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(
                        "Run directory (as written by `neurodyn train`), or an .npz of responses \
                         ((condition, feature) or (condition, repeat, feature) arrays, optional \
                         labels) for the layer analyses; their results go to FILE_analysis/",
                    ),
            )
            .subcommand_required(true)
            .subcommand_value_name("ANALYSIS");
        ANALYSES
            .iter()
            .fold(cmd, |cmd, a| cmd.subcommand(a.command()))
            .subcommand(Command::new("all").about(
                "Every analysis that applies, with defaults, then the HTML report (RUN/report.html).",
            ))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

/// Run `neurodyn analyze`.
pub fn run(a: AnalyzeArgs) -> Result<()> {
    let view = RunView::open(&a.run)?;
    if a.which == "all" {
        let outcomes = neurodyn_report::run_all(&view)?;
        print_outcomes(&outcomes);
        if view.file().is_none() {
            let report =
                neurodyn_report::write_report(view.dir(), &neurodyn_report::sections(&outcomes))?;
            println!("report: {}", report.display());
        }
        return Ok(());
    }
    match neurodyn_report::run_named(&view, &a.which, &a.options)? {
        Outcome::Done(s) => print_section(&s),
        Outcome::Skipped(why) => bail!("{} does not apply to this run: {why}", a.which),
    }
    Ok(())
}

/// Print each analysis' key numbers and files, or why it was skipped.
pub fn print_outcomes(outcomes: &[(String, Outcome)]) {
    for (name, o) in outcomes {
        match o {
            Outcome::Done(s) => print_section(s),
            Outcome::Skipped(why) => println!("{name}: skipped, {why}"),
        }
    }
}

/// Print where a section's outputs went, its key numbers, and its warnings (to stderr).
fn print_section(s: &Section) {
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}:", s.title);
    for (k, v) in &s.numbers {
        println!("  {k}: {v}");
    }
    for f in &s.files {
        println!("  wrote {}", f.display());
    }
}
