//! neurodyn: train biologically constrained neural networks on the tasks animals perform (and
//! on images), then study them with the methods used on real brains.
//!
//! This crate re-exports the workspace's libraries under one name:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`core`] | `neurodyn-core` | trials, batches, recordings, `.npz`, the seeded RNG, `Dynamics` |
//! | [`tasks`] | `neurodyn-tasks` | the cognitive tasks (NeuroGym, Yang et al. 2019), sampling, streams |
//! | [`nn`] | `neurodyn-nn` | cells, layers, networks with hand-derived backward passes, losses, optimizers, kernels |
//! | [`train`] | `neurodyn-train` | run configs, the trainer, evaluation, run directories, recipes, vision training |
//! | [`analysis`] | `neurodyn-analysis` | PCA, fixed points, selectivity, decoding, task variance, RDMs, d′ … on arrays |
//! | [`plot`] | `neurodyn-plot` | figures as PNG + SVG |
//! | [`data`] | `neurodyn-data` | the embedded MNIST digits, IDX and CIFAR-10 readers, splits |
//! | [`report`] | `neurodyn-report` | every analysis of a run directory, its registry, figures and the HTML report |
//!
//! Train a network from code, analyse what it does, and draw a figure:
//!
//! ```
//! use neurodyn::analysis::{activity, pca};
//! use neurodyn::plot::{panels, Panel, Series, SeriesStyle};
//! use neurodyn::train::{evaluate, RunConfig, Trainer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A small CTRNN on perceptual decision making, 40 Adam steps.
//! let cfg = RunConfig::from_toml(
//!     "seed = 3\n[task]\nname = \"PerceptualDecisionMaking\"\ndt_ms = 100\n\
//!      [model]\nkind = \"ctrnn\"\nn_rec = 16\n[train]\nsteps = 40\nbatch_size = 16\n",
//! )?;
//! let mut trainer = Trainer::new(cfg)?;
//! let mut last_loss = f64::NAN;
//! trainer.run(40, |_, step| {
//!     last_loss = step.loss;
//!     Ok(())
//! })?;
//! assert!(last_loss.is_finite());
//!
//! // Fresh trials, recorded: rates (trial, time, unit), inputs, outputs, labels.
//! let (score, rec) = evaluate(&mut trainer, Some(64))?;
//! assert!((0.0..=1.0).contains(&score.accuracy));
//!
//! // Two analyses on the recording.
//! let act = activity::run(&rec, &activity::ActivityConfig::default())?;
//! assert_eq!(act.max_rate.len(), 16);
//! let fit = pca::run(&rec, &pca::PcaConfig::default())?;
//! let ratio = &fit.pca.explained_variance_ratio;
//! assert!(ratio.iter().sum::<f64>() <= 1.0 + 1e-9);
//!
//! // A figure: the variance each principal component explains (PNG + SVG).
//! let dir = std::env::temp_dir().join(format!("neurodyn-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let x: Vec<f64> = (1..=ratio.len()).map(|k| k as f64).collect();
//! let panel = Panel {
//!     title: "Explained variance".into(),
//!     x_label: "principal component".into(),
//!     y_label: "fraction of variance".into(),
//!     series: vec![Series::new("per PC", x, ratio.clone()).style(SeriesStyle::LineAndPoints)],
//!     ..Panel::default()
//! };
//! panels(dir.join("pca_variance"), &[panel], 1)?;
//! assert!(dir.join("pca_variance.png").exists() && dir.join("pca_variance.svg").exists());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! `examples/train_and_analyse.rs` does the same through a run directory and the analysis
//! registry (what `neurodyn train` and `neurodyn analyze RUN all` do):
//! `cargo run --release -p neurodyn --example train_and_analyse`.

pub use neurodyn_analysis as analysis;
pub use neurodyn_core as core;
pub use neurodyn_data as data;
pub use neurodyn_nn as nn;
pub use neurodyn_plot as plot;
pub use neurodyn_report as report;
pub use neurodyn_tasks as tasks;
pub use neurodyn_train as train;
