//! `analyze RUN connectivity`: the effective recurrent matrix `W_rec` (after masks and Dale's
//! law, `|W| ⊙ sign`) as a heatmap, rows = postsynaptic unit, columns = presynaptic unit, units
//! sorted by selectivity: units preferring `ground_truth` value a, strongest first, then units
//! preferring b, weakest first (so the two pools sit at the ends), inactive units last. For Dale
//! networks E units and I units are sorted separately and the E|I blocks are separated.
//! Numbers: mean weight within and between the two preference pools.

use crate::analysis::{Analysis, NoOptions, Outcome};
use crate::common::{fig_files, fmt3, RecurrentRun, Section};
use super::selectivity::{compute, SelectivityArgs};
use crate::error::{Context, ReportError, Result};
use neurodyn_nn::constraint::n_excitatory;
use neurodyn_plot::{heatmap, ColorMap, Heatmap};
use serde_json::json;

/// The effective `W_rec` `(H, H)` of the run's network and its number of E units (0 without Dale).
pub fn effective_w_rec(ctx: &RecurrentRun) -> Result<(Vec<f64>, usize, usize)> {
    let loaded = neurodyn_train::load_run::<f64>(&ctx.dir)
        .with_context(|| format!("cannot load the network of {}", ctx.dir.display()))?;
    let net = &loaded.net;
    if !matches!(net.cell.kind(), "ctrnn" | "stp-ctrnn" | "hebb-ctrnn") {
        return Err(ReportError::Run(format!(
            "connectivity reads a CTRNN's W_rec; this run's cell is '{}'",
            net.cell.kind()
        )));
    }
    let h = net.n_units();
    let eff = net.effective();
    // CTRNN effective layout: [w_in (H·n_in) | b (H) | w_rec (H·H) | …], the STP CTRNN's too (its
    // W_rec is the weight before the synaptic factors u·x; at rest a synapse transmits W_rec·U),
    // and the Hebbian CTRNN's (its slow matrix, to which each trial adds its fast weights).
    let start = net.cell.input_offsets().1 + net.cell.input_width();
    let w = eff
        .get(start..start + h * h)
        .context("effective weights shorter than a CTRNN's")?
        .to_vec();
    let dale = loaded
        .cfg
        .model
        .dale
        .as_ref()
        .map(|d| d.frac_exc)
        .or((loaded.cfg.model.kind == "ei-ctrnn").then_some(0.8));
    Ok((w, h, dale.map_or(0, |f| n_excitatory(h, f))))
}

/// Run the connectivity analysis.
pub fn run(ctx: &RecurrentRun) -> Result<Section> {
    let (w, h, n_exc) = effective_w_rec(ctx)?;
    // Selectivity decides the order when the run has a two-valued ground_truth.
    let sel = SelectivityArgs::default_for(ctx)
        .map(|a| compute(ctx, &a))
        .transpose()?;
    let d: Vec<f64> = match &sel {
        Some((r, ..)) => r.d_prime.clone(),
        None => vec![f64::NAN; h],
    };
    let key = |k: usize| -> (u8, f64) {
        let v = d[k];
        if !v.is_finite() {
            (2, 0.0)
        } else if v >= 0.0 {
            (0, -v)
        } else {
            (1, -v)
        }
    };
    let sort = |units: Vec<usize>| -> Vec<usize> {
        let mut u = units;
        u.sort_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
        });
        u
    };
    let order: Vec<usize> = if n_exc > 0 {
        let mut o = sort((0..n_exc).collect());
        o.extend(sort((n_exc..h).collect()));
        o
    } else {
        sort((0..h).collect())
    };
    let data: Vec<f64> = order
        .iter()
        .flat_map(|&i| order.iter().map(move |&j| (i, j)))
        .map(|(i, j)| w[i * h + j])
        .collect();
    let labels: Vec<String> = order.iter().map(|u| u.to_string()).collect();
    let (title, sorted_by) = match &sel {
        Some((_, a, b, p)) => (
            format!("Effective W_rec, sorted by preference ({a} | {b})"),
            format!("d′ of ground_truth {a} vs {b} over the {p} period"),
        ),
        None => ("Effective W_rec".to_string(), "unit index".to_string()),
    };
    // One line between E and I for Dale networks (pool lines would look the same and blur it);
    // otherwise lines between the preference pools.
    let blocks: Vec<usize> = if n_exc > 0 && n_exc < h {
        vec![n_exc]
    } else {
        (1..h)
            .filter(|&k| key(order[k]).0 != key(order[k - 1]).0)
            .collect()
    };
    let hm = Heatmap {
        title,
        data: data.clone(),
        rows: h,
        cols: h,
        row_labels: labels.clone(),
        col_labels: labels,
        x_label: "presynaptic unit".into(),
        y_label: "postsynaptic unit".into(),
        colormap: ColorMap::Diverging,
        row_blocks: blocks.clone(),
        col_blocks: blocks,
        colorbar_label: "weight".into(),
        ..Heatmap::default()
    };
    let stem = ctx.fig("connectivity")?;
    heatmap(&stem, &hm)?;

    // Mean weight within / between preference pools (active units only).
    let pool = |k: usize| key(k).0;
    let mean = |f: &dyn Fn(usize, usize) -> bool| {
        let v: Vec<f64> = (0..h)
            .flat_map(|i| (0..h).map(move |j| (i, j)))
            .filter(|&(i, j)| i != j && f(i, j))
            .map(|(i, j)| w[i * h + j])
            .collect();
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let within = mean(&|i, j| pool(i) < 2 && pool(i) == pool(j));
    let between = mean(&|i, j| pool(i) < 2 && pool(j) < 2 && pool(i) != pool(j));
    let json = json!({
        "n_units": h, "n_exc": n_exc, "order": order, "sorted_by": sorted_by,
        "mean_within_pools": within, "mean_between_pools": between,
        "w_rec_sorted": data,
    });
    let mut files = ctx.save("connectivity", &json, None)?;
    files.extend(fig_files(&stem));
    let mut numbers = vec![
        (
            "units (E / I)".into(),
            if n_exc > 0 {
                format!("{n_exc} / {}", h - n_exc)
            } else {
                format!("{h} (no Dale's law)")
            },
        ),
        (
            "mean |w|".into(),
            fmt3(w.iter().map(|v| v.abs()).sum::<f64>() / (h * h) as f64),
        ),
    ];
    if sel.is_some() {
        numbers.push((
            "mean w within / between preference pools".into(),
            format!("{} / {}", fmt3(within), fmt3(between)),
        ));
    }
    Ok(Section {
        name: "connectivity".into(),
        title: "Connectivity".into(),
        note: format!(
            "Effective recurrent weights (row = postsynaptic, column = presynaptic), units ordered by {sorted_by}: \
             units preferring the first value (strongest first), then the second (strongest last), then inactive units{}.",
            if n_exc > 0 { "; E and I units are sorted separately and a line separates the E and I blocks" } else { "; lines separate the pools" }
        ),
        figures: vec![stem.with_extension("svg")],
        numbers,
        files,
        warnings: Vec::new(),
    })
}

/// `analyze RUN connectivity`.
pub struct Connectivity;

impl Analysis for Connectivity {
    const NAME: &'static str = "connectivity";
    const ABOUT: &'static str = "The effective recurrent weights, units sorted by selectivity.";
    type Input = RecurrentRun;
    type Options = NoOptions;
    fn defaults(_: &RecurrentRun) -> Option<NoOptions> {
        Some(NoOptions {})
    }
    fn run(ctx: &RecurrentRun, _: &NoOptions) -> Result<Outcome> {
        run(ctx).map(Outcome::Done)
    }
}
