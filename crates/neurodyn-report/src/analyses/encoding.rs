//! `analyze RUN encoding`: which distribution one unit's responses to the held-out images of a
//! vision run follow — the seed's "the activation distribution of neuron 2 in layer 3 was fitted
//! to a Poisson distribution".
//!
//! ```text
//! neurodyn analyze RUN encoding [--layer 8_relu] [--unit 2] [--scale S] [--class 7]
//! ```
//!
//! Reads the unit's column of `activations.npz` (every recorded image, or those of `--class`),
//! turns the activations into counts `k = round(a · S)` — `S = 10 / mean activation` by default,
//! a mean count of 10 — and fits a Poisson, a Gaussian and a gamma (location 0, positive counts)
//! by maximum likelihood, with AIC, the Fano factor (ddof 1) and Pearson's χ² test of the
//! Poisson on pooled bins ([`neurodyn_analysis::encoding`] has the formulas).
//!
//! The default layer is the rate of "layer 3" of the default CNN: the ReLU after `fc1` (120
//! units, `8_relu`); in general the ReLU output that follows `dprime`'s default layer (`fc1`; a
//! conv-ctrnn's last area, whose states are rates already; else the first layer with
//! parameters), or that layer itself when no ReLU follows it. Counts need responses ≥ 0: a layer
//! before its ReLU (`fc1`) is refused with the ReLU outputs listed. `analyze RUN all` fits unit 2,
//! or the first unit that responds at all when unit 2 is silent.
//!
//! Writes `analysis/encoding.json` (layer, unit, class, the fits; [`EncodingResult`]),
//! `analysis/encoding.npz` (`activations`, `image_index` (rows of `activations.npz`), `labels`,
//! `counts`, `k`, `histogram`, `probability`, `poisson_pmf`, `gaussian_density`,
//! `gamma_density`, `chi2_from`, `chi2_to`, `chi2_observed`, `chi2_expected`) and
//! `figures/encoding.png|.svg`: the count histogram as probabilities with the fitted Poisson pmf,
//! Gaussian density and (scaled to the positive counts' share) gamma density.

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, Section};
use crate::error::{ReportError, Result};
use crate::vision_run::VisionRun;
use clap::Args;
use neurodyn_analysis::encoding::{self, EncodingConfig, EncodingResult};
use neurodyn_plot::{panels_sized, LegendPos, Panel, Series, SeriesStyle};

/// Options of `analyze RUN encoding`.
#[derive(Args, Debug, Clone)]
pub struct EncodingArgs {
    /// The layer (default: the ReLU after `fc1`, "layer 3" of the default CNN, `8_relu`; a
    /// conv-ctrnn's last area).
    #[arg(long)]
    pub layer: Option<String>,
    /// The unit: an index into the flattened layer (C·H·W for a convolutional layer).
    #[arg(long, default_value_t = 2)]
    pub unit: usize,
    /// Counts per unit of activation, k = round(a · scale) (default: 10 / the mean activation,
    /// a mean count of 10).
    #[arg(long)]
    pub scale: Option<f64>,
    /// Only the images of this class (label value; default: every recorded image).
    #[arg(long)]
    pub class: Option<i64>,
}

/// The layer of rates the encoding and tuning analyses read by default: the ReLU output that
/// directly follows `dprime`'s default layer, or that layer when none does.
pub(crate) fn rate_layer(acts: &VisionRun) -> Option<String> {
    let base = super::representation::default_layer(acts)?;
    let layers = acts.layers();
    let next = layers
        .iter()
        .position(|l| *l == base)
        .and_then(|i| layers.get(i + 1));
    Some(match next {
        Some(n) if n.ends_with("_relu") => n.to_string(),
        _ => base,
    })
}

/// `"7 (seven)"`, or `"7"` when the class is called by its number.
fn class_label(acts: &VisionRun, c: i64) -> String {
    let name = acts.class_name(c);
    if name == c.to_string() {
        name
    } else {
        format!("{c} ({name})")
    }
}

/// Layers whose outputs are ≥ 0 everywhere (the ReLU outputs, pools of them, rates).
fn non_negative_layers(acts: &VisionRun) -> Vec<String> {
    acts.layers()
        .into_iter()
        .filter(|l| {
            acts.npz
                .get(l)
                .is_some_and(|a| a.to_f64().iter().all(|&v| v >= 0.0))
        })
        .map(str::to_string)
        .collect()
}

/// Run `analyze RUN encoding`.
pub fn run_encoding(acts: &VisionRun, a: &EncodingArgs) -> Result<Section> {
    let layer = match &a.layer {
        Some(l) => l.clone(),
        None => rate_layer(acts).ok_or_else(|| {
            ReportError::Options(format!(
                "{} has no layer with parameters; name one with --layer",
                acts.dir.display()
            ))
        })?,
    };
    let (data, p) = acts.matrix(&layer)?;
    if a.unit >= p {
        return Err(ReportError::Options(format!(
            "--unit {}: layer '{layer}' has {p} units (0..{})",
            a.unit,
            p - 1
        )));
    }
    let mut present = acts.labels.clone();
    present.sort_unstable();
    present.dedup();
    if let Some(c) = a.class.filter(|c| !present.contains(c)) {
        let list: Vec<String> = present.iter().map(|&c| class_label(acts, c)).collect();
        return Err(ReportError::Options(format!(
            "--class {c}: no recorded image of that class (classes: {})",
            list.join(", ")
        )));
    }
    let rows: Vec<usize> = (0..acts.labels.len())
        .filter(|&i| a.class.is_none_or(|c| acts.labels[i] == c))
        .collect();
    let x: Vec<f64> = rows.iter().map(|&i| data[i * p + a.unit]).collect();
    let among = match a.class {
        Some(c) => format!("the {} recorded images of class {}", rows.len(), class_label(acts, c)),
        None => format!("all {} recorded images", rows.len()),
    };
    if let Some(min) = x.iter().copied().reduce(f64::min).filter(|&m| m < 0.0) {
        return Err(ReportError::Options(format!(
            "unit {} of '{layer}' takes negative values (down to {min:.4}); counts need \
             responses ≥ 0: take a ReLU output (layers ≥ 0 everywhere: {})",
            a.unit,
            non_negative_layers(acts).join(", ")
        )));
    }
    if x.iter().all(|&v| v == 0.0) {
        let active: Vec<String> = (0..p)
            .filter(|&u| rows.iter().any(|&i| data[i * p + u] != 0.0))
            .take(12)
            .map(|u| u.to_string())
            .collect();
        return Err(ReportError::Options(format!(
            "unit {} of '{layer}' is 0 on {among} (a silent unit): there is no rate to fit; \
             units that respond: {}",
            a.unit,
            if active.is_empty() {
                "none".to_string()
            } else {
                active.join(", ") + if active.len() == 12 { ", …" } else { "" }
            }
        )));
    }
    let cfg = EncodingConfig { scale: a.scale };
    let res = encoding::run(&x, &cfg)?;
    let json = serde_json::json!({
        "layer": layer,
        "unit": a.unit,
        "class": a.class,
        "class_name": a.class.map(|c| acts.class_name(c)),
        "n_images": rows.len(),
        "conventions": {
            "counts": "k = floor(activation * scale + 0.5)",
            "fano": "var(k, ddof=1) / mean(k)",
            "gaussian": "maximum likelihood: mu = mean k, sigma with ddof 0 (scipy norm.fit)",
            "gamma": "maximum likelihood, location 0, on the k > 0 (scipy gamma.fit(floc=0))",
            "aic": "2 * parameters - 2 ln L (Poisson 1, Gaussian 2, gamma 2)",
            "chi_square": "Pearson, bins k = 0 .. max-1 and k >= max pooled from k = 0 until \
                           the expected count is >= 5 (the rest joins the last bin), dof = bins - 2",
        },
        "result": &res,
    });
    let mut z = res.to_npz()?;
    z.f64("activations", &[x.len()], x.clone())?;
    z.i64(
        "image_index",
        &[rows.len()],
        rows.iter().map(|&i| i as i64).collect(),
    )?;
    z.i64(
        "labels",
        &[rows.len()],
        rows.iter().map(|&i| acts.labels[i]).collect(),
    )?;
    let mut files = acts.save("encoding", &json, &z)?;
    let stem = acts.fig("encoding")?;
    panels_sized(&stem, &panels(&res, &layer, a.unit), 2, (760, 520))?;
    files.extend(fig_files(&stem));
    Ok(Section {
        name: "encoding".into(),
        title: format!("Encoding: {layer} unit {} as counts", a.unit),
        note: format!(
            "Responses of {among} as counts k = round(a · {}) ({}); maximum-likelihood Poisson, \
             Gaussian and gamma (location 0, on the positive counts) fits; Fano factor with \
             ddof 1; Pearson χ² of the Poisson over bins pooled to an expected count ≥ 5, \
             dof = bins − 2.",
            fmt3(res.scale),
            res.scale_source
        ),
        figures: vec![stem.with_extension("svg")],
        numbers: numbers(&res),
        files,
        warnings: res.warnings.clone(),
    })
}

fn opt3(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".into(), fmt3)
}

/// `= p` with 3 significant digits, or `< 1e-300` where it underflows to 0.
fn p_text(p: f64) -> String {
    if p == 0.0 {
        "< 1e-300".into()
    } else {
        format!("= {}", fmt3(p))
    }
}

fn numbers(r: &EncodingResult) -> Vec<(String, String)> {
    let mut v = vec![
        (
            "λ̂ (mean count)".to_string(),
            format!("{} at scale {} ({})", fmt3(r.poisson.lambda), fmt3(r.scale), r.scale_source),
        ),
        ("Fano factor (ddof 1)".into(), opt3(r.fano)),
        (
            "χ² test of the Poisson".into(),
            r.chi_square.as_ref().map_or("not run".into(), |c| {
                format!("χ² = {} on {} dof, p {}", fmt3(c.statistic), c.dof, p_text(c.p_value))
            }),
        ),
        ("AIC Poisson".into(), fmt3(r.poisson.aic)),
    ];
    if let Some(g) = &r.gaussian {
        v.push((
            "AIC Gaussian".into(),
            format!("{} (μ̂ = {}, σ̂ = {})", fmt3(g.aic), fmt3(g.mu), fmt3(g.sigma)),
        ));
    }
    if let Some(g) = &r.gamma {
        v.push((
            "AIC gamma (positive counts)".into(),
            format!(
                "{} (shape {}, scale {}; {} zeros left out)",
                fmt3(g.aic),
                fmt3(g.shape),
                fmt3(g.scale),
                g.n_excluded_zeros
            ),
        ));
    }
    v.push(("best by AIC".into(), r.best_aic.clone()));
    v.push((
        "responses exactly 0".into(),
        format!("{} of {}", r.n_zero_activations, r.n),
    ));
    v
}

/// The histogram (probabilities, outlined bars on the integers) with the three fits, whole and
/// without the bar at 0 (a ReLU unit's zeros dwarf the rest).
fn panels(r: &EncodingResult, layer: &str, unit: usize) -> [Panel; 2] {
    let n = r.n as f64;
    let top = r.histogram.len();
    let (mut hx, mut hy) = (vec![-0.5], vec![0.0]);
    for (k, &c) in r.histogram.iter().enumerate() {
        let p = c as f64 / n;
        hx.extend([k as f64 - 0.5, k as f64 + 0.5]);
        hy.extend([p, p]);
    }
    hx.push(top as f64 - 0.5);
    hy.push(0.0);
    let ks: Vec<f64> = (0..top).map(|k| k as f64).collect();
    let grid: Vec<f64> = (0..=400)
        .map(|i| -0.5 + top as f64 * f64::from(i) / 400.0)
        .collect();
    let mut series = vec![
        Series::new(format!("counts (n = {})", r.n), hx, hy).color(7),
        Series::new(
            format!("Poisson λ = {}", fmt3(r.poisson.lambda)),
            ks,
            r.poisson_pmf.clone(),
        )
        .color(0)
        .style(SeriesStyle::LineAndPoints),
    ];
    if let Some(g) = &r.gaussian {
        let y = grid
            .iter()
            .map(|&x| encoding::normal_ln_pdf(x, g.mu, g.sigma).exp())
            .collect();
        series.push(
            Series::new(
                format!("Gaussian μ = {}, σ = {}", fmt3(g.mu), fmt3(g.sigma)),
                grid.clone(),
                y,
            )
            .color(1)
            .style(SeriesStyle::Dashed),
        );
    }
    if let Some(g) = &r.gamma {
        let share = g.n_used as f64 / n;
        let (x, y): (Vec<f64>, Vec<f64>) = grid
            .iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| (x, share * encoding::gamma_ln_pdf(x, g.shape, g.scale).exp()))
            .unzip();
        series.push(
            Series::new(
                format!("gamma shape {}, scale {}", fmt3(g.shape), fmt3(g.scale)),
                x,
                y,
            )
            .color(2),
        );
    }
    let chi = r.chi_square.as_ref().map_or("no χ² test".into(), |c| {
        format!("χ² p {}", p_text(c.p_value))
    });
    let x_label = format!("count k = round(activation · {})", fmt3(r.scale));
    // The zoomed panel's height: the tallest bar, pmf or density away from k = 0.
    let high = series
        .iter()
        .flat_map(|s| s.x.iter().zip(&s.y))
        .filter(|(x, y)| **x > 0.6 && y.is_finite())
        .map(|(_, y)| *y)
        .fold(0.0f64, f64::max);
    let whole = Panel {
        title: format!(
            "{layer} unit {unit}: λ = {}, Fano {}, {chi}",
            fmt3(r.poisson.lambda),
            opt3(r.fano)
        ),
        x_label: x_label.clone(),
        y_label: "probability".into(),
        series: series.clone(),
        legend: LegendPos::Auto,
        ..Panel::default()
    };
    let zoom = Panel {
        title: format!("k ≥ 1 ({} responses at 0)", r.n_zero_counts),
        x_label,
        y_label: "probability".into(),
        series,
        x_range: Some((0.5, top as f64 - 0.5)),
        y_range: Some((0.0, 1.08 * high.max(1e-9))),
        legend: LegendPos::Hidden,
        ..Panel::default()
    };
    [whole, zoom]
}

/// `analyze RUN encoding`.
pub struct Encoding;

impl Analysis for Encoding {
    const NAME: &'static str = "encoding";
    const ABOUT: &'static str = "Vision runs: one unit's responses as counts, fitted by a Poisson, a Gaussian and a gamma (AIC, Fano factor, χ² test).";
    type Input = VisionRun;
    type Options = EncodingArgs;
    /// Unit 2 of [`rate_layer`] (the first unit that responds if unit 2 is silent).
    fn defaults(acts: &VisionRun) -> Option<EncodingArgs> {
        let layer = rate_layer(acts)?;
        let (data, p) = acts.matrix(&layer).ok()?;
        let responds = |u: usize| data.chunks_exact(p).any(|row| row[u] > 0.0);
        let unit = if p > 2 && responds(2) {
            2
        } else {
            (0..p).find(|&u| responds(u))?
        };
        Some(EncodingArgs {
            layer: Some(layer),
            unit,
            scale: None,
            class: None,
        })
    }
    fn run(acts: &VisionRun, options: &EncodingArgs) -> Result<Outcome> {
        run_encoding(acts, options).map(Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Npz;
    use std::path::PathBuf;

    /// A run with `fc1` (signed), `2_relu` (its rectification: unit 0 silent) and labels.
    fn synthetic_run() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("neurodyn-report-encoding-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let n = 80;
        let labels: Vec<i64> = (0..n).map(|i| (i % 4) as i64).collect();
        let fc: Vec<f32> = (0..n * 4)
            .map(|k| {
                let (i, u) = (k / 4, k % 4);
                if u == 0 {
                    -1.0
                } else {
                    ((i * 13 + u * 7) % 17) as f32 / 4.0 - 0.5
                }
            })
            .collect();
        let mut z = Npz::new();
        z.i64("labels", &[n], labels).expect("labels");
        z.f32("fc1", &[n, 4], fc.clone()).expect("fc1");
        z.f32("2_relu", &[n, 4], fc.iter().map(|v| v.max(0.0)).collect()).expect("relu");
        z.save(&dir.join("activations.npz")).expect("save");
        dir
    }

    #[test]
    fn fits_the_default_unit_and_refuses_what_it_cannot_fit() {
        let dir = synthetic_run();
        let acts = VisionRun::load(&dir).expect("load");
        let d = Encoding::defaults(&acts).expect("defaults");
        assert_eq!((d.layer.as_deref(), d.unit), (Some("2_relu"), 2));
        let s = run_encoding(&acts, &d).expect("run");
        assert!(s.numbers.iter().any(|(k, _)| k == "Fano factor (ddof 1)"), "{:?}", s.numbers);
        for f in ["analysis/encoding.json", "analysis/encoding.npz", "figures/encoding.svg"] {
            assert!(dir.join(f).exists(), "{f} missing");
        }
        let z = Npz::load(&dir.join("analysis/encoding.npz")).expect("npz");
        let counts = z.get("counts").expect("counts").to_f64();
        let act = z.get("activations").expect("activations").to_f64();
        assert_eq!(counts.len(), 80);
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("analysis/encoding.json")).expect("json"),
        )
        .expect("parses");
        let lambda = j["result"]["poisson"]["lambda"].as_f64().expect("λ̂");
        assert!((lambda - counts.iter().sum::<f64>() / 80.0).abs() < 1e-12);
        let scale = j["result"]["scale"].as_f64().expect("scale");
        for (k, a) in counts.iter().zip(&act) {
            assert_eq!(*k, (a * scale + 0.5).floor());
        }
        let err = |args: EncodingArgs| run_encoding(&acts, &args).unwrap_err().to_string();
        let base = EncodingArgs {
            layer: Some("2_relu".into()),
            unit: 0,
            scale: None,
            class: None,
        };
        let e = err(base.clone());
        assert!(e.contains("silent unit") && e.contains("units that respond: 1, 2, 3"), "{e}");
        let e = err(EncodingArgs { layer: Some("fc1".into()), unit: 1, ..base.clone() });
        assert!(e.contains("negative") && e.contains("2_relu") && !e.contains("fc1,"), "{e}");
        let e = err(EncodingArgs { layer: Some("fc9".into()), ..base.clone() });
        assert!(e.contains("no layer 'fc9'") && e.contains("fc1, 2_relu"), "{e}");
        let e = err(EncodingArgs { unit: 4, ..base.clone() });
        assert!(e.contains("has 4 units (0..3)"), "{e}");
        let e = err(EncodingArgs { unit: 1, class: Some(7), ..base.clone() });
        assert!(e.contains("--class 7") && e.contains("classes: 0, 1, 2, 3"), "{e}");
        // One class: its 20 images.
        run_encoding(&acts, &EncodingArgs { unit: 1, class: Some(3), ..base }).expect("class 3");
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("analysis/encoding.json")).expect("json"),
        )
        .expect("parses");
        assert_eq!(j["n_images"], 20);
        assert_eq!(j["class"], 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
