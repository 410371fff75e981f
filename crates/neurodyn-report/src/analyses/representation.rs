//! `analyze RUN rdm` and `analyze RUN dprime`: representation analyses of a vision run's
//! `activations.npz` (every layer's output on held-out images, with their labels).
//!
//! ```text
//! neurodyn analyze RUN rdm [--layers conv1,fc1] [--method correlation|euclidean|cosine|poisson]
//!                          [--conditions images|class-means] [--max-per-class 20]
//! neurodyn analyze RUN dprime [--layer fc1] [--classes 1,7] [--unit 2]
//! ```
//!
//! `rdm` writes `analysis/rdm.json` (per layer: method, conditions, category index and its
//! normalised form), `analysis/rdm.npz` (`<layer>_rdm`, `<layer>_labels`, `<layer>_rows`), one
//! heat map per layer (`figures/rdm_<layer>.png|.svg`, class boundaries marked) and an overview
//! of every layer side by side (`figures/rdm.png|.svg`). `dprime` writes `analysis/dprime.json`
//! / `.npz` and `figures/dprime.png|.svg`: the chosen unit's responses to the two classes (two
//! outlined histograms on shared bins) beside its ROC curve. Layers are flattened to
//! `(image, features)`; unknown layers and classes fail with the available ones listed.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, outlines, Section};
use crate::vision_run::VisionRun;
use crate::error::{Context, ReportError, Result};
use clap::{Args, ValueEnum};
use neurodyn_analysis::dprime::{self, DprimeConfig};
use neurodyn_analysis::rdm::{self, Conditions, RdmConfig, RdmMethod, RdmResult};
use neurodyn_analysis::Features;
use neurodyn_core::Npz;
use neurodyn_plot::{
    heatmap, panels_sized, ColorMap, Heatmap, LegendPos, Panel, Series, SeriesStyle,
};

/// RDM measure on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, Default)]
pub enum MethodArg {
    /// 1 − Pearson r between condition patterns.
    #[default]
    Correlation,
    /// Squared Euclidean distance / number of features (rsatoolbox).
    Euclidean,
    /// 1 − cosine similarity.
    Cosine,
    /// Symmetrised Poisson KL divergence per feature (non-negative activations; rsatoolbox).
    Poisson,
}

impl MethodArg {
    /// The library's measure.
    pub fn method(self) -> RdmMethod {
        match self {
            MethodArg::Correlation => RdmMethod::Correlation,
            MethodArg::Euclidean => RdmMethod::Euclidean,
            MethodArg::Cosine => RdmMethod::Cosine,
            MethodArg::Poisson => RdmMethod::Poisson,
        }
    }
}

/// RDM conditions on the command line.
#[derive(ValueEnum, Debug, Clone, Copy, Default)]
pub enum ConditionsArg {
    /// One row per image, sorted by class.
    #[default]
    Images,
    /// One row per class: its mean pattern.
    ClassMeans,
}

impl ConditionsArg {
    /// The library's conditions.
    pub fn conditions(self) -> Conditions {
        match self {
            ConditionsArg::Images => Conditions::Images,
            ConditionsArg::ClassMeans => Conditions::ClassMeans,
        }
    }
}

/// Options of `analyze RUN rdm`.
#[derive(Args, Debug, Clone)]
pub struct RdmArgs {
    /// Comma-separated layers (default: every layer with parameters, conv and fc).
    #[arg(long)]
    pub layers: Option<String>,
    /// Dissimilarity measure.
    #[arg(long, value_enum, default_value_t = MethodArg::Correlation)]
    pub method: MethodArg,
    /// Rows of the RDM: single images or class means.
    #[arg(long, value_enum, default_value_t = ConditionsArg::Images)]
    pub conditions: ConditionsArg,
    /// The first N images of each class, in file order (0 = all).
    #[arg(long, default_value_t = 20)]
    pub max_per_class: usize,
}

/// Options of `analyze RUN dprime`.
#[derive(Args, Debug, Clone)]
pub struct DprimeArgs {
    /// The layer (default: `fc1`; a convolutional RNN's last area; else the first layer with
    /// parameters).
    #[arg(long)]
    pub layer: Option<String>,
    /// The two classes `a,b` (label values); d′ > 0 means a larger response to `a`.
    #[arg(long, default_value = "0,1")]
    pub classes: String,
    /// The unit whose responses and ROC curve are drawn (default: the largest |d′|).
    #[arg(long)]
    pub unit: Option<usize>,
}

fn opt3(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".into(), fmt3)
}

/// Boundaries between runs of equal labels, and a label at the middle of each run (the tick the
/// heat map keeps when it thins labels: it shows every `every`-th one).
fn class_ticks(acts: &VisionRun, labels: &[i64]) -> (Vec<usize>, Vec<String>) {
    let n = labels.len();
    let every = (n * 18).div_ceil(heatmap_size(n, n).1).max(1);
    let mut blocks = Vec::new();
    let mut ticks = vec![String::new(); n];
    let mut s = 0;
    while s < n {
        let mut e = s;
        while e < n && labels[e] == labels[s] {
            e += 1;
        }
        if s > 0 {
            blocks.push(s);
        }
        let mid = (s + e - 1) / 2;
        let at = (mid / every * every).max(s.div_ceil(every) * every);
        ticks[at.min(e - 1)] = acts.class_name(labels[s]);
        s = e;
    }
    (blocks, ticks)
}

/// Run `analyze RUN rdm`.
pub fn run_rdm(acts: &VisionRun, a: &RdmArgs) -> Result<Section> {
    let layers: Vec<String> = match &a.layers {
        Some(s) => s
            .split(',')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        None => acts.parameterised().iter().map(|s| s.to_string()).collect(),
    };
    if layers.is_empty() {
        return Err(ReportError::Options(format!(
            "--layers names no layer (layers: {})",
            acts.layers().join(", ")
        )));
    }
    let cfg = RdmConfig {
        method: a.method.method(),
        conditions: a.conditions.conditions(),
        max_per_class: (a.max_per_class > 0).then_some(a.max_per_class),
    };
    let mut results: Vec<RdmResult> = Vec::new();
    for l in &layers {
        let (data, p) = acts.matrix(l)?;
        let x = Features {
            name: l,
            data: &data,
            n_rows: acts.labels.len(),
            n_features: p,
            labels: &acts.labels,
        };
        results.push(rdm::run(&x, &cfg).with_context(|| format!("RDM of layer '{l}'"))?);
    }
    let mut z = Npz::new();
    for r in &results {
        r.add_to(&mut z, &format!("{}_", r.name))?;
    }
    let json = serde_json::json!({
        "method": cfg.method,
        "conditions": cfg.conditions,
        "max_per_class": cfg.max_per_class,
        "layers": &results,
    });
    let mut files = acts.save("rdm", &json, &z)?;

    let m = cfg.method.name();
    let what = match cfg.conditions {
        Conditions::Images => "images sorted by class",
        Conditions::ClassMeans => "class means",
    };
    let axis = match cfg.conditions {
        Conditions::Images => "images, sorted by class",
        Conditions::ClassMeans => "class (mean pattern)",
    };
    let mut figures = Vec::new();
    for r in &results {
        let (blocks, ticks) = class_ticks(acts, &r.condition_labels);
        let stem = acts.fig(&format!("rdm_{}", r.name))?;
        heatmap(
            &stem,
            &Heatmap {
                title: format!(
                    "RDM of {} ({m}; category index {})",
                    r.name,
                    opt3(r.category_index)
                ),
                data: r.rdm.clone(),
                rows: r.n_conditions,
                cols: r.n_conditions,
                row_labels: ticks.clone(),
                col_labels: ticks,
                x_label: axis.into(),
                y_label: axis.into(),
                colormap: ColorMap::Sequential,
                row_blocks: blocks.clone(),
                col_blocks: blocks,
                colorbar_label: format!("{m} dissimilarity"),
                ..Heatmap::default()
            },
        )?;
        figures.push(stem.with_extension("svg"));
        files.extend(fig_files(&stem));
    }
    // Overview: every layer side by side as class × class means (off-diagonal pairs), each
    // divided by its layer's maximum so that layers with different scales share one colour bar.
    let classes = &results[0].classes;
    let n = classes.len();
    let k = results.len();
    let cols = k * n + (k - 1);
    let (_, ph) = heatmap_size(n, cols);
    let (pw, _) = heatmap_size(n, cols);
    let col_every = (cols * 18).div_ceil(pw).max(1);
    let mut data = vec![f64::NAN; n * cols];
    let mut col_labels = vec![String::new(); cols];
    let mut col_blocks = Vec::new();
    for (t, r) in results.iter().enumerate() {
        let off = t * (n + 1);
        let m = class_block_means(r, classes);
        let max = m.iter().copied().fold(0.0f64, f64::max);
        for i in 0..n {
            for j in 0..n {
                data[i * cols + off + j] = if max > 0.0 { m[i * n + j] / max } else { 0.0 };
            }
        }
        let centre = off + n / 2;
        let at = (centre.div_ceil(col_every) * col_every).min(off + n - 1);
        col_labels[at] = r.name.clone();
        if t > 0 {
            col_blocks.push(off - 1);
            col_blocks.push(off);
        }
    }
    let row_every = (n * 18).div_ceil(ph).max(1);
    let row_labels = (0..n)
        .map(|i| {
            if i % row_every == 0 {
                acts.class_name(classes[i])
            } else {
                String::new()
            }
        })
        .collect();
    let stem = acts.fig("rdm")?;
    heatmap(
        &stem,
        &Heatmap {
            title: format!("Mean {m} dissimilarity between classes, by layer"),
            data,
            rows: n,
            cols,
            row_labels,
            col_labels,
            x_label: format!(
                "layer (within each: classes {})",
                class_range(acts, classes)
            ),
            y_label: "class".into(),
            colormap: ColorMap::Sequential,
            range: Some((0.0, 1.0)),
            col_blocks,
            colorbar_label: "dissimilarity / layer max".into(),
            ..Heatmap::default()
        },
    )?;
    figures.insert(0, stem.with_extension("svg"));
    files.extend(fig_files(&stem));

    let numbers = results
        .iter()
        .map(|r| {
            (
                format!("category index {}", r.name),
                format!(
                    "{} (normalised {})",
                    opt3(r.category_index),
                    opt3(r.normalised_category_index)
                ),
            )
        })
        .collect();
    Ok(Section {
        name: "rdm".into(),
        title: format!("Representational dissimilarity ({m})"),
        note: format!(
            "Dissimilarity between {what} in each layer; category index = mean between-class − \
             mean within-class dissimilarity over image pairs (the first {} images of each class)",
            a.max_per_class
        ),
        figures,
        numbers,
        files,
        warnings: Vec::new(),
    })
}

/// Plot width and height in pixels that `neurodyn_plot::heatmap` gives a `rows × cols` matrix
/// (it keeps every `k`-th tick label so that labels 18 px apart fit).
fn heatmap_size(rows: usize, cols: usize) -> (usize, usize) {
    let cell = (640.0 / cols.max(1) as f64).min(600.0 / rows.max(1) as f64);
    (
        (cols as f64 * cell).clamp(160.0, 640.0) as usize,
        (rows as f64 * cell).clamp(160.0, 600.0) as usize,
    )
}

/// "0–9" or the first and last class names.
fn class_range(acts: &VisionRun, classes: &[i64]) -> String {
    match (classes.first(), classes.last()) {
        (Some(&a), Some(&b)) => format!("{}–{}", acts.class_name(a), acts.class_name(b)),
        _ => String::new(),
    }
}

/// Mean dissimilarity between the conditions of each pair of classes (off-diagonal entries;
/// 0 for a class with one condition against itself).
fn class_block_means(r: &RdmResult, classes: &[i64]) -> Vec<f64> {
    let k = classes.len();
    let n = r.n_conditions;
    let pos = |c: i64| classes.iter().position(|&x| x == c).unwrap_or(0);
    let mut sum = vec![0.0; k * k];
    let mut cnt = vec![0usize; k * k];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let b = pos(r.condition_labels[i]) * k + pos(r.condition_labels[j]);
                sum[b] += r.rdm[i * n + j];
                cnt[b] += 1;
            }
        }
    }
    sum.iter()
        .zip(&cnt)
        .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
        .collect()
}

fn parse_classes(s: &str, present: &[i64], acts: &VisionRun) -> Result<(i64, i64)> {
    let list = present
        .iter()
        .map(|c| format!("{c} ({})", acts.class_name(*c)))
        .collect::<Vec<_>>()
        .join(", ");
    let v: Vec<i64> = s
        .split(',')
        .map(|p| {
            p.trim()
                .parse()
                .with_context(|| format!("--classes {s}: '{p}' is not a class number ({list})"))
        })
        .collect::<Result<_>>()?;
    if v.len() != 2 {
        return Err(ReportError::Options(format!("--classes takes two classes a,b; got '{s}' (classes: {list})")));
    }
    for c in &v {
        if !present.contains(c) {
            return Err(ReportError::Options(format!("--classes {s}: class {c} is not among the images (classes: {list})")));
        }
    }
    Ok((v[0], v[1]))
}

/// Run `analyze RUN dprime`.
pub fn run_dprime(acts: &VisionRun, a: &DprimeArgs) -> Result<Section> {
    let layer = match &a.layer {
        Some(l) => l.clone(),
        None => default_layer(acts).ok_or_else(|| {
            ReportError::Options(format!(
                "{} has no layer with parameters; name one with --layer",
                acts.dir.display()
            ))
        })?,
    };
    let (data, p) = acts.matrix(&layer)?;
    let mut present = acts.labels.clone();
    present.sort_unstable();
    present.dedup();
    let (ca, cb) = parse_classes(&a.classes, &present, acts)?;
    if let Some(u) = a.unit.filter(|&u| u >= p) {
        return Err(ReportError::Options(format!(
            "--unit {u}: layer '{}' has {p} units (0..{})",
            layer,
            p - 1
        )));
    }
    let x = Features {
        name: &layer,
        data: &data,
        n_rows: acts.labels.len(),
        n_features: p,
        labels: &acts.labels,
    };
    let mut cfg = DprimeConfig {
        class_a: ca,
        class_b: cb,
        unit: a.unit.unwrap_or(0),
    };
    let mut res = dprime::run(&x, &cfg)?;
    if a.unit.is_none() {
        if let Some(u) = res.max_abs_unit {
            cfg.unit = u;
            res = dprime::run(&x, &cfg)?;
        }
    }
    let unit = cfg.unit;
    let json = serde_json::json!({"layer": layer, "unit": unit, "result": &res});
    let mut files = acts.save("dprime", &json, &res.to_npz()?)?;

    let (na, nb) = (acts.class_name(ca), acts.class_name(cb));
    let resp = |c: i64| -> Vec<f64> {
        (0..acts.labels.len())
            .filter(|&i| acts.labels[i] == c)
            .map(|i| data[i * p + unit])
            .collect()
    };
    let (ra, rb) = (resp(ca), resp(cb));
    let mut h = outlines(&[&ra, &rb], 20, false).into_iter();
    let ((xa, ya), (xb, yb)) = (h.next().expect("a"), h.next().expect("b"));
    let d = res.d_prime[unit];
    let hist = Panel {
        title: format!(
            "{} unit {unit}: d′ = {}, AUC = {:.3}",
            layer,
            opt3(d),
            res.auc[unit]
        ),
        x_label: format!("response of {} unit {unit}", layer),
        y_label: "images".into(),
        series: vec![
            Series::new(format!("class {na} (n = {})", ra.len()), xa, ya).color(0),
            Series::new(format!("class {nb} (n = {})", rb.len()), xb, yb).color(1),
        ],
        legend: LegendPos::Right,
        ..Panel::default()
    };
    let roc = Panel {
        title: format!("ROC, class {na} as signal"),
        x_label: format!("false-positive rate (class {nb} ≥ threshold)"),
        y_label: format!("hit rate (class {na} ≥ threshold)"),
        series: vec![
            Series::new(
                format!("unit {unit}"),
                res.roc.fpr.clone(),
                res.roc.tpr.clone(),
            )
            .color(2),
            Series::new("chance", vec![0.0, 1.0], vec![0.0, 1.0])
                .color(7)
                .style(SeriesStyle::Dashed),
        ],
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        legend: LegendPos::Right,
        ..Panel::default()
    };
    let stem = acts.fig("dprime")?;
    panels_sized(&stem, &[hist, roc], 2, (760, 460))?;
    files.extend(fig_files(&stem));

    let mut numbers = vec![
        (format!("unit {unit} d′ ({na} vs {nb})"), opt3(d)),
        (format!("unit {unit} AUC"), format!("{:.4}", res.auc[unit])),
        (
            format!("largest |d′| in {}", layer),
            match (res.max_abs_unit, res.max_abs_d_prime) {
                (Some(u), Some(v)) => format!("{} (unit {u})", fmt3(v)),
                _ => "undefined".into(),
            },
        ),
    ];
    let mut warnings = Vec::new();
    if res.n_undefined > 0 {
        warnings.push(format!(
            "{} of {} units of {} have zero variance in both classes; their d′ is undefined (null)",
            res.n_undefined, res.n_units, layer
        ));
        numbers.push((
            "units with undefined d′".into(),
            format!("{} of {}", res.n_undefined, res.n_units),
        ));
    }
    Ok(Section {
        name: "dprime".into(),
        title: format!("d′ and ROC, {} class {na} vs {nb}", layer),
        note: "d′ = (μa − μb)/√((σa² + σb²)/2) with sample variances; AUC = Mann–Whitney U/(na·nb)"
            .into(),
        figures: vec![stem.with_extension("svg")],
        numbers,
        files,
        warnings,
    })
}

/// `analyze RUN rdm`.
pub struct Rdm;

impl Analysis for Rdm {
    const NAME: &'static str = "rdm";
    const ABOUT: &'static str =
        "Vision runs: representational dissimilarity matrices per layer and the category index.";
    type Input = VisionRun;
    type Options = RdmArgs;
    fn defaults(_: &VisionRun) -> Option<RdmArgs> {
        Some(RdmArgs {
            layers: None,
            method: MethodArg::default(),
            conditions: ConditionsArg::default(),
            max_per_class: 20,
        })
    }
    fn run(acts: &VisionRun, options: &RdmArgs) -> Result<Outcome> {
        run_rdm(acts, options).map(Outcome::Done)
    }
}

/// The layer `dprime` reads by default: `fc1`; for a convolutional RNN (no `fc1`), its last area;
/// else the first layer with parameters.
pub(crate) fn default_layer(acts: &VisionRun) -> Option<String> {
    let layers = acts.parameterised();
    let layer = if layers.contains(&"fc1") {
        "fc1"
    } else if let Some(area) = layers.iter().rev().find(|l| l.starts_with("area")) {
        area
    } else {
        layers.first()?
    };
    Some(layer.to_string())
}

/// `analyze RUN dprime`.
pub struct Dprime;

impl Analysis for Dprime {
    const NAME: &'static str = "dprime";
    const ABOUT: &'static str = "Vision runs: per-unit d′ and ROC AUC of a layer between two classes.";
    type Input = VisionRun;
    type Options = DprimeArgs;
    /// Classes 0 and 1 in the default layer ([`default_layer`]).
    fn defaults(acts: &VisionRun) -> Option<DprimeArgs> {
        Some(DprimeArgs {
            layer: Some(default_layer(acts)?),
            classes: "0,1".into(),
            unit: None,
        })
    }
    fn run(acts: &VisionRun, options: &DprimeArgs) -> Result<Outcome> {
        run_dprime(acts, options).map(Outcome::Done)
    }
}
