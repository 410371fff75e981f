//! A trained vision run as the frozen visual front end of a recurrent network: one layer's
//! response to every training and held-out image of the run, as the features file image tasks
//! read ([`neurodyn_tasks::ImageFeatures`]; DelayMatchDigit's `front_end`). A CNN or MLP run
//! gives a layer of its stack; a conv-ctrnn run (seed 002's multi-area networks) a layer at the
//! last step of its protocol, `pool` by default (what its readout reads).
//!
//! The run's own split is kept: the held-out images, on which the recurrent network is scored,
//! are those the CNN was not trained on either. The layer defaults to the last one before the
//! output (the penultimate layer: for the default CNN its 84 units after ReLU). Features are
//! standardised ([`ImageFeatures::standardize`]); "blank" is the layer's response to a zero
//! image.

use super::conv_rnn_run;
use super::data::ImageData;
use super::eval::for_chunks;
use super::train::load_vision_run;
use crate::error::{file, Result};
use neurodyn_data::ImageSet;
use neurodyn_tasks::{FeatureSplit, ImageFeatures};
use std::path::{Path, PathBuf};

/// The features of layer `layer` of the trained vision run in `run` (by output name; `None`: a
/// CNN's or MLP's layer before the output, a conv-ctrnn's `pool`), and the layer's name.
pub fn front_end_features(run: &Path, layer: Option<&str>) -> Result<(ImageFeatures, String)> {
    if conv_rnn_run::is_run(run) {
        return conv_front_end(run, layer);
    }
    let p = load_vision_run(run)?;
    let names = &p.net.output_names;
    let n_layers = names.len();
    let l = match layer {
        Some(name) => names.iter().position(|n| n == name).ok_or_else(|| {
            file(
                run,
                format!("has no layer {name:?}; its layers are {}", names.join(", ")),
            )
        })?,
        None if n_layers >= 2 => n_layers - 2,
        None => {
            return Err(file(
                run,
                "has a single layer: name the layer to use (it is the output)",
            ))
        }
    };
    let threads = p.cfg.train.threads.max(1);
    let features = |set: &ImageSet| {
        let idx: Vec<usize> = (0..set.len()).collect();
        let mut out = Vec::new();
        for_chunks(&p.net, set, &idx, &p.norm, threads, |_, ws| {
            out.extend_from_slice(&ws.acts[l + 1]);
        });
        Ok(out)
    };
    assemble(run, &names[l], "", "network", &p.data, features)
}

/// A conv-ctrnn run as the front end (seed 002's multi-area networks): one layer at the last
/// step of the protocol it is scored with, from its spontaneous state (`pool` by default: what
/// its readout reads, one value per channel of the last area; see
/// [`conv_rnn_run::layer_features`]).
fn conv_front_end(run: &Path, layer: Option<&str>) -> Result<(ImageFeatures, String)> {
    let p = conv_rnn_run::load_run(run)?;
    let name = layer.unwrap_or("pool");
    let features = |set: &ImageSet| {
        let idx: Vec<usize> = (0..set.len()).collect();
        conv_rnn_run::layer_features(&p.net, set, &idx, &p.norm, name)
            .map(|(f, _)| f)
            .ok_or_else(|| {
                let names = conv_rnn_run::feature_layers(&p.net);
                file(
                    run,
                    format!("has no layer {name:?}; its layers are {}", names.join(", ")),
                )
            })
    };
    assemble(run, name, ", last step", "conv-ctrnn", &p.data, features)
}

/// The features file of layer `name` of the run in `run`: `features` of every training and
/// held-out image of `data` and of an all-zero image (the blank screen), standardised
/// ([`ImageFeatures::standardize`]) and checked.
fn assemble(
    run: &Path,
    name: &str,
    when: &str,
    kind: &str,
    data: &ImageData,
    features: impl Fn(&ImageSet) -> Result<Vec<f32>>,
) -> Result<(ImageFeatures, String)> {
    let split = |set: &ImageSet| -> Result<FeatureSplit> {
        Ok(FeatureSplit {
            features: features(set)?,
            labels: set.labels().iter().map(|&c| usize::from(c)).collect(),
        })
    };
    let (train, held_out) = (split(&data.train)?, split(&data.test)?);
    let t = &data.test;
    let blank_set = ImageSet::new(
        vec![0; t.image_len()],
        vec![0],
        [t.channels(), t.height(), t.width()],
        t.class_names().to_vec(),
    )
    .map_err(|e| file(run, e))?;
    let blank = features(&blank_set)?;
    let dim = blank.len();
    let mut f = ImageFeatures {
        dim,
        train,
        held_out,
        blank,
        class_names: data.train.class_names().to_vec(),
        source: String::new(),
    };
    let scale = f
        .standardize()
        .map_err(|m| file(run, format!("layer {name}: {m}")))?;
    f.source = format!(
        "layer {name} ({dim} features{when}) of the frozen {kind} in {}, centred and divided by \
         {scale:.4}",
        run.display()
    );
    f.validate().map_err(|m| file(run, m))?;
    Ok((f, name.to_string()))
}

/// [`front_end_features`] written to `RUN/front_end/<layer>.npz` (replacing an older one); the
/// file's path.
pub fn write_front_end(run: &Path, layer: Option<&str>) -> Result<PathBuf> {
    let (f, name) = front_end_features(run, layer)?;
    let dir = run.join("front_end");
    std::fs::create_dir_all(&dir).map_err(|e| crate::error::io(&dir, e))?;
    let path = dir.join(format!("{name}.npz"));
    f.save(&path).map_err(|m| file(&path, m))?;
    Ok(path)
}

/// Whether `cfg` is an image task left without a front end, which [`default_front_end`] gives
/// one: DelayMatchDigit with no `front_end` parameter.
pub fn needs_default_front_end(cfg: &crate::RunConfig) -> bool {
    neurodyn_tasks::find(&cfg.task.name).is_some_and(|e| e.name == "DelayMatchDigit")
        && !cfg.task.params.contains_key("front_end")
}

/// The default front end of an image task: seed 000's CNN (`neurodyn train --task Mnist`'s
/// recipe with `seed`) trained into `dir`, unless `dir` already holds that finished run, which is
/// then reused; its layer before the output written as features ([`write_front_end`]). Returns
/// the features file. `replace` is `--force` for the CNN's run ([`crate::claim::new_run`]).
pub fn default_front_end(dir: &Path, seed: u64, replace: bool) -> Result<PathBuf> {
    let cfg = super::VisionConfig {
        seed,
        ..Default::default()
    };
    let done = dir.join("model.safetensors").exists()
        && std::fs::read_to_string(dir.join("config.toml"))
            .ok()
            .and_then(|t| super::VisionConfig::from_toml(&t).ok())
            .is_some_and(|old| {
                old.seed == seed
                    && old.task.name == cfg.task.name
                    && old.model.kind == cfg.model.kind
            });
    if !done {
        super::train::train_vision_with(cfg, dir, replace, |_| {})?;
    }
    write_front_end(dir, None)
}
