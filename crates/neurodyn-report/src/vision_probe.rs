//! A vision run's trained network rebuilt from its directory (`config.toml`,
//! `model.safetensors`) to be shown new images: the layer outputs that `activations.npz` holds,
//! for any stimulus.
//!
//! Layers are named and flattened as in `activations.npz`: a CNN's or MLP's every layer output
//! (`conv1`, `1_relu`, …, `fc3`; `(C, H, W)` flattened row-major); a conv-ctrnn's `stem`, each
//! area's state at the last step (`area0`, …) and the last step's logits (`fc`), the network
//! starting from its spontaneous state as in training. Images are pixel values (0…255 as f32,
//! `(C, H, W)`), normalised here as the data crate normalises bytes, `(p/255 − mean[c]) /
//! std[c]` in f32, so an unchanged image gives exactly its `activations.npz` row.
//! [`VisionProbe::respond`] shows it held-out images under a transform
//! ([`neurodyn_analysis::image_transform`]), as the tuning analysis does.

use crate::error::{ReportError, Result};
use neurodyn_analysis::image_transform::Transform;
use neurodyn_data::ImageSet;
use neurodyn_nn::layers::{numel, ConvCtrnnWorkspace, InitState, StackWorkspace};
use neurodyn_train::vision::conv_rnn::Workspaces;
use neurodyn_train::vision::conv_rnn_run::{self, PreparedRnn};
use neurodyn_train::vision::{load_vision_run, Normalize, Prepared};
use std::path::Path;

/// Images per pass of [`VisionProbe::respond`].
pub const CHUNK: usize = 100;

/// The network's responses to transformed images ([`VisionProbe::respond`]).
pub struct Responses {
    /// `(value, image, unit)`.
    pub responses: Vec<f64>,
    /// Every unit of the layer, mean over images: `(value, size)`.
    pub layer_mean: Vec<f64>,
    /// The first image under each value, pixels `(value, C, H, W)`.
    pub example: Vec<f32>,
}

/// The network of a vision run, ready to run on new images.
pub struct VisionProbe {
    model: Model,
    /// Layer names and flattened sizes, in network order.
    layers: Vec<(String, usize)>,
}

enum Model {
    Ff(Box<Prepared>),
    Rnn {
        run: Box<PreparedRnn>,
        /// The spontaneous state every pass starts from.
        spont: Vec<f32>,
    },
}

/// Buffers reused from one pass to the next.
#[derive(Default)]
pub struct ProbeWorkspace {
    ff: StackWorkspace<f32>,
    rnn: ConvCtrnnWorkspace<f32>,
}

impl VisionProbe {
    /// Load the network of the vision run in `dir`.
    pub fn load(dir: &Path) -> Result<VisionProbe> {
        if !neurodyn_train::vision::is_vision_run(dir) {
            return Err(ReportError::Run(format!(
                "{} is not a vision run (no config.toml of an image task)",
                dir.display()
            )));
        }
        if conv_rnn_run::is_run(dir) {
            let run = Box::new(conv_rnn_run::load_run(dir)?);
            let spont = run.net.spontaneous(&mut Workspaces::default());
            let mut layers = vec![("stem".to_string(), numel(run.net.net.stem_shape()))];
            for (l, s) in run.net.net.area_shapes().into_iter().enumerate() {
                layers.push((format!("area{l}"), numel(s)));
            }
            layers.push(("fc".to_string(), run.net.net.n_classes()));
            Ok(VisionProbe {
                model: Model::Rnn { run, spont },
                layers,
            })
        } else {
            let p = Box::new(load_vision_run(dir)?);
            let layers = p
                .net
                .output_names
                .iter()
                .zip(&p.net.net.layers)
                .map(|(n, l)| (n.clone(), numel(l.out_shape())))
                .collect();
            Ok(VisionProbe {
                model: Model::Ff(p),
                layers,
            })
        }
    }

    /// The layer stack of a CNN or MLP (`None` for a conv-ctrnn), for analyses that run it
    /// themselves (backward passes included).
    pub fn feed_forward(&self) -> Option<&Prepared> {
        match &self.model {
            Model::Ff(p) => Some(p),
            Model::Rnn { .. } => None,
        }
    }

    /// The conv-ctrnn run and the spontaneous state its passes start from (`None` for a CNN or
    /// MLP), for analyses that run it themselves (backward passes included).
    pub fn conv_rnn(&self) -> Option<(&PreparedRnn, &[f32])> {
        match &self.model {
            Model::Ff(_) => None,
            Model::Rnn { run, spont } => Some((run, spont)),
        }
    }

    /// `cnn`, `mlp` or `conv-ctrnn`.
    pub fn kind(&self) -> &'static str {
        match &self.model {
            Model::Ff(p) => p.cfg.model.kind.name(),
            Model::Rnn { run, .. } => run.cfg.model.kind.name(),
        }
    }

    /// The held-out images.
    pub fn test_set(&self) -> &ImageSet {
        match &self.model {
            Model::Ff(p) => &p.data.test,
            Model::Rnn { run, .. } => &run.data.test,
        }
    }

    /// The input normalisation.
    pub fn norm(&self) -> &Normalize {
        match &self.model {
            Model::Ff(p) => &p.norm,
            Model::Rnn { run, .. } => &run.norm,
        }
    }

    /// Threads of a pass: the run's `[train] threads` (a CNN's or MLP's; a conv-ctrnn's pass
    /// uses one).
    pub fn threads(&self) -> usize {
        match &self.model {
            Model::Ff(p) => p.cfg.train.threads.max(1),
            Model::Rnn { .. } => 1,
        }
    }

    /// Layer names and flattened sizes, in network order.
    pub fn layers(&self) -> &[(String, usize)] {
        &self.layers
    }

    /// The position of layer `name` and its size; an error lists the layers.
    pub fn layer(&self, name: &str) -> Result<(usize, usize)> {
        self.layers
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| (i, self.layers[i].1))
            .ok_or_else(|| {
                ReportError::Options(format!(
                    "the network has no layer '{name}' (layers: {})",
                    self.layers
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// Normalise pixel values `pixels` (images `(C, H, W)`, 0…255) into `out` (same length).
    pub fn normalize(&self, pixels: &[f32], out: &mut [f32]) {
        let Normalize { mean, std } = self.norm();
        self.test_set().normalize_pixels(pixels, mean, std, out);
    }

    /// Run the network on the `n` normalised images `x` and return layer `layer`'s output,
    /// `(n, size)` row-major.
    pub fn layer_output<'w>(
        &self,
        ws: &'w mut ProbeWorkspace,
        x: &[f32],
        n: usize,
        layer: usize,
    ) -> &'w [f32] {
        match &self.model {
            Model::Ff(p) => {
                p.net.net.forward(&mut ws.ff, x, n, false, self.threads());
                &ws.ff.acts[layer + 1]
            }
            Model::Rnn { run, spont } => {
                let net = &run.net;
                let steps = net.protocol.steps;
                net.net.forward(
                    &net.params,
                    &mut ws.rnn,
                    x,
                    InitState::Shared(spont),
                    n,
                    steps,
                    1,
                );
                let areas = self.layers.len() - 2;
                if layer == 0 {
                    ws.rnn.stem()
                } else if layer <= areas {
                    let t = ws.rnn.n_steps();
                    ws.rnn.state(layer - 1, t)
                } else {
                    ws.rnn.logits(0)
                }
            }
        }
    }

    /// Show the network the held-out images at `idx` under each of `values` of `t`, [`CHUNK`]
    /// images a pass, and keep units `units` of layer `layer` (of `size` units).
    pub fn respond(
        &self,
        idx: &[usize],
        t: Transform,
        values: &[f64],
        (layer, size): (usize, usize),
        units: &[usize],
    ) -> Responses {
        let set = self.test_set();
        let shape = [set.channels(), set.height(), set.width()];
        let len = set.image_len();
        let pixels: Vec<f32> = idx
            .iter()
            .flat_map(|&i| set.image(i).iter().map(|&p| f32::from(p)))
            .collect();
        let (n, nu) = (idx.len(), units.len());
        let mut responses = vec![0.0; values.len() * n * nu];
        let mut layer_mean = vec![0.0; values.len() * size];
        let mut example = vec![0.0f32; values.len() * len];
        let mut ws = ProbeWorkspace::default();
        let (mut stim, mut x) = (Vec::new(), Vec::new());
        for (v, &value) in values.iter().enumerate() {
            for (c, chunk) in pixels.chunks(CHUNK * len).enumerate() {
                let m = chunk.len() / len;
                stim.resize(chunk.len(), 0.0f32);
                x.resize(chunk.len(), 0.0f32);
                for (s, d) in chunk.chunks_exact(len).zip(stim.chunks_exact_mut(len)) {
                    t.apply(value, s, shape, 255.0, d);
                }
                if c == 0 {
                    example[v * len..(v + 1) * len].copy_from_slice(&stim[..len]);
                }
                self.normalize(&stim, &mut x);
                let out = self.layer_output(&mut ws, &x, m, layer);
                for (j, row) in out.chunks_exact(size).enumerate() {
                    let i = c * CHUNK + j;
                    for (k, &u) in units.iter().enumerate() {
                        responses[(v * n + i) * nu + k] = f64::from(row[u]);
                    }
                    for (acc, &r) in layer_mean[v * size..(v + 1) * size].iter_mut().zip(row) {
                        *acc += f64::from(r);
                    }
                }
            }
        }
        for s in &mut layer_mean {
            *s /= n as f64;
        }
        Responses {
            responses,
            layer_mean,
            example,
        }
    }
}
