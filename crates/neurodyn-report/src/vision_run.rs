//! A vision run loaded for analysis: the layer outputs on held-out images in `activations.npz`,
//! their labels, and the class names.

use crate::common::{fig_in, save_in};
use crate::error::{Context, ReportError, Result};
use neurodyn_core::Npz;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arrays of `activations.npz` that are not layer outputs.
const NOT_LAYERS: [&str; 4] = ["images", "labels", "predicted", "index"];

/// A vision run loaded for analysis: its `activations.npz` (every layer's output on held-out
/// images) and class names.
pub struct VisionRun {
    /// The run directory.
    pub dir: PathBuf,
    /// `activations.npz`.
    pub npz: Npz,
    /// The class of each image.
    pub labels: Vec<i64>,
    /// Class names from `eval.json` (empty when absent).
    pub class_names: Vec<String>,
}

impl VisionRun {
    /// Load `run/activations.npz` (and the class names of `eval.json`).
    pub fn load(run: &Path) -> Result<VisionRun> {
        let p = run.join("activations.npz");
        if !p.exists() {
            return Err(ReportError::Run(format!(
                "{} has no activations.npz (did training finish? is [eval] n_record 0?)",
                run.display()
            )));
        }
        let npz = Npz::load(&p).with_context(|| format!("cannot load {}", p.display()))?;
        let labels = npz
            .require("labels", &p)?
            .to_i64()
            .with_context(|| format!("'labels' of {} is not an integer array", p.display()))?;
        let class_names = std::fs::read_to_string(run.join("eval.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| {
                v["class_names"].as_array().map(|a| {
                    a.iter()
                        .map(|s| s.as_str().unwrap_or("?").to_string())
                        .collect()
                })
            })
            .unwrap_or_default();
        Ok(VisionRun {
            dir: run.to_path_buf(),
            npz,
            labels,
            class_names,
        })
    }

    /// Every layer output, in network order (not the images, labels, or the arrays that say
    /// what the file is).
    pub fn layers(&self) -> Vec<&str> {
        self.npz
            .arrays
            .iter()
            .filter(|(n, a)| {
                !a.is_text()
                    && !NOT_LAYERS.contains(&n.as_str())
                    && !neurodyn_core::DESCRIBING_ARRAYS.contains(&n.as_str())
            })
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// Layers with parameters (outputs not named `{index}_{kind}`).
    pub fn parameterised(&self) -> Vec<&str> {
        self.layers()
            .into_iter()
            .filter(|n| {
                !n.split_once('_')
                    .is_some_and(|(i, _)| i.chars().all(|c| c.is_ascii_digit()))
            })
            .collect()
    }

    /// Layer `name` flattened to `(image, features)`.
    pub fn matrix(&self, name: &str) -> Result<(Vec<f64>, usize)> {
        let Some(a) = self.npz.get(name).filter(|_| self.layers().contains(&name)) else {
            return Err(ReportError::Options(format!(
                "no layer '{name}' in {} (layers: {})",
                self.dir.join("activations.npz").display(),
                self.layers().join(", ")
            )));
        };
        let shape = a.shape();
        let n = shape.first().copied().unwrap_or(0);
        if n != self.labels.len() {
            return Err(ReportError::Run(format!(
                "layer '{name}' has {n} images but 'labels' has {}",
                self.labels.len()
            )));
        }
        let p = shape[1..].iter().product::<usize>();
        Ok((a.to_f64(), p))
    }

    /// The name of class `c` (its number when the run has no names).
    pub fn class_name(&self, c: i64) -> String {
        usize::try_from(c)
            .ok()
            .and_then(|i| self.class_names.get(i))
            .cloned()
            .unwrap_or_else(|| c.to_string())
    }

    /// `RUN/figures/<name>` (a stem).
    pub fn fig(&self, name: &str) -> Result<PathBuf> {
        fig_in(&self.dir, name)
    }

    /// `RUN/analysis/<name>.json` and `.npz`.
    pub fn save(&self, name: &str, json: &impl Serialize, npz: &Npz) -> Result<Vec<PathBuf>> {
        save_in(&self.dir, name, json, Some(npz))
    }
}
