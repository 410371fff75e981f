//! What `--resume` may continue: the run its checkpoint holds, with the same config. Each
//! checkpoint keeps the resolved config of the run that wrote it; a `config.toml` edited since
//! is refused, naming every key that differs, old and new value. Changing how long the run goes
//! on or how it is evaluated (`train.steps`, `train.checkpoint_every`, `train.threads`, `[eval]`)
//! is allowed when asked for explicitly: the rest of the run then follows the new values (a
//! learning-rate schedule spans the new `train.steps`; another thread count changes the last
//! bits of the sums). Any other change is a different run.

use crate::error::{config, Result};

/// Keys (dotted; a prefix ending in `.` covers a table) that may change on resume when the
/// user allows it.
pub const RESUMABLE_CHANGES: &[&str] = &[
    "train.steps",
    "train.checkpoint_every",
    "train.threads",
    "eval.",
];

/// One config key whose value differs: key, old value, new value (TOML, `(none)` when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Dotted key.
    pub key: String,
    /// In the checkpoint's config.
    pub old: String,
    /// In the config now.
    pub new: String,
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn leaves(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(t) = text.parse::<toml::Table>() {
        flatten("", &toml::Value::Table(t), &mut out);
    }
    out
}

/// Every key whose value differs between two config texts, in key order.
pub fn config_changes(old: &str, new: &str) -> Vec<Change> {
    let (a, b) = (leaves(old), leaves(new));
    let get = |v: &[(String, String)], k: &str| {
        v.iter()
            .find(|(key, _)| key == k)
            .map_or_else(|| "(none)".to_string(), |(_, x)| x.clone())
    };
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let (o, n) = (get(&a, k), get(&b, k));
            (o != n).then(|| Change {
                key: k.clone(),
                old: o,
                new: n,
            })
        })
        .collect()
}

/// Whether `key` may change on resume when allowed.
pub fn resumable(key: &str) -> bool {
    is_among(key, RESUMABLE_CHANGES)
}

/// Whether `key` is one of `keys` (dotted; a prefix ending in `.` covers a table).
fn is_among(key: &str, keys: &[&str]) -> bool {
    keys.iter()
        .any(|p| key == *p || (p.ends_with('.') && key.starts_with(p)))
}

/// Check the config a resume would continue with (`new`) against the checkpoint's (`old`) at
/// step `step`: the same, or (with `allow_changes`) changed only in [`RESUMABLE_CHANGES`] and
/// with at least `step` steps.
pub fn check_resume(
    old: &str,
    new: &str,
    step: u64,
    new_steps: u64,
    allow_changes: bool,
) -> Result<()> {
    check_resume_with(
        old,
        new,
        RESUMABLE_CHANGES,
        allow_changes,
        (
            "train.steps",
            "steps the checkpoint has already taken",
            step,
            new_steps,
        ),
    )
}

/// [`check_resume`] for any run: changes must be among `resumable` (and allowed), and the length
/// key `length.0` must not fall below what the checkpoint has done (`length.2` ≤ `length.3`;
/// `length.1` says what was done, for the message).
pub fn check_resume_with(
    old: &str,
    new: &str,
    resumable: &[&str],
    allow_changes: bool,
    (length_key, done_what, done, new_length): (&str, &str, u64, u64),
) -> Result<()> {
    let changes = config_changes(old, new);
    if changes.is_empty() {
        return Ok(());
    }
    let list = |c: &[&Change]| {
        c.iter()
            .map(|c| format!("{} ({} → {})", c.key, c.old, c.new))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (ok, refused): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| is_among(&c.key, resumable));
    if !refused.is_empty() {
        return Err(config(
            &refused[0].key,
            format!(
                "config.toml differs from the config the checkpoint was trained with: {}; \
                 resume continues that run: restore config.toml, or train a new run into \
                 another --out",
                list(&refused)
            ),
        ));
    }
    if !allow_changes {
        return Err(config(
            &ok[0].key,
            format!(
                "config.toml differs from the config the checkpoint was trained with: {}; \
                 pass --allow-config-change to continue with the new values",
                list(&ok)
            ),
        ));
    }
    if new_length < done {
        return Err(config(
            length_key,
            format!("{new_length} is fewer than the {done} {done_what}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_listed_by_key_and_only_some_may_be_allowed() {
        let old = "seed = 1\n[train]\nsteps = 100\nlr = 0.01\n[eval]\nn_trials = 10\n";
        assert!(check_resume(old, old, 50, 100, false).is_ok());
        let new = old
            .replace("lr = 0.01", "lr = 0.02")
            .replace("seed = 1", "seed = 2");
        let c = config_changes(old, &new);
        assert_eq!(
            c.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["seed", "train.lr"]
        );
        let e = check_resume(old, &new, 50, 100, true).expect_err("lr changed");
        let msg = e.to_string();
        assert!(
            msg.contains("train.lr (0.01 → 0.02)") && msg.contains("seed (1 → 2)"),
            "{msg}"
        );
        let longer = old
            .replace("steps = 100", "steps = 300")
            .replace("n_trials = 10", "n_trials = 20");
        let e = check_resume(old, &longer, 50, 300, false).expect_err("not allowed");
        assert!(e.to_string().contains("--allow-config-change"), "{e}");
        assert!(check_resume(old, &longer, 50, 300, true).is_ok());
        let shorter = old.replace("steps = 100", "steps = 20");
        assert!(check_resume(old, &shorter, 50, 20, true).is_err());
        // A key added or removed counts as a change.
        let added = format!("{old}n_record = 5\n");
        assert_eq!(config_changes(old, &added)[0].old, "(none)");
    }
}
