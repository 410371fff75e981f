//! The config of a vision run: plain serde data, every key optional, unknown keys rejected.
//!
//! ```toml
//! seed = 0
//! [task]
//! name = "Mnist"            # FashionMnist and Cifar10 need data_dir
//! split_seed = 0            # the embedded digits only: their stratified 8,000 / 2,000 split
//! [model]
//! kind = "cnn"              # or "mlp" (linear, activation, flatten, dropout and batchnorm)
//! layers = [
//!   { kind = "conv2d", out = 8, kernel = 5, padding = 2 },
//!   { kind = "batchnorm" },  # BatchNorm2d here (1-d after a flatten or linear); bn1, bn2, …
//!   { kind = "relu" },
//!   { kind = "maxpool", k = 2 },
//!   { kind = "dropout", p = 0.25 },           # training only
//!   { kind = "linear", out = 10, weight_norm = true },
//! ]
//! [train]
//! epochs = 10
//! batch_size = 64
//! lr = 0.001
//! [train.augment]           # optional, all off by default (neurodyn_data::augment)
//! rotation_deg = 10         # and translate, scale = [lo, hi], shear_deg, elastic_alpha,
//! translate = 0.1           # elastic_sigma, brightness, contrast, noise_std
//! ```
//!
//! Without `layers`, `kind` picks the default network (see [`default_layers`]). `batchnorm` takes
//! `momentum` (0.1) and `eps` (1e-5), PyTorch's defaults; `weight_norm = true` on a `conv2d` or
//! `linear` layer stores its weight as `weight_g` and `weight_v`
//! (`torch.nn.utils.weight_norm`). `kind =
//! "conv-ctrnn"` takes its own keys instead of `layers` (see [`crate::vision::conv_rnn`]). The resolved
//! config a run writes (`config.toml`) spells out every layer, name, stride and the
//! normalisation, and re-runs as is.

use neurodyn_nn::{OptimizerConfig, Schedule};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Everything a vision run needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct VisionConfig {
    /// Master seed: the initial weights and the order of the batches.
    pub seed: u64,
    /// The dataset.
    pub task: ImageTaskSection,
    /// The network.
    pub model: VisionModelConfig,
    /// The optimisation.
    pub train: VisionTrainConfig,
    /// What is kept after training.
    pub eval: VisionEvalConfig,
}

/// The dataset and its normalisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageTaskSection {
    /// `Mnist` (the embedded 10,000 digits, or MNIST's IDX files in `data_dir`), `FashionMnist`
    /// (IDX files in `data_dir`) or `Cifar10` (the binary batches in `data_dir`); any case.
    pub name: String,
    /// A directory holding `train-*` / `t10k-*` IDX files (raw or `.gz`) or CIFAR-10's
    /// `data_batch_*.bin` and `test_batch.bin`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Seed of the stratified 8,000 / 2,000 split of the embedded digits (0 when absent); not
    /// with `data_dir`, whose files come split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_seed: Option<u64>,
    /// Per-channel means of the pixels scaled to [0, 1] (one value, or one per channel); the
    /// dataset's when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<Vec<f64>>,
    /// Per-channel standard deviations, as `mean`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f64>>,
}

impl Default for ImageTaskSection {
    fn default() -> Self {
        ImageTaskSection {
            name: "Mnist".into(),
            data_dir: None,
            split_seed: None,
            mean: None,
            std: None,
        }
    }
}

/// The family of network, which picks the default layers and the layer kinds allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    /// Convolutional: every layer kind.
    #[default]
    Cnn,
    /// Multi-layer perceptron: linear, activation, flatten, dropout and batchnorm layers.
    Mlp,
    /// Continuous-time convolutional RNN (CordsNet, seed 002): a stem and recurrent areas,
    /// configured by `stem`, `areas`, `readout`, `tau_ms`, `dt_ms` and the step counts
    /// (see [`crate::vision::conv_rnn`]), not by `layers`.
    ConvCtrnn,
}

impl NetKind {
    /// The name configs use.
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Cnn => "cnn",
            NetKind::Mlp => "mlp",
            NetKind::ConvCtrnn => "conv-ctrnn",
        }
    }
}

/// The network: a kind and, optionally, its layers in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct VisionModelConfig {
    /// `cnn` or `mlp`.
    pub kind: NetKind,
    /// The layers, input first (default: [`default_layers`] of `kind`). Each layer's input shape
    /// is the previous one's output; the last must give one value per class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerConfig>>,
    /// `conv-ctrnn` only, as every key below: the stem (convolution without bias, then an
    /// average pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stem: Option<StemConfig>,
    /// The recurrent areas, first first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub areas: Option<Vec<AreaConfig>>,
    /// What the readout pools: `last` (the last area) or `last-two` (the last two, which must
    /// have one shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readout: Option<ReadoutKind>,
    /// Time constant of every unit (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tau_ms: Option<f64>,
    /// Time step (ms); α = dt/τ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dt_ms: Option<f64>,
    /// Steps under a blank image before the image (the spontaneous state; no gradient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spont_steps: Option<usize>,
    /// Steps with the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// The last steps whose cross-entropy is trained, weighted by a logarithmic ramp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss_steps: Option<usize>,
    /// Decades the ramp spans (its last weight over its first is 10^decades; 0: equal weights).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramp_decades: Option<f64>,
    /// After the image, blank steps whose last ones are penalised for their distance from the
    /// spontaneous state (activity returns to rest once the image is gone); off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_penalty: Option<ReturnPenaltyConfig>,
    /// Every weight (stem, areas' convolutions, readout) trained as a length per output channel
    /// times a direction, `g · v/‖v‖`, as the reference network's are (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_norm: Option<bool>,
    /// Every 3×3 stride-1 convolution computed by Winograd's F(m×m, 3×3), the tile chosen for
    /// its map (F(4×4) on the recipe's 14×14 and 7×7): about 3 times fewer multiply-adds, the
    /// same function with its f32 sums rounded otherwise (default true; false: im2col).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winograd: Option<bool>,
}

/// `[model] return_penalty = { steps = 15, last = 5, weight = 0.01 }` of a `conv-ctrnn`: after
/// the image, `steps` steps under the blank image; the mean squared distance of each area's
/// rates from the spontaneous state over the last `last` of them, times `weight`, joins the
/// loss (Soo et al.'s spontaneous-activity term).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnPenaltyConfig {
    /// Blank steps after the image.
    pub steps: usize,
    /// The penalised last steps (default: min(5, steps)).
    #[serde(default)]
    pub last: Option<usize>,
    /// Weight of the penalty in the loss (default 0.01).
    #[serde(default)]
    pub weight: Option<f64>,
}

/// The stem of a `conv-ctrnn`: a convolution of the image without bias, then an average pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StemConfig {
    /// Output channels.
    pub channels: usize,
    /// Square kernel side.
    pub kernel: usize,
    /// Stride.
    #[serde(default = "one")]
    pub stride: usize,
    /// Zero padding on each side.
    #[serde(default)]
    pub padding: usize,
    /// Average-pool stride, and its window unless `pool_window` says otherwise (1: none).
    #[serde(default = "one")]
    pub pool: usize,
    /// Average-pool window (default: `pool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_window: Option<usize>,
    /// Zeros on each side before pooling, counted in the mean (default 0; at most half the
    /// window).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_padding: usize,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

/// One area of a `conv-ctrnn`: its channels and the stride of its 3×3 input convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaConfig {
    /// Channels.
    pub channels: usize,
    /// Stride of the input convolution (2 halves the map).
    #[serde(default = "one")]
    pub stride: usize,
}

/// What a `conv-ctrnn`'s readout pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadoutKind {
    /// ReLU of the last area.
    Last,
    /// ReLU of the last area plus ReLU of the one before (the reference).
    LastTwo,
}

/// One layer. A layer with parameters (`conv2d`, `linear`, `batchnorm`) has a `name` (default
/// `conv1`, `conv2`, …, `fc1`, `fc2`, … and `bn1`, `bn2`, … in order), used in
/// `model.safetensors` and `activations.npz`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LayerConfig {
    /// 2-D convolution with a square kernel (`nn.Conv2d`).
    Conv2d {
        /// Name of the layer's tensors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Output channels.
        out: usize,
        /// Kernel side.
        kernel: usize,
        /// Stride.
        #[serde(default = "one")]
        stride: usize,
        /// Zero padding on each side.
        #[serde(default)]
        padding: usize,
        /// Dilation.
        #[serde(default = "one")]
        dilation: usize,
        /// With a bias per output channel.
        #[serde(default = "yes")]
        bias: bool,
        /// Weight normalisation: the weight as `weight_g · weight_v / ‖weight_v‖` per output.
        #[serde(default, skip_serializing_if = "is_false")]
        weight_norm: bool,
    },
    /// Fully connected over the flattened input (`nn.Linear`).
    Linear {
        /// Name of the layer's tensors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Output features.
        out: usize,
        /// With a bias per output.
        #[serde(default = "yes")]
        bias: bool,
        /// Weight normalisation: the weight as `weight_g · weight_v / ‖weight_v‖` per output.
        #[serde(default, skip_serializing_if = "is_false")]
        weight_norm: bool,
    },
    /// Zero each value with probability `p` in training, scaling the rest by `1/(1 − p)`
    /// (`nn.Dropout`); the identity in evaluation. The masks follow the run's seed and step.
    Dropout {
        /// Probability of dropping, in [0, 1).
        p: f64,
    },
    /// Batch normalisation per channel (`nn.BatchNorm2d` over `(C, H, W)`, `nn.BatchNorm1d`
    /// over features): batch statistics in training, running statistics in evaluation.
    Batchnorm {
        /// Name of the layer's tensors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Weight of the batch in the running statistics' update.
        #[serde(default = "bn_momentum")]
        momentum: f64,
        /// Added to the variance before its square root.
        #[serde(default = "bn_eps")]
        eps: f64,
    },
    /// Max pooling over `k`×`k` windows, `stride` apart (default `k`).
    Maxpool {
        /// Window side.
        k: usize,
        /// Stride (default `k`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
    },
    /// Average pooling, as `maxpool`.
    Avgpool {
        /// Window side.
        k: usize,
        /// Stride (default `k`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
    },
    /// Mean over each channel's plane: `(C, H, W) → (C)`.
    GlobalAvgpool {},
    /// `(C, H, W) → (C·H·W)`.
    Flatten {},
    /// max(0, x).
    Relu {},
    /// tanh x.
    Tanh {},
    /// ln(1 + eˣ).
    Softplus {},
    /// 1 / (1 + e⁻ˣ).
    Sigmoid {},
    /// max(0, tanh x).
    Retanh {},
    /// max(0, x)².
    PowerRelu {},
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn bn_momentum() -> f64 {
    0.1
}

fn bn_eps() -> f64 {
    1e-5
}

impl LayerConfig {
    /// The kind, as configs name it.
    pub fn kind(&self) -> &'static str {
        match self {
            LayerConfig::Conv2d { .. } => "conv2d",
            LayerConfig::Linear { .. } => "linear",
            LayerConfig::Dropout { .. } => "dropout",
            LayerConfig::Batchnorm { .. } => "batchnorm",
            LayerConfig::Maxpool { .. } => "maxpool",
            LayerConfig::Avgpool { .. } => "avgpool",
            LayerConfig::GlobalAvgpool {} => "global-avgpool",
            LayerConfig::Flatten {} => "flatten",
            LayerConfig::Relu {} => "relu",
            LayerConfig::Tanh {} => "tanh",
            LayerConfig::Softplus {} => "softplus",
            LayerConfig::Sigmoid {} => "sigmoid",
            LayerConfig::Retanh {} => "retanh",
            LayerConfig::PowerRelu {} => "power-relu",
        }
    }

    /// The layer's name, for a layer with parameters.
    pub fn name(&self) -> Option<&str> {
        match self {
            LayerConfig::Conv2d { name, .. }
            | LayerConfig::Linear { name, .. }
            | LayerConfig::Batchnorm { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// The activation function of an activation layer.
    pub fn activation(&self) -> Option<neurodyn_nn::Activation> {
        use neurodyn_nn::Activation as A;
        Some(match self {
            LayerConfig::Relu {} => A::Relu,
            LayerConfig::Tanh {} => A::Tanh,
            LayerConfig::Softplus {} => A::Softplus,
            LayerConfig::Sigmoid {} => A::Sigmoid,
            LayerConfig::Retanh {} => A::Retanh,
            LayerConfig::PowerRelu {} => A::PowerRelu,
            _ => return None,
        })
    }

    /// A convolution with stride 1, no dilation and a bias (names are given when resolved).
    pub fn conv(out: usize, kernel: usize, padding: usize) -> LayerConfig {
        LayerConfig::Conv2d {
            name: None,
            out,
            kernel,
            stride: 1,
            padding,
            dilation: 1,
            bias: true,
            weight_norm: false,
        }
    }

    /// A fully connected layer with a bias.
    pub fn linear(out: usize) -> LayerConfig {
        LayerConfig::Linear {
            name: None,
            out,
            bias: true,
            weight_norm: false,
        }
    }
}

/// The default layers of `kind` for `n_classes` classes; shapes follow from the images.
///
/// - `cnn` (seed 000's network): conv 3×3 pad 1 (→6) → ReLU → maxpool 2 → conv 3×3 pad 1
///   (→16) → ReLU → maxpool 2 → flatten → fc 120 → ReLU → fc 84 → ReLU → fc `n_classes`.
/// - `mlp`: flatten → fc 256 → ReLU → fc `n_classes`.
/// - `conv-ctrnn` has no layers (its network is its `stem` and `areas`): empty.
pub fn default_layers(kind: NetKind, n_classes: usize) -> Vec<LayerConfig> {
    let relu = LayerConfig::Relu {};
    let pool = LayerConfig::Maxpool { k: 2, stride: None };
    match kind {
        NetKind::Cnn => vec![
            LayerConfig::conv(6, 3, 1),
            relu.clone(),
            pool.clone(),
            LayerConfig::conv(16, 3, 1),
            relu.clone(),
            pool,
            LayerConfig::Flatten {},
            LayerConfig::linear(120),
            relu.clone(),
            LayerConfig::linear(84),
            relu,
            LayerConfig::linear(n_classes),
        ],
        NetKind::Mlp => vec![
            LayerConfig::Flatten {},
            LayerConfig::linear(256),
            relu,
            LayerConfig::linear(n_classes),
        ],
        NetKind::ConvCtrnn => Vec::new(),
    }
}

/// The optimisation: epochs over the training images, reshuffled each epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisionTrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Learning-rate schedule over all steps.
    pub schedule: Schedule,
    /// Optimizer (Adam by default).
    pub optimizer: OptimizerConfig,
    /// Threads for the forward pass's products.
    pub threads: usize,
    /// Train on this many images spread evenly over the training set, which keeps the classes'
    /// proportions (0 = all): for quick runs and tests.
    pub max_train_images: usize,
    /// Gradient clipping (`{ kind = "norm", max_norm = 1.0 }` or `{ kind = "value", max_value
    /// = 0.5 }`), after the penalties; none when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip: Option<neurodyn_nn::Clip>,
    /// Weight penalties added to the cross-entropy: `{ kind = "l2", param = "fc1.weight",
    /// weight = 1e-4 }` (λ Σ w²) or `kind = "l1"` (λ Σ |w|); `param = "weights"` names every
    /// convolution's and linear layer's weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regularizers: Vec<neurodyn_nn::Regularizer>,
    /// Write `checkpoint.safetensors` every this many steps (absent: at the end of every
    /// epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_every: Option<u64>,
    /// Augmentation of the training images (`[train.augment]`: random affine, elastic,
    /// brightness/contrast, noise; see [`neurodyn_data::augment`]); none when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub augment: Option<neurodyn_data::Augment>,
}

impl Default for VisionTrainConfig {
    fn default() -> Self {
        VisionTrainConfig {
            epochs: 10,
            batch_size: 64,
            lr: 1e-3,
            schedule: Schedule::Constant,
            optimizer: OptimizerConfig::default(),
            threads: 1,
            max_train_images: 0,
            clip: None,
            regularizers: Vec::new(),
            checkpoint_every: None,
            augment: None,
        }
    }
}

/// What is kept after training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VisionEvalConfig {
    /// Held-out images whose every layer output goes into `activations.npz`, spread evenly over
    /// the held-out set (at most all of it; 0 = no `activations.npz`). 500 images of the default
    /// CNN take 41 MB.
    pub n_record: usize,
}

impl Default for VisionEvalConfig {
    fn default() -> Self {
        VisionEvalConfig { n_record: 500 }
    }
}

impl VisionConfig {
    /// Parse TOML, naming the offending key on error.
    pub fn from_toml(text: &str) -> Result<VisionConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Serialise as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# could not serialise config: {e}\n"))
    }
}
