//! The analyses of a trained run as a library: each analysis computes its numbers with
//! `neurodyn-analysis`, writes them as JSON and npz, draws its figures with `neurodyn-plot` and
//! returns a report [`Section`]. [`analyses::ANALYSES`] lists them (one file and one line each)
//! for the CLI, `analyze RUN all`, the quickstart and the HTML [`report`](html::write_report).
//!
//! ```no_run
//! use neurodyn_report::{run_all, sections, write_report, RunView};
//! # fn main() -> neurodyn_report::Result<()> {
//! let view = RunView::open(std::path::Path::new("runs/quickstart"))?;
//! let outcomes = run_all(&view)?;
//! write_report(view.dir(), &sections(&outcomes))?;
//! # Ok(())
//! # }
//! ```
//!
//! [`compare`] scores two response sets from any two npz files (RSA, CKA, predictivity), the
//! library behind `neurodyn compare`.
//!
//! Modules depend one way: `common`, `vision_run` ← `view` ← `analysis` ← each analysis (those that run a vision network use `vision_probe`) ←
//! `analyses` (the registry); `page` (shared HTML) ← `html`, `vision_report` (a vision run's page, which `html` hands vision runs to); `training_figures` ← both.

pub mod analyses;
pub mod analysis;
pub mod common;
pub mod compare;
pub mod error;
pub mod html;
pub mod page;
pub mod reproduce;
pub mod sweep;
pub mod training_figures;
pub mod view;
pub mod vision_probe;
pub mod vision_report;
pub mod vision_run;

pub use analyses::{find, run_all, run_named, sections, ANALYSES};
pub use analysis::{Analysis, DynAnalysis, NoOptions, Outcome};
pub use common::{RecurrentRun, Section};
pub use error::{ReportError, Result};
pub use html::write_report;
pub use sweep::{sweep_figures, sweep_figures_of, SweepMetric};
pub use view::{RunKind, RunView};
pub use vision_run::VisionRun;
