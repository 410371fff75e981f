//! `analyze RUN actmax`: activation maximisation, the images a chosen unit of a trained CNN or
//! MLP likes most, found by gradient ascent on the pixels through the network's own backward
//! pass (seed 000, experiment 4: random images, Adam on the pixels).
//!
//! ```text
//! neurodyn analyze RUN actmax [--layer fc2] [--unit 2 | --channel 3] [--starts 8] [--steps 200]
//!                             [--lr 0.05] [--l2 0] [--tv 0] [--jitter 0] [--init noise|images]
//!                             [--seed 0]
//! ```
//!
//! The network is rebuilt from `config.toml` and `model.safetensors`. A unit is an index into
//! the layer's flattened output (as in `activations.npz`); `--channel` climbs the mean of a
//! convolutional channel over its positions instead. Starts are uniform random pixels in
//! [0, 1] (`--init noise`, from `--seed`) or held-out digits spread over the set (`--init
//! images`); the climb works in the network's normalised input units, clamped to the valid pixel
//! range [0, 1] of each channel. The unit's responses to the held-out images in
//! `activations.npz` put the result in context: an optimised image that drives the unit beyond
//! every real digit is what the method promises.
//!
//! Writes `analysis/actmax.json` (settings, values before and after per start, the held-out
//! maximum) and `.npz` (`before`, `after`, `trace (start, step)`, `start_images` and `images`
//! `(start, C, H, W)` in pixel units [0, 1], `heldout`: the unit on each held-out image);
//! `figures/actmax_images.png|.svg` (the starts above, the optimised images below) and
//! `figures/actmax.png|.svg` (the value at each step; the distribution over held-out images,
//! random starts and optimised images). On a conv-ctrnn run the climbed value is a class's logit
//! at the last step of the protocol it is scored with (from the spontaneous state, the image held
//! for every step; `--layer fc --unit CLASS`, the default class 2); its gradient reaches the
//! pixels through every step of the recurrence.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, outlines, Section};
use crate::error::{ReportError, Result};
use crate::vision_run::VisionRun;
use clap::{Args, ValueEnum};
use neurodyn_analysis::actmax::{self, ActmaxConfig, Probe};
use neurodyn_core::Rng;
use neurodyn_nn::layers::{numel, ConvCtrnnWorkspace, FeedForward, InitState, StackWorkspace};
use neurodyn_plot::{image_grid, panels_sized, LegendPos, Panel, Series, SeriesStyle};
use crate::vision_probe::VisionProbe;
use neurodyn_train::vision::conv_rnn_run::PreparedRnn;
use neurodyn_train::vision::{conv_rnn_run, data::spread, Prepared};

/// Where the climb starts.
#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq)]
pub enum InitArg {
    /// Uniform random pixels in [0, 1].
    #[default]
    Noise,
    /// Held-out images, spread over the set.
    Images,
}

/// Options of `actmax`.
#[derive(Args, Clone, Debug)]
pub struct ActmaxArgs {
    /// Layer whose unit to drive (an `activations.npz` name; default: `fc2`, else the last
    /// hidden layer with parameters).
    #[arg(long)]
    pub layer: Option<String>,
    /// Unit: index into the layer's flattened output (default 2, or 0 in a smaller layer).
    #[arg(long, conflicts_with = "channel")]
    pub unit: Option<usize>,
    /// Convolutional channel whose mean over positions to drive, instead of one unit.
    #[arg(long)]
    pub channel: Option<usize>,
    /// Start images, climbed side by side.
    #[arg(long, default_value_t = 8)]
    pub starts: usize,
    /// Adam steps.
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Adam step size, in normalised input units.
    #[arg(long, default_value_t = 0.05)]
    pub lr: f64,
    /// Weight of the mean squared (normalised) pixel.
    #[arg(long, default_value_t = 0.0)]
    pub l2: f64,
    /// Weight of the mean squared difference between neighbouring pixels.
    #[arg(long, default_value_t = 0.0)]
    pub tv: f64,
    /// Largest random shift, in pixels, at each step (0: none).
    #[arg(long, default_value_t = 0)]
    pub jitter: usize,
    /// Start from random pixels or from held-out images.
    #[arg(long, value_enum, default_value_t = InitArg::Noise)]
    pub init: InitArg,
    /// Seed of the random starts and of the jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// What is climbed: a unit, or the mean of a channel over `hw` positions.
#[derive(Clone, Copy, Debug)]
enum Pick {
    Unit(usize),
    Channel { c: usize, hw: usize },
}

impl Pick {
    /// The value on one sample's layer output.
    fn value(self, out: &[f32]) -> f64 {
        match self {
            Pick::Unit(u) => f64::from(out[u]),
            Pick::Channel { c, hw } => {
                out[c * hw..(c + 1) * hw].iter().map(|&v| f64::from(v)).sum::<f64>() / hw as f64
            }
        }
    }

    /// `∂value/∂out` into one sample's slice of `d` (zero elsewhere).
    fn seed_grad(self, d: &mut [f32]) {
        match self {
            Pick::Unit(u) => d[u] = 1.0,
            Pick::Channel { c, hw } => d[c * hw..(c + 1) * hw].fill(1.0 / hw as f32),
        }
    }
}

/// One unit of a feed-forward network, read after layer `top`.
struct LayerProbe<'a> {
    net: &'a FeedForward<f32>,
    ws: StackWorkspace<f32>,
    top: usize,
    pick: Pick,
    d_top: Vec<f32>,
    grads: Vec<f32>,
}

impl Probe for LayerProbe<'_> {
    fn input_len(&self) -> usize {
        numel(self.net.in_shape())
    }

    fn value_grad(&mut self, x: &[f32], batch: usize, values: &mut [f64], grad: &mut [f32]) {
        self.net.forward(&mut self.ws, x, batch, false, 1);
        let out = &self.ws.acts[self.top + 1];
        let len = out.len() / batch;
        self.d_top.clear();
        self.d_top.resize(out.len(), 0.0);
        for ((o, d), v) in out
            .chunks_exact(len)
            .zip(self.d_top.chunks_exact_mut(len))
            .zip(values.iter_mut())
        {
            *v = self.pick.value(o);
            self.pick.seed_grad(d);
        }
        self.grads.resize(self.net.params.len(), 0.0);
        self.net
            .backward_from(&mut self.ws, self.top, &self.d_top, &mut self.grads, Some(grad));
    }
}

/// One logit of a conv-ctrnn at the last step with the image, from the spontaneous state (the
/// protocol the run is scored with); the gradient reaches the image through every step.
struct ReadoutProbe<'a> {
    run: &'a PreparedRnn,
    spont: &'a [f32],
    class: usize,
    ws: ConvCtrnnWorkspace<f32>,
    d_logits: Vec<f32>,
    grads: Vec<f32>,
}

impl Probe for ReadoutProbe<'_> {
    fn input_len(&self) -> usize {
        numel(self.run.net.net.in_shape())
    }

    fn value_grad(&mut self, x: &[f32], batch: usize, values: &mut [f64], grad: &mut [f32]) {
        let net = &self.run.net;
        let k = net.net.n_classes();
        let steps = net.protocol.steps;
        net.net.forward(
            &net.params,
            &mut self.ws,
            x,
            InitState::Shared(self.spont),
            batch,
            steps,
            1,
        );
        self.d_logits.clear();
        self.d_logits.resize(batch * k, 0.0);
        for (b, v) in values.iter_mut().enumerate() {
            *v = f64::from(self.ws.logits(0)[b * k + self.class]);
            self.d_logits[b * k + self.class] = 1.0;
        }
        self.grads.resize(net.params.len(), 0.0);
        net.net.backward(
            &net.params,
            &mut self.ws,
            &self.d_logits,
            &mut self.grads,
            Some(grad),
            None,
        );
    }
}

/// `fc2` when the run has it, else the last layer with parameters before the output.
fn default_layer(acts: &VisionRun) -> Option<String> {
    let layers = acts.parameterised();
    if layers.contains(&"fc2") {
        return Some("fc2".into());
    }
    let n = layers.len();
    layers.get(n.saturating_sub(2)).map(|s| s.to_string())
}

/// The index of `layer` in the network and what to climb there.
fn target(probe: &VisionProbe, p: &Prepared, layer: &str, a: &ActmaxArgs) -> Result<(usize, Pick, String)> {
    let (top, _) = probe.layer(layer)?;
    let shape = p.net.net.layers[top].out_shape();
    let len = numel(shape);
    if let Some(c) = a.channel {
        let [ch, h, w] = shape;
        if h * w == 1 {
            return Err(ReportError::Options(format!(
                "--channel: layer '{layer}' is not convolutional (shape {shape:?}); use --unit"
            )));
        }
        if c >= ch {
            return Err(ReportError::Options(format!(
                "--channel {c}: layer '{layer}' has {ch} channels (0..{})",
                ch - 1
            )));
        }
        return Ok((top, Pick::Channel { c, hw: h * w }, format!("channel {c}")));
    }
    let u = a.unit.unwrap_or(if len > 2 { 2 } else { 0 });
    if u >= len {
        return Err(ReportError::Options(format!(
            "--unit {u}: layer '{layer}' has {len} units (0..{})",
            len - 1
        )));
    }
    Ok((top, Pick::Unit(u), format!("unit {u}")))
}

/// The class whose last-step logit a conv-ctrnn climbs: only the readout (`fc`) is offered.
fn readout_target(
    probe: &VisionProbe,
    run: &PreparedRnn,
    layer: &str,
    a: &ActmaxArgs,
) -> Result<(usize, String)> {
    probe.layer(layer)?;
    if layer != "fc" || a.channel.is_some() {
        return Err(ReportError::Options(format!(
            "a conv-ctrnn is climbed at its readout only: --layer fc --unit CLASS (the last \
             step's logit; got --layer {layer}{})",
            if a.channel.is_some() { " --channel" } else { "" }
        )));
    }
    let k = run.net.net.n_classes();
    let u = a.unit.unwrap_or(if k > 2 { 2 } else { 0 });
    if u >= k {
        return Err(ReportError::Options(format!(
            "--unit {u}: the readout has {k} classes (0..{})",
            k - 1
        )));
    }
    Ok((u, format!("unit {u}")))
}

/// Values of the unit over the held-out images of `activations.npz`.
fn heldout(acts: &VisionRun, layer: &str, pick: Pick) -> Result<Vec<f64>> {
    let (data, p) = acts.matrix(layer)?;
    Ok(data
        .chunks_exact(p)
        .map(|row| {
            let r: Vec<f32> = row.iter().map(|&v| v as f32).collect();
            pick.value(&r)
        })
        .collect())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Run `actmax` on the vision run `acts`.
pub fn run_actmax(acts: &VisionRun, a: &ActmaxArgs) -> Result<Section> {
    let dir = acts.model_dir("actmax")?;
    if a.starts == 0 || a.starts > 1024 {
        return Err(ReportError::Options(format!("--starts: 1..=1024, got {}", a.starts)));
    }
    let probe = VisionProbe::load(dir)?;
    let layer = match (&a.layer, probe.conv_rnn()) {
        (Some(l), _) => l.clone(),
        (None, Some(_)) => "fc".to_string(),
        (None, None) => default_layer(acts).ok_or_else(|| {
            ReportError::Options(format!(
                "{} has no hidden layer with parameters; name one with --layer",
                acts.dir.display()
            ))
        })?,
    };
    let norm = probe.norm();
    let test = probe.test_set();
    let (shape, pick, what, mut climbed): (_, _, _, Box<dyn Probe + '_>) =
        match (probe.feed_forward(), probe.conv_rnn()) {
            (Some(p), _) => {
                let (top, pick, what) = target(&probe, p, &layer, a)?;
                let lp = LayerProbe {
                    net: &p.net.net,
                    ws: StackWorkspace::default(),
                    top,
                    pick,
                    d_top: Vec::new(),
                    grads: Vec::new(),
                };
                (p.net.net.in_shape(), pick, what, Box::new(lp))
            }
            (None, Some((run, spont))) => {
                let (class, what) = readout_target(&probe, run, &layer, a)?;
                let rp = ReadoutProbe {
                    run,
                    spont,
                    class,
                    ws: ConvCtrnnWorkspace::default(),
                    d_logits: Vec::new(),
                    grads: Vec::new(),
                };
                (run.net.net.in_shape(), Pick::Unit(class), what, Box::new(rp))
            }
            (None, None) => unreachable!("a vision run is a layer stack or a conv-ctrnn"),
        };
    let [c, h, w] = shape;
    let len = c * h * w;
    let (mean_c, std_c): (Vec<f64>, Vec<f64>) = (0..c)
        .map(|k| {
            let m = f64::from(norm.mean[k.min(norm.mean.len() - 1)]);
            let s = f64::from(norm.std[k.min(norm.std.len() - 1)]);
            (m, s)
        })
        .unzip();
    let to_pixels = |x: &[f32]| -> Vec<f64> {
        x.iter()
            .enumerate()
            .map(|(i, &v)| {
                let k = (i / (h * w)) % c;
                // Clamped in the normalised units; only rounding can leave [0, 1].
                (f64::from(v) * std_c[k] + mean_c[k]).clamp(0.0, 1.0)
            })
            .collect()
    };
    let mut init = vec![0.0f32; a.starts * len];
    match a.init {
        InitArg::Noise => {
            let mut rng = Rng::with_stream(a.seed, 1);
            for (i, v) in init.iter_mut().enumerate() {
                let k = (i / (h * w)) % c;
                *v = ((rng.uniform() - mean_c[k]) / std_c[k]) as f32;
            }
        }
        InitArg::Images => {
            let idx = spread(test.len(), a.starts);
            if idx.len() < a.starts {
                return Err(ReportError::Options(format!(
                    "--starts {}: the held-out set has only {} images",
                    a.starts,
                    idx.len()
                )));
            }
            test.normalize_into(&idx, &norm.mean, &norm.std, &mut init);
        }
    }
    let cfg = ActmaxConfig {
        shape,
        steps: a.steps,
        lr: a.lr,
        l2: a.l2,
        tv: a.tv,
        jitter: a.jitter,
        lower: (0..c).map(|k| -mean_c[k] / std_c[k]).collect(),
        upper: (0..c).map(|k| (1.0 - mean_c[k]) / std_c[k]).collect(),
        seed: a.seed,
    };
    let mut res = actmax::maximize(climbed.as_mut(), &cfg, &init)?;
    // From here on, images in pixel units.
    for imgs in [&mut res.start_images, &mut res.images] {
        *imgs = to_pixels(imgs).iter().map(|&v| v as f32).collect();
    }
    let real = heldout(acts, &layer, pick)?;
    let real_max = real.iter().copied().fold(f64::NEG_INFINITY, f64::max);

    let mut z = res.to_npz(shape)?;
    z.f64("heldout", &[real.len()], real.clone())?;
    let beats = res.after.iter().filter(|&&v| v > real_max).count();
    let json = serde_json::json!({
        "layer": layer,
        "target": what,
        "settings": {
            "starts": a.starts, "steps": a.steps, "lr": a.lr, "l2": a.l2, "tv": a.tv,
            "jitter": a.jitter, "init": format!("{:?}", a.init).to_lowercase(), "seed": a.seed,
        },
        "before": &res.before,
        "after": &res.after,
        "mean_before": mean(&res.before),
        "mean_after": mean(&res.after),
        "heldout_images": real.len(),
        "heldout_mean": mean(&real),
        "heldout_max": real_max,
        "starts_above_heldout_max": beats,
    });
    let mut files = acts.save("actmax", &json, &z)?;

    // The images: starts above, optimised below.
    let per_row = a.starts.min(8);
    let shown = per_row;
    let mut images = Vec::new();
    for src in [&res.start_images, &res.images] {
        // Channel 0 of each image (greyscale data has one).
        images.extend(
            src[..shown * len]
                .chunks_exact(len)
                .map(|img| img[..h * w].iter().map(|&v| f64::from(v)).collect()),
        );
    }
    let stem_img = acts.fig("actmax_images")?;
    image_grid(
        &stem_img,
        &format!(
            "{layer} {what}: start images (top), after {} Adam steps (bottom)",
            a.steps
        ),
        &images,
        (h, w),
        per_row,
        Some((0.0, 1.0)),
    )?;
    files.extend(fig_files(&stem_img));

    // The climb and the distributions.
    let steps: Vec<f64> = (1..=a.steps).map(|s| s as f64).collect();
    let mut climb: Vec<Series> = res
        .trace
        .chunks_exact(a.steps)
        .enumerate()
        .map(|(i, t)| {
            Series::new(if i == 0 { "starts" } else { "" }, steps.clone(), t.to_vec()).color(0)
        })
        .collect();
    climb.push(
        Series::new(
            "held-out maximum",
            vec![1.0, a.steps as f64],
            vec![real_max, real_max],
        )
        .color(7)
        .style(SeriesStyle::Dashed),
    );
    let mut h = outlines(&[&real, &res.before, &res.after], 30, true).into_iter();
    let ((xr, yr), (xb, yb), (xa, ya)) = (
        h.next().expect("held-out"),
        h.next().expect("starts"),
        h.next().expect("optimised"),
    );
    let panels = [
        Panel {
            title: format!("{layer} {what} during the climb"),
            x_label: "Adam step".into(),
            y_label: format!("{layer} {what}"),
            series: climb,
            legend: LegendPos::Right,
            ..Panel::default()
        },
        Panel {
            title: "before and after".into(),
            x_label: format!("{layer} {what}"),
            y_label: "fraction of images".into(),
            series: vec![
                Series::new(format!("held-out (n = {})", real.len()), xr, yr).color(7),
                Series::new(format!("random starts (n = {})", a.starts), xb, yb).color(0),
                Series::new(format!("optimised (n = {})", a.starts), xa, ya).color(1),
            ],
            legend: LegendPos::Right,
            ..Panel::default()
        },
    ];
    let stem = acts.fig("actmax")?;
    panels_sized(&stem, &panels, 2, (760, 460))?;
    files.extend(fig_files(&stem));

    let mut warnings = Vec::new();
    if res.after.iter().zip(&res.before).all(|(a, b)| a <= b) {
        warnings.push(format!(
            "no start raised {layer} {what}: the unit may be silent (zero gradient) at every \
             start; try another unit, --init images or a pre-activation layer"
        ));
    }
    Ok(Section {
        name: "actmax".into(),
        title: format!("Activation maximisation, {layer} {what}"),
        note: format!(
            "Adam on the pixels ({} steps, lr {}, clamped to [0, 1]) from {} {} starts; L2 {}, \
             smoothness {}, jitter {} px",
            a.steps,
            a.lr,
            a.starts,
            if a.init == InitArg::Noise { "random" } else { "held-out image" },
            a.l2,
            a.tv,
            a.jitter
        ),
        figures: vec![stem_img.with_extension("svg"), stem.with_extension("svg")],
        numbers: vec![
            ("mean value, starts".into(), fmt3(mean(&res.before))),
            ("mean value, optimised".into(), fmt3(mean(&res.after))),
            (
                format!("largest over {} held-out images", real.len()),
                fmt3(real_max),
            ),
            (
                "optimised images above every held-out image".into(),
                format!("{beats} of {}", a.starts),
            ),
        ],
        files,
        warnings,
    })
}

/// `analyze RUN actmax`.
pub struct Actmax;

impl Analysis for Actmax {
    const NAME: &'static str = "actmax";
    const ABOUT: &'static str =
        "Vision runs: images that maximise a unit (a conv-ctrnn's: a class logit), by Adam on the pixels.";
    type Input = VisionRun;
    type Options = ActmaxArgs;
    /// Unit 2 of `fc2` (or the last hidden layer; a conv-ctrnn's readout, class 2), 8 random
    /// starts, 200 steps.
    fn defaults(acts: &VisionRun) -> Option<ActmaxArgs> {
        if acts.responses.is_some() {
            return None;
        }
        let layer = if conv_rnn_run::is_run(&acts.dir) {
            "fc".to_string()
        } else {
            default_layer(acts)?
        };
        Some(ActmaxArgs {
            layer: Some(layer),
            unit: None,
            channel: None,
            starts: 8,
            steps: 200,
            lr: 0.05,
            l2: 0.0,
            tv: 0.0,
            jitter: 0,
            init: InitArg::Noise,
            seed: 0,
        })
    }
    fn run(acts: &VisionRun, options: &ActmaxArgs) -> Result<Outcome> {
        run_actmax(acts, options).map(Outcome::Done)
    }
}
