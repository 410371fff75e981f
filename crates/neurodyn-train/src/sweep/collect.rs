//! `sweep collect`: one row per run, its swept values beside the metrics of its `eval.json`.

use super::{json_text, run_dir, status, Manifest, RunStatus};
use crate::checkpoint::write_atomic;
use crate::error::{file, Result};
use crate::run::RunDir;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One run's row of a sweep's results.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRow {
    /// The run's number.
    pub index: usize,
    /// Its directory, relative to the sweep's.
    pub dir: String,
    /// `finished`, `started`, `failed` or `pending`.
    pub status: String,
    /// The swept keys' values.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Accuracy on fresh trials (`eval.json`).
    pub accuracy: Option<f64>,
    /// Accuracy counting fixation breaks as errors.
    pub strict_accuracy: Option<f64>,
    /// Optimizer steps trained.
    pub steps: Option<u64>,
    /// Training wall time (s).
    pub train_seconds: Option<f64>,
    /// The loss of the last step in `metrics.csv`.
    pub final_loss: Option<f64>,
    /// The network-health warnings of `eval.json`.
    pub health_warnings: Vec<String>,
    /// Why it failed (`failed.txt`).
    pub error: Option<String>,
}

/// The metrics columns of [`ResultRow`], in the CSV's order after the swept keys.
const METRICS: [&str; 6] = [
    "accuracy",
    "strict_accuracy",
    "steps",
    "train_seconds",
    "final_loss",
    "health_warnings",
];

/// Every run's row (runs not finished have their status and no metrics).
pub fn collect(dir: &Path, manifest: &Manifest) -> Result<Vec<ResultRow>> {
    let mut rows = Vec::new();
    for run in &manifest.runs {
        let st = status(dir, run);
        let rd = RunDir::new(&run_dir(dir, run));
        let mut row = ResultRow {
            index: run.index,
            dir: run.dir.clone(),
            status: st.name().into(),
            values: run.values.clone(),
            accuracy: None,
            strict_accuracy: None,
            steps: None,
            train_seconds: None,
            final_loss: last_loss(&rd.metrics()),
            health_warnings: Vec::new(),
            error: match &st {
                RunStatus::Failed(m) => Some(m.clone()),
                _ => None,
            },
        };
        if st == RunStatus::Finished {
            let p = rd.eval();
            let text = std::fs::read_to_string(&p).map_err(|e| crate::error::io(&p, e))?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| file(&p, e))?;
            row.accuracy = v["accuracy"].as_f64();
            row.strict_accuracy = v["strict_accuracy"].as_f64();
            row.steps = v["steps"].as_u64();
            row.train_seconds = v["train_seconds"].as_f64();
            row.health_warnings = v["health"]["warnings"]
                .as_array()
                .map(|w| {
                    w.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The `loss` column of the last row of a `metrics.csv` (recurrent or vision; none: `None`).
fn last_loss(path: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let column = lines.next()?.split(',').position(|h| h == "loss")?;
    lines.last()?.split(',').nth(column)?.parse().ok()
}

/// Write `results.csv` (index, dir, status, one column per swept key, then the metrics, then
/// the error) and `results.json` into `dir`; returns their paths.
pub fn write_results(dir: &Path, manifest: &Manifest, rows: &[ResultRow]) -> Result<Vec<PathBuf>> {
    let mut csv = String::from("index,dir,status");
    for k in &manifest.keys {
        csv.push(',');
        csv.push_str(&csv_cell(k));
    }
    for m in METRICS {
        csv.push(',');
        csv.push_str(m);
    }
    csv.push_str(",error\n");
    let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    for r in rows {
        csv.push_str(&format!("{},{},{}", r.index, r.dir, r.status));
        for k in &manifest.keys {
            csv.push(',');
            csv.push_str(&csv_cell(
                &r.values.get(k).map(json_text).unwrap_or_default(),
            ));
        }
        let cells = [
            num(r.accuracy),
            num(r.strict_accuracy),
            r.steps.map_or(String::new(), |s| s.to_string()),
            num(r.train_seconds),
            num(r.final_loss),
            r.health_warnings.len().to_string(),
            csv_cell(r.error.as_deref().unwrap_or("")),
        ];
        for c in cells {
            csv.push(',');
            csv.push_str(&c);
        }
        csv.push('\n');
    }
    let csv_path = dir.join("results.csv");
    write_atomic(&csv_path, csv.as_bytes())?;
    let json_path = dir.join("results.json");
    let json = serde_json::json!({ "name": manifest.name, "keys": manifest.keys, "runs": rows });
    let text = serde_json::to_string_pretty(&json).map_err(|e| file(&json_path, e))?;
    write_atomic(&json_path, text.as_bytes())?;
    Ok(vec![csv_path, json_path])
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
