//! One trainer per run directory: a run directory is claimed by creating its `running.lock`
//! (atomically, `create_new`) before anything else is written into it, so two `train --out D`
//! started at the same moment, a `--resume` beside a running trainer, or a local pool and a Slurm
//! array started on the same sweep never train one run at once and interleave its files.
//! [`new_run`] claims a directory for a new run and refuses one that holds another run's files
//! unless asked to replace them.
//!
//! The lock holds `host pid` of its owner and is rewritten at least every [`HEARTBEAT`] while
//! the run trains. It is stale, and taken over, when its owner is a process of this host that is
//! gone, or when it has not been rewritten for [`STALE_AFTER`] (its owner was killed on another
//! node, say by a Slurm time limit, so that a resubmitted array can go on).

use crate::error::{file, io, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant, SystemTime};

/// The claims this process holds, with the thread that holds each: a thread that already holds
/// a directory's claim (a sweep worker, then the trainer it calls) claims it again for free.
static HELD: Mutex<Option<HashSet<(PathBuf, ThreadId)>>> = Mutex::new(None);

/// The lock file's name in a run directory.
pub const LOCK: &str = "running.lock";
/// How often a training run rewrites its lock.
pub const HEARTBEAT: Duration = Duration::from_secs(30);
/// A lock not rewritten for this long is stale.
pub const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// This machine's name (Linux: the kernel's; elsewhere `$HOSTNAME`; else `unknown`).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Who holds the lock at `path`, if anyone does and the lock is not stale.
pub fn holder(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let owner = text.trim().to_string();
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or_default();
    if age > STALE_AFTER {
        return None;
    }
    let mut parts = owner.split_whitespace();
    if let (Some(h), Some(pid)) = (parts.next(), parts.next()) {
        // A process of this host that no longer exists holds nothing (Linux's /proc tells).
        let here = Path::new("/proc/self").exists();
        if here && h == host() && !Path::new("/proc").join(pid).exists() {
            return None;
        }
    }
    Some(owner)
}

/// A claimed run directory; dropping it releases the claim (a nested claim of the same thread
/// releases nothing).
pub struct RunLock {
    path: PathBuf,
    text: String,
    beat: Instant,
    /// `false` for a nested claim, whose outer claim keeps the file.
    owned: bool,
}

fn held_key(path: &Path) -> (PathBuf, ThreadId) {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    (abs, std::thread::current().id())
}

impl RunLock {
    /// Claim `root` (a run directory, which must exist). `Err` with the holder named when
    /// another live process (or another thread of this one) holds it; a stale lock is taken
    /// over.
    pub fn claim(root: &Path, run: &str) -> Result<RunLock> {
        let path = root.join(LOCK);
        let text = format!("{} {}\n", host(), std::process::id());
        let key = held_key(&path);
        {
            let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
            if held.get_or_insert_with(HashSet::new).contains(&key) {
                return Ok(RunLock {
                    path,
                    text,
                    beat: Instant::now(),
                    owned: false,
                });
            }
        }
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(text.as_bytes()).map_err(|e| io(&path, e))?;
                    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
                    held.get_or_insert_with(HashSet::new).insert(key);
                    return Ok(RunLock {
                        path,
                        text,
                        beat: Instant::now(),
                        owned: true,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if let Some(owner) = holder(&path) {
                        return Err(file(
                            Path::new(run),
                            format!(
                                "is being trained by {owner} (host, pid; {}); if no process \
                                 trains it, remove that file",
                                path.display()
                            ),
                        ));
                    }
                    // Stale: take it over.
                    std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                }
                Err(e) => return Err(io(&path, e)),
            }
        }
        Err(file(
            Path::new(run),
            format!("could not claim {}", path.display()),
        ))
    }

    /// Rewrite the lock when a heartbeat is due (call it often; it is cheap otherwise).
    pub fn beat(&mut self) {
        if self.owned && self.beat.elapsed() >= HEARTBEAT {
            // A failed rewrite only makes the lock look older; training goes on.
            let _ = std::fs::write(&self.path, &self.text);
            self.beat = Instant::now();
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if self.owned {
            let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(h) = held.as_mut() {
                h.remove(&held_key(&self.path));
            }
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a run writes into its directory (recurrent and vision runs, and the analyses and
/// report made from them): a new run refuses a directory holding any of these unless it may
/// replace them.
pub const RUN_FILES: [&str; 10] = [
    "config.toml",
    "metrics.csv",
    "checkpoint.safetensors",
    "model.safetensors",
    "eval.json",
    "recording.npz",
    "activations.npz",
    "report.html",
    "figures",
    "analysis",
];

/// Claim `dir` for a new run: create it, take its lock, then refuse it if it already holds a
/// run or another run's files (naming them), unless `replace`, which removes those files and
/// folders (and nothing else) first. The claim is released when the returned lock is dropped.
pub fn new_run(dir: &Path, replace: bool) -> Result<RunLock> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let lock = RunLock::claim(dir, &dir.display().to_string())?;
    let present: Vec<&str> = RUN_FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).exists())
        .collect();
    if present.is_empty() {
        return Ok(lock);
    }
    if !replace {
        let what = if present.contains(&"config.toml") {
            "already holds a run (config.toml exists): continue it with `neurodyn train --resume \
             DIR`, train into another --out, or pass --force to replace it"
                .to_string()
        } else {
            format!(
                "holds files of another run ({}); train into another --out, or pass --force to \
                 replace them",
                present.join(", ")
            )
        };
        return Err(file(dir, what));
    }
    for f in present {
        let p = dir.join(f);
        let removed = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        removed.map_err(|e| io(&p, e))?;
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::{holder, RunLock, LOCK};

    #[test]
    fn a_run_is_claimed_once_and_a_dead_owners_lock_is_taken_over() {
        let d = std::env::temp_dir().join(format!("neurodyn-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        let first = RunLock::claim(&d, "runs/0000").expect("claim");
        let nested = RunLock::claim(&d, "runs/0000").expect("the same thread claims again");
        drop(nested);
        assert!(d.join(LOCK).exists(), "a nested claim releases nothing");
        let other = std::thread::spawn({
            let d = d.clone();
            move || RunLock::claim(&d, "runs/0000").err().map(|e| e.to_string())
        });
        let e = other
            .join()
            .expect("thread")
            .expect("held by another thread");
        assert!(e.to_string().contains("is being trained by"), "{e}");
        drop(first);
        assert!(!d.join(LOCK).exists(), "released");
        // A lock of a process of this host that is gone (no pid is this large) is stale.
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        if !host.trim().is_empty() {
            std::fs::write(d.join(LOCK), format!("{} 4294967295\n", host.trim())).expect("w");
            assert_eq!(holder(&d.join(LOCK)), None);
            let _taken = RunLock::claim(&d, "runs/0000").expect("taken over");
        }
        // Another host's fresh lock is respected.
        std::fs::write(d.join(LOCK), "some-other-node 12\n").expect("w");
        assert_eq!(holder(&d.join(LOCK)).as_deref(), Some("some-other-node 12"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_new_run_refuses_another_runs_files_unless_it_may_replace_them() {
        let d = std::env::temp_dir().join(format!("neurodyn-claim-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("figures")).expect("dir");
        std::fs::write(d.join("model.safetensors"), b"weights").expect("w");
        std::fs::write(d.join("notes.txt"), b"mine").expect("w");
        let e = super::new_run(&d, false)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains("model.safetensors") && e.contains("figures") && e.contains("--force"),
            "{e}"
        );
        assert!(!d.join(LOCK).exists(), "a refusal releases the claim");
        assert!(d.join("model.safetensors").exists(), "and touches nothing");
        let lock = super::new_run(&d, true).expect("replaced");
        assert!(!d.join("model.safetensors").exists() && !d.join("figures").exists());
        assert!(d.join("notes.txt").exists(), "files of no run are kept");
        drop(lock);
        std::fs::write(d.join("config.toml"), b"seed = 1").expect("w");
        let e = super::new_run(&d, false).err().expect("a run").to_string();
        assert!(
            e.contains("already holds a run") && e.contains("--resume"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
