//! The analyses of a trained run as a library: each analysis computes its numbers with
//! `neurodyn-analysis`, writes them as JSON and npz, draws its figures with `neurodyn-plot` and
//! returns a report [`Section`]; the [`registry`] lists them for the CLI, `analyze RUN all`, the
//! quickstart and the HTML [`report`](html::write_report).
//!
//! ```no_run
//! use neurodyn_report::{registry::run_all, registry::sections, write_report, RunView};
//! # fn main() -> anyhow::Result<()> {
//! let view = RunView::open(std::path::Path::new("runs/quickstart"))?;
//! let outcomes = run_all(&view)?;
//! write_report(view.dir(), &sections(&outcomes))?;
//! # Ok(())
//! # }
//! ```

pub mod analyses;
pub mod common;
pub mod html;
pub mod registry;
pub mod training_figures;

pub use common::{RecurrentRun, Section};
pub use html::write_report;
pub use registry::{find, Analysis, NoOptions, Outcome, RunKind, RunView};
