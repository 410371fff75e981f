//! `analyze RUN lesion`: silence units or cut connections, then re-evaluate on fresh trials
//! (`neurodyn_train::record` + `score`) and compare accuracy overall and per condition.
//!
//! - `--units 0,3,5`: silence these units — zero their outgoing weights, i.e. column j of every
//!   weight matrix whose columns are the units (`cell.w_rec`, `readout.w_out`; not `cell.w_in`,
//!   whose columns are inputs, nor vectors such as biases). Their activity then reaches nothing.
//! - `--cluster`: cluster the active units by their response profile (mean rate per
//!   `ground_truth` value and period, each unit scaled to max 1; k-means with k by silhouette,
//!   2..=6) and silence each cluster in turn.
//! - `--group-a 0,1 --group-b 2,3`: cut the connections from B to A (`w_rec[i∈A, j∈B] = 0`).
//!
//! With Dale's law the effective weight is `|W| ⊙ sign`, so a zeroed parameter is a zeroed
//! effective weight. Figures: `lesion` (overall accuracy per variant) and `lesion_conditions`
//! (accuracy against the evidence label, or the first label, per variant).
//!
//! On a vision run (a CNN or MLP) the lesion acts on one layer with parameters (`--layer
//! conv2`): a silenced unit (a channel of a convolution, a feature of a linear layer) is one whose
//! slice of every parameter tensor of the layer along its output dimension is zeroed (weight
//! row, bias, and a batch norm's scale and shift or a weight norm's gain alike), so its output
//! is 0 on every image. The network is scored on every held-out image, overall and per class.
//!
//! - `--layer conv2 --units 3,5`: silence these units together;
//! - `--layer conv2` alone (the default of `analyze RUN all`: the last convolution, else the
//!   first linear layer): silence each unit of the layer in turn. Figures: `lesion` (accuracy
//!   per variant) and `lesion_classes` (the change of each class's accuracy, unit × class).

use crate::analysis::{Analysis, Outcome};
use crate::common::{distinct, fig_files, parse_units, RecurrentRun, Section};
use crate::view::{RunKind, RunView};
use crate::vision_run::VisionRun;
use crate::error::{Context, ReportError, Result};
use clap::Args;
use neurodyn_analysis::cluster::{select_k, KMeansConfig};
use neurodyn_core::Rng;
use neurodyn_nn::Network;
use neurodyn_core::Npz;
use neurodyn_nn::layers::FeedForward;
use neurodyn_plot::{bar_with_reference, heatmap, panels, ColorMap, Heatmap, Panel, Series, SeriesStyle};
use neurodyn_train::vision::{eval as vision_eval, ClassScore};
use neurodyn_train::{record, score, Score};
use serde_json::json;

/// Options of `analyze RUN lesion`.
#[derive(Args, Debug, Clone, Default)]
pub struct LesionArgs {
    /// Silence these units, e.g. 0,3,5.
    #[arg(long, conflicts_with_all = ["cluster", "group_a"])]
    pub units: Option<String>,
    /// Cluster units by response profile and silence each cluster in turn.
    #[arg(long, conflicts_with = "group_a")]
    pub cluster: bool,
    /// Cut connections from --group-b onto these units.
    #[arg(long, requires = "group_b")]
    pub group_a: Option<String>,
    /// Presynaptic group of the cut.
    #[arg(long, requires = "group_a")]
    pub group_b: Option<String>,
    /// Fresh trials per evaluation.
    #[arg(long, default_value_t = 500)]
    pub n: usize,
    /// Seed of the fresh trials (default: the run's eval seed + 1).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Vision runs: the layer whose units (channels) are silenced, e.g. conv2; without
    /// --units, each of its units in turn.
    #[arg(long, conflicts_with_all = ["cluster", "group_a"])]
    pub layer: Option<String>,
}

impl LesionArgs {
    /// `--cluster` with defaults.
    pub fn by_cluster() -> Self {
        LesionArgs {
            cluster: true,
            n: 500,
            ..LesionArgs::default()
        }
    }
}

/// Zero column `j` of every unit-indexed weight matrix for each silenced unit.
pub(crate) fn silence(net: &mut Network<f32>, units: &[usize]) {
    let h = net.n_units();
    for (k, spec) in net.layout.specs.iter().enumerate() {
        let is_matrix = spec
            .name
            .rsplit('.')
            .next()
            .is_some_and(|n| n.starts_with("w_"));
        if spec.cols != h || spec.name == "cell.w_in" || !is_matrix {
            continue;
        }
        let off = net.layout.offsets[k];
        for r in 0..spec.rows {
            for &j in units {
                net.params[off + r * spec.cols + j] = 0.0;
            }
        }
    }
}

/// Zero `w_rec[i, j]` for i in `a`, j in `b`.
fn cut(net: &mut Network<f32>, a: &[usize], b: &[usize]) -> Result<()> {
    let h = net.n_units();
    let r = net
        .layout
        .range_of("cell.w_rec")
        .context("the network has no cell.w_rec to cut")?;
    for &i in a {
        for &j in b {
            net.params[r.start + i * h + j] = 0.0;
        }
    }
    Ok(())
}

/// Response profile clusters of the active units: `(cluster name, units)`.
fn clusters(ctx: &RecurrentRun) -> Result<Vec<(String, Vec<usize>)>> {
    let rec = &ctx.rec;
    let col = rec
        .label("ground_truth")
        .or_else(|| rec.labels.iter().find(|c| c.discrete))
        .context("--cluster needs a discrete label")?;
    let vals = distinct(&col.values);
    let u = rec.n_units;
    let mut feats: Vec<Vec<f64>> = vec![Vec::new(); u];
    for (p, _) in &rec.periods {
        for &v in &vals {
            let (mut sum, mut n) = (vec![0.0; u], 0usize);
            for i in (0..rec.n_trials).filter(|&i| col.values[i] == v) {
                if let Some((s, e)) = rec.period(p, i) {
                    for t in s..e.min(rec.trial_len[i]) {
                        sum.iter_mut().enumerate().for_each(|(k, a)| {
                            *a += rec.rates[(i * rec.n_steps + t) * u + k] as f64
                        });
                        n += 1;
                    }
                }
            }
            if n > 0 {
                feats
                    .iter_mut()
                    .zip(&sum)
                    .for_each(|(f, s)| f.push(s / n as f64));
            }
        }
    }
    let active: Vec<usize> = (0..u)
        .filter(|&k| feats[k].iter().copied().fold(0.0, f64::max) > 1e-3)
        .collect();
    if active.len() < 3 {
        return Err(ReportError::Options(format!(
            "--cluster: only {} active units; give --units instead",
            active.len()
        )));
    }
    let d = feats[active[0]].len();
    let data: Vec<f64> = active
        .iter()
        .flat_map(|&k| {
            let m = feats[k].iter().copied().fold(0.0, f64::max);
            feats[k].iter().map(move |v| v / m).collect::<Vec<_>>()
        })
        .collect();
    let mut rng = Rng::new(0);
    let best = select_k(
        &data,
        active.len(),
        d,
        2,
        6,
        &KMeansConfig::default(),
        &mut rng,
    )?;
    let mut out: Vec<(String, Vec<usize>)> = (0..best.best_k)
        .map(|c| {
            (
                format!("cluster {c}"),
                active
                    .iter()
                    .zip(&best.best.labels)
                    .filter(|(_, &l)| l == c)
                    .map(|(&k, _)| k)
                    .collect(),
            )
        })
        .collect();
    out.retain(|(_, v): &(String, Vec<usize>)| !v.is_empty());
    Ok(out)
}

/// Run the lesion analysis.
pub fn run(ctx: &RecurrentRun, a: &LesionArgs) -> Result<Section> {
    let mut loaded = neurodyn_train::load_run::<f32>(&ctx.dir)
        .with_context(|| format!("cannot load the network of {}", ctx.dir.display()))?;
    let h = loaded.net.n_units();
    let variants: Vec<(String, Vec<usize>, Vec<usize>)> = if let Some(s) = &a.units {
        let u = parse_units(s, h, "--units")?;
        vec![(format!("silence {}", s.trim()), u, vec![])]
    } else if a.cluster {
        clusters(ctx)?
            .into_iter()
            .map(|(n, u)| (format!("{n} (n={})", u.len()), u, vec![]))
            .collect()
    } else if let (Some(ga), Some(gb)) = (&a.group_a, &a.group_b) {
        let (ua, ub) = (
            parse_units(ga, h, "--group-a")?,
            parse_units(gb, h, "--group-b")?,
        );
        vec![(format!("cut B→A ({}×{})", ua.len(), ub.len()), ua, ub)]
    } else {
        return Err(ReportError::Options(
            "lesion: say what to lesion: --units 0,3,5, --cluster, or --group-a 0,1 --group-b 2,3"
                .to_string(),
        ));
    };
    let seed = a.seed.unwrap_or(loaded.cfg.eval.seed.wrapping_add(1));
    let trials = neurodyn_tasks::sample_trials(loaded.task.as_ref(), a.n.max(1), seed);
    let original = loaded.net.params.clone();
    let eval = |net: &mut Network<f32>| -> Result<Score> { Ok(score(&record(net, &trials, 250)?)) };
    let intact = eval(&mut loaded.net)?;
    let mut results: Vec<(String, Vec<usize>, Vec<usize>, Score)> = Vec::new();
    for (name, ua, ub) in variants {
        loaded.net.params.clone_from(&original);
        if ub.is_empty() {
            silence(&mut loaded.net, &ua);
        } else {
            cut(&mut loaded.net, &ua, &ub)?;
        }
        let sc = eval(&mut loaded.net)?;
        results.push((name, ua, ub, sc));
    }
    // Trials on which the network still fixated at the step it is scored on: it never answered
    // (on no-go trials that is the right answer).
    let no_response = |sc: &Score| {
        sc.choice.iter().filter(|&&c| c == 0).count() as f64 / sc.choice.len().max(1) as f64
    };
    // Guessing among the choices (class 0 is fixation).
    let chance = ctx
        .spec
        .categorical
        .then(|| 1.0 / ctx.spec.n_out.saturating_sub(1).max(2) as f64);
    let json = json!({
        "n_trials": trials.len(), "seed": seed, "chance": chance,
        "intact": &intact, "intact_no_response": no_response(&intact),
        "lesions": results.iter().map(|(n, ua, ub, sc)| json!({"name": n, "units": ua, "presynaptic": ub, "score": sc, "no_response": no_response(sc)})).collect::<Vec<_>>(),
    });
    let mut files = ctx.save("lesion", &json, None)?;

    let mut names = vec!["intact".to_string()];
    names.extend(results.iter().map(|r| r.0.clone()));
    let mut acc = vec![intact.accuracy];
    acc.extend(results.iter().map(|r| r.3.accuracy));
    let stem = ctx.fig("lesion")?;
    bar_with_reference(
        &stem,
        &format!("Accuracy after lesions ({} fresh trials)", trials.len()),
        &names,
        &acc,
        "accuracy",
        chance.map(|c| (c, "chance")),
    )?;
    files.extend(fig_files(&stem));
    let mut figures = vec![stem.with_extension("svg")];
    let label = ctx
        .spec
        .evidence_label
        .clone()
        .filter(|l| intact.per_condition.contains_key(l))
        .or_else(|| intact.per_condition.keys().next().cloned());
    if let Some(label) = label {
        let row = |sc: &Score| {
            sc.per_condition.get(&label).map(|r| {
                (
                    r.iter().map(|c| c.value).collect::<Vec<_>>(),
                    r.iter().map(|c| c.accuracy).collect::<Vec<_>>(),
                )
            })
        };
        let mut series = Vec::new();
        let n_lines = results.len() + 1;
        for (k, (n, sc)) in std::iter::once(("intact".to_string(), &intact))
            .chain(results.iter().map(|r| (r.0.clone(), &r.3)))
            .enumerate()
        {
            if let Some((x, y)) = row(sc) {
                // Each line shifted by a little of the x step, so that lines at the same
                // accuracy stay visible side by side instead of hiding each other.
                let step = x
                    .windows(2)
                    .map(|w| w[1] - w[0])
                    .fold(f64::INFINITY, f64::min);
                let step = if step.is_finite() { step } else { 1.0 };
                let shift = 0.3 * step * (k as f64 - (n_lines as f64 - 1.0) / 2.0)
                    / n_lines.max(1) as f64;
                series.push(
                    Series::new(n, x.iter().map(|v| v + shift).collect(), y)
                        .color(k)
                        .style(SeriesStyle::LineAndPoints),
                );
            }
        }
        let p = Panel {
            title: "Accuracy per condition".into(),
            x_label: label.replace('_', " "),
            y_label: "accuracy".into(),
            series,
            y_range: Some((-0.02, 1.02)),
            hlines: chance.into_iter().collect(),
            ..Panel::default()
        };
        let stem_c = ctx.fig("lesion_conditions")?;
        panels(&stem_c, &[p], 1)?;
        files.extend(fig_files(&stem_c));
        figures.push(stem_c.with_extension("svg"));
    }
    let cell = |sc: &Score| format!("{:.3} (no response {:.3})", sc.accuracy, no_response(sc));
    let mut numbers = vec![("accuracy intact".into(), cell(&intact))];
    numbers.extend(
        results
            .iter()
            .take(4)
            .map(|r| (format!("accuracy, {}", r.0), cell(&r.3))),
    );
    if let Some(c) = chance {
        numbers.push(("chance (guessing among the choices)".into(), format!("{c:.3}")));
    }
    Ok(Section {
        name: "lesion".into(),
        title: "Lesions".into(),
        note: format!(
            "Accuracy on {} fresh trials with units silenced (outgoing recurrent and readout weights zeroed) or \
             connections cut, against the intact network; the dashed line is chance, and \"no response\" is the \
             fraction of trials on which the network still fixated when it should have answered (or, on no-go \
             trials, rightly did). Lines in the second figure are shifted a little sideways so that equal ones stay \
             visible.{}",
            trials.len(),
            if a.cluster { " Clusters: k-means on each active unit's mean rate per condition and period (scaled to max 1), k by silhouette." } else { "" }
        ),
        figures,
        numbers,
        files,
        warnings: Vec::new(),
    })
}

/// Zero, for each unit in `units`, its slice of every parameter tensor of layer `l` along the
/// layer's output dimension (its channels, or its features): the unit's output is then 0.
pub(crate) fn silence_layer(ff: &mut FeedForward<f32>, l: usize, units: &[usize]) {
    let c = ff.layers[l].out_shape()[0];
    let mut off = ff.param_range(l).start;
    for (name, len) in ff.layers[l].params() {
        assert_eq!(len % c, 0, "{name}: {len} values are not {c} output slices");
        let per = len / c;
        for &u in units {
            ff.params[off + u * per..off + (u + 1) * per].fill(0.0);
        }
        off += len;
    }
}

/// The layer `analyze RUN all` lesions on a vision run: the last convolution, else the first
/// layer with parameters.
fn default_layer(acts: &VisionRun) -> Option<String> {
    let named = acts.parameterised();
    named
        .iter()
        .rev()
        .find(|n| n.starts_with("conv"))
        .or(named.first())
        .map(|n| n.to_string())
}

/// The lesion analysis of a vision run.
pub fn run_vision(acts: &VisionRun, a: &LesionArgs) -> Result<Section> {
    if a.cluster || a.group_a.is_some() {
        return Err(ReportError::Options(
            "lesion: --cluster and --group-a/--group-b act on recurrent runs; on a vision run \
             give --layer NAME [--units 3,5]"
                .into(),
        ));
    }
    let dir = acts.model_dir("lesion")?;
    if neurodyn_train::vision::conv_rnn_run::is_run(dir) {
        return Err(ReportError::Run(format!(
            "lesion acts on a CNN's or MLP's layers; {} is a conv-ctrnn run",
            dir.display()
        )));
    }
    let mut p = neurodyn_train::vision::load_vision_run(dir)
        .with_context(|| format!("cannot load the network of {}", dir.display()))?;
    let ff = &p.net.net;
    let with_params: Vec<&str> = p
        .net
        .output_names
        .iter()
        .zip(&ff.layers)
        .filter(|(_, l)| l.n_params() > 0)
        .map(|(n, _)| n.as_str())
        .collect();
    let layer = a.layer.clone().ok_or_else(|| {
        ReportError::Options(format!(
            "lesion: say which layer: --layer NAME (layers with units to silence: {})",
            with_params.join(", ")
        ))
    })?;
    let l = p
        .net
        .output_names
        .iter()
        .position(|n| *n == layer)
        .filter(|&l| ff.layers[l].n_params() > 0)
        .ok_or_else(|| {
            ReportError::Options(format!(
                "lesion: the network has no layer '{layer}' with units to silence (layers with \
                 parameters: {})",
                with_params.join(", ")
            ))
        })?;
    let n_units = ff.layers[l].out_shape()[0];
    let what = if ff.layers[l].out_shape()[1] * ff.layers[l].out_shape()[2] > 1 {
        "channel"
    } else {
        "unit"
    };
    let variants: Vec<(String, Vec<usize>)> = match &a.units {
        Some(s) => {
            let u = parse_units(s, n_units, "--units")?;
            vec![(format!("{layer} {what}s {}", s.trim()), u)]
        }
        None => (0..n_units)
            .map(|u| (format!("{layer} {what} {u}"), vec![u]))
            .collect(),
    };
    let test = &p.data.test;
    let all: Vec<usize> = (0..test.len()).collect();
    let threads = p.cfg.train.threads.max(1);
    let intact = vision_eval::score(&p.net, test, &all, &p.norm, threads);
    let original = p.net.net.params.clone();
    let mut results: Vec<(String, Vec<usize>, ClassScore)> = Vec::new();
    for (name, units) in variants {
        p.net.net.params.clone_from(&original);
        silence_layer(&mut p.net.net, l, &units);
        let sc = vision_eval::score(&p.net, test, &all, &p.norm, threads);
        results.push((name, units, sc));
    }
    let k = intact.per_class.len();
    let chance = 1.0 / k.max(1) as f64;
    let json = json!({
        "layer": layer, "n_images": test.len(), "chance": chance,
        "intact": &intact,
        "lesions": results.iter().map(|(n, u, sc)| json!({"name": n, "units": u, "score": sc})).collect::<Vec<_>>(),
    });
    // (variant, class) accuracy change, and each variant's overall accuracy.
    let delta: Vec<f64> = results
        .iter()
        .flat_map(|(_, _, sc)| {
            sc.per_class
                .iter()
                .zip(&intact.per_class)
                .map(|(r, i)| r.accuracy - i.accuracy)
        })
        .collect();
    let mut z = Npz::new();
    z.f64("accuracy", &[results.len()], results.iter().map(|r| r.2.accuracy).collect())?;
    z.f64("class_accuracy_change", &[results.len(), k], delta.clone())?;
    z.f64("intact_class_accuracy", &[k], intact.per_class.iter().map(|r| r.accuracy).collect())?;
    let mut files = acts.save("lesion", &json, &z)?;

    let mut names = vec!["intact".to_string()];
    names.extend(results.iter().map(|r| r.0.clone()));
    let mut acc = vec![intact.accuracy];
    acc.extend(results.iter().map(|r| r.2.accuracy));
    let stem = acts.fig("lesion")?;
    bar_with_reference(
        &stem,
        &format!("Accuracy after lesions of {layer} ({} held-out images)", test.len()),
        &names,
        &acc,
        "accuracy",
        Some((chance, "chance")),
    )?;
    files.extend(fig_files(&stem));
    let mut figures = vec![stem.with_extension("svg")];
    let stem_c = acts.fig("lesion_classes")?;
    heatmap(
        &stem_c,
        &Heatmap {
            title: format!("Change of each class's accuracy, {layer} lesioned"),
            data: delta.clone(),
            rows: results.len(),
            cols: k,
            row_labels: results.iter().map(|r| r.0.replace(&format!("{layer} "), "")).collect(),
            col_labels: intact.per_class.iter().map(|r| r.class.clone()).collect(),
            x_label: "class".into(),
            y_label: format!("silenced in {layer}"),
            colormap: ColorMap::Diverging,
            colorbar_label: "accuracy − intact".into(),
            ..Heatmap::default()
        },
    )?;
    files.extend(fig_files(&stem_c));
    figures.push(stem_c.with_extension("svg"));

    let mut numbers = vec![("accuracy intact".into(), format!("{:.4}", intact.accuracy))];
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&i, &j| results[i].2.accuracy.total_cmp(&results[j].2.accuracy));
    for &i in order.iter().take(4) {
        let (name, _, sc) = &results[i];
        let (worst, d) = sc
            .per_class
            .iter()
            .zip(&intact.per_class)
            .map(|(r, i)| (r.class.clone(), r.accuracy - i.accuracy))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap_or_default();
        numbers.push((
            format!("accuracy, {name} silenced"),
            format!("{:.4} (class {worst} {:+.3})", sc.accuracy, d),
        ));
    }
    Ok(Section {
        name: "lesion".into(),
        title: "Lesions".into(),
        note: format!(
            "Accuracy on the {} held-out images with {what}s of {layer} silenced (their weights, bias and any \
             normalisation parameters zeroed, so their output is 0), against the intact network; the dashed \
             line is chance. The heat map gives each class's change of accuracy; the numbers list the most \
             harmful lesions first, with the class that lost the most.",
            test.len()
        ),
        figures,
        numbers,
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN lesion`: on a recurrent run, by default each cluster of units silenced in turn
/// (when the recording has two `ground_truth` classes or more); on a vision run, by default
/// each channel of the last convolution in turn.
pub struct Lesion;

impl Analysis for Lesion {
    const NAME: &'static str = "lesion";
    const ABOUT: &'static str = "Silence units (a layer's channels in a CNN) or cut connections, re-evaluate.";
    type Input = RunView;
    type Options = LesionArgs;
    fn defaults(view: &RunView) -> Option<LesionArgs> {
        match view.kind() {
            RunKind::Recurrent => {
                let ctx = view.recurrent().ok()?;
                crate::analyses::selectivity::SelectivityArgs::default_for(ctx)
                    .map(|_| LesionArgs::by_cluster())
            }
            RunKind::Vision => {
                let acts = view.vision().ok()?;
                if acts.responses.is_some()
                    || neurodyn_train::vision::conv_rnn_run::is_run(&acts.dir)
                {
                    return None;
                }
                default_layer(acts).map(|layer| LesionArgs {
                    layer: Some(layer),
                    ..LesionArgs::default()
                })
            }
        }
    }
    fn run(view: &RunView, options: &LesionArgs) -> Result<Outcome> {
        match view.kind() {
            RunKind::Recurrent => {
                if options.layer.is_some() {
                    return Err(ReportError::Options(
                        "lesion: --layer names a layer of a vision run; a recurrent run takes \
                         --units, --cluster or --group-a/--group-b"
                            .into(),
                    ));
                }
                run(view.recurrent()?, options).map(Outcome::Done)
            }
            RunKind::Vision => run_vision(view.vision()?, options).map(Outcome::Done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::silence_layer;
    use neurodyn_core::Rng;
    use neurodyn_nn::layers::{Conv2d, FeedForward, Flatten, Linear, StackWorkspace};

    /// A silenced channel of a convolution and a silenced feature of a linear layer output
    /// exactly 0 on every input; every other unit is untouched.
    #[test]
    fn silenced_units_output_zero_and_the_others_do_not_change() {
        let layers: Vec<Box<dyn neurodyn_nn::layers::Layer<f32>>> = vec![
            Box::new(Conv2d::new([2, 5, 5], 4, (3, 3), (1, 1), (1, 1), (1, 1), true).expect("conv")),
            Box::new(Flatten::new([4, 5, 5])),
            Box::new(Linear::new([100, 1, 1], 6, true)),
        ];
        let mut ff = FeedForward::new(layers, &mut Rng::new(3)).expect("stack");
        let x: Vec<f32> = (0..3 * 50).map(|i| (0.37 * i as f32).sin()).collect();
        let mut ws = StackWorkspace::default();
        let intact: Vec<Vec<f32>> = {
            ff.forward(&mut ws, &x, 3, false, 1);
            ws.acts.clone()
        };
        silence_layer(&mut ff, 0, &[1, 3]);
        silence_layer(&mut ff, 2, &[4]);
        ff.forward(&mut ws, &x, 3, false, 1);
        for n in 0..3 {
            for c in 0..4 {
                let at = n * 100 + c * 25;
                let (got, was) = (&ws.acts[1][at..at + 25], &intact[1][at..at + 25]);
                if c == 1 || c == 3 {
                    assert!(got.iter().all(|&v| v == 0.0), "channel {c}: {got:?}");
                    assert!(was.iter().any(|&v| v != 0.0), "channel {c} was active");
                } else {
                    assert_eq!(got, was, "channel {c} changed");
                }
            }
            assert_eq!(ws.acts[3][n * 6 + 4], 0.0, "fc unit 4");
        }
    }
}
