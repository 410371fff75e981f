//! `noise-robustness`: held-out accuracy of a vision run as Gaussian noise is added to the
//! pixels, the question seed 002 (Soo et al. 2024, CordsNet) asks of its recurrent networks.
//!
//! ```text
//! x̃ = x + σ ε,  ε ~ N(0, 1) per pixel, on the normalised image ((pixel/255 − mean) / std)
//! static:   one draw per image, held for every step of a conv-ctrnn (and the one pass of a CNN)
//! dynamic:  a fresh draw at every step (conv-ctrnn only: the network can average it out)
//! ```
//!
//! The network is rebuilt from `config.toml` and `model.safetensors` and run over `--n-images`
//! held-out images spread evenly over the set (all 2,000 embedded digits by default), from its
//! spontaneous state as in training; a prediction is the last step's largest logit. `--compare
//! RUN` scores a second run (a CNN, say) on the same images with the same draws. Noise comes
//! from `--seed`, one stream per σ and protocol, so a rerun gives the same numbers.
//!
//! Writes `analysis/noise_robustness.json` / `.npz` (`sigmas`, `static`, `dynamic`,
//! `compare_static`, `compare_dynamic`; NaN where a protocol does not apply) and
//! `figures/noise_robustness.png|.svg` (accuracy against σ). Not run by `analyze RUN all`: it
//! runs the network 2 × 6 times over the held-out set.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, Section};
use crate::error::{ReportError, Result};
use crate::vision_run::VisionRun;
use clap::Args;
use neurodyn_core::{Npz, Rng};
use neurodyn_nn::layers::{argmax, ConvCtrnnWorkspace, InitState, StackWorkspace};
use neurodyn_plot::{panels_sized, LegendPos, Panel, Series, SeriesStyle};
use neurodyn_train::vision::conv_rnn::Workspaces;
use neurodyn_train::vision::conv_rnn_run::{self, PreparedRnn};
use neurodyn_train::vision::{data::spread, load_vision_run, Prepared};
use std::path::{Path, PathBuf};

/// Images per pass.
const CHUNK: usize = 100;

/// Options of `noise-robustness`.
#[derive(Args, Clone, Debug)]
pub struct NoiseArgs {
    /// Noise standard deviations, in units of the normalised pixels.
    #[arg(long, default_value = "0,0.5,1,1.5,2,3", value_delimiter = ',')]
    pub sigmas: Vec<f64>,
    /// Held-out images, spread evenly over the set (at most all of them).
    #[arg(long, default_value_t = 2000)]
    pub n_images: usize,
    /// Seed of the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A second vision run (e.g. a CNN) scored on the same noisy images.
    #[arg(long)]
    pub compare: Option<PathBuf>,
}

/// Accuracy under pixel noise, static and dynamic, against another run.
pub struct NoiseRobustness;

impl Analysis for NoiseRobustness {
    const NAME: &'static str = "noise-robustness";
    const ABOUT: &'static str =
        "Vision runs: held-out accuracy under Gaussian pixel noise (static, and dynamic for a conv-ctrnn).";
    type Input = VisionRun;
    type Options = NoiseArgs;
    fn defaults(_: &VisionRun) -> Option<NoiseArgs> {
        None
    }
    fn run(acts: &VisionRun, options: &NoiseArgs) -> Result<Outcome> {
        run_noise(acts.model_dir("noise-robustness")?, options).map(Outcome::Done)
    }
}

/// A network rebuilt from its run directory.
enum Model {
    Rnn(Box<PreparedRnn>),
    Ff(Box<Prepared>),
}

impl Model {
    fn load(dir: &Path) -> Result<Model> {
        if !neurodyn_train::vision::is_vision_run(dir) {
            return Err(ReportError::Run(format!(
                "{} is not a vision run (no config.toml of an image task)",
                dir.display()
            )));
        }
        Ok(if conv_rnn_run::is_run(dir) {
            Model::Rnn(Box::new(conv_rnn_run::load_run(dir)?))
        } else {
            Model::Ff(Box::new(load_vision_run(dir)?))
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            Model::Rnn(p) => p.cfg.model.kind.name(),
            Model::Ff(p) => p.cfg.model.kind.name(),
        }
    }

    /// The normalised held-out images at `idx` and their labels.
    fn images(&self, idx: &[usize]) -> (Vec<f32>, Vec<i64>) {
        let (set, norm) = match self {
            Model::Rnn(p) => (&p.data.test, &p.norm),
            Model::Ff(p) => (&p.data.test, &p.norm),
        };
        let mut x = vec![0.0; idx.len() * set.image_len()];
        set.normalize_into(idx, &norm.mean, &norm.std, &mut x);
        let labels = idx.iter().map(|&i| i64::from(set.labels()[i])).collect();
        (x, labels)
    }

    /// Accuracy on `x` with noise of `sigma` from `rng`, static or dynamic (`None` when the
    /// protocol does not apply).
    fn accuracy(
        &self,
        x: &[f32],
        labels: &[i64],
        sigma: f64,
        dynamic: bool,
        rng: &mut Rng,
    ) -> Option<f64> {
        let img = x.len() / labels.len().max(1);
        let mut noisy = Vec::new();
        let mut correct = 0usize;
        let mut add_noise = |out: &mut Vec<f32>, src: &[f32], copies: usize| {
            out.clear();
            for _ in 0..copies {
                out.extend(src.iter().map(|&v| v + (sigma * rng.normal()) as f32));
            }
        };
        match self {
            Model::Ff(p) => {
                if dynamic {
                    return None;
                }
                let net = &p.net.net;
                let mut ws = StackWorkspace::default();
                for (xs, ls) in x.chunks(CHUNK * img).zip(labels.chunks(CHUNK)) {
                    add_noise(&mut noisy, xs, 1);
                    let out = net.forward(&mut ws, &noisy, ls.len(), false, 1);
                    correct += count(out, ls);
                }
            }
            Model::Rnn(p) => {
                let net = &p.net;
                let spont = net.spontaneous(&mut Workspaces::default());
                let mut ws = ConvCtrnnWorkspace::default();
                let steps = net.protocol.steps;
                for (xs, ls) in x.chunks(CHUNK * img).zip(labels.chunks(CHUNK)) {
                    let init = InitState::Shared(&spont);
                    let n = ls.len();
                    if dynamic {
                        add_noise(&mut noisy, xs, steps);
                        net.net
                            .forward_frames(&net.params, &mut ws, &noisy, init, n, steps, 1);
                    } else {
                        add_noise(&mut noisy, xs, 1);
                        net.net
                            .forward(&net.params, &mut ws, &noisy, init, n, steps, 1);
                    }
                    correct += count(ws.logits(0), ls);
                }
            }
        }
        Some(correct as f64 / labels.len().max(1) as f64)
    }
}

fn count(logits: &[f32], labels: &[i64]) -> usize {
    let k = logits.len() / labels.len().max(1);
    logits
        .chunks_exact(k)
        .zip(labels)
        .filter(|(row, &c)| argmax(row) == c as usize)
        .count()
}

/// Accuracy per σ, static and dynamic (NaN where it does not apply).
fn curves(m: &Model, a: &NoiseArgs, idx: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let (x, labels) = m.images(idx);
    let mut st = Vec::new();
    let mut dy = Vec::new();
    for (i, &s) in a.sigmas.iter().enumerate() {
        let mut rng = Rng::with_stream(a.seed, 2 * i as u64);
        st.push(m.accuracy(&x, &labels, s, false, &mut rng).unwrap_or(f64::NAN));
        let mut rng = Rng::with_stream(a.seed, 2 * i as u64 + 1);
        dy.push(m.accuracy(&x, &labels, s, true, &mut rng).unwrap_or(f64::NAN));
    }
    (st, dy)
}

fn run_noise(dir: &Path, a: &NoiseArgs) -> Result<Section> {
    if a.sigmas.is_empty() || a.sigmas.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
        return Err(ReportError::Options(format!(
            "--sigmas: finite values ≥ 0, got {:?}",
            a.sigmas
        )));
    }
    if a.n_images == 0 {
        return Err(ReportError::Options("--n-images must be ≥ 1".into()));
    }
    let model = Model::load(dir)?;
    let n_test = match &model {
        Model::Rnn(p) => p.data.test.len(),
        Model::Ff(p) => p.data.test.len(),
    };
    let idx = spread(n_test, a.n_images);
    let (st, dy) = curves(&model, a, &idx);
    let other = match &a.compare {
        Some(c) => {
            let m = Model::load(c)?;
            let n_other = match &m {
                Model::Rnn(p) => p.data.test.len(),
                Model::Ff(p) => p.data.test.len(),
            };
            if n_other != n_test {
                return Err(ReportError::Options(format!(
                    "--compare {}: {n_other} held-out images, this run has {n_test}",
                    c.display()
                )));
            }
            let (s, d) = curves(&m, a, &idx);
            Some((c.clone(), m.kind(), s, d))
        }
        None => None,
    };
    let nan = vec![f64::NAN; a.sigmas.len()];
    let mut z = Npz::new();
    z.f64("sigmas", &[a.sigmas.len()], a.sigmas.clone())?;
    z.f64("static", &[st.len()], st.clone())?;
    z.f64("dynamic", &[dy.len()], dy.clone())?;
    let (cs, cd) = other
        .as_ref()
        .map_or((nan.clone(), nan.clone()), |o| (o.2.clone(), o.3.clone()));
    z.f64("compare_static", &[cs.len()], cs)?;
    z.f64("compare_dynamic", &[cd.len()], cd)?;
    let finite = |v: &[f64]| -> Vec<Option<f64>> {
        v.iter().map(|x| x.is_finite().then_some(*x)).collect()
    };
    let json = serde_json::json!({
        "model": model.kind(),
        "sigmas": a.sigmas,
        "n_images": idx.len(),
        "seed": a.seed,
        "static": finite(&st),
        "dynamic": finite(&dy),
        "compare": other.as_ref().map(|o| serde_json::json!({
            "run": o.0.display().to_string(),
            "model": o.1,
            "static": finite(&o.2),
            "dynamic": finite(&o.3),
        })),
    });
    let mut files = crate::common::save_in(dir, "noise_robustness", &json, Some(&z))?;
    let s = a.sigmas.clone();
    let mut series = vec![Series::new(format!("{} static", model.kind()), s.clone(), st.clone())
        .color(0)
        .style(SeriesStyle::LineAndPoints)];
    if dy.iter().any(|v| v.is_finite()) {
        series.push(
            Series::new(format!("{} dynamic", model.kind()), s.clone(), dy.clone())
                .color(1)
                .style(SeriesStyle::LineAndPoints),
        );
    }
    if let Some(o) = &other {
        series.push(
            Series::new(format!("{} static (compare)", o.1), s.clone(), o.2.clone())
                .color(2)
                .style(SeriesStyle::LineAndPoints),
        );
        if o.3.iter().any(|v| v.is_finite()) {
            series.push(
                Series::new(format!("{} dynamic (compare)", o.1), s.clone(), o.3.clone())
                    .color(3)
                    .style(SeriesStyle::LineAndPoints),
            );
        }
    }
    let panel = Panel {
        title: format!("pixel noise, {} held-out images", idx.len()),
        x_label: "noise σ (normalised pixel units)".into(),
        y_label: "accuracy".into(),
        series,
        y_range: Some((0.0, 1.0)),
        legend: LegendPos::Right,
        ..Panel::default()
    };
    let stem = crate::common::fig_in(dir, "noise_robustness")?;
    panels_sized(&stem, &[panel], 1, (760, 460))?;
    files.extend(fig_files(&stem));
    let fmt = |v: f64| {
        if v.is_finite() {
            format!("{v:.3}")
        } else {
            "n/a".into()
        }
    };
    let mut numbers = Vec::new();
    for (i, &sg) in a.sigmas.iter().enumerate() {
        let mut line = format!("static {}, dynamic {}", fmt(st[i]), fmt(dy[i]));
        if let Some(o) = &other {
            line.push_str(&format!("; {} static {}", o.1, fmt(o.2[i])));
        }
        numbers.push((format!("σ = {sg}"), line));
    }
    Ok(Section {
        name: "noise_robustness".into(),
        title: "Accuracy under pixel noise".into(),
        note: "Gaussian noise of σ added to the normalised pixels: once per image (static) or \
               afresh at every step (dynamic); prediction from the last step."
            .into(),
        figures: vec![stem.with_extension("svg")],
        numbers,
        files,
        warnings: Vec::new(),
    })
}
