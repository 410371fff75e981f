//! `analyze RUN tuning`: tuning curves of units of a vision run to transformed images — the
//! seed's "the tuning curve of neuron 2 in layer 3 … activation as a function of the rotation
//! angle".
//!
//! ```text
//! neurodyn analyze RUN tuning [--layer 8_relu] [--units 2,5] [--transform rotation|translation|scale|contrast]
//!                             [--values 0,15,30] [--n-images 500] [--seed 0]
//! ```
//!
//! The network is rebuilt from the run ([`crate::vision_probe`]) and shown `--n-images` held-out
//! images (a seeded sample, the same for every value) under each transform value, in pixel
//! space before the normalisation ([`neurodyn_analysis::image_transform`]: bilinear, black
//! outside; rotation 0…345° in 15° steps, shift along x −6…6 px, zoom 0.6…1.4, contrast 0…2 by
//! default), 100 images a pass on the run's `[train] threads` ([`VisionProbe::respond`]).
//! Units index the flattened layer as in `activations.npz` (`(C, H, W)` row-major for a
//! convolutional layer; a conv-ctrnn's areas at the last step). The default layer is the encoding analysis' (the ReLU after `fc1`,
//! "layer 3" of the default CNN) and the default unit 2, as in the seed.
//!
//! `analyze RUN all` runs it with the defaults (on 100 images for a conv-ctrnn, whose passes
//! run 35 steps: 500 images took 23 s there, 1 s for the default CNN).
//!
//! Per unit: the mean response ± s.e.m. at each value, overall and per class, the preferred
//! value, the selectivity index (max − min)/(max + min) of the mean curve and, for rotation,
//! the circular variance and its complement ([`neurodyn_analysis::tuning`]).
//!
//! Writes `analysis/tuning.json` (the options, the images' positions in the held-out set and
//! [`TuningResult`]), `analysis/tuning.npz` (`values`, `units`, `mean`, `sem`, `classes`,
//! `class_n`, `class_mean`, `class_sem`, `preferred_value`, `selectivity_index`,
//! `circular_variance`, and `responses` (value, image, unit), `labels`, `index` (positions in
//! the held-out set), `layer_mean` (value, every unit of the layer), `example` (value, C, H, W:
//! the first image under each value, pixels)), `figures/tuning.png|.svg` (one panel per unit:
//! the mean with s.e.m. bars over thin per-class curves) and `figures/tuning_stimuli.png|.svg`
//! (the example image under each value).

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, Section};
use crate::error::{ReportError, Result};
use crate::vision_probe::VisionProbe;
use crate::vision_run::VisionRun;
use clap::{Args, ValueEnum};
use neurodyn_analysis::image_transform::Transform;
use neurodyn_analysis::tuning::{self, TuningConfig, TuningData, TuningResult, UnitTuning};
use neurodyn_core::Rng;
use neurodyn_plot::{
    panels_sized, ColorMap, LegendPos, Panel, Raster, Series, SeriesStyle, INK_INDEX,
};

/// The transform on the command line.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransformArg {
    /// Rotation about the centre, degrees counter-clockwise.
    #[default]
    Rotation,
    /// Shift along x, pixels to the right.
    Translation,
    /// Zoom about the centre (1 = unchanged).
    Scale,
    /// Contrast about the image mean (0 = uniform grey, 1 = unchanged).
    Contrast,
}

impl TransformArg {
    /// The library's transform.
    pub fn transform(self) -> Transform {
        match self {
            TransformArg::Rotation => Transform::Rotation,
            TransformArg::Translation => Transform::Translation,
            TransformArg::Scale => Transform::Scale,
            TransformArg::Contrast => Transform::Contrast,
        }
    }
}

/// Options of `analyze RUN tuning`.
#[derive(Args, Debug, Clone)]
pub struct TuningArgs {
    /// The layer (default: the ReLU after `fc1`, `8_relu` in the default CNN; a conv-ctrnn's
    /// last area).
    #[arg(long)]
    pub layer: Option<String>,
    /// Units: indices into the flattened layer, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2")]
    pub units: Vec<usize>,
    /// The transform swept.
    #[arg(long, value_enum, default_value_t = TransformArg::Rotation)]
    pub transform: TransformArg,
    /// Its values, comma-separated (default: rotation 0,15,…,345; translation -6,-4,…,6;
    /// scale 0.6,0.7,…,1.4; contrast 0,0.25,…,2).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub values: Vec<f64>,
    /// Held-out images, a seeded sample (at most all of them).
    #[arg(long, default_value_t = 500)]
    pub n_images: usize,
    /// Seed of the sample of images.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Default for TuningArgs {
    fn default() -> Self {
        TuningArgs {
            layer: None,
            units: vec![2],
            transform: TransformArg::Rotation,
            values: Vec::new(),
            n_images: 500,
            seed: 0,
        }
    }
}

/// A seeded sample of `n` of `len` positions, ascending (all of them when `n ≥ len`).
fn sample(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..len).collect();
    if n < len {
        Rng::new(seed).shuffle(&mut idx);
        idx.truncate(n);
        idx.sort_unstable();
    }
    idx
}

/// Check the values for the transform.
fn check_values(t: Transform, values: &[f64]) -> Result<()> {
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(ReportError::Options(format!("--values: {v} is not a finite number")));
    }
    if t == Transform::Scale {
        if let Some(v) = values.iter().find(|&&v| v <= 0.0) {
            return Err(ReportError::Options(format!(
                "--values: a zoom factor must be > 0, got {v}"
            )));
        }
    }
    Ok(())
}

/// Run `analyze RUN tuning`.
pub fn run_tuning(acts: &VisionRun, a: &TuningArgs) -> Result<Section> {
    let t = a.transform.transform();
    let values = if a.values.is_empty() {
        t.default_values()
    } else {
        a.values.clone()
    };
    check_values(t, &values)?;
    if a.n_images == 0 {
        return Err(ReportError::Options("--n-images must be ≥ 1".into()));
    }
    if a.units.is_empty() {
        return Err(ReportError::Options("--units names no unit".into()));
    }
    let probe = VisionProbe::load(acts.model_dir("tuning")?)?;
    let layer = match &a.layer {
        Some(l) => l.clone(),
        None => super::encoding::rate_layer(acts).ok_or_else(|| {
            ReportError::Options(format!(
                "{} has no layer with parameters; name one with --layer",
                acts.dir.display()
            ))
        })?,
    };
    let (li, size) = probe.layer(&layer)?;
    if let Some(u) = a.units.iter().find(|&&u| u >= size) {
        return Err(ReportError::Options(format!(
            "--units: unit {u} is not in layer '{layer}', which has {size} units (0..{})",
            size - 1
        )));
    }
    let set = probe.test_set();
    let idx = sample(set.len(), a.n_images, a.seed);
    let labels: Vec<i64> = idx.iter().map(|&i| i64::from(set.labels()[i])).collect();
    let r = probe.respond(&idx, t, &values, (li, size), &a.units);
    let data = TuningData {
        values: &values,
        responses: &r.responses,
        n_images: idx.len(),
        units: &a.units,
        labels: &labels,
    };
    let res = tuning::run(&data, &TuningConfig { transform: t })?;
    let json = serde_json::json!({
        "layer": layer,
        "model": probe.kind(),
        "transform": t.name(),
        "value_unit": t.unit(),
        "n_images": idx.len(),
        "seed": a.seed,
        "index": idx,
        "class_names": res.classes.iter().map(|&c| acts.class_name(c)).collect::<Vec<_>>(),
        "conventions": {
            "sem": "sd over images (ddof 1) / sqrt(n)",
            "preferred_value": "the value of the largest mean response (the first on ties)",
            "selectivity_index": "(max - min) / (max + min) of the mean curve",
            "circular_variance": "rotation: 1 - |sum r e^(i theta)| / sum r over the mean curve \
                                  (0 = one angle only, 1 = flat); rotation_selectivity = 1 - it",
            "rotation": "counter-clockwise as displayed, about ((H-1)/2, (W-1)/2), bilinear, 0 outside",
        },
        "result": &res,
    });
    let mut z = res.to_npz()?;
    let (nv, n, nu) = (values.len(), idx.len(), a.units.len());
    z.f64("responses", &[nv, n, nu], r.responses)?;
    z.i64("labels", &[n], labels)?;
    z.i64("index", &[n], idx.iter().map(|&i| i as i64).collect())?;
    z.f64("layer_mean", &[nv, size], r.layer_mean)?;
    let [c, h, w] = [set.channels(), set.height(), set.width()];
    z.f32("example", &[nv, c, h, w], r.example.clone())?;
    let mut files = acts.save("tuning", &json, &z)?;

    let panels: Vec<Panel> = res
        .units
        .iter()
        .map(|u| unit_panel(acts, &res, u, &layer, t))
        .collect();
    let stem = acts.fig("tuning")?;
    let cols = if panels.len() > 1 { 2 } else { 1 };
    panels_sized(&stem, &panels, cols, (820, 500))?;
    files.extend(fig_files(&stem));
    let strip = acts.fig("tuning_stimuli")?;
    let (strips, height) = stimulus_panels(&r.example, [c, h, w], &values, t);
    panels_sized(&strip, &strips, 1, (1100, height as u32))?;
    files.extend(fig_files(&strip));

    let mut numbers = Vec::new();
    for u in &res.units {
        let mut line = format!(
            "preferred {} (mean {} … {}), selectivity index {}",
            value_text(t, u.preferred_value),
            fmt3(u.min),
            fmt3(u.max),
            u.selectivity_index.map_or("undefined".into(), fmt3)
        );
        if let Some(cv) = &u.circular {
            line.push_str(&format!(
                ", circular variance {} (vector angle {}°)",
                fmt3(cv.circular_variance),
                fmt3(cv.vector_angle)
            ));
        }
        numbers.push((format!("{layer} unit {}", u.unit), line));
    }
    Ok(Section {
        name: "tuning".into(),
        title: format!("Tuning to {} ({layer})", t.name()),
        note: format!(
            "Mean response ± s.e.m. of {} held-out images under each {} value, per class in thin \
             lines; selectivity index (max − min)/(max + min) of the mean curve{}.",
            idx.len(),
            t.name(),
            if t.is_circular() {
                "; circular variance 1 − |Σ r e^{iθ}|/Σ r (0 = one angle only, 1 = flat)"
            } else {
                ""
            }
        ),
        figures: vec![stem.with_extension("svg"), strip.with_extension("svg")],
        numbers,
        files,
        warnings: res.warnings.clone(),
    })
}

/// One unit's curve: the mean with s.e.m. bars over thin per-class curves.
fn unit_panel(acts: &VisionRun, res: &TuningResult, u: &UnitTuning, layer: &str, t: Transform) -> Panel {
    let x = res.values.clone();
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (k, &c) in res.classes.iter().enumerate() {
        let y = u.class_mean[k].clone();
        for v in &y {
            lo = lo.min(*v);
            hi = hi.max(*v);
        }
        series.push(
            Series::new(format!("class {}", acts.class_name(c)), x.clone(), y)
                .color(k)
                .style(SeriesStyle::Thin),
        );
    }
    let bar = |s: Option<f64>| s.unwrap_or(0.0);
    let elo: Vec<f64> = u.mean.iter().zip(&u.sem).map(|(m, s)| m - bar(*s)).collect();
    let ehi: Vec<f64> = u.mean.iter().zip(&u.sem).map(|(m, s)| m + bar(*s)).collect();
    for v in elo.iter().chain(&ehi) {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    series.push(
        Series::new("all images ± s.e.m.", x, u.mean.clone())
            .color(INK_INDEX)
            .style(SeriesStyle::LineAndPoints)
            .err(elo, ehi),
    );
    let pad = 0.06 * (hi - lo).max(1e-9);
    let mut title = format!(
        "{layer} unit {}: preferred {}, SI {}",
        u.unit,
        value_text(t, u.preferred_value),
        u.selectivity_index.map_or("undefined".into(), fmt3)
    );
    if let Some(c) = &u.circular {
        title.push_str(&format!(", CV {}", fmt3(c.circular_variance)));
    }
    Panel {
        title,
        x_label: t.unit().into(),
        y_label: "response".into(),
        series,
        y_range: Some((lo - pad, hi + pad)),
        legend: LegendPos::Right,
        ..Panel::default()
    }
}

/// A transform value as a short label: `15°`, `-2 px`, `×1.2`, `0.25`.
pub fn value_text(t: Transform, v: f64) -> String {
    let num = if v == v.round() && v.abs() < 1e9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match t {
        Transform::Rotation => format!("{num}°"),
        Transform::Translation => format!("{num} px"),
        Transform::Scale => format!("×{num}"),
        Transform::Contrast => num,
    }
}

/// Images per row of the stimulus figure.
const STRIP: usize = 8;

/// The example image under each value side by side (channels averaged), one blank column on
/// either side of each, at most [`STRIP`] to a row (rows balanced; every image the same size).
fn stimulus_panels(
    example: &[f32],
    [c, h, w]: [usize; 3],
    values: &[f64],
    t: Transform,
) -> (Vec<Panel>, usize) {
    let rows = values.len().div_ceil(STRIP).max(1);
    let per = values.len().div_ceil(rows).max(1);
    let width = w + 2;
    let cols = per * width;
    let images: Vec<&[f32]> = example.chunks_exact(c * h * w).collect();
    let mut panels = Vec::new();
    for (row, vals) in values.chunks(per).enumerate() {
        let mut data = vec![f64::NAN; h * cols];
        for (j, _) in vals.iter().enumerate() {
            let img = images[row * per + j];
            for y in 0..h {
                for x in 0..w {
                    let p = (0..c)
                        .map(|k| f64::from(img[(k * h + y) * w + x]))
                        .sum::<f64>()
                        / c as f64;
                    // Raster row 0 is at the bottom: the image's top row goes last.
                    data[(h - 1 - y) * cols + j * width + 1 + x] = p;
                }
            }
        }
        let mut names: Vec<String> = vals.iter().map(|&v| value_text(t, v)).collect();
        names.resize(per, String::new());
        panels.push(Panel {
            title: if row == 0 {
                format!("The first image under each {} value", t.name())
            } else {
                String::new()
            },
            x_label: if row + 1 == rows {
                t.unit().into()
            } else {
                String::new()
            },
            x_categories: names,
            raster: Some(Raster {
                rows: h,
                cols,
                data,
                x0: -0.5,
                dx: 1.0 / width as f64,
                row_labels: vec![String::new(); h],
                colormap: ColorMap::Sequential,
                range: Some((0.0, 255.0)),
                colorbar_label: "pixel".into(),
            }),
            legend: LegendPos::Hidden,
            ..Panel::default()
        });
    }
    // About square pixels (measured on the drawn figure: ~650 px per image row of 8).
    let height = (650.0 * h as f64 / cols as f64) as usize + 120;
    (panels, height)
}

/// Images `analyze RUN all` shows a conv-ctrnn: each of its passes runs 20 + 15 steps, and 500
/// images under 24 angles took 23 s (dev build, loaded 2-core host) against 1 s for the CNN.
pub const ALL_CONV_CTRNN_IMAGES: usize = 100;

/// `analyze RUN tuning`.
pub struct Tuning;

impl Analysis for Tuning {
    const NAME: &'static str = "tuning";
    const ABOUT: &'static str = "Vision runs: tuning curves of units to rotated, shifted, zoomed or contrast-changed held-out images.";
    type Input = VisionRun;
    type Options = TuningArgs;
    /// Unit 2 of the encoding analysis' layer, rotation, 500 images ([`ALL_CONV_CTRNN_IMAGES`]
    /// for a conv-ctrnn).
    fn defaults(acts: &VisionRun) -> Option<TuningArgs> {
        if acts.responses.is_some() {
            return None;
        }
        let layer = super::encoding::rate_layer(acts)?;
        let (_, p) = acts.matrix(&layer).ok()?;
        let n_images = if neurodyn_train::vision::conv_rnn_run::is_run(&acts.dir) {
            ALL_CONV_CTRNN_IMAGES
        } else {
            500
        };
        (p > 2).then(|| TuningArgs {
            layer: Some(layer),
            n_images,
            ..TuningArgs::default()
        })
    }
    fn run(acts: &VisionRun, options: &TuningArgs) -> Result<Outcome> {
        run_tuning(acts, options).map(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision_probe::ProbeWorkspace;
    use neurodyn_train::vision::{train_vision, VisionConfig};

    /// A contrast of 0 turns each image into the uniform image at its mean pixel: the responses
    /// are the network's to that uniform image, built here by hand. And the defaults.
    #[test]
    fn contrast_zero_is_the_response_to_a_uniform_image() {
        let dir = std::env::temp_dir().join(format!("neurodyn-report-tuning-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = VisionConfig::from_toml(
            "[train]\nepochs = 1\nmax_train_images = 128\n[eval]\nn_record = 20\n",
        )
        .expect("config");
        train_vision(cfg, &dir, |_| {}).expect("train");
        let probe = VisionProbe::load(&dir).expect("probe");
        assert_eq!(probe.kind(), "cnn");
        let (li, size) = probe.layer("fc1").expect("fc1");
        assert_eq!(size, 120);
        let idx = [0, 7, 300, 1999];
        let units: Vec<usize> = (0..size).collect();
        let r = probe.respond(&idx, Transform::Contrast, &[0.0], (li, size), &units);
        let set = probe.test_set();
        let len = set.image_len();
        let mut ws = ProbeWorkspace::default();
        let mut x = vec![0.0f32; len];
        for (k, &i) in idx.iter().enumerate() {
            let m = set.image(i).iter().map(|&p| f64::from(p)).sum::<f64>() / len as f64;
            probe.normalize(&vec![m as f32; len], &mut x);
            let out = probe.layer_output(&mut ws, &x, 1, li);
            for u in 0..size {
                let got = r.responses[k * size + u];
                assert!(
                    (got - f64::from(out[u])).abs() <= 1e-6 * got.abs().max(1.0),
                    "image {i} unit {u}: {got} vs {} for the uniform image",
                    out[u]
                );
            }
        }
        let acts = VisionRun::load(&dir).expect("activations");
        let d = Tuning::defaults(&acts).expect("defaults");
        assert_eq!(d.layer.as_deref(), Some("8_relu"));
        assert_eq!((d.units.as_slice(), d.n_images), (&[2][..], 500));
        assert_eq!(d.transform, TransformArg::Rotation);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn value_labels() {
        assert_eq!(value_text(Transform::Rotation, 15.0), "15°");
        assert_eq!(value_text(Transform::Translation, -2.0), "-2 px");
        assert_eq!(value_text(Transform::Scale, 0.7), "×0.7");
        assert_eq!(value_text(Transform::Contrast, 0.25), "0.25");
    }
}
