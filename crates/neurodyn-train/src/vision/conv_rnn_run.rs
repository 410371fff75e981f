//! A `conv-ctrnn` vision run: training into a run directory with the same files as a CNN's, and
//! loading it back for scoring.
//!
//! ```text
//! RUN/config.toml          resolved (stem, areas, readout, τ, dt, every step count)
//! RUN/metrics.csv          as for a CNN; loss is the ramp-weighted cross-entropy
//! RUN/model.safetensors    stem.weight, area{l}.ff.weight, area{l}.rec.weight, area{l}.bias,
//!                          stem_skip.weight, area{l}.skip.weight, fc.weight, fc.bias (f32);
//!                          with weight_norm each X.weight as X.weight_g and X.weight_v
//! RUN/eval.json            held-out and training scores from the last step's logits
//! RUN/activations.npz      stem (image, C, H, W), area{l}: each area's state at the last step
//!                          (image, C, H, W), fc: the last step's logits (image, classes);
//!                          images, labels, predicted, index
//! ```
//!
//! One [`Rng`] from `seed` initialises the weights and then shuffles every epoch, as for a CNN.

use crate::checkpoint::{bytes_f32, read_f32, read_file, serialize, write_atomic, Entry};
use crate::error::{config, file, io, Result, TrainError};
use crate::vision::config::VisionConfig;
use crate::vision::conv_rnn::{self, ConvRnnNet, Workspaces};
use crate::vision::data::{self, ImageData};
use crate::vision::epochs::{train_epochs, Begin, Trainable};
use crate::vision::eval::{ClassScore, Normalize};
use crate::vision::files::{self, EvalInfo, MODEL_FORMAT};
use crate::vision::outcome::{self, VisionOutcome, VisionStep};
use neurodyn_core::{Npz, Rng};
use neurodyn_data::ImageSet;
use neurodyn_nn::layers::{numel, ConvCtrnnWorkspace, InitState};
use neurodyn_nn::{Loss, LossTargets};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

/// Images per forward pass when scoring or recording.
const CHUNK: usize = 100;

/// A resolved `conv-ctrnn` config with its images and its freshly initialised network.
pub struct PreparedRnn {
    /// The config with every default spelled out.
    pub cfg: VisionConfig,
    /// The images.
    pub data: ImageData,
    /// Positions in `data.train` of the images trained on.
    pub train_idx: Vec<usize>,
    /// The input normalisation.
    pub norm: Normalize,
    /// The network.
    pub net: ConvRnnNet,
    /// The run's generator, after the initialisation.
    pub rng: Rng,
}

/// Load the images, resolve every default and build the network (nothing is written).
pub fn prepare(mut cfg: VisionConfig) -> Result<PreparedRnn> {
    outcome::validate(&cfg)?;
    let protocol = conv_rnn::resolve(&mut cfg.model)?;
    let data = data::load(&cfg.task)?;
    let train = &data.train;
    let (mean, std) = data::normalization(&cfg.task, data.task, train.channels())?;
    cfg.task.name = data.task.name().to_string();
    if cfg.task.data_dir.is_none() {
        cfg.task.split_seed = Some(cfg.task.split_seed.unwrap_or(0));
    }
    let mut rng = Rng::new(cfg.seed);
    let in_shape = [train.channels(), train.height(), train.width()];
    let net = conv_rnn::build(&cfg.model, protocol, in_shape, train.n_classes(), &mut rng)?;
    let train_idx = data::spread(train.len(), cfg.train.max_train_images);
    let norm = Normalize {
        mean: mean.iter().map(|&v| v as f32).collect(),
        std: std.iter().map(|&v| v as f32).collect(),
    };
    cfg.task.mean = Some(mean);
    cfg.task.std = Some(std);
    Ok(PreparedRnn {
        cfg,
        data,
        train_idx,
        norm,
        net,
        rng,
    })
}

impl PreparedRnn {
    /// Number of parameters.
    pub fn params_len(&self) -> usize {
        self.net.params.len()
    }
}

/// Whether the run directory `dir` holds a `conv-ctrnn` run (by its `config.toml`).
pub fn is_run(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.toml"))
        .ok()
        .and_then(|t| VisionConfig::from_toml(&t).ok())
        .is_some_and(|c| c.model.kind == crate::vision::NetKind::ConvCtrnn)
}

/// Train a `conv-ctrnn` config into `dir` (see [`crate::vision::train_vision`], which sends
/// `conv-ctrnn` configs here).
pub fn train(
    cfg: VisionConfig,
    dir: &Path,
    replace: bool,
    on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    let lock = crate::claim::new_run(dir, replace)?;
    fit(prepare(cfg)?, dir, lock, Begin::Fresh, on_step)
}

impl Trainable for ConvRnnNet {
    type Workspace = Workspaces;
    fn params_mut(&mut self) -> &mut Vec<f32> {
        self.trained_mut()
    }
    fn tensors(&self) -> Vec<(String, std::ops::Range<usize>, bool)> {
        self.trained_tensors()
            .into_iter()
            .map(|(name, _, range, weight)| (name, range, weight))
            .collect()
    }
    fn loss_grad(
        &mut self,
        ws: &mut Workspaces,
        x: &[f32],
        labels: &[i64],
        (threads, _seed): (usize, u64),
        grads: &mut [f32],
    ) -> (f64, usize) {
        self.trained_loss_grad(ws, x, labels, threads, grads)
    }
}

/// Train a prepared conv-ctrnn in `dir` (claimed by `lock`; fresh or resumed), then save,
/// score and record it.
pub(crate) fn fit(
    p: PreparedRnn,
    dir: &Path,
    mut lock: crate::claim::RunLock,
    begin: Begin,
    mut on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    let PreparedRnn {
        cfg,
        data,
        mut train_idx,
        norm,
        mut net,
        mut rng,
    } = p;
    let config_text = cfg.to_toml();
    let trained = train_epochs(
        &mut net,
        &cfg,
        &config_text,
        dir,
        (&data.train, &norm),
        &mut train_idx,
        &mut rng,
        begin,
        |s| {
            lock.beat();
            on_step(s);
        },
    )?;
    let (step, train_seconds) = (trained.steps, trained.seconds);
    net.sync();
    let t = &cfg.train;
    let train_set = &data.train;
    let task = data.task.name();
    save_model(&dir.join("model.safetensors"), &net, task, &config_text)?;
    let all_test: Vec<usize> = (0..data.test.len()).collect();
    let test = score(&net, &data.test, &all_test, &norm);
    train_idx.sort_unstable();
    let train = score(&net, train_set, &train_idx, &norm);
    let info = EvalInfo {
        task,
        model: cfg.model.kind.name(),
        seed: cfg.seed,
        epochs: t.epochs,
        steps: step,
        train_seconds,
        class_names: data.test.class_names(),
    };
    files::write_eval(&dir.join("eval.json"), &test, &train, &info)?;
    if cfg.eval.n_record > 0 {
        let keep = data::spread(data.test.len(), cfg.eval.n_record);
        let z = record(&net, &data.test, &keep, &norm)?;
        files::save_activations(z, &dir.join("activations.npz"), &info)?;
    }
    Ok(VisionOutcome {
        task: data.task,
        test,
        train,
        train_seconds,
    })
}

/// Run the protocol over the images at `indices` of `set`, `CHUNK` at a time, reading the last
/// step only, and hand each chunk's indices and workspace to `visit`.
fn for_chunks(
    net: &ConvRnnNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
    mut visit: impl FnMut(&[usize], &ConvCtrnnWorkspace<f32>),
) {
    let mut spont_ws = Workspaces::default();
    let spont = net.spontaneous(&mut spont_ws);
    let mut ws = ConvCtrnnWorkspace::default();
    let mut x = Vec::new();
    for chunk in indices.chunks(CHUNK) {
        x.resize(chunk.len() * set.image_len(), 0.0);
        set.normalize_into(chunk, &norm.mean, &norm.std, &mut x);
        let steps = net.protocol.steps;
        net.net.forward(
            &net.params,
            &mut ws,
            &x,
            InitState::Shared(&spont),
            chunk.len(),
            steps,
            1,
        );
        visit(chunk, &ws);
    }
}

/// Score the last step's logits on the images at `indices` of `set`.
pub fn score(net: &ConvRnnNet, set: &ImageSet, indices: &[usize], norm: &Normalize) -> ClassScore {
    let k = set.n_classes();
    let classes = net.net.n_classes();
    let mut confusion = vec![vec![0u64; k]; k];
    let mut loss_sum = 0.0;
    let mut d = Vec::new();
    for_chunks(net, set, indices, norm, |chunk, ws| {
        let labels: Vec<i64> = chunk.iter().map(|&i| i64::from(set.labels()[i])).collect();
        d.resize(chunk.len() * classes, 0.0f32);
        let mask = vec![1.0f32; chunk.len()];
        let logits = ws.logits(0);
        let loss = Loss::CrossEntropy.value_grad(
            logits,
            classes,
            LossTargets::Class(&labels),
            &mask,
            &mut d,
        );
        loss_sum += loss * chunk.len() as f64;
        for (row, &l) in logits.chunks_exact(classes).zip(&labels) {
            confusion[l as usize][neurodyn_nn::layers::argmax(row).min(k - 1)] += 1;
        }
    });
    ClassScore::from_confusion(confusion, loss_sum, set.class_names())
}

/// `activations.npz` for the images at `indices` of `set` (see the module's table).
pub fn record(
    net: &ConvRnnNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
) -> neurodyn_core::Result<Npz> {
    let shapes = net.net.area_shapes();
    let mut stem = Vec::new();
    let mut areas: Vec<Vec<f32>> = vec![Vec::new(); shapes.len()];
    let mut logits = Vec::new();
    let mut predicted = Vec::with_capacity(indices.len());
    let classes = net.net.n_classes();
    for_chunks(net, set, indices, norm, |_, ws| {
        stem.extend_from_slice(ws.stem());
        for (l, a) in areas.iter_mut().enumerate() {
            a.extend_from_slice(ws.state(l, ws.n_steps()));
        }
        logits.extend_from_slice(ws.logits(0));
        predicted.extend(
            ws.logits(0)
                .chunks_exact(classes)
                .map(|r| neurodyn_nn::layers::argmax(r) as i64),
        );
    });
    let n = indices.len();
    let mut z = crate::vision::eval::image_arrays(set, indices, predicted)?;
    let s = net.net.stem_shape();
    z.f32("stem", &[n, s[0], s[1], s[2]], stem)?;
    for (l, (a, s)) in areas.into_iter().zip(&shapes).enumerate() {
        z.f32(&format!("area{l}"), &[n, s[0], s[1], s[2]], a)?;
    }
    z.f32("fc", &[n, classes], logits)?;
    Ok(z)
}

/// The layers [`layer_features`] reads: `stem`, `area0` … (each area's state), `pool` (what the
/// readout reads) and `fc` (the logits).
pub fn feature_layers(net: &ConvRnnNet) -> Vec<String> {
    let mut v = vec!["stem".to_string()];
    v.extend((0..net.net.area_shapes().len()).map(|l| format!("area{l}")));
    v.extend(["pool".to_string(), "fc".to_string()]);
    v
}

/// One layer of the network at the last step with the image, for the images at `indices` of
/// `set`, `(image, feature)` row-major with its width: `stem`, `area{l}` (the state, flattened),
/// `pool` (the readout's input: the rectified rates of the last area, plus the second-last's
/// with `readout = "last-two"`, averaged over positions; one value per channel) or `fc` (the
/// logits). `None` for another name.
pub fn layer_features(
    net: &ConvRnnNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
    layer: &str,
) -> Option<(Vec<f32>, usize)> {
    let shapes = net.net.area_shapes();
    let n_areas = shapes.len();
    let area = layer
        .strip_prefix("area")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|&l| l < n_areas);
    let width = match (layer, area) {
        ("stem", _) => numel(net.net.stem_shape()),
        ("pool", _) => shapes[n_areas - 1][0],
        ("fc", _) => net.net.n_classes(),
        (_, Some(l)) => numel(shapes[l]),
        _ => return None,
    };
    let read: Vec<usize> = match net.net.readout() {
        neurodyn_nn::layers::Readout::Last => vec![n_areas - 1],
        neurodyn_nn::layers::Readout::LastTwo => vec![n_areas - 2, n_areas - 1],
    };
    let mut out = Vec::with_capacity(indices.len() * width);
    for_chunks(net, set, indices, norm, |chunk, ws| {
        let t = ws.n_steps();
        match (layer, area) {
            ("stem", _) => out.extend_from_slice(ws.stem()),
            ("fc", _) => out.extend_from_slice(ws.logits(0)),
            ("pool", _) => {
                let [c, h, w] = shapes[n_areas - 1];
                let hw = h * w;
                for b in 0..chunk.len() {
                    for ch in 0..c {
                        let mut sum = 0.0f32;
                        for &l in &read {
                            let r =
                                &ws.state(l, t)[b * c * hw + ch * hw..b * c * hw + (ch + 1) * hw];
                            sum += r.iter().map(|&v| v.max(0.0)).sum::<f32>();
                        }
                        out.push(sum / hw as f32);
                    }
                }
            }
            (_, Some(l)) => out.extend_from_slice(ws.state(l, t)),
            _ => {}
        }
    });
    Some((out, width))
}

/// Write the parameters, one tensor per [`neurodyn_nn::layers::ConvCtrnn::tensors`] entry.
fn save_model(path: &Path, net: &ConvRnnNet, task: &str, config_text: &str) -> Result<()> {
    let values = net.wn.as_ref().map_or(&net.params, |w| &w.raw);
    let entries: Vec<Entry> = net
        .trained_tensors()
        .into_iter()
        .map(|(name, shape, range, _)| Entry {
            name,
            dtype: Dtype::F32,
            shape,
            data: bytes_f32(&values[range]),
        })
        .collect();
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), MODEL_FORMAT.to_string());
    meta.insert("kind".to_string(), "conv-ctrnn".to_string());
    meta.insert("task".to_string(), task.to_string());
    let areas: Vec<String> = (0..net.net.area_shapes().len())
        .map(|l| format!("area{l}:conv-ctrnn-area"))
        .collect();
    meta.insert(
        "layers".to_string(),
        format!("stem:stem,{},fc:linear", areas.join(",")),
    );
    meta.insert("config".to_string(), config_text.to_string());
    let bytes = serialize(&entries, meta, path)?;
    write_atomic(path, &bytes)
}

/// Load a `conv-ctrnn` run: its config, images and `model.safetensors` (every tensor with its
/// shape).
pub fn load_run(dir: &Path) -> Result<PreparedRnn> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    let cfg = VisionConfig::from_toml(&text).map_err(|message| TrainError::ConfigFile {
        path: path.clone(),
        message,
    })?;
    if cfg.model.kind != crate::vision::NetKind::ConvCtrnn {
        return Err(config("model.kind", "not a conv-ctrnn run"));
    }
    let mut cfg = cfg;
    // A run saved before `winograd` existed (every run's config spells it out since) was
    // computed by im2col, then the only way: it is loaded as it was trained.
    cfg.model.winograd.get_or_insert(false);
    let mut p = prepare(cfg)?;
    let model = dir.join("model.safetensors");
    if !model.exists() {
        return Err(file(&model, "no trained model here (did training finish?)"));
    }
    let bytes = read_file(&model)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| file(&model, format!("not a valid safetensors file: {e}")))?;
    for (name, want, range, _) in p.net.trained_tensors() {
        let shape = st
            .tensor(&name)
            .map_err(|e| file(&model, format!("tensor '{name}': {e}")))?
            .shape()
            .to_vec();
        if shape != want {
            return Err(TrainError::Shape {
                what: format!("{name} in {}", model.display()),
                expected: format!("{want:?}"),
                got: format!("{shape:?}"),
            });
        }
        let v = read_f32(&st, &name, range.len(), &model)?;
        p.net.trained_mut()[range].copy_from_slice(&v);
    }
    p.net.sync();
    Ok(p)
}
