//! From the `[model]` section to a [`FeedForward`] network: default layers, names, shapes chained
//! from the images' `(C, H, W)`, and every misfit reported by the layer's index, kind and shapes.
//!
//! Tensors are named `{layer}.weight` / `{layer}.bias` with PyTorch's shapes (`conv2d`:
//! `(out, in, k, k)`; `linear`: `(out, in)` over the flattened input; `batchnorm`: `(C)`), a
//! weight-normalised layer's `{layer}.weight_g` (`(out, 1)` or `(out, 1, 1, 1)`) and
//! `{layer}.weight_v` (the weight's shape) instead of its weight, batch norm's buffers
//! `{layer}.running_mean`, `{layer}.running_var` `(C)` and `{layer}.num_batches_tracked` (`()`),
//! and each layer's output by the layer's name, or `{index}_{kind}` for a layer without
//! parameters (`1_relu`).

use crate::error::{config, Result};
use crate::vision::config::{default_layers, LayerConfig, NetKind, VisionModelConfig};
use neurodyn_core::Rng;
use neurodyn_nn::layers::{
    numel, Act, BatchNorm, Conv2d, Dropout, FeedForward, Flatten, GlobalAvgPool, Layer, Linear,
    Pool2d, PoolKind, Shape, WeightNorm,
};

/// Names that `activations.npz` uses for its own arrays.
const RESERVED: [&str; 4] = ["images", "labels", "index", "predicted"];

/// A built network with what the run directory needs to name its parts.
pub struct VisionNet {
    /// The layers and their parameters (f32).
    pub net: FeedForward<f32>,
    /// The resolved layers, one per network layer.
    pub layers: Vec<LayerConfig>,
    /// The name of each layer's output.
    pub output_names: Vec<String>,
}

/// A parameter tensor: its file name, its PyTorch shape and its range in the flat buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    /// `{layer}.weight`, `{layer}.bias`, … (a buffer: `{layer}.running_mean`, …).
    pub name: String,
    /// PyTorch's shape.
    pub shape: Vec<usize>,
    /// Where the values lie in [`FeedForward::params`] (a buffer: in [`FeedForward::buffers`]).
    pub range: std::ops::Range<usize>,
}

/// The layers of `model` with every default filled in: the kind's default network when
/// `layers` is absent, names `conv1`, `fc1`, … where none is given, pool strides. Checks that
/// `mlp` holds no spatial layer and that names are unique.
pub fn resolve_layers(model: &VisionModelConfig, n_classes: usize) -> Result<Vec<LayerConfig>> {
    let mut layers = model
        .layers
        .clone()
        .unwrap_or_else(|| default_layers(model.kind, n_classes));
    if layers.is_empty() {
        return Err(config("model.layers", "needs at least one layer"));
    }
    let (mut n_conv, mut n_fc, mut n_bn) = (0, 0, 0);
    for (i, layer) in layers.iter_mut().enumerate() {
        let key = format!("model.layers[{i}]");
        match layer {
            LayerConfig::Conv2d { name, .. } => {
                n_conv += 1;
                name.get_or_insert_with(|| format!("conv{n_conv}"));
            }
            LayerConfig::Linear { name, .. } => {
                n_fc += 1;
                name.get_or_insert_with(|| format!("fc{n_fc}"));
            }
            LayerConfig::Maxpool { k, stride } | LayerConfig::Avgpool { k, stride } => {
                stride.get_or_insert(*k);
            }
            LayerConfig::Batchnorm {
                name,
                momentum,
                eps,
            } => {
                n_bn += 1;
                name.get_or_insert_with(|| format!("bn{n_bn}"));
                if !(0.0..=1.0).contains(momentum) {
                    return Err(config(
                        &format!("{key}.momentum"),
                        format!("{momentum} is not in [0, 1]"),
                    ));
                }
                if !(*eps > 0.0 && eps.is_finite()) {
                    return Err(config(&format!("{key}.eps"), format!("{eps} must be > 0")));
                }
            }
            LayerConfig::Dropout { p } if !(0.0..1.0).contains(p) => {
                return Err(config(
                    &format!("{key}.p"),
                    format!("{p} is not a probability in [0, 1) (dropout layer {i})"),
                ));
            }
            _ => {}
        }
        let spatial = matches!(
            layer,
            LayerConfig::Conv2d { .. }
                | LayerConfig::Maxpool { .. }
                | LayerConfig::Avgpool { .. }
                | LayerConfig::GlobalAvgpool {}
        );
        if model.kind == NetKind::Mlp && spatial {
            return Err(config(
                &key,
                format!(
                    "a {} layer in an mlp (which takes linear, activation, flatten, dropout \
                     and batchnorm layers); use [model] kind = \"cnn\"",
                    layer.kind()
                ),
            ));
        }
    }
    let names = output_names(&layers);
    for (i, name) in names.iter().enumerate() {
        let key = format!("model.layers[{i}].name");
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
        if !valid {
            return Err(config(
                &key,
                format!("`{name}`: names are non-empty ASCII letters, digits, `_` and `-`"),
            ));
        }
        if RESERVED.contains(&name.as_str()) {
            return Err(config(
                &key,
                format!("`{name}` is reserved for an array of activations.npz"),
            ));
        }
        if let Some(j) = names[..i].iter().position(|n| n == name) {
            return Err(config(
                &key,
                format!("`{name}` is also the name of layer {j}; names must be unique"),
            ));
        }
    }
    Ok(layers)
}

/// The name of each layer's output: its own name, or `{index}_{kind}`.
pub fn output_names(layers: &[LayerConfig]) -> Vec<String> {
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| match l.name() {
            Some(n) => n.to_string(),
            None => format!("{i}_{}", l.kind().replace('-', "_")),
        })
        .collect()
}

/// Build resolved `layers` over images of `in_shape`, initialised from `rng`; the last layer must
/// give `n_classes` values.
pub fn build(
    layers: &[LayerConfig],
    in_shape: Shape,
    n_classes: usize,
    rng: &mut Rng,
) -> Result<VisionNet> {
    let mut shape = in_shape;
    let mut built: Vec<Box<dyn Layer<f32>>> = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let misfit = |why: neurodyn_nn::NnError| {
            config(
                &format!("model.layers[{i}]"),
                format!(
                    "layer {i} ({}) does not fit its input of shape {shape:?} (C, H, W): {why}",
                    layer.kind()
                ),
            )
        };
        let b: Box<dyn Layer<f32>> = match *layer {
            LayerConfig::Conv2d {
                out,
                kernel,
                stride,
                padding,
                dilation,
                bias,
                weight_norm,
                ..
            } => {
                let conv = Conv2d::new(
                    shape,
                    out,
                    (kernel, kernel),
                    (stride, stride),
                    (padding, padding),
                    (dilation, dilation),
                    bias,
                )
                .map_err(misfit)?;
                if weight_norm {
                    Box::new(WeightNorm::new(conv))
                } else {
                    Box::new(conv)
                }
            }
            LayerConfig::Linear {
                out,
                bias,
                weight_norm,
                ..
            } => {
                if out == 0 {
                    return Err(config(&format!("model.layers[{i}].out"), "must be ≥ 1"));
                }
                let linear = Linear::new(shape, out, bias);
                if weight_norm {
                    Box::new(WeightNorm::new(linear))
                } else {
                    Box::new(linear)
                }
            }
            LayerConfig::Dropout { p } => Box::new(Dropout::new(shape, p).map_err(misfit)?),
            LayerConfig::Batchnorm { momentum, eps, .. } => {
                Box::new(BatchNorm::new(shape, momentum, eps).map_err(misfit)?)
            }
            LayerConfig::Maxpool { k, stride } | LayerConfig::Avgpool { k, stride } => {
                let kind = if matches!(layer, LayerConfig::Maxpool { .. }) {
                    PoolKind::Max
                } else {
                    PoolKind::Avg
                };
                Box::new(Pool2d::new(kind, shape, k, stride.unwrap_or(k)).map_err(misfit)?)
            }
            LayerConfig::GlobalAvgpool {} => Box::new(GlobalAvgPool::new(shape)),
            LayerConfig::Flatten {} => Box::new(Flatten::new(shape)),
            _ => {
                let f = layer.activation().ok_or_else(|| {
                    misfit(neurodyn_nn::NnError::Unsupported(
                        "not a layer kind this builder knows (a bug)".to_string(),
                    ))
                })?;
                Box::new(Act::new(shape, f))
            }
        };
        shape = b.out_shape();
        built.push(b);
    }
    let last = layers.len() - 1;
    if numel(shape) != n_classes {
        return Err(config(
            "model.layers",
            format!(
                "the last layer ({last}, {}) gives {} values (shape {shape:?}), but the task has \
                 {n_classes} classes",
                layers[last].kind(),
                numel(shape)
            ),
        ));
    }
    let net = FeedForward::new(built, rng).map_err(|m| config("model.layers", m))?;
    Ok(VisionNet {
        net,
        layers: layers.to_vec(),
        output_names: output_names(layers),
    })
}

impl VisionNet {
    /// Every parameter tensor, in the order of the flat buffer.
    pub fn tensors(&self) -> Vec<TensorSpec> {
        let mut out = Vec::new();
        for (l, layer) in self.net.layers.iter().enumerate() {
            let Some(name) = self.layers[l].name() else {
                continue;
            };
            let [c_in, ..] = layer.in_shape();
            let n_in = numel(layer.in_shape());
            let mut at = self.net.param_range(l).start;
            for (what, len) in layer.params() {
                let shape = match (&self.layers[l], what) {
                    (LayerConfig::Conv2d { out, kernel, .. }, "weight" | "weight_v") => {
                        vec![*out, c_in, *kernel, *kernel]
                    }
                    (LayerConfig::Conv2d { out, .. }, "weight_g") => vec![*out, 1, 1, 1],
                    (LayerConfig::Linear { out, .. }, "weight" | "weight_v") => vec![*out, n_in],
                    (LayerConfig::Linear { out, .. }, "weight_g") => vec![*out, 1],
                    _ => vec![len],
                };
                debug_assert_eq!(shape.iter().product::<usize>(), len, "{name}.{what}");
                out.push(TensorSpec {
                    name: format!("{name}.{what}"),
                    shape,
                    range: at..at + len,
                });
                at += len;
            }
        }
        out
    }

    /// Every state buffer (batch norm's running statistics), in the order of
    /// [`FeedForward::buffers`]; `num_batches_tracked` is a scalar, shape `()`, as in PyTorch.
    pub fn buffer_tensors(&self) -> Vec<TensorSpec> {
        let mut out = Vec::new();
        for (l, layer) in self.net.layers.iter().enumerate() {
            let Some(name) = self.layers[l].name() else {
                continue;
            };
            let mut at = self.net.buffer_range(l).start;
            for (what, len) in layer.buffers() {
                out.push(TensorSpec {
                    name: format!("{name}.{what}"),
                    shape: if what == "num_batches_tracked" {
                        Vec::new()
                    } else {
                        vec![len]
                    },
                    range: at..at + len,
                });
                at += len;
            }
        }
        out
    }
}

/// The dropout seed of training step `step` (counted from 0) of a run seeded `seed`: a hash of
/// both, so that the masks repeat with the seed, differ between steps, and need no generator
/// state (a resumed run regenerates them from the step alone). The run's own generator, which
/// shuffles the epochs, is not drawn from.
pub fn step_seed(seed: u64, step: u64) -> u64 {
    Rng::with_stream(seed ^ 0x6472_6f70_6f75_7421, step).next_u64()
}
