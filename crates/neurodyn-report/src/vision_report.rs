//! The report page of a vision run (`RUN/report.html` of a CNN, MLP or conv-ctrnn): the data and
//! network, held-out accuracy per class with the confusion matrix, the training curves, example
//! held-out images with the network's answers (and its mistakes), the first convolution's
//! filters, then one section per analysis. Self-contained as the recurrent report is (inline
//! SVG and CSS, nothing fetched), written atomically.
//!
//! Figures (PNG and SVG in `RUN/figures/`): `confusion`, `training_curves`, `examples`,
//! `errors` (when the network makes any), `filters` (CNNs).

use crate::common::{fig_in, write_atomic, Section};
use crate::error::{Context, ReportError, Result};
use crate::page::{self, esc, inline_svg, row};
use crate::vision_run::VisionRun;
use neurodyn_plot::{heatmap, image_grid, image_row, ColorMap, Heatmap};
use neurodyn_train::vision::{LayerConfig, VisionConfig};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Images per figure row of `examples` and `errors`.
const PER_ROW: usize = 10;

/// One layer in a few words (`conv 3×3 pad 1 → 6`, `maxpool 2`, `fc → 120`).
fn layer_words(l: &LayerConfig) -> String {
    match l {
        LayerConfig::Conv2d {
            out,
            kernel,
            stride,
            padding,
            ..
        } => {
            let mut s = format!("conv {kernel}×{kernel}");
            if *stride != 1 {
                s += &format!(" stride {stride}");
            }
            if *padding != 0 {
                s += &format!(" pad {padding}");
            }
            format!("{s} → {out}")
        }
        LayerConfig::Linear { out, .. } => format!("fc → {out}"),
        LayerConfig::Maxpool { k, .. } => format!("maxpool {k}"),
        LayerConfig::Avgpool { k, .. } => format!("avgpool {k}"),
        other => other.kind().to_string(),
    }
}

/// The data, network and training as a table.
fn summary(cfg: &VisionConfig, eval: &Value) -> String {
    let mut s = String::from("<table>\n");
    let data = match &cfg.task.data_dir {
        Some(d) => format!("{} from {}", cfg.task.name, d.display()),
        None => format!(
            "{} (the embedded 10,000 digits, split seed {})",
            cfg.task.name,
            cfg.task.split_seed.unwrap_or(0)
        ),
    };
    row(&mut s, "data", &data);
    if let Some(names) = eval["class_names"].as_array() {
        row(&mut s, "classes", &names.len().to_string());
    }
    let kind = cfg.model.kind.name();
    let network = match &cfg.model.layers {
        Some(layers) if !layers.is_empty() => format!(
            "{kind}: {}",
            layers
                .iter()
                .map(layer_words)
                .collect::<Vec<_>>()
                .join(" › ")
        ),
        _ => kind.to_string(),
    };
    row(&mut s, "network", &network);
    let t = &cfg.train;
    let steps = eval["steps"]
        .as_u64()
        .map_or(String::new(), |n| format!(", {n} steps"));
    row(
        &mut s,
        "training",
        &format!(
            "{} epochs{steps}, batch {}, lr {}",
            t.epochs, t.batch_size, t.lr
        ),
    );
    if let Some(sec) = eval["train_seconds"].as_f64() {
        row(&mut s, "training time", &format!("{sec:.1} s"));
    }
    row(&mut s, "seed", &cfg.seed.to_string());
    s.push_str("</table>\n");
    s
}

/// Held-out accuracy, the training images' accuracy, and the per-class table.
fn evaluation(eval: &Value) -> String {
    let mut s = String::new();
    match (eval["accuracy"].as_f64(), eval["n_test"].as_u64()) {
        (Some(a), Some(n)) => {
            let _ = writeln!(s, "<p>Accuracy <b>{a:.4}</b> on {n} held-out images.");
            if let (Some(a), Some(n)) = (
                eval["train"]["accuracy"].as_f64(),
                eval["train"]["n_train"].as_u64(),
            ) {
                let _ = write!(s, " On the {n} training images: {a:.4}.");
            }
            s.push_str("</p>\n");
        }
        _ => s.push_str("<p class=\"fail\">eval.json has no accuracy</p>\n"),
    }
    s.push_str("<table><tr><th>class</th><th>accuracy</th><th>images</th></tr>\n");
    for r in eval["per_class"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"num\">{:.4}</td><td class=\"num\">{}</td></tr>",
            esc(r["class"].as_str().unwrap_or("?")),
            r["accuracy"].as_f64().unwrap_or(f64::NAN),
            r["n"].as_u64().unwrap_or(0)
        );
    }
    s.push_str("</table>\n");
    s
}

/// `figures/confusion`: held-out images by true (rows) and predicted class (columns).
pub fn confusion_figure(run: &Path, eval: &Value) -> Result<PathBuf> {
    let m: Vec<Vec<f64>> = eval["confusion"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            r.as_array()
                .into_iter()
                .flatten()
                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let k = m.len();
    if k == 0 || m.iter().any(|r| r.len() != k) {
        return Err(ReportError::Run(format!(
            "{}: no square confusion matrix",
            run.join("eval.json").display()
        )));
    }
    let names: Vec<String> = match eval["class_names"].as_array() {
        Some(a) if a.len() == k => a
            .iter()
            .map(|v| v.as_str().unwrap_or("?").to_string())
            .collect(),
        _ => (0..k).map(|c| c.to_string()).collect(),
    };
    let stem = fig_in(run, "confusion")?;
    heatmap(
        &stem,
        &Heatmap {
            title: "Confusion matrix (held-out images)".into(),
            data: m.into_iter().flatten().collect(),
            rows: k,
            cols: k,
            row_labels: names.clone(),
            col_labels: names,
            x_label: "predicted class".into(),
            y_label: "true class".into(),
            colormap: ColorMap::Sequential,
            colorbar_label: "images".into(),
            annotate: k <= 12,
            ..Heatmap::default()
        },
    )?;
    Ok(stem.with_extension("svg"))
}

/// One image of `activations.npz` as grey levels `(h, w)`: the mean over its channels.
fn grey(pixels: &[f64], c: usize, plane: usize) -> Vec<f64> {
    (0..plane)
        .map(|p| (0..c).map(|ch| pixels[ch * plane + p]).sum::<f64>() / c as f64)
        .collect()
}

/// `figures/examples` (the first held-out image of each class, its true and predicted class
/// under it) and `figures/errors` (the first misclassified images), from `activations.npz`.
pub fn example_figures(run: &Path) -> Result<Vec<PathBuf>> {
    let acts = VisionRun::load(run)?;
    let (z, labels) = (&acts.npz, &acts.labels);
    let path = run.join("activations.npz");
    let images = z.require("images", &path)?;
    let shape = images.shape().to_vec();
    if shape.len() != 4 {
        return Err(ReportError::Run(format!(
            "{}: images are {shape:?}, not (image, C, H, W)",
            path.display()
        )));
    }
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    let pixels = images.to_f64();
    let predicted = z
        .require("predicted", &path)?
        .to_i64()
        .with_context(|| format!("'predicted' of {} is not integers", path.display()))?;
    if labels.len() != n || predicted.len() != n {
        return Err(ReportError::Run(format!(
            "{}: {n} images but {} labels and {} predictions",
            path.display(),
            labels.len(),
            predicted.len()
        )));
    }
    let name = |k: i64| acts.class_name(k);
    let len = c * h * w;
    let image = |i: usize| grey(&pixels[i * len..(i + 1) * len], c, h * w);
    let caption = |i: usize| format!("{}→{}", name(labels[i]), name(predicted[i]));
    let mut classes: Vec<i64> = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let firsts: Vec<usize> = classes
        .iter()
        .filter_map(|&k| labels.iter().position(|&l| l == k))
        .take(PER_ROW)
        .collect();
    let mut out = Vec::new();
    let stem = fig_in(run, "examples")?;
    image_row(
        &stem,
        "Held-out images, one per class: true → predicted class",
        &firsts.iter().map(|&i| image(i)).collect::<Vec<_>>(),
        (h, w),
        &firsts.iter().map(|&i| caption(i)).collect::<Vec<_>>(),
        Some((0.0, 255.0)),
    )?;
    out.push(stem.with_extension("svg"));
    let wrong: Vec<usize> = (0..n)
        .filter(|&i| labels[i] != predicted[i])
        .take(PER_ROW)
        .collect();
    if !wrong.is_empty() {
        let stem = fig_in(run, "errors")?;
        let total = (0..n).filter(|&i| labels[i] != predicted[i]).count();
        image_row(
            &stem,
            &format!(
                "Mistakes: the first {} of {total} in {n} recorded images, true → predicted",
                wrong.len()
            ),
            &wrong.iter().map(|&i| image(i)).collect::<Vec<_>>(),
            (h, w),
            &wrong.iter().map(|&i| caption(i)).collect::<Vec<_>>(),
            Some((0.0, 255.0)),
        )?;
        out.push(stem.with_extension("svg"));
    }
    Ok(out)
}

/// `figures/filters`: the kernels of the network's first convolution (one column per output
/// channel, one row per input channel), on one grey scale centred on 0. `None` for a network
/// without a convolution.
pub fn filter_figure(run: &Path) -> Result<Option<PathBuf>> {
    if neurodyn_train::vision::conv_rnn_run::is_run(run) {
        return Ok(None);
    }
    let p = neurodyn_train::vision::load_vision_run(run)
        .with_context(|| format!("cannot load the network of {}", run.display()))?;
    let ff = &p.net.net;
    let Some(l) = ff.layers.iter().position(|l| l.kind() == "conv2d") else {
        return Ok(None);
    };
    let (cin, cout) = (ff.layers[l].in_shape()[0], ff.layers[l].out_shape()[0]);
    let Some(&(_, n_w)) = ff.layers[l].params().first() else {
        return Ok(None);
    };
    let k = ((n_w / (cin * cout).max(1)) as f64).sqrt().round() as usize;
    if k * k * cin * cout != n_w {
        return Ok(None);
    }
    let w = &ff.params[ff.param_range(l)][..n_w];
    let images: Vec<Vec<f64>> = (0..cin)
        .flat_map(|i| {
            (0..cout).map(move |o| {
                let at = (o * cin + i) * k * k;
                w[at..at + k * k].iter().map(|&v| f64::from(v)).collect()
            })
        })
        .collect();
    let m = images.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    let name = &p.net.output_names[l];
    let stem = fig_in(run, "filters")?;
    let title = if cin == 1 {
        format!("{name}: the {cout} kernels ({k}×{k}; white positive, black negative)")
    } else {
        format!("{name}: {cout} kernels ({k}×{k}), a row per input channel")
    };
    image_grid(&stem, &title, &images, (k, k), cout, Some((-m, m)))?;
    Ok(Some(stem.with_extension("svg")))
}

/// `figures/augmentation`: training images spread over the set (top row) and the same images as the
/// run's `[train.augment]` changed them in its first epoch (bottom row); `None` without
/// augmentation.
pub fn augmentation_figure(run: &Path, cfg: &VisionConfig) -> Result<Option<PathBuf>> {
    let Some(aug) = cfg.train.augment.clone().filter(|a| !a.is_off()) else {
        return Ok(None);
    };
    let data = neurodyn_train::vision::data::load(&cfg.task)?;
    let set = &data.train;
    let (c, h, w) = (set.channels(), set.height(), set.width());
    let idx = neurodyn_train::vision::data::spread(set.len(), PER_ROW);
    let mut pixels = Vec::new();
    neurodyn_train::vision::data::augmented_pixels(
        set,
        &idx,
        &mut neurodyn_data::Augmenter::new(aug),
        (cfg.seed, 1),
        &mut pixels,
    );
    let len = c * h * w;
    let original = idx.iter().map(|&i| {
        let v: Vec<f64> = set.image(i).iter().map(|&p| f64::from(p)).collect();
        grey(&v, c, h * w)
    });
    let augmented = pixels.chunks_exact(len.max(1)).map(|img| {
        let v: Vec<f64> = img.iter().map(|&p| f64::from(p)).collect();
        grey(&v, c, h * w)
    });
    let images: Vec<Vec<f64>> = original.chain(augmented).collect();
    let stem = fig_in(run, "augmentation")?;
    image_grid(
        &stem,
        "Training images and, below, as augmented in epoch 1",
        &images,
        (h, w),
        idx.len(),
        Some((0.0, 255.0)),
    )?;
    Ok(Some(stem.with_extension("svg")))
}

/// Write `RUN/report.html` for the vision run in `run` with the given analysis sections (its
/// own figures are drawn here); returns its path.
pub fn write_vision_report(run: &Path, sections: &[Section]) -> Result<PathBuf> {
    let config_path = run.join("config.toml");
    let config_text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let cfg = VisionConfig::from_toml(&config_text)
        .map_err(|e| ReportError::Run(format!("{}: {e}", config_path.display())))?;
    let eval: Value = match std::fs::read_to_string(run.join("eval.json")) {
        Ok(t) => serde_json::from_str(&t)
            .with_context(|| format!("{} is not valid JSON", run.join("eval.json").display()))?,
        Err(_) => Value::Null,
    };
    let mut h = page::head(
        &cfg.task.name,
        cfg.model.kind.name(),
        run,
        "<code>eval.json</code>, <code>analysis/*.json</code> and <code>*.npz</code>",
    );
    h.push_str("<h2>Data and network</h2>\n");
    h.push_str(&summary(&cfg, &eval));
    h.push_str("<h2>Evaluation</h2>\n");
    h.push_str(&evaluation(&eval));
    let mut figure = |title: &str, made: Result<Option<Vec<PathBuf>>>| match made {
        Ok(Some(figs)) => {
            if !title.is_empty() {
                let _ = writeln!(h, "<h2>{title}</h2>");
            }
            for f in figs {
                h.push_str(&inline_svg(&f));
            }
        }
        Ok(None) => {}
        Err(e) => {
            let _ = writeln!(
                h,
                "<h2>{title}</h2>\n<p class=\"fail\">{}</p>",
                esc(&format!("{e:#}"))
            );
        }
    };
    figure("", confusion_figure(run, &eval).map(|f| Some(vec![f])));
    figure(
        "Training",
        crate::training_figures::training_curves(run).map(|f| Some(vec![f])),
    );
    figure("Example images", example_figures(run).map(Some));
    figure(
        "Augmentation",
        augmentation_figure(run, &cfg).map(|f| f.map(|f| vec![f])),
    );
    figure(
        "First-layer filters",
        filter_figure(run).map(|f| f.map(|f| vec![f])),
    );
    page::tail(&mut h, sections, &config_text);
    let path = run.join("report.html");
    write_atomic(&path, h.as_bytes())?;
    Ok(path)
}
