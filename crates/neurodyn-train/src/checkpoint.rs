//! Weights and checkpoints as safetensors files, written atomically.
//!
//! `model.safetensors` holds the trained parameters under their layout names (`cell.w_rec`, …,
//! f32, `(rows, cols)`) and the resolved config in its metadata, so PyTorch/numpy users can open
//! it with the `safetensors` package. A checkpoint adds the optimizer's moment buffers (f64),
//! non-trainable buffers, the carried stream state, FORCE's state (`force.w_fb`, `force.w_rec0`,
//! `force.w_out`, `force.p`, f64) in a FORCE run, and the step in the metadata. Every write
//! goes to `NAME.tmp` and is renamed into place: a kill at any moment leaves either the old file
//! or the new one, never half of one.

use crate::curriculum::Progress;
use crate::error::{file, io, Result, TrainError};
use neurodyn_nn::{Network, Optimizer};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

pub(crate) fn bytes_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
pub(crate) fn bytes_f64(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Write bytes atomically (temp file, fsync, rename). On failure the temporary file is removed
/// and `path` is left as it was.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(data).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io(path, e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) dtype: Dtype,
    pub(crate) shape: Vec<usize>,
    pub(crate) data: Vec<u8>,
}

pub(crate) fn serialize(
    entries: &[Entry],
    meta: HashMap<String, String>,
    path: &Path,
) -> Result<Vec<u8>> {
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = entries
        .iter()
        .map(|e| {
            safetensors::tensor::TensorView::new(e.dtype, e.shape.clone(), &e.data)
                .map(|v| (e.name.clone(), v))
                .map_err(|err| file(path, err))
        })
        .collect::<Result<_>>()?;
    let bytes = safetensors::serialize(views, Some(meta)).map_err(|e| file(path, e))?;
    Ok(sorted_header(bytes))
}

/// The same safetensors bytes with the header's keys in sorted order: the metadata arrives as a
/// `HashMap`, whose order changes from process to process, and two runs of one config should
/// give the same file, byte for byte (model files and checkpoints of every kind of run). The sorted header has the same length (the same keys and
/// values without whitespace), so the data offsets stand.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let Some(len) = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(|b| u64::from_le_bytes(b) as usize)
    else {
        return bytes;
    };
    let Some(Ok(header)) = bytes
        .get(8..8 + len)
        .map(serde_json::from_slice::<serde_json::Value>)
    else {
        return bytes;
    };
    let mut text = String::with_capacity(len);
    write_sorted(&header, &mut text);
    if text.len() <= len {
        bytes[8..8 + text.len()].copy_from_slice(text.as_bytes());
        bytes[8 + text.len()..8 + len].fill(b' ');
    }
    bytes
}

/// Compact JSON with every object's keys sorted.
fn write_sorted(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_sorted(&map[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn param_entries(net: &Network<f32>, prefix: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = net
        .layout
        .specs
        .iter()
        .enumerate()
        .map(|(i, s)| Entry {
            name: format!("{prefix}{}", s.name),
            dtype: Dtype::F32,
            shape: vec![s.rows, s.cols],
            data: bytes_f32(&net.params[net.layout.range(i)]),
        })
        .collect();
    for (i, s) in net.buffer_layout.specs.iter().enumerate() {
        out.push(Entry {
            name: format!("buffer.{}", s.name),
            dtype: Dtype::F32,
            shape: vec![s.rows, s.cols],
            data: bytes_f32(&net.buffers[net.buffer_layout.range(i)]),
        });
    }
    out
}

/// Save trained weights with the config text in the metadata.
pub fn save_model(path: &Path, net: &Network<f32>, config_toml: &str) -> Result<()> {
    let mut meta = HashMap::new();
    meta.insert("format".into(), "neurodyn-model-1".into());
    meta.insert("config".into(), config_toml.to_string());
    let bytes = serialize(&param_entries(net, ""), meta, path)?;
    write_atomic(path, &bytes)
}

/// What a checkpoint restores besides the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointState {
    /// Optimizer steps completed.
    pub step: u64,
    /// Carried recurrent state (stream mode), `(B, state_len)`.
    pub carry: Option<Vec<f32>>,
    /// Where the curriculum stands.
    pub progress: Progress,
    /// FORCE's state (tensors `force.*`, f64), for a FORCE run.
    pub force: Option<neurodyn_nn::force::Force>,
    /// The resolved config of the run that wrote it (`config` in the metadata; `None` in
    /// checkpoints written before it was kept): `--resume` refuses a config that differs.
    pub config: Option<String>,
}

/// Save weights, buffers, optimizer state and the step.
pub fn save_checkpoint(
    path: &Path,
    net: &Network<f32>,
    opt: &Optimizer,
    st: &CheckpointState,
) -> Result<()> {
    let mut e = param_entries(net, "param.");
    e.push(Entry {
        name: "optim.m".into(),
        dtype: Dtype::F64,
        shape: vec![opt.m.len()],
        data: bytes_f64(&opt.m),
    });
    e.push(Entry {
        name: "optim.v".into(),
        dtype: Dtype::F64,
        shape: vec![opt.v.len()],
        data: bytes_f64(&opt.v),
    });
    if let Some(c) = &st.carry {
        e.push(Entry {
            name: "carry".into(),
            dtype: Dtype::F32,
            shape: vec![c.len()],
            data: bytes_f32(c),
        });
    }
    if !st.progress.recent.is_empty() {
        e.push(Entry {
            name: "curriculum.recent_accuracy".into(),
            dtype: Dtype::F64,
            shape: vec![st.progress.recent.len()],
            data: bytes_f64(&st.progress.recent),
        });
    }
    if let Some(f) = &st.force {
        let (h, o) = (f.n_units, f.n_out);
        for (name, shape, v) in [
            ("force.w_fb", [h, o], &f.w_fb),
            ("force.w_rec0", [h, h], &f.w_rec0),
            ("force.w_out", [o, h], &f.w_out),
            ("force.p", [h, h], &f.p),
        ] {
            e.push(Entry {
                name: name.into(),
                dtype: Dtype::F64,
                shape: shape.to_vec(),
                data: bytes_f64(v),
            });
        }
    }
    let mut meta = HashMap::new();
    meta.insert("format".into(), "neurodyn-checkpoint-1".into());
    meta.insert("step".into(), st.step.to_string());
    meta.insert("curriculum_stage".into(), st.progress.stage.to_string());
    meta.insert("curriculum_since".into(), st.progress.since.to_string());
    meta.insert("optimizer_step".into(), opt.step.to_string());
    meta.insert("neurodyn_version".into(), env!("CARGO_PKG_VERSION").into());
    if let Some(c) = &st.config {
        meta.insert("config".into(), c.clone());
    }
    let bytes = serialize(&e, meta, path)?;
    write_atomic(path, &bytes)
}

pub(crate) fn read_f32(
    st: &SafeTensors<'_>,
    name: &str,
    n: usize,
    path: &Path,
) -> Result<Vec<f32>> {
    let t = st
        .tensor(name)
        .map_err(|e| file(path, format!("tensor '{name}': {e}")))?;
    if t.dtype() != Dtype::F32 || t.data().len() != n * 4 {
        return Err(TrainError::Shape {
            what: format!("{name} in {}", path.display()),
            expected: format!("{n} f32 values"),
            got: format!("{:?} {:?}", t.dtype(), t.shape()),
        });
    }
    Ok(t.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

pub(crate) fn read_f64(
    st: &SafeTensors<'_>,
    name: &str,
    n: usize,
    path: &Path,
) -> Result<Vec<f64>> {
    let t = st
        .tensor(name)
        .map_err(|e| file(path, format!("tensor '{name}': {e}")))?;
    if t.dtype() != Dtype::F64 || t.data().len() != n * 8 {
        return Err(TrainError::Shape {
            what: format!("{name} in {}", path.display()),
            expected: format!("{n} f64 values"),
            got: format!("{:?} {:?}", t.dtype(), t.shape()),
        });
    }
    Ok(t.data()
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect())
}

fn load_params(
    st: &SafeTensors<'_>,
    net: &mut Network<f32>,
    prefix: &str,
    path: &Path,
) -> Result<()> {
    for i in 0..net.layout.specs.len() {
        let r = net.layout.range(i);
        let name = format!("{prefix}{}", net.layout.specs[i].name);
        let v = read_f32(st, &name, r.len(), path)?;
        net.params[r].copy_from_slice(&v);
    }
    for i in 0..net.buffer_layout.specs.len() {
        let r = net.buffer_layout.range(i);
        let name = format!("buffer.{}", net.buffer_layout.specs[i].name);
        let v = read_f32(st, &name, r.len(), path)?;
        net.buffers[r].copy_from_slice(&v);
    }
    Ok(())
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io(path, e))
}

/// Load trained weights into a network built from the same config.
pub fn load_model(path: &Path, net: &mut Network<f32>) -> Result<()> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid safetensors file: {e}")))?;
    load_params(&st, net, "", path)
}

/// Load a checkpoint into `net` and `opt`; returns the step and carried state.
pub fn load_checkpoint(
    path: &Path,
    net: &mut Network<f32>,
    opt: &mut Optimizer,
) -> Result<CheckpointState> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid checkpoint: {e}")))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| file(path, e))?;
    let md = meta.metadata().clone().unwrap_or_default();
    let num = |k: &str| -> Result<u64> {
        md.get(k)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| file(path, format!("checkpoint metadata lacks '{k}'")))
    };
    load_params(&st, net, "param.", path)?;
    let n = net.params.len();
    opt.m = read_f64(&st, "optim.m", n, path)?;
    opt.v = read_f64(&st, "optim.v", n, path)?;
    opt.step = num("optimizer_step")?;
    let carry = match st.tensor("carry") {
        Ok(t) => Some(read_f32(&st, "carry", t.shape().iter().product(), path)?),
        Err(_) => None,
    };
    // Checkpoints written before curricula existed have none of these: stage 0, the task itself.
    let num_or_0 = |k: &str| if md.contains_key(k) { num(k) } else { Ok(0) };
    let recent_name = "curriculum.recent_accuracy";
    let progress = Progress {
        stage: num_or_0("curriculum_stage")? as usize,
        since: num_or_0("curriculum_since")?,
        recent: match st.tensor(recent_name) {
            Ok(t) => read_f64(&st, recent_name, t.shape().iter().product(), path)?,
            Err(_) => Vec::new(),
        },
    };
    let force = match st.tensor("force.p") {
        Ok(_) => {
            let (h, o) = (net.n_units(), net.n_out);
            Some(neurodyn_nn::force::Force {
                n_units: h,
                n_out: o,
                // The config's, set by `Trainer::restore`.
                every: 1,
                w_fb: read_f64(&st, "force.w_fb", h * o, path)?,
                w_rec0: read_f64(&st, "force.w_rec0", h * h, path)?,
                w_out: read_f64(&st, "force.w_out", o * h, path)?,
                p: read_f64(&st, "force.p", h * h, path)?,
            })
        }
        Err(_) => None,
    };
    Ok(CheckpointState {
        step: num("step")?,
        carry,
        progress,
        force,
        config: md.get("config").cloned(),
    })
}

/// The step a checkpoint was written at (its metadata only).
pub fn checkpoint_step(path: &Path) -> Result<u64> {
    let bytes = read_file(path)?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| file(path, e))?;
    meta.metadata()
        .as_ref()
        .and_then(|m| m.get("step"))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| file(path, "checkpoint metadata lacks 'step'"))
}

/// Every f32 tensor of a weights file, sorted by name (for comparing two runs).
pub fn read_tensors(path: &Path) -> Result<Vec<(String, Vec<f32>)>> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid safetensors file: {e}")))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    names
        .into_iter()
        .filter(|n| {
            st.tensor(n)
                .map(|t| t.dtype() == Dtype::F32)
                .unwrap_or(false)
        })
        .map(|n| {
            let len = st
                .tensor(&n)
                .map(|t| t.shape().iter().product())
                .unwrap_or(0);
            read_f32(&st, &n, len, path).map(|v| (n, v))
        })
        .collect()
}

/// Every tensor of a safetensors file (`model.safetensors`, a checkpoint) in f32, f64, i64, i32
/// (read as i64) or u8, sorted by name, with its shape: the arrays a numpy user would get.
pub fn read_arrays(path: &Path) -> Result<neurodyn_core::Npz> {
    let bytes = read_file(path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(path, format!("not a valid safetensors file: {e}")))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    let mut out = neurodyn_core::Npz::new();
    for name in names {
        let t = st
            .tensor(&name)
            .map_err(|e| file(path, format!("tensor {name}: {e}")))?;
        let (shape, data) = (t.shape().to_vec(), t.data());
        macro_rules! le {
            ($ty:ty, $n:expr) => {
                data.chunks_exact($n)
                    .map(|c| {
                        let mut b = [0u8; $n];
                        b.copy_from_slice(c);
                        <$ty>::from_le_bytes(b)
                    })
                    .collect::<Vec<$ty>>()
            };
        }
        match t.dtype() {
            Dtype::F32 => out.f32(&name, &shape, le!(f32, 4))?,
            Dtype::F64 => out.f64(&name, &shape, le!(f64, 8))?,
            Dtype::I64 => out.i64(&name, &shape, le!(i64, 8))?,
            Dtype::I32 => out.i64(
                &name,
                &shape,
                le!(i32, 4).into_iter().map(i64::from).collect(),
            )?,
            Dtype::U8 => out.u8(&name, &shape, data.to_vec())?,
            other => {
                return Err(file(
                    path,
                    format!("tensor {name} has dtype {other:?}, which neurodyn does not read"),
                ))
            }
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each `HashMap` iterates in its own random order; the file must not show it.
    #[test]
    fn the_same_tensors_and_metadata_give_the_same_bytes() {
        let entry = Entry {
            name: "w".into(),
            dtype: Dtype::F32,
            shape: vec![2],
            data: bytes_f32(&[1.0, -2.0]),
        };
        let path = Path::new("model.safetensors");
        let files: Vec<Vec<u8>> = (0..20)
            .map(|_| {
                let meta: HashMap<String, String> = (0..8)
                    .map(|i| (format!("key{i}"), format!("value {i}")))
                    .collect();
                serialize(std::slice::from_ref(&entry), meta, path).expect("serialize")
            })
            .collect();
        assert!(files.iter().all(|f| f == &files[0]), "bytes differ");
        let st = SafeTensors::deserialize(&files[0]).expect("still a safetensors file");
        assert_eq!(st.tensor("w").expect("w").data(), &entry.data[..]);
        let (_, meta) = SafeTensors::read_metadata(&files[0]).expect("header");
        let meta = meta.metadata().clone().expect("metadata");
        assert_eq!(meta.get("key3").map(String::as_str), Some("value 3"));
    }
}
