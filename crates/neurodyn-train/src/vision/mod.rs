//! Vision runs: image classifiers (CNNs and MLPs, and the convolutional CTRNN of
//! [`conv_rnn`]) trained on MNIST, Fashion-MNIST or CIFAR-10, with the same habits as the recurrent runs (a resolved, re-runnable config; seeded,
//! bit-identical training; files written atomically).
//!
//! [`VisionConfig`] (TOML) → [`train_vision`] writes a run directory:
//!
//! ```text
//! RUN/
//!   config.toml          fully resolved config (every layer, name, stride and the normalisation);
//!                        `neurodyn train RUN/config.toml` re-runs it
//!   metrics.csv          epoch,step,loss,accuracy,lr,wall_s: one row per optimizer step (the
//!                        training batch's mean cross-entropy and accuracy)
//!   checkpoint.safetensors  what `--resume` continues from (see [`epochs`])
//!   model.safetensors    one f32 tensor per layer parameter, `{layer}.weight` / `{layer}.bias`
//!                        with PyTorch's shapes (conv (out, in, k, k), linear (out, in)), or
//!                        `weight_g` / `weight_v` with weight_norm; batch norm's buffers
//!                        `{bn}.running_mean`, `.running_var` (f32), `.num_batches_tracked`
//!                        (int64 scalar); metadata: format, kind (cnn/mlp), task, layers, config
//!   eval.json            held out: accuracy, n_test, loss, per_class, confusion[true][predicted],
//!                        class_names; the same for the training images under "train"
//!   activations.npz      for `eval.n_record` held-out images spread evenly over the set: every
//!                        layer's output named by the layer (`conv1`, `fc2`) or `{index}_{kind}`
//!                        (`1_relu`), (image, C, H, W) or (image, features); images (image, C, H,
//!                        W, uint8), labels, predicted, index (position in the held-out set),
//!                        int64
//! ```
//!
//! `checkpoint.safetensors` (weights, optimizer state, the generator and this epoch's image
//! order) is written at the end of every epoch, or every `train.checkpoint_every` steps;
//! [`resume_vision`] (`neurodyn train --resume RUN`) continues from it to the same bits as an
//! uninterrupted run ([`epochs`]).
//!
//! ```no_run
//! use neurodyn_train::vision::{train_vision, VisionConfig};
//! let out = train_vision(VisionConfig::default(), "runs/cnn".as_ref(), |_| {})?;
//! println!("held-out accuracy {:.3}", out.test.accuracy);
//! # Ok::<(), neurodyn_train::TrainError>(())
//! ```

pub mod config;
pub mod conv_rnn;
pub mod conv_rnn_run;
pub mod data;
pub mod epochs;
pub mod eval;
pub mod files;
pub mod front_end;
pub mod network;
pub mod outcome;
pub mod train;
pub mod weight_norm;

pub use config::{
    default_layers, AreaConfig, ImageTaskSection, LayerConfig, NetKind, ReadoutKind, StemConfig,
    VisionConfig, VisionEvalConfig, VisionModelConfig, VisionTrainConfig,
};
pub use data::{is_image_task, ImageTask, IMAGE_TASKS};
pub use eval::{ClassRow, ClassScore, Normalize};
pub use network::VisionNet;
pub use train::{
    load_vision_run, prepare, resume_vision, train_vision, train_vision_with, Prepared,
    VisionOutcome, VisionStep,
};

/// A user's vision config file, resolved: a `conv-ctrnn` file (or any file with `conv_ctrnn`,
/// the command line's `--model conv-ctrnn`) goes over the conv-ctrnn recipe, so keys it leaves
/// out take the recipe's values; a CNN's or MLP's over the generic defaults. The flag says
/// whether the recipe was the base.
pub fn from_user_toml(text: &str, conv_ctrnn: bool) -> Result<(VisionConfig, bool), String> {
    let own = VisionConfig::from_toml(text)?;
    if own.model.kind != NetKind::ConvCtrnn && !conv_ctrnn {
        return Ok((own, false));
    }
    let mut merged = toml::Value::try_from(conv_rnn::recipe()).map_err(|e| e.to_string())?;
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    crate::recipes::merge(&mut merged, toml::Value::Table(table));
    let cfg = merged
        .try_into()
        .map_err(|e: toml::de::Error| format!("over the conv-ctrnn recipe: {e}"))?;
    Ok((cfg, true))
}

/// Every check `neurodyn train --check` makes of a vision config: the images are read and the
/// network is built; nothing is trained or written.
pub fn check(cfg: &VisionConfig) -> crate::Result<()> {
    if cfg.model.kind == NetKind::ConvCtrnn {
        conv_rnn_run::prepare(cfg.clone()).map(|_| ())
    } else {
        prepare(cfg.clone()).map(|_| ())
    }
}

/// Whether a config's TOML describes a vision run: its `[task] name` is an image task, or its
/// `[model] kind` is `cnn`, `mlp` or `conv-ctrnn`. Text that is not TOML is not a vision config (the RNN
/// parser then reports the error).
pub fn is_vision_toml(text: &str) -> bool {
    let Ok(table) = text.parse::<toml::Table>() else {
        return false;
    };
    let get = |section: &str, key: &str| {
        table
            .get(section)
            .and_then(|s| s.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    get("task", "name").is_some_and(|n| is_image_task(&n))
        || get("model", "kind").is_some_and(|k| matches!(k.as_str(), "cnn" | "mlp" | "conv-ctrnn"))
}

/// Whether the run directory `dir` holds a vision run (by its `config.toml`).
pub fn is_vision_run(dir: &std::path::Path) -> bool {
    std::fs::read_to_string(dir.join("config.toml")).is_ok_and(|t| is_vision_toml(&t))
}
