//! What a trial or recording file says about itself: the arrays beside the data that name the
//! task, the time step, the channels and the classes, so a reader never has to guess.
//!
//! | array | dtype, shape | meaning |
//! |---|---|---|
//! | `format` | text, () | layout and version: `neurodyn-trials/1`, `neurodyn-recording/1`, `neurodyn-activations/1` |
//! | `task_name` | text, () | the task (`A+B` for a multi-task mix) |
//! | `compat` | text, () | `default` or `neurogym` (the task's semantics) |
//! | `seed` | int64, () | the seed the trials were drawn with |
//! | `dt_ms` | float64, () | the time step in ms |
//! | `time_ms` | float64, (time,) | the start of each step in ms: `k · dt_ms` |
//! | `input_names` | text, (n_in,) | one name per input channel |
//! | `output_names` | text, (n_out,) | one name per output channel |
//! | `class_names` | text, (n_out,) | categorical tasks: the name of target class k |
//! | `outputs_hold` | text, () | recordings: `logits` (categorical) or `values` (continuous) |
//!
//! Files from other tools lack some or all of these; [`FileInfo::read`] then leaves the fields
//! `None` and readers take the data as given.

use crate::error::{CoreError, Result};
use crate::npz::Npz;

/// The names of the describing arrays; no condition label may take one of them.
pub const DESCRIBING_ARRAYS: [&str; 10] = [
    "format",
    "task_name",
    "compat",
    "seed",
    "dt_ms",
    "time_ms",
    "input_names",
    "output_names",
    "class_names",
    "outputs_hold",
];

/// `format` of the files `tasks sample` writes (and Python's `tasks.sample` returns).
pub const TRIALS_FORMAT: &str = "neurodyn-trials/1";
/// `format` of a run's `recording.npz`.
pub const RECORDING_FORMAT: &str = "neurodyn-recording/1";
/// `format` of a vision run's `activations.npz` (which carries `task_name`, `seed` and
/// `class_names`).
pub const ACTIVATIONS_FORMAT: &str = "neurodyn-activations/1";

/// What a file says about itself; every field is optional (files of other tools have none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileInfo {
    /// Layout and version.
    pub format: Option<String>,
    /// Task name.
    pub task: Option<String>,
    /// `default` or `neurogym`.
    pub compat: Option<String>,
    /// Seed of the trials.
    pub seed: Option<u64>,
    /// Time step in ms.
    pub dt_ms: Option<f64>,
    /// One name per input channel.
    pub input_names: Option<Vec<String>>,
    /// One name per output channel.
    pub output_names: Option<Vec<String>>,
    /// Categorical tasks: one name per target class.
    pub class_names: Option<Vec<String>>,
    /// Recordings: what `outputs` hold (`logits` or `values`).
    pub outputs_hold: Option<String>,
}

impl FileInfo {
    /// Add the describing arrays to `z`, with `time_ms` over `n_steps` steps when the time step
    /// is known.
    pub fn write(&self, z: &mut Npz, n_steps: usize) -> Result<()> {
        let names = |z: &mut Npz, key: &str, v: &Option<Vec<String>>| -> Result<()> {
            if let Some(v) = v {
                z.strings(key, &[v.len()], v.clone())?;
            }
            Ok(())
        };
        for (key, v) in [
            ("format", &self.format),
            ("task_name", &self.task),
            ("compat", &self.compat),
        ] {
            if let Some(v) = v {
                z.text(key, v)?;
            }
        }
        if let Some(s) = self.seed {
            let s = i64::try_from(s)
                .map_err(|_| CoreError::invalid("seed", format!("{s} does not fit int64")))?;
            z.i64("seed", &[], vec![s])?;
        }
        if let Some(dt) = self.dt_ms {
            z.f64("dt_ms", &[], vec![dt])?;
            z.f64(
                "time_ms",
                &[n_steps],
                (0..n_steps).map(|k| k as f64 * dt).collect(),
            )?;
        }
        names(z, "input_names", &self.input_names)?;
        names(z, "output_names", &self.output_names)?;
        names(z, "class_names", &self.class_names)?;
        if let Some(v) = &self.outputs_hold {
            z.text("outputs_hold", v)?;
        }
        Ok(())
    }

    /// What `z` says about itself (fields it lacks, or holds in another type, are `None`).
    pub fn read(z: &Npz) -> FileInfo {
        let number = |key: &str| {
            z.get(key)
                .filter(|a| !a.is_text() && a.shape().iter().product::<usize>() == 1)
                .map(|a| a.to_f64()[0])
        };
        let names = |key: &str| z.get(key).and_then(|a| a.to_strings());
        FileInfo {
            format: z.get_text("format"),
            task: z.get_text("task_name"),
            compat: z.get_text("compat"),
            seed: number("seed").filter(|s| *s >= 0.0).map(|s| s as u64),
            dt_ms: number("dt_ms"),
            input_names: names("input_names"),
            output_names: names("output_names"),
            class_names: names("class_names"),
            outputs_hold: z.get_text("outputs_hold"),
        }
    }

    /// Whether the file says nothing about itself (a file from another tool).
    pub fn is_empty(&self) -> bool {
        *self == FileInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_info_reads_back_and_a_bare_file_has_none() {
        let info = FileInfo {
            format: Some(TRIALS_FORMAT.into()),
            task: Some("GoNogo".into()),
            compat: Some("neurogym".into()),
            seed: Some(7),
            dt_ms: Some(20.0),
            input_names: Some(vec!["fixation".into(), "go".into()]),
            output_names: Some(vec!["fixate".into(), "go".into()]),
            class_names: Some(vec!["fixate".into(), "go".into()]),
            outputs_hold: None,
        };
        let mut z = Npz::new();
        info.write(&mut z, 3).expect("write");
        assert_eq!(FileInfo::read(&z), info);
        assert_eq!(z.get("time_ms").expect("time").to_f64(), [0.0, 20.0, 40.0]);
        assert!(FileInfo::read(&Npz::new()).is_empty());
        assert_eq!(
            DESCRIBING_ARRAYS.len(),
            z.arrays.len() + 1,
            "all but outputs_hold"
        );
    }
}
