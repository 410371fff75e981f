//! `RUN/report.html`: one self-contained page per run — the task and model, evaluation accuracy
//! overall and per condition, training curves, example trials, and one section per analysis with
//! its figures and key numbers. Figures are inlined as SVG, the CSS is inline, nothing is
//! fetched: the file can be mailed or opened offline. Written atomically (temp + rename).

use crate::common::{write_atomic, Section};
use crate::error::{Context, Result};
use crate::page::{self, esc, inline_svg, row};
use neurodyn_train::{RunConfig, RunDir};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Task and model summary table.
fn summary(cfg: &RunConfig, eval: &Value) -> String {
    let mut s = String::from("<table>\n");
    let m = &cfg.model;
    row(&mut s, "task", &cfg.task.name);
    let dt = eval["dt_ms"]
        .as_f64()
        .or(cfg.task.dt_ms)
        .map_or("task default".into(), |d| format!("{d} ms"));
    row(&mut s, "time step", &dt);
    row(
        &mut s,
        "model",
        &format!(
            "{} ({:?} form, {:?}), {} units, τ = {} ms",
            m.kind, m.form, m.activation, m.n_rec, m.tau_ms
        ),
    );
    let dale = match &m.dale {
        Some(d) => format!("yes, {:.0}% excitatory", 100.0 * d.frac_exc),
        None if m.kind == "ei-ctrnn" => "yes, 80% excitatory".into(),
        None => "no".into(),
    };
    row(&mut s, "Dale's law", &dale);
    row(
        &mut s,
        "noise",
        &format!("σ_rec = {}, σ_in = {}", m.sigma_rec, m.sigma_in),
    );
    let t = &cfg.train;
    row(
        &mut s,
        "training",
        &format!("{} steps, batch {}, lr {}", t.steps, t.batch_size, t.lr),
    );
    if let Some(sec) = eval["train_seconds"].as_f64() {
        row(&mut s, "training time", &format!("{sec:.1} s"));
    }
    row(&mut s, "seed", &cfg.seed.to_string());
    s.push_str("</table>\n");
    s
}

/// Overall accuracy and one table per condition label.
fn evaluation(eval: &Value) -> String {
    let mut s = String::new();
    match (eval["accuracy"].as_f64(), eval["n_trials"].as_u64()) {
        (Some(a), Some(n)) => {
            let _ = writeln!(s, "<p>Accuracy <b>{a:.3}</b> on {n} fresh test trials.</p>");
        }
        _ => s.push_str("<p class=\"fail\">eval.json has no accuracy</p>\n"),
    }
    if let Some(a) = eval["strict_accuracy"].as_f64() {
        let _ = writeln!(
            s,
            "<p>Holding fixation as well (no premature response or false alarm): <b>{a:.3}</b>.</p>"
        );
    }
    s.push_str(&health_box(eval));
    s.push_str("<div class=\"tables\">\n");
    let mut tables: Vec<(&str, &Value)> = eval["per_condition"]
        .as_object()
        .map(|per| per.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    if eval["per_response"]
        .as_array()
        .is_some_and(|r| !r.is_empty())
    {
        tables.push(("response window", &eval["per_response"]));
    }
    {
        for (label, rows) in tables {
            let _ = writeln!(
                s,
                "<table><tr><th>{}</th><th>accuracy</th><th>trials</th></tr>",
                esc(label)
            );
            for r in rows.as_array().into_iter().flatten() {
                let _ = writeln!(
                    s,
                    "<tr><td class=\"num\">{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td></tr>",
                    r["value"].as_f64().map_or("?".into(), |v| v.to_string()),
                    r["accuracy"].as_f64().unwrap_or(f64::NAN),
                    r["n"].as_u64().unwrap_or(0)
                );
            }
            s.push_str("</table>\n");
        }
    }
    s.push_str("</div>\n");
    s
}

/// The health check's warnings (`eval.json`'s `health`) as a box, or nothing when healthy.
fn health_box(eval: &Value) -> String {
    let warnings: Vec<&str> = eval["health"]["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if warnings.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<div class=\"warn\"><b>Network health:</b> the analyses below may not be meaningful.<ul>\n",
    );
    for w in warnings {
        let _ = writeln!(s, "<li>{}</li>", esc(w));
    }
    s.push_str("</ul></div>\n");
    s
}

/// Write `RUN/report.html` for the run in `run` with the given analysis sections (training
/// figures are drawn here; a vision run's page is [`crate::vision_report`]'s); returns its path.
pub fn write_report(run: &Path, sections: &[Section]) -> Result<PathBuf> {
    if neurodyn_train::vision::is_vision_run(run) {
        return crate::vision_report::write_vision_report(run, sections);
    }
    let rd = RunDir::new(run);
    let cfg = rd.read_config()?;
    let eval: Value = match std::fs::read_to_string(rd.eval()) {
        Ok(t) => serde_json::from_str(&t)
            .with_context(|| format!("{} is not valid JSON", rd.eval().display()))?,
        Err(_) => Value::Null,
    };
    let mut h = page::head(
        &cfg.task.name,
        cfg.model.kind.name(),
        run,
        "<code>analysis/*.json</code> and <code>*.npz</code>",
    );
    h.push_str("<h2>Task and model</h2>\n");
    h.push_str(&summary(&cfg, &eval));
    h.push_str("<h2>Evaluation</h2>\n");
    h.push_str(&evaluation(&eval));
    match crate::training_figures::training_figures(run) {
        Ok(figs) => {
            for (title, f) in ["Training", "Example trials"].iter().zip(&figs) {
                let _ = writeln!(h, "<h2>{title}</h2>");
                h.push_str(&inline_svg(f));
            }
        }
        Err(e) => {
            let _ = writeln!(
                h,
                "<h2>Training</h2>\n<p class=\"fail\">{}</p>",
                esc(&format!("{e:#}"))
            );
        }
    }
    let config_text = std::fs::read_to_string(rd.config()).unwrap_or_default();
    page::tail(&mut h, sections, &config_text);
    let path = run.join("report.html");
    write_atomic(&path, h.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_self_contained_and_has_every_section() {
        let dir = std::env::temp_dir().join(format!("neurodyn-report-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = RunConfig::from_toml(
            "seed = 2\n[task]\nname = \"PerceptualDecisionMaking\"\ndt_ms = 100\n[model]\nn_rec = 16\n\
             [train]\nsteps = 60\nbatch_size = 16\n[eval]\nn_trials = 100\nn_record = 40\n",
        )
        .expect("config");
        neurodyn_train::train_run(cfg, &dir, false, |_| {}).expect("train");
        let view = crate::RunView::open(&dir).expect("run");
        let sections = crate::sections(&crate::run_all(&view).expect("analyses"));
        let names: Vec<&str> = sections.iter().map(|s| s.name.as_str()).collect();
        for n in [
            "activity",
            "pca",
            "fixed_points",
            "selectivity",
            "connectivity",
            "psychometric",
            "lesion",
        ] {
            assert!(names.contains(&n), "missing section {n}: {names:?}");
        }
        assert!(
            sections.iter().all(|s| !s.note.starts_with("failed")),
            "{sections:?}"
        );
        let path = write_report(&dir, &sections).expect("report");
        let html = std::fs::read_to_string(&path).expect("read report");
        assert!(html.contains("<h2>Evaluation</h2>") && html.contains("<h2>Training</h2>"));
        assert!(html.contains("<h2>Example trials</h2>"));
        let n_svg = html.matches("<svg").count();
        let n_figs: usize = sections.iter().map(|s| s.figures.len()).sum::<usize>() + 2;
        assert_eq!(n_svg, n_figs, "every figure inlined");
        for bad in ["<script", "src=\"http", "href=\"http", "<img", "<link"] {
            assert!(
                !html.contains(bad),
                "report must be self-contained: found {bad}"
            );
        }
        assert!(!dir.join("report.html.tmp").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
