//! neurodyn-train: training loop, evaluation and scoring, checkpoints, and the run directory.
//!
//! [`RunConfig`] (TOML) → [`Trainer`] → [`train_run`] writes a run directory (see [`run`]);
//! [`recipes`] holds the default recipe for each task. [`vision`]: CNNs and MLPs on image tasks
//! (MNIST, Fashion-MNIST, CIFAR-10), `VisionConfig` → `train_vision`.

pub mod checkpoint;
pub mod claim;
pub mod config;
pub mod curriculum;
pub mod error;
pub mod health;
pub mod model;
pub mod plan;
pub mod recipes;
pub mod resume;
pub mod run;
pub mod score;
mod seeds;
pub mod step;
pub mod sweep;
pub mod trainer;
mod validate;
pub mod vision;

pub use config::{
    BatchMode, DaleConfig, EvalConfig, Feedback, Method, ModelConfig, RunConfig, Stage, StopRule,
    TaskSection, TrainConfig,
};
pub use curriculum::Progress;
pub use error::{Result, TrainError};
pub use health::Health;
pub use model::{ModelKey, ModelKind};
pub use plan::{ensure_trials_fit, RunPlan};
pub use run::{evaluate, load_run, train_run, train_run_with, Loaded, Outcome, RunDir, Start};
pub use score::{record, record_with_noise, score, Score};
pub use step::StepReport;
pub use trainer::Trainer;
