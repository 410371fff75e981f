//! Per-task statistics with `compat = "neurogym"` against the values the spec
//! (NEUROGYM_TASKS.md, 2000 seeded neurogym 2.3.1 trials per task) reports, within sampling error;
//! plus the default-mode fixes.

use neurodyn_core::{Targets, Trial};
use neurodyn_tasks::{build, sample_trials, Compat, TaskConfig};

fn trials(name: &str, dt: f64, compat: Compat, n: usize) -> Vec<Trial> {
    let task =
        build(name, &TaskConfig::with_dt(dt).compat(compat)).unwrap_or_else(|e| panic!("{e}"));
    sample_trials(task.as_ref(), n, 2024)
}

fn mean_len(t: &[Trial]) -> f64 {
    t.iter().map(|x| x.n_steps() as f64).sum::<f64>() / t.len() as f64
}

fn class_fraction(t: &[Trial], class: i64) -> f64 {
    let (mut hit, mut all) = (0usize, 0usize);
    for tr in t {
        if let Targets::Class(c) = &tr.targets {
            hit += c.iter().filter(|&&v| v == class).count();
            all += c.len();
        }
    }
    hit as f64 / all as f64
}

const NG: Compat = Compat::Neurogym;

#[test]
fn trial_lengths_match_neurogym() {
    // (task, dt, spec mean length, tolerance): fixed lengths exact, random ones within ~4 SE.
    let cases = [
        ("PerceptualDecisionMaking", 20.0, 110.0, 0.0),
        ("PerceptualDecisionMaking", 100.0, 22.0, 0.0),
        ("DelayMatchSample", 20.0, 160.0, 0.0),
        ("DelayMatchSample", 100.0, 32.0, 0.0),
        ("DualDelayMatchSample", 20.0, 200.0, 0.0),
        ("DelayComparison", 20.0, 130.0, 0.0),
        ("DelayMatchCategory", 20.0, 139.0, 0.0),
        ("GoNogo", 20.0, 75.0, 0.0),
        ("AntiReach", 20.0, 75.0, 0.0),
        ("MultiSensoryIntegration", 20.0, 57.0, 0.0),
        ("MultiSensoryIntegration", 100.0, 11.0, 0.0),
        ("DelayPairedAssociation", 20.0, 225.0, 0.0),
        ("ContextDecisionMaking", 20.0, 99.7, 1.5),
        ("ContextDecisionMaking", 100.0, 19.2, 0.4),
        ("PerceptualDecisionMakingDelayResponse", 20.0, 211.8, 6.0),
        ("IntervalDiscrimination", 20.0, 156.2, 1.5),
        ("IntervalDiscrimination", 100.0, 30.0, 0.4),
        ("ReadySetGo", 20.0, 179.5, 2.5),
        ("PostDecisionWager", 20.0, 96.3, 1.5),
        ("PostDecisionWager", 100.0, 18.5, 0.4),
        ("OneTwoThreeGo", 20.0, 248.0, 3.0),
        ("OneTwoThreeGo", 80.0, 58.8, 1.0),
        ("MotorTiming", 80.0, 59.3, 1.0),
        ("PulseDecisionMaking", 10.0, 250.0, 0.0),
        ("ToneDetection", 50.0, 40.0, 0.0),
    ];
    for (name, dt, want, tol) in cases {
        let got = mean_len(&trials(name, dt, NG, 2000));
        assert!(
            (got - want).abs() <= tol + 1e-9,
            "{name} @ dt {dt}: mean length {got}, spec {want}"
        );
    }
}

#[test]
fn label_fractions_match_neurogym() {
    let pdm = trials("PerceptualDecisionMaking", 20.0, NG, 2000);
    assert!((class_fraction(&pdm, 0) - 0.9545).abs() < 0.001);
    assert!((class_fraction(&pdm, 1) - 0.0227).abs() < 0.003);
    let dms = trials("DelayMatchSample", 20.0, NG, 2000);
    assert!(((1.0 - class_fraction(&dms, 0)) - 0.281).abs() < 0.002);
    // Ties go to class 2 at coarse dt in neurogym: 3.3 % vs 6.7 % of steps at dt = 100.
    let idt = trials("IntervalDiscrimination", 100.0, NG, 4000);
    assert!(
        (class_fraction(&idt, 1) - 0.033).abs() < 0.003,
        "{}",
        class_fraction(&idt, 1)
    );
    assert!(
        (class_fraction(&idt, 2) - 0.067).abs() < 0.003,
        "{}",
        class_fraction(&idt, 2)
    );
    // The default compares unfloored durations: no tie bias.
    let idd = trials("IntervalDiscrimination", 100.0, Compat::Default, 4000);
    assert!((class_fraction(&idd, 1) - class_fraction(&idd, 2)).abs() < 0.004);
    let rsg20 = trials("ReadySetGo", 20.0, NG, 2000);
    assert!((class_fraction(&rsg20, 1) - 0.0056).abs() < 0.0005);
    let rsg80 = trials("ReadySetGo", 80.0, NG, 2000);
    assert!((class_fraction(&rsg80, 1) - 0.023).abs() < 0.002);
}

#[test]
fn noise_sd_is_one_over_sqrt_dt() {
    for dt in [20.0, 100.0] {
        let t = trials("PerceptualDecisionMaking", dt, NG, 400);
        // Pooled within-trial variance of channel 1 (its mean is constant within a trial).
        let (mut ss, mut dof) = (0.0f64, 0.0f64);
        for tr in &t {
            let stim = tr.period("stimulus").unwrap_or(0..0);
            let xs: Vec<f64> = stim.map(|k| tr.inputs[k * 3 + 1] as f64).collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            ss += xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>();
            dof += xs.len() as f64 - 1.0;
        }
        let sd = (ss / dof).sqrt();
        let want = 1.0 / dt.sqrt();
        assert!(
            (sd - want).abs() / want < 0.02,
            "dt {dt}: sd {sd} vs {want}"
        );
    }
}

#[test]
fn fixation_input_default_vs_neurogym() {
    let on_in = |name: &str, compat: Compat, period: &str| {
        let t = &trials(name, 100.0, compat, 1)[0];
        let r = t.period(period).unwrap_or(0..0);
        let n_in = t.n_in;
        r.clone().all(|k| t.inputs[k * n_in] == 1.0) && !r.is_empty()
    };
    assert!(on_in(
        "PerceptualDecisionMaking",
        Compat::Default,
        "stimulus"
    ));
    assert!(!on_in("PerceptualDecisionMaking", NG, "stimulus"));
    assert!(on_in("ContextDecisionMaking", Compat::Default, "delay"));
    assert!(!on_in("ContextDecisionMaking", NG, "delay"));
    assert!(!on_in(
        "PerceptualDecisionMaking",
        Compat::Default,
        "decision"
    ));
}

#[test]
fn vanishing_cues_kept_by_default_floored_in_compat() {
    let set_steps = |compat| {
        let t = &trials("ReadySetGo", 100.0, compat, 1)[0];
        t.period("set").map_or(0, |r| r.len())
    };
    assert_eq!(set_steps(Compat::Default), 1);
    assert_eq!(set_steps(NG), 0);
    let pulses = |compat| {
        trials("PulseDecisionMaking", 100.0, compat, 50)
            .iter()
            .map(|t| {
                (0..t.n_steps())
                    .filter(|&k| t.inputs[k * 3 + 1] > 0.0)
                    .count()
            })
            .sum::<usize>()
    };
    assert!(pulses(Compat::Default) > 0);
    assert_eq!(pulses(NG), 0);
    assert!(build("ToneDetection", &TaskConfig::with_dt(100.0).compat(NG)).is_err());
    assert!(build("ToneDetection", &TaskConfig::with_dt(100.0)).is_ok());
}
