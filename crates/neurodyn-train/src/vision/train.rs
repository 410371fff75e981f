//! Training an image classifier into a run directory, and loading one back.
//!
//! One [`Rng`] from `seed` initialises the weights (layer by layer, PyTorch's default uniform)
//! and then shuffles the training images at the start of every epoch; the batches are the
//! shuffled order cut into `batch_size` pieces. Each step: normalise (and augment) the batch,
//! forward, cross-entropy (mean over the batch), backward, one optimizer update
//! ([`crate::vision::epochs`], which also writes the checkpoints `--resume` continues from).
//! Augmentation draws from streams of its own; nothing else draws random numbers, so a config
//! and seed give the same bits every time.

use crate::error::{config, file, io, Result, TrainError};
use crate::vision::config::VisionConfig;
use crate::vision::data::{self, ImageData};
use crate::vision::epochs::{train_epochs, Begin, Trainable};
use crate::vision::eval::{self, Normalize};
use crate::vision::files::{self, EvalInfo};
use crate::vision::network::{self, VisionNet};
use neurodyn_core::Rng;
use neurodyn_nn::layers::StackWorkspace;
use std::path::Path;

/// A resolved config with its images and its freshly initialised network.
pub struct Prepared {
    /// The config with every default spelled out (what `config.toml` holds).
    pub cfg: VisionConfig,
    /// The images.
    pub data: ImageData,
    /// Positions in `data.train` of the images trained on (`train.max_train_images`).
    pub train_idx: Vec<usize>,
    /// The input normalisation.
    pub norm: Normalize,
    /// The network.
    pub net: VisionNet,
    /// The run's generator, after the initialisation: it shuffles the epochs.
    pub rng: Rng,
}

/// Load the images, resolve every default and build the network (nothing is written).
/// A `conv-ctrnn` config is refused here (its network is not a layer stack): see
/// [`crate::vision::conv_rnn_run::prepare`].
pub fn prepare(mut cfg: VisionConfig) -> Result<Prepared> {
    crate::vision::outcome::validate(&cfg)?;
    if cfg.model.kind == crate::vision::NetKind::ConvCtrnn {
        return Err(config(
            "model.kind",
            "conv-ctrnn is not a layer stack: use vision::conv_rnn_run::prepare",
        ));
    }
    crate::vision::conv_rnn::reject_rnn_keys(&cfg.model)?;
    let data = data::load(&cfg.task)?;
    let (train, test) = (&data.train, &data.test);
    if (train.channels(), train.height(), train.width())
        != (test.channels(), test.height(), test.width())
        || train.n_classes() != test.n_classes()
    {
        return Err(TrainError::Shape {
            what: "held-out images".into(),
            expected: format!("{:?} in {} classes", &train.shape()[1..], train.n_classes()),
            got: format!("{:?} in {} classes", &test.shape()[1..], test.n_classes()),
        });
    }
    let channels = train.channels();
    let (mean, std) = data::normalization(&cfg.task, data.task, channels)?;
    cfg.task.name = data.task.name().to_string();
    if cfg.task.data_dir.is_none() {
        cfg.task.split_seed = Some(cfg.task.split_seed.unwrap_or(0));
    }
    let layers = network::resolve_layers(&cfg.model, train.n_classes())?;
    let mut rng = Rng::new(cfg.seed);
    let in_shape = [channels, train.height(), train.width()];
    let net = network::build(&layers, in_shape, train.n_classes(), &mut rng)?;
    let train_idx = data::spread(train.len(), cfg.train.max_train_images);
    let norm = Normalize {
        mean: mean.iter().map(|&v| v as f32).collect(),
        std: std.iter().map(|&v| v as f32).collect(),
    };
    cfg.task.mean = Some(mean);
    cfg.task.std = Some(std);
    cfg.model.layers = Some(layers);
    Ok(Prepared {
        cfg,
        data,
        train_idx,
        norm,
        net,
        rng,
    })
}

pub use crate::vision::outcome::{VisionOutcome, VisionStep};

/// Train `cfg` into `dir` (which must not already hold a run), then score the network on the
/// held-out and training images and write every file (see [`crate::vision`]; a `conv-ctrnn`
/// goes to [`crate::vision::conv_rnn_run::train`]). `on_step` sees
/// each step. A non-finite loss stops training with [`TrainError::NonFiniteLoss`], leaving
/// `config.toml` and the metrics so far.
pub fn train_vision(
    cfg: VisionConfig,
    dir: &Path,
    on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    train_vision_with(cfg, dir, false, on_step)
}

/// [`train_vision`], replacing another run's files in `dir` when `replace` (`--force`; see
/// [`crate::claim::new_run`]).
pub fn train_vision_with(
    cfg: VisionConfig,
    dir: &Path,
    replace: bool,
    on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    if cfg.model.kind == crate::vision::NetKind::ConvCtrnn {
        return crate::vision::conv_rnn_run::train(cfg, dir, replace, on_step);
    }
    let lock = crate::claim::new_run(dir, replace)?;
    fit(prepare(cfg)?, dir, lock, Begin::Fresh, on_step)
}

/// Continue the vision run in `dir` from its `checkpoint.safetensors` (from the start when it
/// has none) with its `config.toml`, then score it and write every file as [`train_vision`]
/// does: the result is the same, bit for bit, as a run never stopped. A config changed since
/// the checkpoint is refused, naming the keys, unless every change is one of
/// [`crate::vision::epochs::RESUMABLE_VISION_CHANGES`] and `allow_changes`.
pub fn resume_vision(
    dir: &Path,
    allow_changes: bool,
    on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    let cfg = read_config(dir)?;
    let lock = crate::claim::RunLock::claim(dir, &dir.display().to_string())?;
    if cfg.model.kind == crate::vision::NetKind::ConvCtrnn {
        return crate::vision::conv_rnn_run::fit(
            crate::vision::conv_rnn_run::prepare(cfg)?,
            dir,
            lock,
            Begin::Resume(allow_changes),
            on_step,
        );
    }
    fit(
        prepare(cfg)?,
        dir,
        lock,
        Begin::Resume(allow_changes),
        on_step,
    )
}

impl Trainable for VisionNet {
    type Workspace = (StackWorkspace<f32>, Vec<f32>);
    fn params_mut(&mut self) -> &mut Vec<f32> {
        &mut self.net.params
    }
    fn buffers_mut(&mut self) -> &mut [f32] {
        &mut self.net.buffers
    }
    fn tensors(&self) -> Vec<(String, std::ops::Range<usize>, bool)> {
        VisionNet::tensors(self)
            .into_iter()
            .map(|t| {
                let weight = (t.name.ends_with(".weight") || t.name.ends_with(".weight_v"))
                    && t.shape.len() >= 2;
                (t.name, t.range, weight)
            })
            .collect()
    }
    fn loss_grad(
        &mut self,
        (ws, d_out): &mut Self::Workspace,
        x: &[f32],
        labels: &[i64],
        (threads, seed): (usize, u64),
        grads: &mut [f32],
    ) -> (f64, usize) {
        self.net.forward_train(ws, x, labels.len(), threads, seed);
        let (loss, correct) = self.net.cross_entropy(ws, labels, d_out);
        if loss.is_finite() {
            self.net.backward(ws, d_out, grads);
        }
        (loss, correct)
    }
}

/// Train a prepared layer stack in `dir` (claimed by `lock`), then save, score and record it.
fn fit(
    p: Prepared,
    dir: &Path,
    mut lock: crate::claim::RunLock,
    begin: Begin,
    mut on_step: impl FnMut(&VisionStep),
) -> Result<VisionOutcome> {
    let Prepared {
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
    let t = &cfg.train;
    let kind = cfg.model.kind.name();
    let task = data.task.name();
    files::save_model(
        &dir.join("model.safetensors"),
        &net,
        kind,
        task,
        &config_text,
    )?;
    let threads = t.threads;
    let all_test: Vec<usize> = (0..data.test.len()).collect();
    let test = eval::score(&net, &data.test, &all_test, &norm, threads);
    train_idx.sort_unstable();
    let train = eval::score(&net, &data.train, &train_idx, &norm, threads);
    let info = EvalInfo {
        task,
        model: kind,
        seed: cfg.seed,
        epochs: t.epochs,
        steps: trained.steps,
        train_seconds: trained.seconds,
        class_names: data.test.class_names(),
    };
    files::write_eval(&dir.join("eval.json"), &test, &train, &info)?;
    if cfg.eval.n_record > 0 {
        let keep = data::spread(data.test.len(), cfg.eval.n_record);
        let z = eval::record(&net, &data.test, &keep, &norm, threads)?;
        files::save_activations(z, &dir.join("activations.npz"), &info)?;
    }
    Ok(VisionOutcome {
        task: data.task,
        test,
        train,
        train_seconds: trained.seconds,
    })
}

/// The `config.toml` of the run in `dir`.
fn read_config(dir: &Path) -> Result<VisionConfig> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    VisionConfig::from_toml(&text).map_err(|message| TrainError::ConfigFile {
        path: path.clone(),
        message,
    })
}

/// Load the run in `dir`: its `config.toml`, its images, and `model.safetensors` into the
/// network the config describes.
pub fn load_vision_run(dir: &Path) -> Result<Prepared> {
    let cfg = read_config(dir)?;
    let mut p = prepare(cfg)?;
    let model = dir.join("model.safetensors");
    if !model.exists() {
        return Err(file(&model, "no trained model here (did training finish?)"));
    }
    files::load_model(&model, &mut p.net)?;
    Ok(p)
}
