//! [`build`]: a task by name, or several joined by `+` as one [`MultiTask`]; [`parameters`]: the
//! parameters a task reads.

use crate::config::TaskConfig;
use crate::error::TaskError;
use crate::multi::MultiTask;
use crate::params::{start_noting, stop_noting, ParamInfo};
use crate::registry::build_registered;
use crate::task::Task;

/// Build a task by name (or alias / neurogym id) from a config. Names joined by `+` build a
/// [`MultiTask`] that mixes them with rule inputs.
///
/// ```
/// use neurodyn_tasks::{build, TaskConfig};
/// let task = build("PerceptualDecisionMaking-v0", &TaskConfig::default()).unwrap();
/// assert_eq!(task.spec().n_in, 3);
/// assert!(build("PerceptualDecisionMakin", &TaskConfig::default()).is_err());
/// ```
pub fn build(name: &str, cfg: &TaskConfig) -> Result<Box<dyn Task>, TaskError> {
    if name.contains('+') {
        let names: Vec<&str> = name.split('+').collect();
        return Ok(Box::new(MultiTask::new(&names, cfg)?));
    }
    build_registered(name, cfg)
}

/// The parameters task `name` accepts under `cfg`, in the order it declares them, with the
/// defaults it uses. Noting is off again on return, also when building fails.
pub fn parameters(name: &str, cfg: &TaskConfig) -> Result<Vec<ParamInfo>, TaskError> {
    start_noting();
    let built = build(name, cfg);
    let noted = stop_noting();
    built.map(|_| noted)
}
