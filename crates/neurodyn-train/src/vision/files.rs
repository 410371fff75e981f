//! The files of a vision run directory: `model.safetensors` (written and read back), `eval.json`
//! and the `metrics.csv` header. Every file is written to `NAME.tmp` and renamed into place.

use crate::checkpoint::{bytes_f32, read_f32, read_file, serialize, write_atomic, Entry};
use crate::error::{file, Result, TrainError};
use crate::vision::eval::ClassScore;
use crate::vision::network::{TensorSpec, VisionNet};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

/// `metrics.csv`'s header: one row per optimizer step (`step` counted from 1 over all epochs;
/// `loss` (the cross-entropy plus any weight penalties) and `accuracy` of that step's training
/// batch; `wall_s` since training began).
pub const METRICS_HEADER: &str = "epoch,step,loss,accuracy,lr,wall_s\n";

/// Save a vision run's `activations.npz` with what it is beside the layers: `format`
/// ([`neurodyn_core::ACTIVATIONS_FORMAT`]), `task_name`, `seed` and `class_names`.
pub(crate) fn save_activations(
    mut z: neurodyn_core::Npz,
    path: &Path,
    info: &EvalInfo<'_>,
) -> Result<()> {
    neurodyn_core::FileInfo {
        format: Some(neurodyn_core::ACTIVATIONS_FORMAT.to_string()),
        task: Some(info.task.to_string()),
        seed: Some(info.seed),
        class_names: Some(info.class_names.to_vec()),
        ..Default::default()
    }
    .write(&mut z, 0)?;
    z.save(path)?;
    Ok(())
}

/// The `format` of a vision model file's metadata.
pub const MODEL_FORMAT: &str = "neurodyn-vision-model-1";

/// Write the network's parameters, one tensor per layer parameter (`conv1.weight`, …, f32,
/// PyTorch's shapes), and its buffers (`bn1.running_mean`, `bn1.running_var`, f32;
/// `bn1.num_batches_tracked`, an int64 scalar), with the kind (`cnn`/`mlp`), the task, the layer
/// list and the resolved config in the metadata: what PyTorch's `state_dict` holds.
pub fn save_model(
    path: &Path,
    net: &VisionNet,
    kind: &str,
    task: &str,
    config: &str,
) -> Result<()> {
    let entries: Vec<Entry> = net
        .tensors()
        .into_iter()
        .map(|t| Entry {
            name: t.name,
            dtype: Dtype::F32,
            shape: t.shape,
            data: bytes_f32(&net.net.params[t.range]),
        })
        .chain(net.buffer_tensors().into_iter().map(|t| {
            let v = &net.net.buffers[t.range];
            if t.shape.is_empty() {
                // A count: exact in f32 up to 2²⁴ steps.
                Entry {
                    name: t.name,
                    dtype: Dtype::I64,
                    shape: t.shape,
                    data: (v[0] as i64).to_le_bytes().to_vec(),
                }
            } else {
                Entry {
                    name: t.name,
                    dtype: Dtype::F32,
                    shape: t.shape,
                    data: bytes_f32(v),
                }
            }
        }))
        .collect();
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), MODEL_FORMAT.to_string());
    meta.insert("kind".to_string(), kind.to_string());
    meta.insert("task".to_string(), task.to_string());
    meta.insert(
        "layers".to_string(),
        net.layers
            .iter()
            .zip(&net.output_names)
            .map(|(l, n)| format!("{n}:{}", l.kind()))
            .collect::<Vec<_>>()
            .join(","),
    );
    meta.insert("config".to_string(), config.to_string());
    let bytes = serialize(&entries, meta, path)?;
    write_atomic(path, &bytes)
}

/// Read `model.safetensors` into a network built from the run's config; every tensor (and
/// buffer) must be there with its PyTorch shape.
pub fn load_model(path: &Path, net: &mut VisionNet) -> Result<()> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid safetensors file: {e}")))?;
    let shape_of = |t: &TensorSpec| -> Result<()> {
        let shape = st
            .tensor(&t.name)
            .map_err(|e| file(path, format!("tensor '{}': {e}", t.name)))?
            .shape()
            .to_vec();
        if shape != t.shape {
            return Err(TrainError::Shape {
                what: format!("{} in {}", t.name, path.display()),
                expected: format!("{:?}", t.shape),
                got: format!("{shape:?}"),
            });
        }
        Ok(())
    };
    for t in net.tensors() {
        shape_of(&t)?;
        let v = read_f32(&st, &t.name, t.range.len(), path)?;
        net.net.params[t.range].copy_from_slice(&v);
    }
    for t in net.buffer_tensors() {
        shape_of(&t)?;
        if t.shape.is_empty() {
            let view = st
                .tensor(&t.name)
                .map_err(|e| file(path, format!("tensor '{}': {e}", t.name)))?;
            let count = match (view.dtype(), view.data()) {
                (Dtype::I64, d) if d.len() == 8 => {
                    i64::from_le_bytes(d.try_into().expect("8 bytes"))
                }
                (dtype, _) => {
                    return Err(file(
                        path,
                        format!("tensor '{}': {dtype:?}, not an int64 count", t.name),
                    ))
                }
            };
            net.net.buffers[t.range.start] = count as f32;
        } else {
            let v = read_f32(&st, &t.name, t.range.len(), path)?;
            net.net.buffers[t.range].copy_from_slice(&v);
        }
    }
    Ok(())
}

/// What `eval.json` says besides the scores.
pub struct EvalInfo<'a> {
    /// Canonical task name.
    pub task: &'a str,
    /// `cnn` or `mlp`.
    pub model: &'a str,
    /// The run's seed.
    pub seed: u64,
    /// Epochs trained.
    pub epochs: usize,
    /// Optimizer steps taken.
    pub steps: u64,
    /// Wall time of training (s).
    pub train_seconds: f64,
    /// Class names, by label.
    pub class_names: &'a [String],
}

/// `eval.json`: the held-out score at the top level (`accuracy`, `n_test`, `loss`, `per_class`,
/// `confusion` with rows the true class and columns the predicted one), the same for the
/// training images under `train`, and the run's facts.
pub fn write_eval(
    path: &Path,
    test: &ClassScore,
    train: &ClassScore,
    info: &EvalInfo,
) -> Result<()> {
    let v = serde_json::json!({
        "accuracy": test.accuracy,
        "n_test": test.n,
        "loss": test.loss,
        "per_class": test.per_class,
        "confusion": test.confusion,
        "class_names": info.class_names,
        "train": {
            "accuracy": train.accuracy,
            "n_train": train.n,
            "loss": train.loss,
            "per_class": train.per_class,
            "confusion": train.confusion,
        },
        "task": info.task,
        "model": info.model,
        "seed": info.seed,
        "epochs": info.epochs,
        "steps": info.steps,
        "train_seconds": info.train_seconds,
    });
    let text = serde_json::to_string_pretty(&v).map_err(|e| file(path, e))?;
    write_atomic(path, text.as_bytes())
}
