//! `analyze RUN task-variance` (Yang et al. 2019): on a run trained on several tasks
//! (`--task Yang19Go+Yang19Anti+…`), record fresh trials of each task with its rule input,
//! compute every unit's variance across conditions per task (`neurodyn_analysis::task_variance`),
//! cluster the normalised profiles (k by silhouette), then silence each cluster in turn and
//! re-score every task on the same trials.
//!
//! Figures: `task_variance` (kept units × tasks, normalised, units grouped by cluster) and
//! `task_variance_lesion` (accuracy per task, intact and with each cluster silenced).

use crate::analysis::{Analysis, Outcome};
use crate::common::{fig_files, fmt3, RecurrentRun, Section};
use super::lesion::silence;
use crate::error::{Context, ReportError, Result};
use clap::Args;
use neurodyn_analysis::task_variance::{self, TaskVarianceConfig};
use neurodyn_core::{Recording, Rng};
use neurodyn_plot::{heatmap, ColorMap, Heatmap};
use neurodyn_tasks::MultiTask;
use neurodyn_train::{record, score};
use serde_json::json;

/// Options of `analyze RUN task-variance`.
#[derive(Args, Debug, Clone)]
pub struct TaskVarianceArgs {
    /// Fresh trials per task.
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Seed of the fresh trials (task k uses seed + k).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Largest number of clusters tried.
    #[arg(long, default_value_t = 10)]
    pub k_max: usize,
}

impl Default for TaskVarianceArgs {
    fn default() -> Self {
        TaskVarianceArgs {
            n: 200,
            seed: 0,
            k_max: 10,
        }
    }
}

/// Whether the run was trained on several tasks.
pub fn applies(ctx: &RecurrentRun) -> bool {
    ctx.spec.name.contains('+')
}

/// Run the task-variance analysis.
pub fn run(ctx: &RecurrentRun, a: &TaskVarianceArgs) -> Result<Section> {
    if !applies(ctx) {
        return Err(ReportError::Run(format!(
            "task-variance needs a run trained on several tasks (e.g. `neurodyn train --task \
             Yang19Go+Yang19Anti+Yang19Dm1`); {} was trained on {} alone",
            ctx.dir.display(),
            ctx.spec.name
        )));
    }
    let mut loaded = neurodyn_train::load_run::<f32>(&ctx.dir)
        .with_context(|| format!("cannot load the network of {}", ctx.dir.display()))?;
    let names: Vec<&str> = ctx.spec.name.split('+').collect();
    let multi = MultiTask::new(&names, &loaded.cfg.task.task_config())?;
    let n = a.n.max(2);
    let trials: Vec<_> = (0..names.len())
        .map(|k| multi.trials_of(k, n, a.seed.wrapping_add(k as u64)))
        .collect();
    let recs: Vec<Recording> = trials
        .iter()
        .map(|t| record(&mut loaded.net, t, 250))
        .collect::<std::result::Result<_, _>>()?;
    let by_task: Vec<(&str, &Recording)> = names.iter().copied().zip(recs.iter()).collect();
    let cfg = TaskVarianceConfig {
        k_max: a.k_max.max(2),
        ..TaskVarianceConfig::default()
    };
    let tv = task_variance::run(&by_task, &cfg, &mut Rng::new(a.seed))?;
    let t = names.len();

    // Lesions: intact, then each cluster silenced, every task re-scored on the same trials.
    let original = loaded.net.params.clone();
    let mut rows: Vec<(String, Vec<f64>)> = vec![(
        "intact".into(),
        recs.iter().map(|r| score(r).accuracy).collect(),
    )];
    for c in 0..tv.k {
        let units: Vec<usize> = tv
            .kept_units
            .iter()
            .zip(&tv.labels)
            .filter(|(_, &l)| l == c)
            .map(|(&u, _)| u)
            .collect();
        silence(&mut loaded.net, &units);
        let acc = trials
            .iter()
            .map(|tr| Ok(score(&record(&mut loaded.net, tr, 250)?).accuracy))
            .collect::<Result<Vec<f64>>>()?;
        loaded.net.params.clone_from(&original);
        rows.push((format!("cluster {c} (n={})", units.len()), acc));
    }

    // Figure 1: normalised task variance, rows in cluster order.
    let m = tv.kept_units.len();
    let data: Vec<f64> = tv
        .order
        .iter()
        .flat_map(|&r| tv.normalized[r * t..(r + 1) * t].to_vec())
        .collect();
    let blocks: Vec<usize> = (1..m)
        .filter(|&i| tv.labels[tv.order[i]] != tv.labels[tv.order[i - 1]])
        .collect();
    let short: Vec<String> = names
        .iter()
        .map(|s| s.trim_start_matches("Yang19").to_string())
        .collect();
    let stem = ctx.fig("task_variance")?;
    heatmap(
        &stem,
        &Heatmap {
            title: format!(
                "Normalised task variance, {m} active units, {} clusters",
                tv.k
            ),
            data,
            rows: m,
            cols: t,
            row_labels: tv
                .order
                .iter()
                .map(|&r| format!("{} (c{})", tv.kept_units[r], tv.labels[r]))
                .collect(),
            col_labels: short.clone(),
            x_label: "task".into(),
            y_label: "unit (grouped by cluster)".into(),
            colormap: ColorMap::Sequential,
            range: Some((0.0, 1.0)),
            row_blocks: blocks,
            colorbar_label: "variance / unit max".into(),
            ..Heatmap::default()
        },
    )?;
    // Figure 2: accuracy per task, intact and per lesioned cluster.
    let stem_l = ctx.fig("task_variance_lesion")?;
    heatmap(
        &stem_l,
        &Heatmap {
            title: "Accuracy with each cluster silenced".into(),
            data: rows.iter().flat_map(|(_, v)| v.clone()).collect(),
            rows: rows.len(),
            cols: t,
            row_labels: rows.iter().map(|(n, _)| n.clone()).collect(),
            col_labels: short,
            x_label: "task".into(),
            y_label: String::new(),
            colormap: ColorMap::Sequential,
            range: Some((0.0, 1.0)),
            colorbar_label: "trial accuracy".into(),
            annotate: true,
            ..Heatmap::default()
        },
    )?;

    let lesion_json: Vec<_> = rows
        .iter()
        .map(|(n, acc)| json!({"variant": n, "accuracy": acc}))
        .collect();
    let mut z = tv.to_npz()?;
    z.f64(
        "lesion_accuracy",
        &[rows.len(), t],
        rows.iter().flat_map(|(_, v)| v.clone()).collect(),
    )?;
    let mut files = ctx.save(
        "task_variance",
        &json!({"tasks": names, "n_trials_per_task": n, "result": &tv, "lesion": lesion_json}),
        Some(&z),
    )?;
    files.extend(fig_files(&stem));
    files.extend(fig_files(&stem_l));
    let best_sil = tv
        .silhouette
        .iter()
        .find(|(k, _)| *k == tv.k)
        .map_or(f64::NAN, |s| s.1);
    Ok(Section {
        name: "task_variance".into(),
        title: "Task variance and clusters".into(),
        note: format!(
            "Per unit and task, the variance of the unit's rate across {n} fresh trials of that \
             task (its rule input on), averaged over time; units with summed variance < 1e-3 \
             dropped, each remaining unit normalised by its maximum over tasks, then k-means with \
             k by silhouette (2..={}) (Yang et al. 2019). First figure: the normalised variances, \
             units grouped by cluster. Second: trial accuracy on the same trials with each cluster \
             silenced (outgoing weights zeroed).",
            cfg.k_max
        ),
        figures: vec![stem.with_extension("svg"), stem_l.with_extension("svg")],
        numbers: vec![
            ("tasks".into(), names.join(", ")),
            ("active units / clusters".into(), format!("{m} / {}", tv.k)),
            ("silhouette at the chosen k".into(), fmt3(best_sil)),
            (
                "intact accuracy per task".into(),
                rows[0]
                    .1
                    .iter()
                    .map(|&v| fmt3(v))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ],
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN task-variance` (by default on runs trained on several tasks).
pub struct TaskVariance;

impl Analysis for TaskVariance {
    const NAME: &'static str = "task-variance";
    const ABOUT: &'static str = "Task variance per unit and task, clusters, and each cluster lesioned (multi-task runs).";
    type Input = RecurrentRun;
    type Options = TaskVarianceArgs;
    fn defaults(ctx: &RecurrentRun) -> Option<TaskVarianceArgs> {
        applies(ctx).then(TaskVarianceArgs::default)
    }
    fn run(ctx: &RecurrentRun, options: &TaskVarianceArgs) -> Result<Outcome> {
        run(ctx, options).map(Outcome::Done)
    }
}
