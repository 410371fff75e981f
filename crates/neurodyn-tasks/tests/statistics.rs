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
        ("DelayMatchSampleDistractor1D", 20.0, 265.0, 0.0),
        ("DelayMatchSampleDistractor1D", 100.0, 53.0, 0.0),
        ("HierarchicalReasoning", 20.0, 195.7, 1.0),
        ("HierarchicalReasoning", 100.0, 38.0, 0.3),
        ("Reaching1D", 20.0, 50.0, 0.0),
        ("Reaching1D", 100.0, 10.0, 0.0),
        ("Reaching1DWithSelfDistraction", 20.0, 50.0, 0.0),
        ("Reaching1DWithSelfDistraction", 100.0, 10.0, 0.0),
        ("SpatialSuppressMotion", 8.3, 36.0, 0.0),
        ("SpatialSuppressMotion", 20.0, 15.0, 0.0),
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

fn int_label(t: &Trial, name: &str) -> i64 {
    match t.labels.get(name) {
        Some(neurodyn_core::Label::Int(v)) => v,
        other => panic!("label {name}: {other:?}"),
    }
}

#[test]
fn distractor_dms_matches_neurogym() {
    let t = trials("DelayMatchSampleDistractor1D", 20.0, NG, 1000);
    // Only the matching test (25 of 265 steps) is labelled 1.
    assert!((class_fraction(&t, 1) - 25.0 / 265.0).abs() < 1e-9);
    for tr in &t {
        let gt = int_label(tr, "ground_truth");
        let r = tr.period(&format!("test{gt}")).unwrap();
        let Targets::Class(c) = &tr.targets else {
            panic!()
        };
        assert!(r.clone().all(|k| c[k] == 1));
        // Fixation input: the fixation period only (neurogym) …
        let fix = tr.period("fixation").unwrap();
        assert!((0..tr.n_steps()).all(|k| (tr.inputs[k * 33] == 1.0) == fix.contains(&k)));
    }
    // … and everywhere but the tests by default.
    let d = &trials("DelayMatchSampleDistractor1D", 100.0, Compat::Default, 1)[0];
    let on = |p: &str| d.period(p).unwrap().all(|k| d.inputs[k * 33] == 1.0);
    let off = |p: &str| d.period(p).unwrap().all(|k| d.inputs[k * 33] == 0.0);
    assert!(on("sample") && on("delay2") && off("test1") && off("test3"));
    let gts: Vec<i64> = t.iter().map(|x| int_label(x, "ground_truth")).collect();
    for g in 1..=3 {
        let f = gts.iter().filter(|&&v| v == g).count() as f64 / gts.len() as f64;
        assert!((f - 1.0 / 3.0).abs() < 0.06, "gt {g}: {f}");
    }
}

#[test]
fn hierarchical_reasoning_threshold() {
    let p_long = |dt: f64, compat: Compat| {
        let t = trials("HierarchicalReasoning", dt, compat, 4000);
        t.iter().filter(|x| int_label(x, "long") == 1).count() as f64 / t.len() as f64
    };
    // neurogym's threshold is 610 ms on the floored interval: 7/9 long at dt 20, 6/9 at dt 100.
    assert!((p_long(20.0, NG) - 7.0 / 9.0).abs() < 0.03);
    assert!((p_long(100.0, NG) - 6.0 / 9.0).abs() < 0.03);
    // Default: the median, 850 ms (4/9 long, ½ of the 850 ms ties): ½.
    assert!((p_long(20.0, Compat::Default) - 0.5).abs() < 0.03);
    // Default: the delay period is the labelled interval; the rule is cued one-hot.
    for tr in trials("HierarchicalReasoning", 10.0, Compat::Default, 200) {
        let Some(neurodyn_core::Label::Float(ms)) = tr.labels.get("interval_ms") else {
            panic!()
        };
        assert_eq!(
            tr.period("delay").unwrap().len(),
            (ms / 10.0).round() as usize
        );
        let k = tr.period("rule_target").unwrap().start;
        let rule = int_label(&tr, "rule") as usize;
        assert_eq!(tr.inputs[k * 5 + 1 + rule], 1.0);
        assert_eq!(tr.inputs[k * 5 + 2 - rule], 0.0);
    }
}

#[test]
fn reaching_targets_default_vs_neurogym() {
    // neurogym: int64 gt, π → 3 in fixation and int(θ) ∈ 0..=6 in the reach.
    let t = trials("Reaching1D", 100.0, NG, 4000);
    let tau = 2.0 * std::f64::consts::PI;
    assert!((class_fraction(&t, 3) - (0.5 + 0.5 / tau)).abs() < 0.01);
    assert!((class_fraction(&t, 6) - 0.5 * (tau - 6.0) / tau).abs() < 0.005);
    // Dataset never sees the arm state: the self ring is 0.
    assert!(t.iter().all(|x| x
        .inputs
        .chunks(32)
        .all(|r| r[16..].iter().all(|&s| s == 0.0))));
    // Default: fixate, then the nearest of the 16 ring units.
    for tr in trials("Reaching1D", 100.0, Compat::Default, 300) {
        let Some(neurodyn_core::Label::Float(th)) = tr.labels.get("target_theta") else {
            panic!()
        };
        let gt = int_label(&tr, "ground_truth") as f64 - 1.0;
        let d = (th - gt * tau / 16.0).rem_euclid(tau);
        assert!(d.min(tau - d) <= tau / 32.0 + 1e-9, "θ {th} → unit {gt}");
        let Targets::Class(c) = &tr.targets else {
            panic!()
        };
        assert!(tr.period("fixation").unwrap().all(|k| c[k] == 0));
    }
    let ds = build("Reaching1DWithSelfDistraction", &TaskConfig::default()).unwrap();
    assert_eq!((ds.spec().n_in, ds.spec().n_out), (32, 33));
}

#[test]
fn economic_decision_chooses_higher_value() {
    let t = trials("EconomicDecisionMaking", 100.0, Compat::Default, 2000);
    for tr in &t {
        let Some(neurodyn_core::Label::Float(dv)) = tr.labels.get("value_diff") else {
            panic!()
        };
        let gt = int_label(tr, "ground_truth");
        assert_eq!(gt, if dv > 0.0 { 1 } else { 2 });
        let Targets::Class(c) = &tr.targets else {
            panic!()
        };
        assert!(tr.period("decision").unwrap().all(|k| c[k] == gt));
    }
    // Offers (n_B, n_A): A wins in 5 of 9 offer types whatever the side, so each side wins ½.
    let ones = t
        .iter()
        .filter(|x| int_label(x, "ground_truth") == 1)
        .count() as f64;
    assert!((ones / t.len() as f64 - 0.5).abs() < 0.04);
    // neurogym builds no ground truth.
    let ng = trials("EconomicDecisionMaking", 100.0, NG, 50);
    assert_eq!(class_fraction(&ng, 0), 1.0);
}

#[test]
fn added_tasks_resolve_by_neurogym_id() {
    for id in [
        "DelayMatchSampleDistractor1D-v0",
        "HierarchicalReasoning-v0",
        "Reaching1D-v0",
        "Reaching1DWithSelfDistraction-v0",
        "EconomicDecisionMaking-v0",
        "SpatialSuppressMotion-v0",
    ] {
        let task = build(id, &TaskConfig::default()).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(format!("{}-v0", task.spec().name), id);
    }
    // neurogym's sizes (Reaching1D's 3 actions become 1 + 16 direction classes by default).
    let sizes = |id: &str, compat| {
        let s = build(id, &TaskConfig::default().compat(compat)).unwrap();
        (s.spec().n_in, s.spec().n_out)
    };
    assert_eq!(sizes("DelayMatchSampleDistractor1D", NG), (33, 2));
    assert_eq!(sizes("HierarchicalReasoning", NG), (5, 5));
    assert_eq!(sizes("EconomicDecisionMaking", NG), (7, 3));
    assert_eq!(sizes("Reaching1D", NG), (32, 7));
    assert_eq!(sizes("Reaching1D", Compat::Default), (32, 17));
    assert_eq!(sizes("SpatialSuppressMotion", NG), (32, 4));
}

/// Continuous targets of a trial as `(n_steps, n_out)` rows.
fn target_rows(t: &Trial) -> Vec<&[f32]> {
    let Targets::Continuous(v) = &t.targets else {
        panic!("expected continuous targets")
    };
    v.chunks(t.n_out).collect()
}

/// The first trial of a SpatialSuppressMotion sample with this contrast (0.05 or 0.99).
fn motion_trial(t: &[Trial], contrast: f64) -> &Trial {
    t.iter()
        .find(|x| x.labels.get("contrast").map(|l| l.as_f64()) == Some(contrast))
        .unwrap_or_else(|| panic!("no trial at contrast {contrast}"))
}

/// Report probabilities at step `k` of a trial: `(correct, opposite, orthogonal, orthogonal)`.
fn motion_probs(t: &Trial, k: usize) -> (f64, f64, f64, f64) {
    let d = int_label(t, "ground_truth") as usize;
    let row = target_rows(t)[k];
    let ortho = (d ^ 2) & !1;
    (
        row[d] as f64,
        row[d ^ 1] as f64,
        row[ortho] as f64,
        row[ortho + 1] as f64,
    )
}

#[test]
fn spatial_suppress_motion_matches_neurogym() {
    let t = trials("SpatialSuppressMotion", 8.3, NG, 400);
    assert!(t.iter().all(|x| x.n_steps() == 36 && x.n_out == 4));
    // Targets: the human table (frame n = step n − 1), linear in between, read at the step index.
    // (step, P(correct), P(opposite), P(each orthogonal)), worked out by hand from the table.
    let high = motion_trial(&t, 0.99);
    for (k, pc, po, pr) in [
        (3, 0.249, 0.249, 0.251),
        (10, 0.256, 0.34, 0.202),
        (16, 0.4122, 0.436_133, 0.075_833),
        (20, 0.65, 0.3083, 0.020_85),
        (35, 0.99, 0.04, -0.015),
    ] {
        let (c, o, r1, r2) = motion_probs(high, k);
        assert!(
            (c - pc).abs() < 1e-5 && (o - po).abs() < 1e-5,
            "high, step {k}: {c} {o}"
        );
        assert!(
            (r1 - pr).abs() < 1e-5 && r1 == r2,
            "high, step {k}: {r1} {r2}"
        );
    }
    let low = motion_trial(&t, 0.05);
    for (k, pc, po, pr) in [
        (3, 0.249, 0.249, 0.251),
        (9, 0.2583, 0.2583, 0.2417),
        (24, 0.875 + 0.058 * 4.0 / 7.0, 0.034, 0.028_928_6),
        (35, 0.99, 0.003, 0.0035),
    ] {
        let (c, o, r1, r2) = motion_probs(low, k);
        assert!(
            (c - pc).abs() < 1e-5 && (o - po).abs() < 1e-5,
            "low, step {k}: {c} {o}"
        );
        assert!(
            (r1 - pr).abs() < 1e-5 && r1 == r2,
            "low, step {k}: {r1} {r2}"
        );
    }
    // Inputs: pool d = channels 8d..8d+8; motion pool c, opposite 0, orthogonal c/2, on the
    // first `diameter` units (1 at contrast 0.05, 8 at 0.99), constant over the trial.
    for tr in &t {
        let d = int_label(tr, "ground_truth") as usize;
        let c = tr.labels.get("contrast").map_or(0.0, |l| l.as_f64());
        let size = int_label(tr, "diameter") as usize;
        assert_eq!(size, if c == 0.99 { 8 } else { 1 }, "contrast {c}");
        for k in 0..tr.n_steps() {
            for ch in 0..32 {
                let (pool, unit) = (ch / 8, ch % 8);
                let want = if unit >= size {
                    0.0
                } else if pool == d {
                    c
                } else if pool == d ^ 1 {
                    0.0
                } else {
                    c / 2.0
                };
                assert_eq!(tr.inputs[k * 32 + ch], want as f32, "channel {ch}");
            }
        }
    }
    // Conditions: four directions and two gratings, uniformly.
    let high_frac = t.iter().filter(|x| int_label(x, "diameter") == 8).count() as f64 / 400.0;
    assert!((high_frac - 0.5).abs() < 0.08, "{high_frac}");
    for d in 0..4 {
        let f = t
            .iter()
            .filter(|x| int_label(x, "ground_truth") == d)
            .count() as f64
            / 400.0;
        assert!((f - 0.25).abs() < 0.07, "direction {d}: {f}");
    }
    // neurogym reads the table at the step index whatever dt: at dt 16.6 (18 steps) step k has
    // the targets of step k at dt 8.3.
    let coarse = trials("SpatialSuppressMotion", 16.6, NG, 40);
    let fine = motion_trial(&t, 0.99);
    let c = motion_trial(&coarse, 0.99);
    assert_eq!(c.n_steps(), 18);
    for k in 0..18 {
        let (a, b) = (motion_probs(c, k), motion_probs(fine, k));
        assert!(
            (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6,
            "step {k}"
        );
    }
}

#[test]
fn spatial_suppress_motion_default_is_in_ms_and_a_distribution() {
    let t = trials("SpatialSuppressMotion", 8.3, Compat::Default, 200);
    for tr in &t {
        for row in target_rows(tr) {
            let s: f32 = row.iter().sum();
            assert!((s - 1.0).abs() < 1e-5, "sum {s}");
            assert!(row.iter().all(|&p| (0.0..=1.0).contains(&p)), "{row:?}");
        }
    }
    // Where the table's P(correct) + P(opposite) exceeds 1 (large high-contrast grating, last
    // steps) the two are rescaled; elsewhere the default equals neurogym at dt 8.3.
    let high = motion_trial(&t, 0.99);
    let (c, o, r, _) = motion_probs(high, 35);
    assert!((c - 0.99 / 1.03).abs() < 1e-6 && (o - 0.04 / 1.03).abs() < 1e-6 && r == 0.0);
    let ng = trials("SpatialSuppressMotion", 8.3, NG, 200);
    let ng_high = motion_trial(&ng, 0.99);
    for k in 0..33 {
        let (a, b) = (motion_probs(high, k), motion_probs(ng_high, k));
        assert!(
            (a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6,
            "step {k}"
        );
    }
    // The curves are in ms: at dt 16.6 step k is 2(k+1) frames, step 2k+1 at dt 8.3.
    for contrast in [0.05, 0.99] {
        let coarse = trials("SpatialSuppressMotion", 16.6, Compat::Default, 40);
        let a = motion_trial(&coarse, contrast);
        let b = motion_trial(&t, contrast);
        assert_eq!(a.n_steps(), 18);
        for k in 0..18 {
            let (x, y) = (motion_probs(a, k), motion_probs(b, 2 * k + 1));
            assert!(
                (x.0 - y.0).abs() < 1e-6 && (x.1 - y.1).abs() < 1e-6,
                "contrast {contrast}, step {k}: {x:?} vs {y:?}"
            );
        }
    }
    // At dt 20 the last step is read at 300 ms (36.1 frames): near ceiling, not the 15-frame value.
    let t20 = trials("SpatialSuppressMotion", 20.0, Compat::Default, 40);
    let last = motion_probs(motion_trial(&t20, 0.99), 14).0;
    assert!(last > 0.95, "{last}");
    let ng20 = trials("SpatialSuppressMotion", 20.0, NG, 40);
    let ng_last = motion_probs(motion_trial(&ng20, 0.99), 14).0;
    assert!((ng_last - 0.32).abs() < 1e-6, "{ng_last}");
}
