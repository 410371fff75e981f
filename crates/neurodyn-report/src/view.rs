//! A run directory opened for analysis: [`RunView`] knows which kind of run it is and loads what
//! the analyses read (the recording of a recurrent run, the activations of a vision run) once, on
//! first use.

use crate::common::RecurrentRun;
use crate::error::{ReportError, Result};
use crate::vision_run::VisionRun;
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

/// A run directory opened for analysis; what the analyses read is loaded on first use.
pub struct RunView {
    dir: PathBuf,
    /// A responses file opened instead of a run (`analyze FILE.npz …`).
    file: Option<PathBuf>,
    kind: RunKind,
    recurrent: OnceLock<RecurrentRun>,
    vision: OnceLock<VisionRun>,
}

impl RunView {
    /// Open the run in `dir` (written by `neurodyn train`), or a `.npz` file of responses
    /// (`(condition, feature)` or `(condition, repeat, feature)` arrays, see
    /// [`VisionRun::from_responses`]) for the analyses of layers, whose results go to
    /// `FILE_analysis/` beside it.
    pub fn open(dir: &Path) -> Result<RunView> {
        if dir.is_file() {
            let stem = dir
                .file_stem()
                .map_or_else(|| "responses".into(), |s| s.to_string_lossy());
            let out = dir.with_file_name(format!("{stem}_analysis"));
            return Ok(RunView {
                dir: out,
                file: Some(dir.to_path_buf()),
                kind: RunKind::Vision,
                recurrent: OnceLock::new(),
                vision: OnceLock::new(),
            });
        }
        if !dir.join("config.toml").exists() {
            return Err(ReportError::Run(format!(
                "{} is not a run directory (no config.toml)",
                dir.display()
            )));
        }
        let kind = if neurodyn_train::vision::is_vision_run(dir) {
            RunKind::Vision
        } else {
            RunKind::Recurrent
        };
        Ok(RunView {
            dir: dir.to_path_buf(),
            file: None,
            kind,
            recurrent: OnceLock::new(),
            vision: OnceLock::new(),
        })
    }

    /// The responses file, when one was opened instead of a run.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The run directory (for a responses file: where its results go).
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
            return Err(ReportError::Run(format!(
                "{} is a vision run (activations.npz), not a recurrent one (recording.npz)",
                self.dir.display()
            )));
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
            return Err(ReportError::Run(format!(
                "{} is not a vision run: there is no activations.npz of `neurodyn train --task \
                 Mnist` (or another image task)",
                self.dir.display()
            )));
        }
        if let Some(v) = self.vision.get() {
            return Ok(v);
        }
        let v = match &self.file {
            Some(f) => VisionRun::from_responses(f, &self.dir)?,
            None => VisionRun::load(&self.dir)?,
        };
        Ok(self.vision.get_or_init(|| v))
    }
}
