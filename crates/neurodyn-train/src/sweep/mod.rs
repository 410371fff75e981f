//! Sweeps: many runs of one study (seeds, hyperparameters, model variants) from a base config
//! and a grid of values, run on this machine by a pool or on a Slurm cluster as a job array.
//!
//! A sweep file:
//!
//! ```toml
//! name = "seed-001"               # optional: names the Slurm job
//! seeds = { start = 0, count = 3 }  # or a list, seeds = [0, 1, 2]; sets `seed`
//!
//! [base]                          # a config as `neurodyn train FILE` reads it: keys it leaves
//! task.name = "DualDelayMatchSample"  # out take its task's recipe (or: base_file = "study.toml",
//! train.steps = 2000              # relative to the sweep file)
//!
//! [grid]                          # crossed: every combination, the first key varying slowest
//! "model.kind" = ["light-gru", "enu-light-gru", "ei-light-gru"]
//! "task.name" = ["DualDelayMatchSample", "ContextDecisionMaking"]
//! "train.regularizers[0].weight" = [0.0, 1e-4]
//!
//! [zip]                           # zipped: the i-th values of every key together, one more
//! "train.lr" = [1e-3, 3e-3]       # factor crossed with the grid
//! "train.steps" = [4000, 2000]
//! ```
//!
//! Runs are numbered grid outermost, then the zipped rows, then seeds innermost (runs 0, 1, 2
//! are the three seeds of the first setting). Each run resolves as a config file would: the
//! values are set in the base, the base goes over the recipe of the run's task and model, and
//! then the values are set again in the resolved config, so a key inside a list the recipe
//! brings (`train.regularizers[0].weight`, the recipe's activity penalty) can be swept too. A
//! table value merges into the table it meets (a different `kind` replaces it). Every run is
//! checked as `neurodyn train --check` checks a config before anything is written; an error names
//! the key and value that caused it.
//!
//! A base whose task is an image task (or whose model is `cnn`, `mlp` or `conv-ctrnn`) sweeps
//! vision runs the same way (a `conv-ctrnn` base goes over the conv-ctrnn recipe). A vision run
//! has no checkpoint: an interrupted one trains again from the start, to the same result.
//!
//! The sweep directory:
//!
//! ```text
//! DIR/
//!   sweep.toml           the sweep file as given
//!   sweep.json           the manifest: keys swept, and per run its index, directory and values
//!   runs/0007/           a run directory (see crate::run): config.toml fully resolved at
//!                        planning (a vision run: planned.toml, as its trainer writes
//!                        config.toml when it starts), the rest written when it trains;
//!                        failed.txt if it failed; running.lock while a process trains it
//!   results.csv, .json   `sweep collect`: one row per run, swept values and eval.json metrics
//!   slurm.sh             `sweep slurm`: the job-array script
//! ```
//!
//! A run is finished when its `eval.json` exists; running a sweep again skips finished runs and
//! resumes interrupted ones from their checkpoint, bit-identically (see [`run_one`]).

mod collect;
mod exec;
pub mod keys;
pub use crate::claim as lock;
mod slurm;

pub use collect::{collect, csv_cell, write_results, ResultRow};
pub use exec::{run_many, run_one, status, Event, EventKind, Finished, RunStatus};
pub use slurm::{array_spec, slurm_script, SlurmOptions};

use crate::checkpoint::write_atomic;
use crate::config::RunConfig;
use crate::error::{file, io, Result, TrainError};
use crate::vision::VisionConfig;
use keys::{KeyPath, SetError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The manifest's format tag.
const FORMAT: &str = "neurodyn-sweep/1";

/// A parsed sweep file.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// Its name (the Slurm job's).
    pub name: String,
    base: toml::Table,
    grid: Vec<(KeyPath, Vec<toml::Value>)>,
    zip: Vec<(KeyPath, Vec<toml::Value>)>,
    seeds: Option<Vec<u64>>,
}

/// One run of a planned sweep.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Its number, from 0.
    pub index: usize,
    /// The swept keys and this run's values, in the order of [`Manifest::keys`].
    pub values: Vec<(String, toml::Value)>,
    /// The resolved config.
    pub config: PlannedConfig,
}

/// A planned run's resolved config: a recurrent network's or an image classifier's.
#[derive(Clone, Debug)]
pub enum PlannedConfig {
    /// A recurrent run (`neurodyn train` on a cognitive task).
    Recurrent(RunConfig),
    /// A vision run (a CNN, MLP or convolutional CTRNN on an image task).
    Vision(VisionConfig),
}

/// The file a vision run's planned config is kept in (its trainer writes `config.toml`).
pub const VISION_PLAN: &str = "planned.toml";

impl PlannedConfig {
    /// The resolved config as TOML.
    pub fn to_toml(&self) -> String {
        match self {
            PlannedConfig::Recurrent(c) => c.to_toml(),
            PlannedConfig::Vision(c) => c.to_toml(),
        }
    }

    /// The recurrent config, if it is one.
    pub fn recurrent(&self) -> Option<&RunConfig> {
        match self {
            PlannedConfig::Recurrent(c) => Some(c),
            PlannedConfig::Vision(_) => None,
        }
    }

    /// The name of the file it is planned into, in its run directory.
    pub fn file_name(&self) -> &'static str {
        match self {
            PlannedConfig::Recurrent(_) => "config.toml",
            PlannedConfig::Vision(_) => VISION_PLAN,
        }
    }
}

/// `sweep.json`: what a planned sweep holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format tag.
    pub format: String,
    /// The sweep's name.
    pub name: String,
    /// The swept keys (`seed` last when seeds are given).
    pub keys: Vec<String>,
    /// Every run.
    pub runs: Vec<ManifestRun>,
}

/// One run in the manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManifestRun {
    /// Its number, from 0.
    pub index: usize,
    /// Its directory, relative to the sweep directory.
    pub dir: String,
    /// The swept keys' values.
    pub values: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    /// The run numbered `index`, or an error giving the range.
    pub fn run(&self, index: usize) -> Result<&ManifestRun> {
        self.runs.get(index).ok_or_else(|| {
            sweep_error(
                "--index",
                format!(
                    "run {index} does not exist: the sweep has runs 0 to {}",
                    self.runs.len().saturating_sub(1)
                ),
            )
        })
    }
}

impl ManifestRun {
    /// `key=value` pairs of its swept values in the order of `keys` (the manifest's), for
    /// messages (`model.kind=gru seed=1`).
    pub fn label(&self, keys: &[String]) -> String {
        keys.iter()
            .filter_map(|k| self.values.get(k).map(|v| format!("{k}={}", json_text(v))))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A JSON value as a user writes it (strings without quotes).
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sweep_error(what: &str, message: impl Into<String>) -> TrainError {
    TrainError::Sweep {
        what: what.to_string(),
        message: message.into(),
    }
}

impl SweepSpec {
    /// Parse a sweep file; `path` names it in errors and anchors a relative `base_file`.
    pub fn from_file(path: &Path) -> Result<SweepSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
        Self::from_toml(&text, path)
    }

    /// Parse a sweep file's text (`path`: as [`SweepSpec::from_file`]).
    pub fn from_toml(text: &str, path: &Path) -> Result<SweepSpec> {
        let bad = |m: String| file(path, m);
        let mut t: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let name = match t.remove("name") {
            None => path
                .file_stem()
                .map_or("sweep".into(), |s| s.to_string_lossy().into_owned()),
            Some(toml::Value::String(s)) => s,
            Some(v) => return Err(bad(format!("name = {v}: expected a string"))),
        };
        let base = match (t.remove("base"), t.remove("base_file")) {
            (Some(_), Some(_)) => {
                return Err(bad(
                    "give either a [base] table or base_file, not both".into()
                ))
            }
            (Some(toml::Value::Table(b)), None) => b,
            (Some(v), None) => {
                return Err(bad(format!(
                    "base = {v}: expected a table ([base] with the config's keys) or base_file = \
                     \"study.toml\""
                )))
            }
            (None, Some(toml::Value::String(f))) => {
                let p = path.parent().unwrap_or(Path::new(".")).join(&f);
                let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
                toml::from_str(&text).map_err(|e| file(&p, e.to_string()))?
            }
            (None, Some(v)) => return Err(bad(format!("base_file = {v}: expected a path"))),
            (None, None) => toml::Table::new(),
        };
        let seeds = match t.remove("seeds") {
            None => None,
            Some(v) => Some(parse_seeds(&v).map_err(|m| bad(format!("seeds: {m}")))?),
        };
        let grid = parse_values(t.remove("grid"), "grid").map_err(bad)?;
        let zip = parse_values(t.remove("zip"), "zip").map_err(bad)?;
        if let Some(k) = t.keys().next() {
            return Err(bad(format!(
                "unknown key `{k}`: a sweep file has name, seeds, [base] or base_file, [grid] and \
                 [zip]"
            )));
        }
        if let Some((_, first)) = zip.first() {
            for (k, v) in &zip {
                if v.len() != first.len() {
                    return Err(bad(format!(
                        "[zip] key `{}` has {} values, `{}` has {}: zipped keys need as many each",
                        k.as_str(),
                        v.len(),
                        zip[0].0.as_str(),
                        first.len()
                    )));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for k in grid.iter().chain(&zip).map(|(k, _)| k.as_str()) {
            if !seen.insert(k) {
                return Err(bad(format!("key `{k}` is swept twice ([grid] and [zip])")));
            }
            if k == "seed" && seeds.is_some() {
                return Err(bad(
                    "`seed` is swept in a table and by seeds = …: keep one".into()
                ));
            }
        }
        Ok(SweepSpec {
            name,
            base,
            grid,
            zip,
            seeds,
        })
    }

    /// The swept keys, in the order runs vary (slowest first).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .grid
            .iter()
            .chain(&self.zip)
            .map(|(k, _)| k.as_str().to_string())
            .collect();
        if self.seeds.is_some() {
            keys.push("seed".into());
        }
        keys
    }

    /// How many runs the sweep asks for (`None` past `usize`).
    fn n_runs(&self) -> Option<usize> {
        let grid = self
            .grid
            .iter()
            .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()))?;
        let zip = self.zip.first().map_or(1, |(_, v)| v.len());
        let seeds = self.seeds.as_ref().map_or(1, Vec::len);
        grid.checked_mul(zip)?.checked_mul(seeds)
    }

    /// Every run's values: grid combinations (first key slowest), zipped rows, seeds innermost.
    fn combinations(&self) -> Vec<Vec<(KeyPath, toml::Value)>> {
        let mut out: Vec<Vec<(KeyPath, toml::Value)>> = vec![Vec::new()];
        for (k, values) in &self.grid {
            out = out
                .into_iter()
                .flat_map(|row| {
                    values.iter().map(move |v| {
                        let mut r = row.clone();
                        r.push((k.clone(), v.clone()));
                        r
                    })
                })
                .collect();
        }
        if let Some((_, first)) = self.zip.first() {
            out = out
                .into_iter()
                .flat_map(|row| {
                    (0..first.len()).map(move |i| {
                        let mut r = row.clone();
                        r.extend(self.zip.iter().map(|(k, v)| (k.clone(), v[i].clone())));
                        r
                    })
                })
                .collect();
        }
        if let Some(seeds) = &self.seeds {
            let seed = KeyPath::parse("seed").expect("a valid key");
            out = out
                .into_iter()
                .flat_map(|row| {
                    let seed = seed.clone();
                    seeds.iter().map(move |&s| {
                        let mut r = row.clone();
                        r.push((seed.clone(), toml::Value::Integer(s as i64)));
                        r
                    })
                })
                .collect();
        }
        out
    }

    /// Resolve and check every run; nothing is written. An error names the key and value at
    /// fault (the first of them alone over the base that fails, else the whole combination).
    pub fn plan(&self) -> Result<Vec<PlannedRun>> {
        match self.n_runs() {
            Some(n) if n <= MAX_RUNS => {}
            n => {
                let n = n.map_or("more than 2^64".to_string(), |n| n.to_string());
                return Err(sweep_error(
                    &self.name,
                    format!(
                        "asks for {n} runs (grid × zip × seeds); a sweep has at most {MAX_RUNS}"
                    ),
                ));
            }
        }
        let mut runs = Vec::new();
        for (index, sets) in self.combinations().into_iter().enumerate() {
            let config = match resolve(&self.base, &sets) {
                Ok(c) => c,
                Err(message) => {
                    for (k, v) in &sets {
                        if let Err(m) = resolve(&self.base, &[(k.clone(), v.clone())]) {
                            return Err(sweep_error(&format!("key `{}` = {v}", k.as_str()), m));
                        }
                    }
                    let label: Vec<String> = sets
                        .iter()
                        .map(|(k, v)| format!("{} = {v}", k.as_str()))
                        .collect();
                    let what = match label.is_empty() {
                        true => format!("run {index}"),
                        false => format!("run {index} ({})", label.join(", ")),
                    };
                    return Err(sweep_error(&what, message));
                }
            };
            let values = sets
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), v))
                .collect();
            runs.push(PlannedRun {
                index,
                values,
                config,
            });
        }
        Ok(runs)
    }

    /// The manifest of `runs` (planned from this spec).
    pub fn manifest(&self, runs: &[PlannedRun]) -> Manifest {
        let width = runs.len().saturating_sub(1).to_string().len().max(4);
        Manifest {
            format: FORMAT.into(),
            name: self.name.clone(),
            keys: self.keys(),
            runs: runs
                .iter()
                .map(|r| ManifestRun {
                    index: r.index,
                    dir: format!("runs/{:0width$}", r.index),
                    values: r
                        .values
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The config of one run: `sets` over the base, the base over its recipe, `sets` again over the
/// resolved config; then every check a run gets.
fn resolve(
    base: &toml::Table,
    sets: &[(KeyPath, toml::Value)],
) -> std::result::Result<PlannedConfig, String> {
    let mut user = base.clone();
    for (k, v) in sets {
        match k.set(&mut user, v) {
            // A list the recipe brings is indexed in the resolved config below.
            Ok(()) | Err(SetError::NoList(_)) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let text = toml::to_string(&user).map_err(|e| e.to_string())?;
    let vision = crate::vision::is_vision_toml(&text);
    let full = if vision {
        let (cfg, _) = crate::vision::from_user_toml(&text, false)?;
        toml::Table::try_from(&cfg)
    } else {
        let (cfg, _) = crate::recipes::from_user_toml(&text, None, None)?;
        toml::Table::try_from(&cfg)
    };
    let mut full = full.map_err(|e| e.to_string())?;
    for (k, v) in sets {
        k.set(&mut full, v).map_err(|e| e.to_string())?;
    }
    let full = toml::Value::Table(full);
    if vision {
        let cfg: VisionConfig = full
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())?;
        crate::vision::check(&cfg).map_err(|e| e.to_string())?;
        Ok(PlannedConfig::Vision(cfg))
    } else {
        let cfg: RunConfig = full
            .try_into()
            .map_err(|e: toml::de::Error| e.to_string())?;
        cfg.clone().plan().map_err(|e| e.to_string())?;
        Ok(PlannedConfig::Recurrent(cfg))
    }
}

/// The most runs one sweep may hold.
pub const MAX_RUNS: usize = 100_000;

fn parse_seeds(v: &toml::Value) -> std::result::Result<Vec<u64>, String> {
    let seed = |v: &toml::Value| {
        v.as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| format!("{v} is not a seed (a whole number ≥ 0)"))
    };
    let seeds = match v {
        toml::Value::Array(a) => a
            .iter()
            .map(seed)
            .collect::<std::result::Result<Vec<_>, _>>()?,
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "start" && *k != "count") {
                return Err(format!(
                    "unknown key `{k}`: expected {{ start = 0, count = 3 }}"
                ));
            }
            let get = |k: &str| t.get(k).map(seed).transpose();
            let start = get("start")?.unwrap_or(0);
            let count = get("count")?.ok_or("{ start, count } needs count")?;
            if count > MAX_RUNS as u64 {
                return Err(format!(
                    "count = {count}: a sweep has at most {MAX_RUNS} runs"
                ));
            }
            let end = start
                .checked_add(count)
                .ok_or_else(|| format!("start = {start} + count = {count} passes the last seed"))?;
            (start..end).collect()
        }
        other => {
            return Err(format!(
                "{other}: expected a list or {{ start = 0, count = 3 }}"
            ))
        }
    };
    if seeds.is_empty() {
        return Err("no seeds".into());
    }
    let mut sorted = seeds.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != seeds.len() {
        return Err("a seed is listed twice".into());
    }
    Ok(seeds)
}

fn parse_values(
    table: Option<toml::Value>,
    name: &str,
) -> std::result::Result<Vec<(KeyPath, Vec<toml::Value>)>, String> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(table) = table else {
        return Err(format!(
            "{name} must be a table of \"dotted.key\" = [values]"
        ));
    };
    let mut out = Vec::new();
    for (k, v) in table {
        let key = KeyPath::parse(&k).map_err(|m| format!("[{name}] {m}"))?;
        let toml::Value::Array(values) = v else {
            return Err(format!(
                "[{name}] key `{k}`: expected a list of values, e.g. \"{k}\" = [{v}]"
            ));
        };
        if values.is_empty() {
            return Err(format!("[{name}] key `{k}`: the list of values is empty"));
        }
        out.push((key, values));
    }
    Ok(out)
}

/// Plan a sweep into `dir`: every run's resolved `config.toml`, a copy of the sweep file and
/// the manifest (written last). A directory that already holds this very plan is left as it is
/// (planning again is harmless); one holding anything else is refused.
pub fn write_plan(dir: &Path, sweep_text: &str, spec: &SweepSpec) -> Result<(Manifest, bool)> {
    let runs = spec.plan()?;
    let manifest = spec.manifest(&runs);
    let manifest_path = dir.join("sweep.json");
    if manifest_path.exists() {
        let old = read_manifest(dir)?;
        let same = old == manifest
            && runs.iter().zip(&old.runs).all(|(r, m)| {
                std::fs::read_to_string(dir.join(&m.dir).join(r.config.file_name()))
                    .is_ok_and(|t| t == r.config.to_toml())
            });
        if same {
            return Ok((manifest, false));
        }
        return Err(file(
            dir,
            "already holds another sweep (its sweep.json or a run's config.toml differs); plan \
             into a new directory",
        ));
    }
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(file(
            dir,
            "exists and is not empty; plan into a new directory",
        ));
    }
    for (r, m) in runs.iter().zip(&manifest.runs) {
        let run_dir = dir.join(&m.dir);
        std::fs::create_dir_all(&run_dir).map_err(|e| io(&run_dir, e))?;
        write_atomic(
            &run_dir.join(r.config.file_name()),
            r.config.to_toml().as_bytes(),
        )?;
    }
    write_atomic(&dir.join("sweep.toml"), sweep_text.as_bytes())?;
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| file(&manifest_path, e))?;
    write_atomic(&manifest_path, text.as_bytes())?;
    Ok((manifest, true))
}

/// Read `DIR/sweep.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join("sweep.json");
    let text = std::fs::read_to_string(&p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => file(
            dir,
            "is not a planned sweep (no sweep.json): run `neurodyn sweep plan SWEEP.toml --out DIR` first",
        ),
        _ => io(&p, e),
    })?;
    let m: Manifest = serde_json::from_str(&text).map_err(|e| file(&p, e))?;
    if m.format != FORMAT {
        return Err(file(
            &p,
            format!("format {:?}, expected {FORMAT:?}", m.format),
        ));
    }
    Ok(m)
}

/// The directory of run `run` of the sweep in `dir`.
pub fn run_dir(dir: &Path, run: &ManifestRun) -> PathBuf {
    dir.join(&run.dir)
}
