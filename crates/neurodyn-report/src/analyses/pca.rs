//! `analyze RUN pca`: PCA of the recorded rates (every real step of every test trial is one
//! sample, `neurodyn_analysis::pca`), explained variance, and each trial's trajectory in the
//! first two and three PCs coloured by condition, with the onset of each task period marked (one
//! marker per period and correct choice, at the mean position of those trials' onsets).
//!
//! Colour: the task's evidence (e.g. signed coherence) on a colour scale with a colour bar when it
//! takes three values or more, so that trajectories show both the choice (the sign) and how
//! strongly the evidence drove them; otherwise `ground_truth` (the correct choice; or the first
//! discrete label) by category. Figures: `pca_variance`, `pca_2d`, `pca_3d`.

use crate::analysis::{Analysis, NoOptions, Outcome};
use crate::common::{distinct, fig_files, fmt3, label_value, RecurrentRun, Section};
use crate::error::Result;
use neurodyn_analysis::pca::{self, PcaConfig, PcaResult};
use neurodyn_plot::{
    panels, trajectories_2d, trajectories_3d, ColorMap, LegendPos, Marker, MarkerKind, Panel,
    Series, SeriesStyle, Traj, TrajColor, TrajPlot,
};

/// How trajectories are coloured: per-trial colours, legend labels, colour map and colorbar.
pub struct Coloring {
    /// Colour of each trial.
    pub colors: Vec<TrajColor>,
    /// Legend label of each trial (empty with a colorbar).
    pub labels: Vec<String>,
    /// Colour map for value colours.
    pub colormap: ColorMap,
    /// Colorbar (label, value at 0, value at 1).
    pub colorbar: Option<(String, f64, f64)>,
}

/// Colour trials by the task's evidence on a colour scale (three values or more), else by
/// `ground_truth` (the correct choice) or the first discrete label, by category.
pub fn coloring(ctx: &RecurrentRun) -> Coloring {
    let rec = &ctx.rec;
    let n = rec.n_trials;
    let evidence = ctx
        .spec
        .evidence_label
        .as_deref()
        .and_then(|l| rec.label(l))
        .filter(|c| distinct(&c.values).iter().filter(|v| v.is_finite()).count() >= 3);
    if let Some(col) = evidence {
        let finite = || col.values.iter().copied().filter(|v| v.is_finite());
        let lo = finite().fold(f64::INFINITY, f64::min);
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        return Coloring {
            colors: col
                .values
                .iter()
                .map(|&v| TrajColor::Value(if v.is_finite() { (v - lo) / span } else { 0.5 }))
                .collect(),
            labels: vec![String::new(); n],
            colormap: ColorMap::Sequential,
            colorbar: Some((col.name.replace('_', " "), lo, hi)),
        };
    }
    let col = rec
        .label("ground_truth")
        .or_else(|| rec.labels.iter().find(|c| c.discrete));
    match col {
        Some(col) => {
            let vals = distinct(&col.values);
            let idx = |v: f64| vals.iter().position(|&x| x == v).unwrap_or(0);
            Coloring {
                colors: col
                    .values
                    .iter()
                    .map(|&v| TrajColor::Category(idx(v)))
                    .collect(),
                labels: col
                    .values
                    .iter()
                    .map(|&v| label_value(&ctx.spec, &col.name, v))
                    .collect(),
                colormap: ColorMap::Sequential,
                colorbar: None,
            }
        }
        None => Coloring {
            colors: vec![TrajColor::Category(0); n],
            labels: vec![String::new(); n],
            colormap: ColorMap::Sequential,
            colorbar: None,
        },
    }
}

/// Trajectory of trial `i` in the first `D` PCs.
pub fn traj_points<const D: usize>(res: &PcaResult, i: usize) -> Vec<[f64; D]> {
    let k = res.pca.n_components;
    (0..res.trial_len[i])
        .map(|t| {
            let o = (i * res.n_steps + t) * k;
            std::array::from_fn(|d| if d < k { res.projected[o + d] } else { 0.0 })
        })
        .collect()
}

/// Markers at the onset of every period but the first, kinds cycling so periods differ: one per
/// period and correct choice (`ground_truth`), at the mean position of those trials' onsets, so
/// that they mark where the trajectories are at that moment without covering them.
fn onset_markers<const D: usize>(ctx: &RecurrentRun, res: &PcaResult) -> Vec<Marker<D>> {
    let kinds = [MarkerKind::Hollow, MarkerKind::Cross, MarkerKind::Filled];
    let mut names: Vec<(usize, &str)> = ctx
        .rec
        .periods
        .iter()
        .filter_map(|(n, _)| ctx.rec.period(n, 0).map(|(s, _)| (s, n.as_str())))
        .collect();
    names.sort();
    let group: Vec<f64> = ctx
        .rec
        .label("ground_truth")
        .map_or_else(|| vec![0.0; ctx.rec.n_trials], |c| c.values.clone());
    let groups = distinct(&group);
    let mut out = Vec::new();
    for (p, (_, name)) in names.iter().skip(1).enumerate() {
        for &g in &groups {
            let mut sum = [0.0; D];
            let mut n = 0usize;
            for i in (0..ctx.rec.n_trials).filter(|&i| group[i] == g) {
                if let Some((s, e)) = ctx.rec.period(name, i) {
                    if e > s && s < res.trial_len[i] {
                        let at = traj_points::<D>(res, i)[s];
                        sum.iter_mut().zip(at).for_each(|(a, v)| *a += v);
                        n += 1;
                    }
                }
            }
            if n > 0 {
                out.push(Marker {
                    pos: sum.map(|v| v / n as f64),
                    kind: kinds[p % 3],
                    label: format!("{name} onset"),
                });
            }
        }
    }
    out
}

/// Trajectories of every trial in `D` PCs, coloured.
pub fn trajs<const D: usize>(res: &PcaResult, c: &Coloring) -> Vec<Traj<D>> {
    (0..res.n_trials)
        .map(|i| Traj {
            points: traj_points::<D>(res, i),
            color: c.colors[i],
            label: c.labels[i].clone(),
        })
        .collect()
}

/// Fit the PCA used by the figures (up to 10 components).
pub fn fit(ctx: &RecurrentRun) -> Result<PcaResult> {
    let cfg = PcaConfig {
        n_components: Some(ctx.rec.n_units.min(10)),
        ..PcaConfig::default()
    };
    Ok(pca::run(&ctx.rec, &cfg)?)
}

pub(crate) fn pc_label(res: &PcaResult, d: usize) -> String {
    let r = res
        .pca
        .explained_variance_ratio
        .get(d)
        .copied()
        .unwrap_or(f64::NAN);
    format!("PC {} ({:.0}%)", d + 1, 100.0 * r)
}

/// Run the PCA analysis.
pub fn run(ctx: &RecurrentRun) -> Result<Section> {
    let res = fit(ctx)?;
    let mut files = ctx.save("pca", &res.pca, Some(&res.to_npz()?))?;
    let ratio = &res.pca.explained_variance_ratio;
    let x: Vec<f64> = (1..=ratio.len()).map(|v| v as f64).collect();
    let cum: Vec<f64> = ratio
        .iter()
        .scan(0.0, |s, v| {
            *s += v;
            Some(*s)
        })
        .collect();
    let var = Panel {
        title: "Explained variance".into(),
        x_label: "principal component".into(),
        y_label: "fraction of variance".into(),
        series: vec![
            Series::new("per PC", x.clone(), ratio.clone()).style(SeriesStyle::LineAndPoints),
            Series::new("cumulative", x, cum.clone()).style(SeriesStyle::LineAndPoints),
        ],
        y_range: Some((0.0, 1.02)),
        ..Panel::default()
    };
    let stem_var = ctx.fig("pca_variance")?;
    panels(&stem_var, &[var], 1)?;
    let c = coloring(ctx);
    let title = format!("Population trajectories ({} test trials)", ctx.rec.n_trials);
    let p2 = TrajPlot::<2> {
        title: title.clone(),
        axis_labels: [pc_label(&res, 0), pc_label(&res, 1)],
        trajs: trajs(&res, &c),
        markers: onset_markers(ctx, &res),
        mark_start: true,
        colormap: c.colormap,
        colorbar: c.colorbar.clone(),
        legend: LegendPos::Auto,
        ..TrajPlot::default()
    };
    let stem2 = ctx.fig("pca_2d")?;
    trajectories_2d(&stem2, &p2)?;
    let p3 = TrajPlot::<3> {
        title,
        axis_labels: [pc_label(&res, 0), pc_label(&res, 1), pc_label(&res, 2)],
        trajs: trajs(&res, &c),
        markers: onset_markers(ctx, &res),
        mark_start: true,
        colormap: c.colormap,
        colorbar: c.colorbar,
        legend: LegendPos::Auto,
        ..TrajPlot::default()
    };
    let stem3 = ctx.fig("pca_3d")?;
    trajectories_3d(&stem3, &p3)?;
    for s in [&stem_var, &stem2, &stem3] {
        files.extend(fig_files(s));
    }
    let pcs_for_90 = cum
        .iter()
        .position(|&v| v >= 0.9)
        .map_or(format!("> {}", cum.len()), |k| (k + 1).to_string());
    Ok(Section {
        name: "pca".into(),
        title: "Population dynamics (PCA)".into(),
        note: "PCA fitted on every time step of every recorded test trial; each line is one trial in the first \
               principal components, coloured by condition, with the onset of each task period marked."
            .into(),
        figures: vec![stem2.with_extension("svg"), stem3.with_extension("svg"), stem_var.with_extension("svg")],
        numbers: vec![
            ("variance in PC 1".into(), format!("{}%", fmt3(100.0 * ratio.first().copied().unwrap_or(0.0)))),
            ("variance in PCs 1–3".into(), format!("{}%", fmt3(100.0 * cum.get(2).or(cum.last()).copied().unwrap_or(0.0)))),
            ("PCs for 90% of variance".into(), pcs_for_90),
        ],
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN pca`.
pub struct Pca;

impl Analysis for Pca {
    const NAME: &'static str = "pca";
    const ABOUT: &'static str = "PCA of the recorded rates: explained variance, trajectories coloured by condition.";
    type Input = RecurrentRun;
    type Options = NoOptions;
    fn defaults(_: &RecurrentRun) -> Option<NoOptions> {
        Some(NoOptions {})
    }
    fn run(ctx: &RecurrentRun, _: &NoOptions) -> Result<Outcome> {
        run(ctx).map(Outcome::Done)
    }
}
