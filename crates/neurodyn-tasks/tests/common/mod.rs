//! Helpers shared by the statistics test files: sampling, pooled per-period statistics, and
//! tolerances of 4 standard errors (`mod common;` in each file; not every file uses every helper).

#![allow(dead_code)]

use neurodyn_core::{Targets, Trial};
use neurodyn_tasks::{build, sample_trials, Compat, TaskConfig};
use std::collections::BTreeMap;
use std::ops::Range;

pub const NG: Compat = Compat::Neurogym;
/// Trials per neurogym reference sample.
pub const NG_N: f64 = 2000.0;

pub fn trials_cfg(name: &str, cfg: &TaskConfig, n: usize) -> Vec<Trial> {
    let task = build(name, cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
    sample_trials(task.as_ref(), n, 2024)
}

pub fn trials(name: &str, dt: f64, compat: Compat, n: usize) -> Vec<Trial> {
    trials_cfg(name, &TaskConfig::with_dt(dt).compat(compat), n)
}

/// `|got − want| ≤ tol`, with a message.
pub fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}

/// 4 SE of a fraction `p` estimated from `n` trials, against an exact value.
pub fn tol_p(p: f64, n: usize) -> f64 {
    4.0 * (p * (1.0 - p) / n as f64).sqrt()
}

/// 4 SE of the difference between our fraction (`n` trials) and neurogym's (2000 trials).
pub fn tol_p_ng(p: f64, n: usize) -> f64 {
    4.0 * (p * (1.0 - p) * (1.0 / n as f64 + 1.0 / NG_N)).sqrt()
}

pub fn label(t: &Trial, name: &str) -> f64 {
    t.labels
        .get(name)
        .map(|l| l.as_f64())
        .unwrap_or_else(|| panic!("no label {name}"))
}

/// Fraction of trials for which `f` holds.
pub fn fraction(t: &[Trial], f: impl Fn(&Trial) -> bool) -> f64 {
    t.iter().filter(|x| f(x)).count() as f64 / t.len() as f64
}

pub fn range(t: &Trial, period: &str) -> Range<usize> {
    t.period(period)
        .unwrap_or_else(|| panic!("no period {period}"))
}

/// Mean and SD (ddof 0) of input channel `ch` over a period, pooled over steps and trials.
pub fn input_stats(t: &[Trial], period: &str, ch: usize) -> (f64, f64) {
    pooled(
        t.iter()
            .flat_map(|tr| range(tr, period).map(move |k| f64::from(tr.inputs[k * tr.n_in + ch]))),
    )
}

/// Mean and SD of continuous target channel `ch` over a period, pooled over steps and trials.
pub fn target_stats(t: &[Trial], period: &str, ch: usize) -> (f64, f64) {
    pooled(t.iter().flat_map(|tr| {
        let Targets::Continuous(v) = &tr.targets else {
            panic!("expected continuous targets")
        };
        range(tr, period).map(move |k| f64::from(v[k * tr.n_out + ch]))
    }))
}

pub fn pooled(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut s, mut ss) = (0.0, 0.0, 0.0);
    for x in xs {
        n += 1.0;
        s += x;
        ss += x * x;
    }
    let m = s / n;
    (m, (ss / n - m * m).max(0.0).sqrt())
}

/// Class targets over a period of one trial.
pub fn classes(t: &Trial, period: &str) -> Vec<i64> {
    let Targets::Class(c) = &t.targets else {
        panic!("expected class targets")
    };
    c[range(t, period)].to_vec()
}

/// Fraction of trials of each length.
pub fn length_fractions(t: &[Trial]) -> BTreeMap<usize, f64> {
    let mut m = BTreeMap::new();
    for tr in t {
        *m.entry(tr.n_steps()).or_insert(0.0) += 1.0 / t.len() as f64;
    }
    m
}

pub fn mean_len(t: &[Trial]) -> f64 {
    t.iter().map(|x| x.n_steps() as f64).sum::<f64>() / t.len() as f64
}

/// Pooled within-trial SD (ddof 1) of input channel `ch` over a period, over the trials given.
pub fn within_trial_sd<'a>(t: impl Iterator<Item = &'a Trial>, period: &str, ch: usize) -> f64 {
    let (mut ss, mut dof) = (0.0, 0.0);
    for tr in t {
        let xs: Vec<f64> = range(tr, period)
            .map(|k| f64::from(tr.inputs[k * tr.n_in + ch]))
            .collect();
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        ss += xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
        dof += xs.len() as f64 - 1.0;
    }
    (ss / dof).sqrt()
}
