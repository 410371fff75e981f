//! The analysis registry: every analysis is a type implementing [`Analysis`] (a name, typed
//! options, the options it runs with by default, and `run`), listed once in
//! [`crate::analyses::ANALYSES`]. The CLI builds `neurodyn analyze RUN <name> [options]` from the
//! list, `analyze RUN all`, the quickstart and the report iterate it, and a library user calls an
//! analysis by type (`Pca::run(view.recurrent()?, &NoOptions)`) or by name ([`find`]).
//!
//! An analysis reads one kind of run ([`RunKind`]): a recurrent run (`recording.npz` of a network
//! trained on a cognitive task, [`RecurrentRun`]) or a vision run (`activations.npz` of a CNN or
//! MLP, [`VisionRun`]). A [`RunView`] opens a run directory once and loads each on first use.

use crate::analyses::representation::VisionRun;
use crate::common::{RecurrentRun, Section};
use anyhow::{bail, Result};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which runs an analysis reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A recurrent network trained on a cognitive task (`recording.npz`).
    Recurrent,
    /// A feed-forward network trained on images (`activations.npz`).
    Vision,
}

/// What an analysis ended with: its report section, or why it does not apply to this run (a
/// cell whose states are not recorded, a task without an evidence variable).
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The analysis ran; its files are written.
    Done(Section),
    /// The analysis does not apply to this run, and why.
    Skipped(String),
}

/// One analysis: its name, options and what it computes. Implement this and add one line to
/// [`crate::analyses::ANALYSES`]; the CLI, `analyze RUN all` and the report pick it up.
pub trait Analysis: 'static {
    /// Name on the command line (`fixed-points`).
    const NAME: &'static str;
    /// One line for `neurodyn analyze --help`.
    const ABOUT: &'static str;
    /// What it reads: [`RecurrentRun`] or [`VisionRun`].
    type Input: Input;
    /// Its options, parsed from the command line (use [`NoOptions`] when there are none).
    type Options: clap::Args + clap::FromArgMatches + Clone;
    /// The options `analyze RUN all` and the quickstart use on this run, or `None` when the
    /// analysis is not run by default on it (e.g. no two classes to compare).
    fn defaults(input: &Self::Input) -> Option<Self::Options>;
    /// Run it: write `RUN/analysis/<name>.json|.npz` and `RUN/figures/<name>*`.
    fn run(input: &Self::Input, options: &Self::Options) -> Result<Outcome>;
}

/// The options of an analysis that has none.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct NoOptions {}

/// What an analysis reads from a [`RunView`].
pub trait Input: Sized + 'static {
    /// The kind of run it comes from.
    const KIND: RunKind;
    /// Load it from the view (once; later calls return the same).
    fn get(view: &RunView) -> Result<&Self>;
}

impl Input for RecurrentRun {
    const KIND: RunKind = RunKind::Recurrent;
    fn get(view: &RunView) -> Result<&Self> {
        view.recurrent()
    }
}

impl Input for VisionRun {
    const KIND: RunKind = RunKind::Vision;
    fn get(view: &RunView) -> Result<&Self> {
        view.vision()
    }
}

/// A run directory opened for analysis; what the analyses read is loaded on first use.
pub struct RunView {
    dir: PathBuf,
    kind: RunKind,
    recurrent: OnceLock<RecurrentRun>,
    vision: OnceLock<VisionRun>,
}

impl RunView {
    /// Open the run in `dir` (written by `neurodyn train`).
    pub fn open(dir: &Path) -> Result<RunView> {
        if !dir.join("config.toml").exists() {
            bail!("{} is not a run directory (no config.toml)", dir.display());
        }
        let kind = if neurodyn_train::vision::is_vision_run(dir) {
            RunKind::Vision
        } else {
            RunKind::Recurrent
        };
        Ok(RunView {
            dir: dir.to_path_buf(),
            kind,
            recurrent: OnceLock::new(),
            vision: OnceLock::new(),
        })
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Which kind of run it is.
    pub fn kind(&self) -> RunKind {
        self.kind
    }

    /// The recorded test trials and task of a recurrent run.
    pub fn recurrent(&self) -> Result<&RecurrentRun> {
        if self.kind != RunKind::Recurrent {
            bail!(
                "{} is a vision run; it takes {} (the other analyses take recurrent runs)",
                self.dir.display(),
                names_of(RunKind::Vision)
            );
        }
        if let Some(r) = self.recurrent.get() {
            return Ok(r);
        }
        let r = RecurrentRun::load(&self.dir)?;
        Ok(self.recurrent.get_or_init(|| r))
    }

    /// The recorded activations of a vision run.
    pub fn vision(&self) -> Result<&VisionRun> {
        if self.kind != RunKind::Vision {
            bail!(
                "{} is not a vision run; {} read the activations.npz of `neurodyn train --task \
                 Mnist` (or another image task)",
                self.dir.display(),
                names_of(RunKind::Vision)
            );
        }
        if let Some(v) = self.vision.get() {
            return Ok(v);
        }
        let v = VisionRun::load(&self.dir)?;
        Ok(self.vision.get_or_init(|| v))
    }
}

/// `analyze RUN a`, `analyze RUN b` for the analyses of one kind of run.
fn names_of(kind: RunKind) -> String {
    let names: Vec<String> = crate::analyses::ANALYSES
        .iter()
        .filter(|a| a.kind() == kind)
        .map(|a| format!("`analyze RUN {}`", a.name()))
        .collect();
    names.join(" and ")
}

/// An analysis as the registry holds it (object-safe; implemented for every [`Analysis`] by
/// [`Entry`]).
pub trait DynAnalysis: Sync {
    /// Name on the command line.
    fn name(&self) -> &'static str;
    /// One line of help.
    fn about(&self) -> &'static str;
    /// Which runs it reads.
    fn kind(&self) -> RunKind;
    /// Its subcommand: the name, help and options.
    fn command(&self) -> clap::Command;
    /// Run it with options parsed from the command line by [`DynAnalysis::command`].
    fn run_matches(&self, view: &RunView, matches: &clap::ArgMatches) -> Result<Outcome>;
    /// Run it with its default options; `None` when it is not run by default on this run.
    fn run_default(&self, view: &RunView) -> Result<Option<Outcome>>;
}

/// The registry's handle on the analysis `A`.
pub struct Entry<A>(PhantomData<fn() -> A>);

impl<A> Entry<A> {
    /// The entry (for the registry's list).
    pub const NEW: Entry<A> = Entry(PhantomData);
}

impl<A: Analysis> DynAnalysis for Entry<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }
    fn about(&self) -> &'static str {
        A::ABOUT
    }
    fn kind(&self) -> RunKind {
        <A::Input as Input>::KIND
    }
    fn command(&self) -> clap::Command {
        // The options type's own doc comment would become the help line: the analysis' comes last.
        <A::Options as clap::Args>::augment_args(clap::Command::new(A::NAME))
            .about(A::ABOUT)
            .long_about(None)
    }
    fn run_matches(&self, view: &RunView, matches: &clap::ArgMatches) -> Result<Outcome> {
        let input = A::Input::get(view)?;
        let options = <A::Options as clap::FromArgMatches>::from_arg_matches(matches)
            .map_err(|e| anyhow::anyhow!("{}: {e}", A::NAME))?;
        A::run(input, &options)
    }
    fn run_default(&self, view: &RunView) -> Result<Option<Outcome>> {
        let input = A::Input::get(view)?;
        match A::defaults(input) {
            Some(options) => A::run(input, &options).map(Some),
            None => Ok(None),
        }
    }
}

/// The analysis named `name` (its command-line name, `fixed-points`, or its file stem,
/// `fixed_points`).
pub fn find(name: &str) -> Option<&'static dyn DynAnalysis> {
    let dashed = name.replace('_', "-");
    crate::analyses::ANALYSES
        .iter()
        .copied()
        .find(|a| a.name() == dashed)
}

/// Every analysis that applies to the run in `view` with its defaults, in registry order (the
/// order of the report). A failing analysis becomes a section that says why (with a warning), so
/// one failure does not hide the rest. Each outcome comes with the analysis' file stem
/// (`fixed_points`). An error only when the run's recording cannot be read.
pub fn run_all(view: &RunView) -> Result<Vec<(String, Outcome)>> {
    match view.kind() {
        RunKind::Recurrent => view.recurrent().map(|_| ())?,
        RunKind::Vision => view.vision().map(|_| ())?,
    }
    let mut out = Vec::new();
    for a in crate::analyses::ANALYSES
        .iter()
        .filter(|a| a.kind() == view.kind())
    {
        let name = a.name().replace('-', "_");
        match a.run_default(view) {
            Ok(Some(o)) => out.push((name, o)),
            Ok(None) => {}
            Err(e) => {
                let section = Outcome::Done(Section {
                    warnings: vec![format!("analysis {name} failed: {e:#}")],
                    note: format!("failed: {e:#}"),
                    title: name.clone(),
                    name: name.clone(),
                    ..Section::default()
                });
                out.push((name, section));
            }
        }
    }
    Ok(out)
}

/// The sections of the analyses that ran.
pub fn sections(outcomes: &[(String, Outcome)]) -> Vec<Section> {
    outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            Outcome::Done(s) => Some(s.clone()),
            Outcome::Skipped(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{find, RunKind};
    use crate::analyses::ANALYSES;

    #[test]
    fn every_analysis_has_one_name_a_valid_command_and_is_found_by_it() {
        let mut names: Vec<&str> = ANALYSES.iter().map(|a| a.name()).collect();
        assert!(names.len() >= 11, "{names:?}");
        for a in ANALYSES {
            a.command().debug_assert();
            assert!(!a.about().is_empty(), "{} has no help line", a.name());
            let found = find(a.name()).expect("found by name");
            assert_eq!(found.name(), a.name());
            let stem = a.name().replace('-', "_");
            assert_eq!(find(&stem).map(|f| f.name()), Some(a.name()), "by stem");
        }
        assert!(find("no-such-analysis").is_none());
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate analysis names");
        let vision: Vec<&str> = ANALYSES
            .iter()
            .filter(|a| a.kind() == RunKind::Vision)
            .map(|a| a.name())
            .collect();
        assert_eq!(vision, ["rdm", "dprime"]);
    }
}
