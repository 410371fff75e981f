//! Memory a request will need, checked against what the machine has before anything is
//! allocated: a command asked for more than fits says so instead of aborting on allocation.

use crate::error::{CoreError, Result};

/// The memory available to a new allocation in bytes (Linux: `MemAvailable` of
/// `/proc/meminfo`), or `None` where the system does not say.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / (1u64 << 30) as f64)
}

/// Refuse `what` when it needs about `bytes` (an estimate; `f64` so that huge requests do not
/// overflow) and that is more than the machine has available. `advice` says how to ask for less.
pub fn ensure_fits(what: &str, bytes: f64, advice: &str) -> Result<()> {
    ensure_fits_in(what, bytes, available_bytes(), advice)
}

/// [`ensure_fits`] against a given amount available (`None`: unknown, anything goes).
pub fn ensure_fits_in(what: &str, bytes: f64, available: Option<u64>, advice: &str) -> Result<()> {
    match available {
        Some(avail) if bytes.is_nan() || bytes > avail as f64 => Err(CoreError::TooLarge {
            what: what.to_string(),
            needed: gib(bytes),
            available: gib(avail as f64),
            advice: advice.to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_larger_than_the_memory_is_refused_with_both_sizes() {
        let e = ensure_fits_in("eval --n 5000000", 3.0e11, Some(8 << 30), "ask for fewer")
            .expect_err("too large")
            .to_string();
        assert!(
            e.contains("279.4 GiB") && e.contains("8.0 GiB") && e.contains("fewer"),
            "{e}"
        );
        assert!(ensure_fits_in("x", 1.0e9, Some(8 << 30), "").is_ok());
        assert!(ensure_fits_in("x", f64::INFINITY, Some(8 << 30), "").is_err());
        assert!(
            ensure_fits_in("x", 1.0e30, None, "").is_ok(),
            "unknown: allowed"
        );
        if cfg!(target_os = "linux") {
            assert!(available_bytes().is_some_and(|b| b > 0));
        }
    }
}
