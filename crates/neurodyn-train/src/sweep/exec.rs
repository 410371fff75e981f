//! Running a sweep's runs: one by index (a Slurm array task), or many on a local pool.

use super::lock::{holder, RunLock, LOCK};
use super::{read_manifest, run_dir, Manifest, ManifestRun, VISION_PLAN};
use crate::checkpoint::write_atomic;
use crate::error::{file, io, Result};
use crate::run::{train_run_with, RunDir, Start};
use crate::vision::{train_vision, VisionConfig};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Where a run of a sweep stands.
#[derive(Clone, Debug, PartialEq)]
pub enum RunStatus {
    /// Nothing trained yet.
    Pending,
    /// Training began; `step` is that of its last checkpoint (none yet: `None`).
    Started {
        /// The checkpoint's step.
        step: Option<u64>,
    },
    /// A process trains it now (`running.lock`: its host and pid).
    Running(String),
    /// Its last attempt failed, with this message (`failed.txt`).
    Failed(String),
    /// Trained and evaluated (`eval.json` exists).
    Finished,
}

impl RunStatus {
    /// `pending`, `started`, `failed` or `finished`.
    pub fn name(&self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Started { .. } => "started",
            RunStatus::Running(_) => "running",
            RunStatus::Failed(_) => "failed",
            RunStatus::Finished => "finished",
        }
    }
}

const FAILED: &str = "failed.txt";

/// Where run `run` of the sweep in `dir` stands, from its files.
pub fn status(dir: &Path, run: &ManifestRun) -> RunStatus {
    let rd = RunDir::new(&run_dir(dir, run));
    if rd.eval().exists() {
        return RunStatus::Finished;
    }
    if let Some(owner) = holder(&rd.root.join(LOCK)) {
        return RunStatus::Running(owner);
    }
    if let Ok(m) = std::fs::read_to_string(rd.root.join(FAILED)) {
        return RunStatus::Failed(m.trim().to_string());
    }
    if rd.checkpoint().exists() {
        let step = crate::checkpoint::checkpoint_step(&rd.checkpoint()).ok();
        return RunStatus::Started { step };
    }
    if rd.metrics().exists() {
        return RunStatus::Started { step: None };
    }
    RunStatus::Pending
}

/// What a run that finished training reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// Accuracy on fresh trials (held-out images for a vision run).
    pub accuracy: f64,
    /// Training wall time (s), over every segment.
    pub seconds: f64,
    /// Network-health warnings (recurrent runs).
    pub warnings: Vec<String>,
}

/// Train run `index` of the sweep in `dir` (a finished run: `Ok(None)`, nothing done).
/// `on_step(step, total)` follows its progress. An interrupted recurrent run continues from its
/// checkpoint with the config it was planned with, so the result is bit-identical to an
/// uninterrupted one; an interrupted vision run trains again from the start (same result). A
/// failure is also written to the run's `failed.txt` (removed when it is tried again).
pub fn run_one(
    dir: &Path,
    index: usize,
    on_step: impl FnMut(u64, u64),
) -> Result<Option<Finished>> {
    let manifest = read_manifest(dir)?;
    run_in(dir, manifest.run(index)?, on_step)
}

fn run_in(
    dir: &Path,
    run: &ManifestRun,
    mut on_step: impl FnMut(u64, u64),
) -> Result<Option<Finished>> {
    if status(dir, run) == RunStatus::Finished {
        return Ok(None);
    }
    let rd = RunDir::new(&run_dir(dir, run));
    // One trainer per run; refused (and not marked failed) while another holds it.
    let mut lock = RunLock::claim(&rd.root, &run.dir)?;
    let mut on_step = |step, total| {
        lock.beat();
        on_step(step, total);
    };
    let failed = rd.root.join(FAILED);
    if failed.exists() {
        std::fs::remove_file(&failed).map_err(|e| io(&failed, e))?;
    }
    let planned = rd.root.join(VISION_PLAN);
    let result = if planned.exists() {
        train_vision_run(&rd.root, &planned, &mut on_step)
    } else {
        rd.read_config().and_then(|cfg| {
            let total = cfg.train.steps;
            let o = train_run_with(cfg, &rd.root, Start::Resume, |r| on_step(r.step, total))?;
            Ok(Finished {
                accuracy: o.score.accuracy,
                seconds: o.train_seconds,
                warnings: o.health.warnings,
            })
        })
    };
    match result {
        Ok(o) => Ok(Some(o)),
        Err(e) => {
            write_atomic(&failed, format!("{e}\n").as_bytes())?;
            Err(e)
        }
    }
}

/// Train the vision run planned in `planned`, from the start: what an interrupted attempt left
/// in its directory is removed first (vision runs keep no checkpoint).
fn train_vision_run(
    root: &Path,
    planned: &Path,
    mut on_step: impl FnMut(u64, u64),
) -> Result<Finished> {
    let text = std::fs::read_to_string(planned).map_err(|e| io(planned, e))?;
    let cfg = VisionConfig::from_toml(&text).map_err(|m| file(planned, m))?;
    let entries = std::fs::read_dir(root).map_err(|e| io(root, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io(root, e))?.path();
        let keep = path
            .file_name()
            .is_some_and(|n| n == VISION_PLAN || n == FAILED || n == LOCK);
        if keep {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| io(&path, e))?;
    }
    let o = train_vision(cfg, root, |s| on_step(s.step, s.total_steps))?;
    Ok(Finished {
        accuracy: o.test.accuracy,
        seconds: o.train_seconds,
        warnings: Vec::new(),
    })
}

/// What [`run_many`] reports as it goes.
#[derive(Clone, Debug)]
pub struct Event {
    /// The run's index.
    pub index: usize,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug)]
pub enum EventKind {
    /// It began (or resumed) training.
    Started,
    /// It reached `step` of `total` (every 10th step).
    Step {
        /// The step.
        step: u64,
        /// Its steps in all.
        total: u64,
    },
    /// It finished (`None`: it had already finished).
    Finished(Option<Finished>),
    /// It failed, with this message (the other runs go on).
    Failed(String),
}

/// Train every run of the sweep in `dir` that is not finished, `jobs` at a time (each on the
/// threads its config asks for, one by default). `on_event` sees starts, progress, finishes and
/// failures, on the calling thread. Returns the indices that failed.
pub fn run_many(
    dir: &Path,
    manifest: &Manifest,
    jobs: usize,
    mut on_event: impl FnMut(Event),
) -> Vec<usize> {
    let todo: Vec<&ManifestRun> = manifest
        .runs
        .iter()
        .filter(|r| status(dir, r) != RunStatus::Finished)
        .collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Event>();
    let mut failed = Vec::new();
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, todo.len().max(1)) {
            let tx = tx.clone();
            let (next, todo) = (&next, &todo);
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(run) = todo.get(k) else { break };
                let send = |kind| {
                    let _ = tx.send(Event {
                        index: run.index,
                        kind,
                    });
                };
                send(EventKind::Started);
                let result = run_in(dir, run, |step, total| {
                    if step % 10 == 0 {
                        send(EventKind::Step { step, total });
                    }
                });
                send(match result {
                    Ok(o) => EventKind::Finished(o),
                    Err(e) => EventKind::Failed(e.to_string()),
                });
            });
        }
        drop(tx);
        for ev in rx {
            if matches!(ev.kind, EventKind::Failed(_)) {
                failed.push(ev.index);
            }
            on_event(ev);
        }
    });
    failed.sort_unstable();
    failed
}
