//! What every analysis of a run shares: the loaded run ([`RecurrentRun`]), where outputs go
//! (`RUN/analysis/<name>.json|.npz`, `RUN/figures/<name>*.png|.svg`), the report [`Section`]
//! an analysis returns, and small plotting helpers (period shading, one trial's inputs and
//! outputs as panels, list parsing).

use crate::error::{Context, ReportError, Result};
use neurodyn_core::{Npz, RecTargets, Recording};
use neurodyn_plot::{LegendPos, Panel, Series, SeriesStyle, Shade};
use neurodyn_tasks::TaskSpec;
use neurodyn_train::RunDir;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One analysis as the report shows it: a title, its figures (SVG paths), a few key numbers and
/// the files it wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Section {
    /// Short name (`pca`, `fixed_points`, …), also the stem of its files.
    pub name: String,
    /// Heading.
    pub title: String,
    /// One or two sentences on what the figure shows.
    pub note: String,
    /// Figures as SVG paths (PNG siblings exist beside them).
    pub figures: Vec<PathBuf>,
    /// `(what, value)` key numbers.
    pub numbers: Vec<(String, String)>,
    /// Every file written (JSON, npz, figures).
    pub files: Vec<PathBuf>,
    /// What the reader should know about the numbers (undefined values, a failure).
    pub warnings: Vec<String>,
}

/// A recurrent run loaded for analysis: its task description and recording (analyses that need
/// the network load it with `neurodyn_train::load_run`).
pub struct RecurrentRun {
    /// The run directory.
    pub dir: PathBuf,
    /// The task's description.
    pub spec: TaskSpec,
    /// `recording.npz`: the test trials.
    pub rec: Recording,
}

impl RecurrentRun {
    /// Load `run` (config, task, recording), with errors naming the file.
    pub fn load(run: &Path) -> Result<RecurrentRun> {
        let rd = RunDir::new(run);
        if !rd.config().exists() {
            return Err(ReportError::Run(format!(
                "{} is not a run directory (no config.toml)",
                run.display()
            )));
        }
        let cfg = rd.read_config()?;
        let task = neurodyn_tasks::build(&cfg.task.name, &cfg.task.task_config())
            .with_context(|| format!("task of {}", rd.config().display()))?;
        let rec = Recording::load(&rd.recording()).with_context(|| {
            if rd.recording().exists() {
                format!("cannot load {}", rd.recording().display())
            } else {
                format!(
                    "{} has no recording.npz (did training finish?)",
                    run.display()
                )
            }
        })?;
        Ok(RecurrentRun {
            dir: run.to_path_buf(),
            spec: task.spec().clone(),
            rec,
        })
    }

    /// `RUN/figures/<name>` (a stem; the directory is created).
    pub fn fig(&self, name: &str) -> Result<PathBuf> {
        fig_in(&self.dir, name)
    }

    /// Write `RUN/analysis/<name>.json` (atomically) and, given arrays, `<name>.npz`; returns the paths.
    pub fn save(
        &self,
        name: &str,
        json: &impl Serialize,
        npz: Option<&Npz>,
    ) -> Result<Vec<PathBuf>> {
        save_in(&self.dir, name, json, npz)
    }

    /// Time step in ms.
    pub fn dt(&self) -> f64 {
        self.spec.dt_ms
    }

    /// Time axis (ms) of trial `i` over its real length.
    pub fn times(&self, i: usize) -> Vec<f64> {
        (0..self.rec.trial_len[i])
            .map(|t| t as f64 * self.dt())
            .collect()
    }
}

/// Files are written atomically (temporary file, fsync, rename) by the run directory's writer.
pub use neurodyn_train::checkpoint::write_atomic;

/// `STEM.svg` and `STEM.png` of a figure stem.
pub fn fig_files(stem: &Path) -> Vec<PathBuf> {
    vec![stem.with_extension("svg"), stem.with_extension("png")]
}

/// The task periods of trial `i` as shaded bands (ms).
pub fn shades(rec: &Recording, i: usize, dt: f64) -> Vec<Shade> {
    let mut v: Vec<Shade> = rec
        .periods
        .iter()
        .filter_map(|(name, _)| {
            rec.period(name, i)
                .filter(|(s, e)| e > s)
                .map(|(s, e)| (name, s, e))
        })
        .map(|(name, s, e)| Shade::new(s as f64 * dt, e as f64 * dt, name.as_str()))
        .collect();
    v.sort_by(|a, b| a.from.total_cmp(&b.from));
    v
}

/// The inputs of trial `i` as one panel.
pub fn inputs_panel(rec: &Recording, spec: &TaskSpec, i: usize, title: &str) -> Panel {
    let (len, n_in) = (rec.trial_len[i], rec.n_in);
    let o = i * rec.n_steps * n_in;
    let mut p = channels_panel(
        "input",
        &spec.input_names,
        &rec.inputs[o..o + len * n_in],
        n_in,
        len,
        spec.dt_ms,
    );
    p.title = title.into();
    p.shaded = shades(rec, i, spec.dt_ms);
    p
}

/// Channels drawn as lines in a figure; more are drawn as a channel × time heatmap.
pub const MAX_LINES: usize = 12;

/// A panel of `n_ch` channels of `values` (`(n_steps, n_ch)`, row-major) over time: one line per
/// channel up to [`MAX_LINES`], a channel × time heatmap beyond (diverging colours when a value
/// is negative). Title, x label and shading are left to the caller.
pub fn channels_panel(
    what: &str,
    names: &[String],
    values: &[f32],
    n_ch: usize,
    n_steps: usize,
    dt_ms: f64,
) -> neurodyn_plot::Panel {
    use neurodyn_plot::{ColorMap, LegendPos, Panel, Raster, Series};
    let name = |c: usize| names.get(c).cloned().unwrap_or(format!("{what}{c}"));
    if n_ch > MAX_LINES {
        let data: Vec<f64> = (0..n_ch)
            .flat_map(|c| (0..n_steps).map(move |t| f64::from(values[t * n_ch + c])))
            .collect();
        let signed = data.iter().any(|&v| v < 0.0);
        return Panel {
            raster: Some(Raster {
                rows: n_ch,
                cols: n_steps,
                data,
                x0: 0.0,
                dx: dt_ms,
                row_labels: (0..n_ch).map(name).collect(),
                colormap: if signed {
                    ColorMap::Diverging
                } else {
                    ColorMap::Sequential
                },
                range: None,
                colorbar_label: what.into(),
            }),
            legend: LegendPos::Hidden,
            ..Panel::default()
        };
    }
    let t_ms: Vec<f64> = (0..n_steps).map(|t| t as f64 * dt_ms).collect();
    Panel {
        y_label: what.into(),
        series: (0..n_ch)
            .map(|c| {
                let y = (0..n_steps)
                    .map(|t| f64::from(values[t * n_ch + c]))
                    .collect();
                Series::new(name(c), t_ms.clone(), y).color(c)
            })
            .collect(),
        legend: LegendPos::Right,
        ..Panel::default()
    }
}

/// The network's outputs of trial `i` as one panel: softmax probabilities (solid) and one-hot
/// targets on masked steps (dashed) for categorical tasks; raw outputs and targets otherwise.
pub fn outputs_panel(rec: &Recording, spec: &TaskSpec, i: usize) -> Panel {
    let (len, o) = (rec.trial_len[i], rec.n_out);
    let t: Vec<f64> = (0..len).map(|s| s as f64 * spec.dt_ms).collect();
    let at = |s: usize| &rec.outputs[(i * rec.n_steps + s) * o..(i * rec.n_steps + s + 1) * o];
    let masked = |s: usize| rec.mask[i * rec.n_steps + s] > 0.0;
    let mut series = Vec::new();
    let categorical = matches!(rec.targets, RecTargets::Class(_));
    if o > MAX_LINES {
        // Too many outputs for lines (AntiReach's 33): softmax probabilities (or raw outputs) as
        // an output × time heatmap; the targets are in the task's own figures.
        let values: Vec<f32> = (0..len)
            .flat_map(|s| {
                if categorical {
                    softmax(at(s)).into_iter().map(|p| p as f32).collect()
                } else {
                    at(s).to_vec()
                }
            })
            .collect();
        let what = if categorical { "p(output)" } else { "output" };
        let mut p = channels_panel(what, &spec.output_names, &values, o, len, spec.dt_ms);
        p.shaded = shades(rec, i, spec.dt_ms);
        return p;
    }
    for c in 0..o {
        let name = spec
            .output_names
            .get(c)
            .cloned()
            .unwrap_or_else(|| format!("output {c}"));
        let y: Vec<f64> = (0..len)
            .map(|s| {
                if categorical {
                    softmax(at(s))[c]
                } else {
                    at(s)[c] as f64
                }
            })
            .collect();
        series.push(Series::new(name, t.clone(), y).color(c));
    }
    for c in 0..o {
        let y: Vec<f64> = (0..len)
            .map(|s| {
                let v = match &rec.targets {
                    RecTargets::Class(k) => f64::from(u8::from(k[i * rec.n_steps + s] == c as i64)),
                    RecTargets::Continuous(v) => v[(i * rec.n_steps + s) * o + c] as f64,
                };
                if masked(s) {
                    v
                } else {
                    f64::NAN
                }
            })
            .collect();
        let name = if c == 0 {
            "target (dashed)".to_string()
        } else {
            String::new()
        };
        series.push(
            Series::new(name, t.clone(), y)
                .color(c)
                .style(SeriesStyle::Dashed),
        );
    }
    Panel {
        x_label: "time (ms)".into(),
        y_label: if categorical {
            "p(output)".into()
        } else {
            "output".into()
        },
        y_range: categorical.then_some((-0.05, 1.05)),
        series,
        shaded: shades(rec, i, spec.dt_ms),
        legend: LegendPos::Right,
        ..Panel::default()
    }
}

/// Softmax of logits, in f64.
pub fn softmax(z: &[f32]) -> Vec<f64> {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = z.iter().map(|&v| (v as f64 - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Parse `"0,3,5"` into indices below `n` (what names the list in errors).
pub fn parse_units(s: &str, n: usize, what: &str) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let u: usize = part.parse().with_context(|| {
            format!("{what}: '{part}' is not a unit index (expected e.g. 0,3,5)")
        })?;
        if u >= n {
            return Err(ReportError::Options(format!(
                "{what}: unit {u} does not exist (the network has units 0..{})",
                n.saturating_sub(1)
            )));
        }
        if !v.contains(&u) {
            v.push(u);
        }
    }
    if v.is_empty() {
        return Err(ReportError::Options(format!("{what}: no unit given")));
    }
    Ok(v)
}

/// Distinct finite values of a label, increasing.
pub fn distinct(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Whether the recording has a `ground_truth` label with two values or more: the analyses that
/// compare classes (selectivity, decoding, lesions by cluster) run by default only then.
pub fn has_ground_truth_classes(ctx: &RecurrentRun) -> bool {
    ctx.rec
        .label("ground_truth")
        .is_some_and(|col| distinct(&col.values).len() >= 2)
}

/// A label's value as a reader wants it: `ground_truth = 2 (choice1)` on a task with class
/// targets (the correct class by the task's name for it; GoNogo's 1 is `go`), `name = value`
/// otherwise.
pub fn label_value(spec: &TaskSpec, label: &str, v: f64) -> String {
    let class = (label == "ground_truth" && spec.categorical && v >= 0.0 && v.fract() == 0.0)
        .then(|| spec.output_names.get(v as usize))
        .flatten();
    match class {
        Some(name) => format!("{label} = {v} ({name})"),
        None => format!("{label} = {v}"),
    }
}

/// Outlined histograms (step lines) of `sets` on `bins` shared bins over their joint range, as
/// `(x, y)` per set, `y` the count per bin or, with `fraction`, the set's share of it.
pub fn outlines(sets: &[&[f64]], bins: usize, fraction: bool) -> Vec<(Vec<f64>, Vec<f64>)> {
    let all = || sets.iter().flat_map(|s| s.iter().copied());
    let lo = all().fold(f64::INFINITY, f64::min);
    let hi = all().fold(f64::NEG_INFINITY, f64::max);
    let w = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    sets.iter()
        .map(|v| {
            let mut counts = vec![0usize; bins];
            for x in v.iter() {
                counts[(((x - lo) / w) as usize).min(bins - 1)] += 1;
            }
            let scale = if fraction { v.len().max(1) as f64 } else { 1.0 };
            let (mut xs, mut ys) = (vec![lo], vec![0.0]);
            for (b, &c) in counts.iter().enumerate() {
                xs.extend([lo + b as f64 * w, lo + (b + 1) as f64 * w]);
                ys.extend([c as f64 / scale, c as f64 / scale]);
            }
            xs.push(lo + bins as f64 * w);
            ys.push(0.0);
            (xs, ys)
        })
        .collect()
}

/// A number with 3 significant digits for the report.
pub fn fmt3(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return format!("{v}");
    }
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
        format!("{v:.2e}")
    } else {
        let digits = (2 - v.abs().max(1e-12).log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

/// Pad the legend names of stacked panels to one length: the plot crate sizes a legend by its
/// longest name, so equal lengths give equal legend strips and aligned right edges.
pub fn align_legends(panels: &mut [Panel]) {
    let w = panels
        .iter()
        .flat_map(|p| p.series.iter().map(|s| s.name.chars().count()))
        .max()
        .unwrap_or(0);
    for s in panels
        .iter_mut()
        .flat_map(|p| p.series.iter_mut())
        .filter(|s| !s.name.is_empty())
    {
        let n = s.name.chars().count();
        s.name.extend(std::iter::repeat_n(' ', w - n));
    }
}

/// `run/figures/<name>` (a stem; the directory is created): where every analysis of a run,
/// recurrent or vision, puts its figures.
pub fn fig_in(run: &Path, name: &str) -> Result<PathBuf> {
    let d = run.join("figures");
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    Ok(d.join(name))
}

/// Write `run/analysis/<name>.json` (atomically) and, given arrays, `<name>.npz`; returns the
/// paths.
pub fn save_in(
    run: &Path,
    name: &str,
    json: &impl Serialize,
    npz: Option<&Npz>,
) -> Result<Vec<PathBuf>> {
    let d = run.join("analysis");
    std::fs::create_dir_all(&d).with_context(|| format!("cannot create {}", d.display()))?;
    let j = d.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(json)
        .with_context(|| format!("cannot serialise {}", j.display()))?;
    write_atomic(&j, text.as_bytes())?;
    let mut out = vec![j];
    if let Some(z) = npz {
        let p = d.join(format!("{name}.npz"));
        // What the file is: the analysis that wrote it (its JSON sibling names the arrays).
        let mut z = z.clone();
        if z.get("format").is_none() {
            z.text("format", &format!("neurodyn-analysis/1 {name}"))?;
        }
        z.save(&p)
            .with_context(|| format!("cannot write {}", p.display()))?;
        out.push(p);
    }
    Ok(out)
}
