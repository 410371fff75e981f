//! One trainer per run: a run directory is claimed by creating its `running.lock` (atomically,
//! `create_new`), so a local pool and a Slurm array started on the same sweep, or two array tasks
//! given the same index, never train one run at once and interleave its files.
//!
//! The lock holds `host pid` of its owner and is rewritten at least every [`HEARTBEAT`] while
//! the run trains. It is stale, and taken over, when its owner is a process of this host that is
//! gone, or when it has not been rewritten for [`STALE_AFTER`] (its owner was killed on another
//! node, say by a Slurm time limit, so that a resubmitted array can go on).

use crate::error::{io, Result, TrainError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

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

/// A claimed run directory; dropping it releases the claim.
pub struct RunLock {
    path: PathBuf,
    text: String,
    beat: Instant,
}

impl RunLock {
    /// Claim `root` (a run directory). `Err` with the holder named when another live process
    /// holds it; a stale lock is taken over.
    pub fn claim(root: &Path, run: &str) -> Result<RunLock> {
        let path = root.join(LOCK);
        let text = format!("{} {}\n", host(), std::process::id());
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(text.as_bytes()).map_err(|e| io(&path, e))?;
                    return Ok(RunLock {
                        path,
                        text,
                        beat: Instant::now(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if let Some(owner) = holder(&path) {
                        return Err(TrainError::Sweep {
                            what: run.to_string(),
                            message: format!(
                                "is being trained by {owner} ({}); if no process trains it, \
                                 remove that file",
                                path.display()
                            ),
                        });
                    }
                    // Stale: take it over.
                    std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
                }
                Err(e) => return Err(io(&path, e)),
            }
        }
        Err(TrainError::Sweep {
            what: run.to_string(),
            message: format!("could not claim {}", path.display()),
        })
    }

    /// Rewrite the lock when a heartbeat is due (call it often; it is cheap otherwise).
    pub fn beat(&mut self) {
        if self.beat.elapsed() >= HEARTBEAT {
            // A failed rewrite only makes the lock look older; training goes on.
            let _ = std::fs::write(&self.path, &self.text);
            self.beat = Instant::now();
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
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
        let e = RunLock::claim(&d, "runs/0000").err().expect("held");
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
}
