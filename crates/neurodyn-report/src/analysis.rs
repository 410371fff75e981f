//! What an analysis is: the [`Analysis`] trait (a name, typed options, the options it runs with
//! by default, what it reads, and `run`), its [`Outcome`], and the object-safe [`DynAnalysis`]
//! that the registry ([`crate::analyses::ANALYSES`]) holds for every analysis through [`Entry`].

use crate::common::{RecurrentRun, Section};
use crate::error::{ReportError, Result};
use crate::view::{RunKind, RunView};
use crate::vision_run::VisionRun;
use std::marker::PhantomData;

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
    /// What it reads: [`RecurrentRun`], [`VisionRun`], or the [`RunView`] itself for an
    /// analysis of both kinds (it then looks at [`RunView::kind`]).
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
    /// Whether it can be read from a run of `kind`.
    fn reads(kind: RunKind) -> bool;
    /// Load it from the view (once; later calls return the same).
    fn get(view: &RunView) -> Result<&Self>;
}

impl Input for RecurrentRun {
    fn reads(kind: RunKind) -> bool {
        kind == RunKind::Recurrent
    }
    fn get(view: &RunView) -> Result<&Self> {
        view.recurrent()
    }
}

impl Input for VisionRun {
    fn reads(kind: RunKind) -> bool {
        kind == RunKind::Vision
    }
    fn get(view: &RunView) -> Result<&Self> {
        view.vision()
    }
}

/// Both kinds: the analysis loads what it needs from the view by its kind.
impl Input for RunView {
    fn reads(_: RunKind) -> bool {
        true
    }
    fn get(view: &RunView) -> Result<&Self> {
        Ok(view)
    }
}

/// An analysis as the registry holds it (object-safe; implemented for every [`Analysis`] by
/// [`Entry`]).
pub trait DynAnalysis: Sync {
    /// Name on the command line.
    fn name(&self) -> &'static str;
    /// One line of help.
    fn about(&self) -> &'static str;
    /// Whether it reads runs of `kind`.
    fn reads(&self, kind: RunKind) -> bool;
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
    fn reads(&self, kind: RunKind) -> bool {
        <A::Input as Input>::reads(kind)
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
            .map_err(|e| ReportError::Options(format!("{}: {e}", A::NAME)))?;
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
