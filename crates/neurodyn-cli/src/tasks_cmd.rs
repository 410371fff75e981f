//! `neurodyn tasks …`: list the task registry, show one task, sample trials to `.npz`.
//!
//! ```text
//! neurodyn tasks list
//! neurodyn tasks show PerceptualDecisionMaking     (or an image task: Mnist, FashionMnist, Cifar10)
//! neurodyn tasks sample yang19.dms-v0 --n 64 --dt 20 --seed 1 --compat neurogym --out dms.npz
//! neurodyn tasks plot DelayMatchSample --n 3 --out dms.png
//! ```
//! `sample` writes `inputs` (trial, time, n_in) f32; `targets` (trial, time) i64 with 0 = fixate
//! for categorical tasks, or (trial, time, n_out) f32 for continuous ones; `mask` (trial, time)
//! f32 (the task's loss weights on real steps, 0 on padding); `trial_len` (trial,) i64;
//! `period_<name>` (trial, 2) i64; one array per condition label (i64 or f64); and what the file
//! is (`task_name`, `compat`, `seed`, `dt_ms`, `time_ms`, channel and class names; see
//! `docs/FILES.md`). Trials are padded to the longest. An existing file is kept unless `--force`.

use anyhow::{bail, Context, Result};
use neurodyn_core::{Label, Rng, Targets};
use neurodyn_report::common::channels_panel;
use neurodyn_tasks::{build, sample_trials, Compat, TaskConfig, REGISTRY};
use std::path::PathBuf;

/// The `tasks` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum TasksCmd {
    /// List every registered task: name, n_in, n_out, default dt, tags.
    List,
    /// Show one task: channels, labels, periods with an ASCII timeline, the paper.
    Show {
        /// Task name, neurogym id or alias.
        name: String,
    },
    /// Sample trials and write them to an `.npz` file.
    Sample {
        /// Task name, neurogym id or alias.
        name: String,
        /// Number of trials.
        #[arg(long, default_value_t = 16)]
        n: usize,
        /// Time step in ms (default: the task's).
        #[arg(long)]
        dt: Option<f64>,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// `default` (correct by default) or `neurogym` (neurogym 2.3.1 semantics).
        #[arg(long, default_value = "default")]
        compat: String,
        /// Output file (`.npz`).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite the output file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Plot inputs and targets over time for a few trials (PNG and SVG); more than 12 channels
    /// are drawn as a channel × time heatmap.
    Plot {
        /// Task name, neurogym id or alias.
        name: String,
        /// Number of trials (one panel pair each).
        #[arg(long, default_value_t = 3)]
        n: usize,
        /// Time step in ms (default: the task's).
        #[arg(long)]
        dt: Option<f64>,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// `default` or `neurogym`.
        #[arg(long, default_value = "default")]
        compat: String,
        /// Output file (`.png`; an `.svg` is written beside it).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Run a `tasks` subcommand.
pub fn run(cmd: TasksCmd) -> Result<()> {
    match cmd {
        TasksCmd::List => list(),
        TasksCmd::Show { name } => show(&name),
        TasksCmd::Sample {
            name,
            n,
            dt,
            seed,
            compat,
            out,
            force,
        } => {
            crate::check_output(&out, force)?;
            sample(&name, n, dt, seed, &compat, &out)
        }
        TasksCmd::Plot {
            name,
            n,
            dt,
            seed,
            compat,
            out,
        } => plot(&name, n, dt, seed, &compat, &out),
    }
}

fn parse_compat(s: &str) -> Result<Compat> {
    s.parse().map_err(|e| anyhow::anyhow!("--compat {e}"))
}

fn list() -> Result<()> {
    println!(
        "{:<36} {:>5} {:>5} {:>7}  tags",
        "name", "n_in", "n_out", "dt_ms"
    );
    for entry in REGISTRY {
        let task = (entry.constructor)(&TaskConfig::default())
            .with_context(|| format!("building {}", entry.name))?;
        let s = task.spec();
        println!(
            "{:<36} {:>5} {:>5} {:>7}  {}",
            s.name,
            s.n_in,
            s.n_out,
            s.dt_ms,
            s.tags.join(", ")
        );
    }
    println!("\nimage tasks (neurodyn train --task NAME trains a CNN; see `tasks show NAME`):");
    for t in neurodyn_train::vision::IMAGE_TASKS {
        println!("{:<14} {}", t.name(), t.describe());
    }
    Ok(())
}

/// `tasks show` for an image task.
fn show_image_task(t: neurodyn_train::vision::ImageTask) {
    println!("{}  (image classification)", t.name());
    println!(
        "{}
",
        t.describe()
    );
    let (mean, std) = t.normalization();
    println!("inputs normalised: (pixel / 255 - {mean:?}) / {std:?} per channel");
    println!(
        "default network ([model] kind = \"cnn\", seed 000's): conv 3x3 pad 1 (6) > relu > \
         maxpool 2 > conv 3x3 pad 1 (16) > relu > maxpool 2 > flatten > fc 120 > relu > fc 84 > \
         relu > fc 10; Adam, lr 0.001, batch 64, 10 epochs"
    );
    println!(
        "train: neurodyn train --task {} --seed 0 --out runs/cnn",
        t.name()
    );
}

fn show(name: &str) -> Result<()> {
    if let Some(t) = neurodyn_train::vision::ImageTask::parse(name) {
        show_image_task(t);
        return Ok(());
    }
    let task = build(name, &TaskConfig::default())?;
    let s = task.spec();
    println!(
        "{}  (dt {} ms, {})",
        s.name,
        s.dt_ms,
        if s.categorical {
            "categorical"
        } else {
            "continuous"
        }
    );
    println!("{}\n", s.description);
    println!("paper: {}", s.paper);
    if let Some(entry) = neurodyn_tasks::find(name) {
        if !entry.aliases.is_empty() {
            println!("aliases: {}", entry.aliases.join(", "));
        }
    }
    println!("tags: {}", s.tags.join(", "));
    println!("inputs ({}): {}", s.n_in, name_runs(&s.input_names));
    println!("outputs ({}): {}", s.n_out, name_runs(&s.output_names));
    println!("labels: {}", s.label_names.join(", "));
    if let Some(ev) = &s.evidence_label {
        println!("evidence label: {ev}");
    }
    let params = neurodyn_tasks::parameters(name, &TaskConfig::default())?;
    if params.is_empty() {
        println!("parameters: none");
    } else {
        println!("parameters ([task.params], or a curriculum stage's params), with defaults:");
        let width = params.iter().map(|p| p.key.len()).max().unwrap_or(0);
        for p in &params {
            let default = p
                .default
                .as_deref()
                .unwrap_or("(not read with these settings)");
            println!("  {:<width$} = {default}", p.key);
        }
    }
    let trial = task.trial(&mut Rng::new(0));
    println!(
        "\nexample trial (seed 0): {} steps = {} ms",
        trial.n_steps(),
        trial.n_steps() as f64 * s.dt_ms
    );
    let width = 60usize;
    let scale = width as f64 / trial.n_steps().max(1) as f64;
    for p in &trial.periods {
        let a = (p.start as f64 * scale).round() as usize;
        let b = ((p.end as f64 * scale).round() as usize).max(a + usize::from(p.end > p.start));
        let bar: String = (0..width)
            .map(|i| if i >= a && i < b { '#' } else { '.' })
            .collect();
        println!(
            "  {:<14} {bar} [{:>4}, {:>4}) {:>7} ms",
            p.name,
            p.start,
            p.end,
            (p.end - p.start) as f64 * s.dt_ms
        );
    }
    Ok(())
}

fn sample(
    name: &str,
    n: usize,
    dt: Option<f64>,
    seed: u64,
    compat: &str,
    out: &std::path::Path,
) -> Result<()> {
    if n == 0 {
        bail!("--n must be at least 1");
    }
    let cfg = TaskConfig {
        dt_ms: dt,
        compat: parse_compat(compat)?,
        ..Default::default()
    };
    let task = build(name, &cfg)?;
    let spec = task.spec();
    neurodyn_train::ensure_trials_fit(
        task.as_ref(),
        0,
        n,
        &format!("tasks sample --n {n}"),
        "ask for fewer trials (--n)",
    )?;
    let trials = sample_trials(task.as_ref(), n, seed);
    let t_max = trials.iter().map(|t| t.n_steps()).max().unwrap_or(0);
    let npz = neurodyn_tasks::trials_npz(spec, &trials, cfg.compat, seed)?;
    npz.save(out)
        .with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {n} trials of {} ({} steps max, dt {} ms) to {}",
        spec.name,
        t_max,
        spec.dt_ms,
        out.display()
    );
    Ok(())
}

/// `tasks plot`: for each of `n` trials, a panel of inputs and a panel of targets over time, with
/// the task's periods shaded. Every channel is drawn: as lines up to `MAX_LINES` (12) channels, as a
/// channel × time heatmap beyond (AntiReach's 33 inputs, ProbabilisticReasoning's 41).
fn plot(
    name: &str,
    n: usize,
    dt: Option<f64>,
    seed: u64,
    compat: &str,
    out: &std::path::Path,
) -> Result<()> {
    use neurodyn_plot::{Panel, Series, Shade};
    if n == 0 || n > 12 {
        bail!("--n must be between 1 and 12, got {n}");
    }
    let cfg = TaskConfig {
        dt_ms: dt,
        compat: parse_compat(compat)?,
        ..TaskConfig::default()
    };
    let task = build(name, &cfg)?;
    let spec = task.spec().clone();
    let trials = sample_trials(task.as_ref(), n, seed);
    let mut panels = Vec::new();
    for (k, tr) in trials.iter().enumerate() {
        let shaded: Vec<Shade> = tr
            .periods
            .iter()
            .map(|p| {
                Shade::new(
                    p.start as f64 * spec.dt_ms,
                    p.end as f64 * spec.dt_ms,
                    p.name.clone(),
                )
            })
            .collect();
        let labels: Vec<String> = tr
            .labels
            .0
            .iter()
            .map(|(k, v)| match v {
                // The correct class, by the task's name for it.
                Label::Int(i) if k == "ground_truth" && spec.categorical => {
                    match usize::try_from(*i)
                        .ok()
                        .and_then(|c| spec.output_names.get(c))
                    {
                        Some(name) => format!("{k}={i} ({name})"),
                        None => format!("{k}={i}"),
                    }
                }
                Label::Int(i) => format!("{k}={i}"),
                Label::Float(f) => {
                    // Three decimals at most, no trailing zeros, no "-0".
                    let text = format!("{f:.3}");
                    let text = text.trim_end_matches('0').trim_end_matches('.');
                    let text = if text == "-0" { "0" } else { text };
                    format!("{k}={text}")
                }
            })
            .take(3)
            .collect();
        let steps = tr.n_steps();
        let mut inputs = channels_panel(
            "input",
            &spec.input_names,
            &tr.inputs,
            tr.n_in,
            steps,
            spec.dt_ms,
        );
        inputs.title = format!("trial {k} inputs: {}", labels.join(", "));
        let mut targets = match &tr.targets {
            // One level per class, named, without ramps between them: a class is a category,
            // not a quantity to interpolate.
            Targets::Class(c) => Panel {
                y_label: "target class".into(),
                series: (0..spec.n_out)
                    .filter(|&class| c.iter().any(|&v| v as usize == class))
                    .map(|class| {
                        let name = spec
                            .output_names
                            .get(class)
                            .map_or_else(|| format!("class {class}"), |n| format!("{class}: {n}"));
                        // Each step of the class as a segment [t, t + dt): a one-step
                        // response shows, and other classes' steps break the line.
                        let (mut xs, mut ys) = (Vec::new(), Vec::new());
                        for (t, &v) in c.iter().enumerate() {
                            if v as usize == class {
                                xs.extend([t as f64 * spec.dt_ms, (t + 1) as f64 * spec.dt_ms]);
                                ys.extend([class as f64; 2]);
                            } else if ys.last().is_some_and(|y: &f64| y.is_finite()) {
                                xs.push(t as f64 * spec.dt_ms);
                                ys.push(f64::NAN);
                            }
                        }
                        Series::new(name, xs, ys).color(class)
                    })
                    .collect(),
                y_range: Some((-0.3, spec.n_out.max(2) as f64 - 0.7)),
                legend: neurodyn_plot::LegendPos::Right,
                ..Panel::default()
            },
            Targets::Continuous(v) => {
                channels_panel("target", &spec.output_names, v, tr.n_out, steps, spec.dt_ms)
            }
        };
        targets.title = format!("trial {k} target ({})", spec.name);
        for p in [&mut inputs, &mut targets] {
            p.x_label = "time (ms)".into();
            p.x_range = Some((0.0, steps as f64 * spec.dt_ms));
            p.shaded = shaded.clone();
        }
        panels.push(inputs);
        panels.push(targets);
    }
    let height = if panels.iter().any(|p| p.raster.is_some()) {
        420
    } else {
        300
    };
    let stem = out.with_extension("");
    neurodyn_plot::panels_sized(&stem, &panels, 1, (900, height))
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}.png and {}.svg", stem.display(), stem.display());
    Ok(())
}

/// Channel names joined by commas, a run of three or more numbered in sequence (`feature0`,
/// `feature1`, … `feature195`) written as its first and last, `feature0…feature195`.
fn name_runs(names: &[String]) -> String {
    // A name's stem and number: `feature12` → ("feature", 12); none without trailing digits.
    let split = |n: &str| -> Option<(String, u64)> {
        let stem = n.trim_end_matches(|c: char| c.is_ascii_digit());
        let digits = &n[stem.len()..];
        // A leading zero (`x01`) is not the next of `x0`: such names stay as they are.
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return None;
        }
        digits.parse().ok().map(|v| (stem.to_string(), v))
    };
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < names.len() {
        let mut j = i + 1;
        if let Some((stem, first)) = split(&names[i]) {
            while j < names.len()
                && split(&names[j]).is_some_and(|(s, v)| s == stem && v == first + (j - i) as u64)
            {
                j += 1;
            }
        }
        if j - i >= 3 {
            parts.push(format!("{}…{}", names[i], names[j - 1]));
        } else {
            j = i + 1;
            parts.push(names[i].clone());
        }
        i = j;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::name_runs;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn numbered_runs_are_written_as_their_ends() {
        let mut v = vec!["fixation".to_string()];
        v.extend((0..196).map(|i| format!("feature{i}")));
        assert_eq!(name_runs(&v), "fixation, feature0…feature195");
        // Two in sequence stay listed; a gap, another stem or a leading zero ends a run.
        let v = names(&["a0", "a1", "b", "c1", "c2", "c3", "c5", "x0", "x01", "x2"]);
        assert_eq!(name_runs(&v), "a0, a1, b, c1…c3, c5, x0, x01, x2");
        assert_eq!(
            name_runs(&names(&["fixate", "left", "right"])),
            "fixate, left, right"
        );
        assert_eq!(name_runs(&[]), "");
    }
}
