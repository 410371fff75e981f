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
    /// The responses file this came from, when it is not a run's (`analyze FILE.npz …`): there
    /// is no network to run, and `dir` is where the results go.
    pub responses: Option<PathBuf>,
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
            responses: None,
        })
    }

    /// Read any `.npz` of responses for the layer analyses, results going to `out`. Each
    /// numeric array (not `labels`) is one population: `(condition, feature)`, or `(condition,
    /// repeat, feature)` whose repeats become rows labelled by their condition (so `dprime`,
    /// `layer-decoding` and the class-mean RDMs see trials). `labels` (optional, one integer per
    /// condition or per row) names the class of each condition; without it each condition is
    /// its own class. A run's `activations.npz` reads as it does from its run directory. Every
    /// population must have the same conditions and repeats; anything else is refused, naming
    /// the array.
    pub fn from_responses(file: &Path, out: &Path) -> Result<VisionRun> {
        let npz = Npz::load(file).with_context(|| format!("cannot load {}", file.display()))?;
        let shown = file.display();
        if npz.get_text("format").as_deref() == Some(neurodyn_core::ACTIVATIONS_FORMAT) {
            return Ok(VisionRun {
                dir: out.to_path_buf(),
                labels: npz
                    .require("labels", file)?
                    .to_i64()
                    .with_context(|| format!("'labels' of {shown} is not an integer array"))?,
                class_names: npz
                    .get("class_names")
                    .and_then(|a| a.to_strings())
                    .unwrap_or_default(),
                npz,
                responses: Some(file.to_path_buf()),
            });
        }
        let mut shape: Option<(String, usize, usize)> = None;
        let mut pops = Npz::new();
        for (name, a) in &npz.arrays {
            if a.is_text()
                || NOT_LAYERS.contains(&name.as_str())
                || neurodyn_core::DESCRIBING_ARRAYS.contains(&name.as_str())
            {
                continue;
            }
            let sh = a.shape();
            let (c, r, p) = match *sh {
                [c, p] => (c, 1, p),
                [c, r, p] => (c, r, p),
                _ => {
                    return Err(ReportError::Run(format!(
                        "{shown}: array '{name}' has shape {sh:?}; a population is (condition, \
                         feature) or (condition, repeat, feature)"
                    )))
                }
            };
            if c == 0 || r == 0 || p == 0 {
                return Err(ReportError::Run(format!(
                    "{shown}: array '{name}' is empty (shape {sh:?})"
                )));
            }
            match &shape {
                None => shape = Some((name.clone(), c, r)),
                Some((first, c0, r0)) if (*c0, *r0) != (c, r) => {
                    return Err(ReportError::Run(format!(
                        "{shown}: array '{name}' has {c} conditions × {r} repeats but '{first}' \
                         has {c0} × {r0}; every population must share them"
                    )))
                }
                _ => {}
            }
            let data = a.to_f64();
            if let Some(k) = data.iter().position(|v| !v.is_finite()) {
                return Err(ReportError::Run(format!(
                    "{shown}: array '{name}' holds a non-finite value (NaN or infinity) at flat \
                     index {k}"
                )));
            }
            pops.f64(name, &[c * r, p], data)?;
        }
        let Some((_, c, r)) = shape else {
            return Err(ReportError::Run(format!(
                "{shown} holds no (condition, feature) or (condition, repeat, feature) array \
                 (it has: {})",
                npz.arrays
                    .iter()
                    .map(|(k, a)| format!("{k} {:?}", a.shape()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let labels: Vec<i64> = match npz.get("labels") {
            None => (0..c * r).map(|i| (i / r) as i64).collect(),
            Some(l) => {
                let v = l.to_i64().ok_or_else(|| {
                    ReportError::Run(format!("{shown}: 'labels' is not an integer array"))
                })?;
                if v.len() == c {
                    (0..c * r).map(|i| v[i / r]).collect()
                } else if v.len() == c * r {
                    v
                } else {
                    return Err(ReportError::Run(format!(
                        "{shown}: 'labels' has {} values; it needs one per condition ({c}) or \
                         per row ({})",
                        v.len(),
                        c * r
                    )));
                }
            }
        };
        pops.i64("labels", &[c * r], labels.clone())?;
        Ok(VisionRun {
            dir: out.to_path_buf(),
            npz: pops,
            labels,
            class_names: npz
                .get("class_names")
                .and_then(|a| a.to_strings())
                .unwrap_or_default(),
            responses: Some(file.to_path_buf()),
        })
    }

    /// The run directory of the trained network, or an error naming the analysis when these
    /// are responses read from a file (there is no network to run).
    pub fn model_dir(&self, analysis: &str) -> Result<&Path> {
        match &self.responses {
            Some(f) => Err(ReportError::Run(format!(
                "{analysis} runs the trained network; {} is a file of responses (give the run \
                 directory)",
                f.display()
            ))),
            None => Ok(&self.dir),
        }
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
