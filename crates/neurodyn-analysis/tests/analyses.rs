//! Analyses over synthetic recordings whose answers are known in closed form.

mod common;

use common::recording;
use neurodyn_analysis::activity::{self, ActivityConfig};
use neurodyn_analysis::cluster::{self, KMeansConfig};
use neurodyn_analysis::decoding::{self, DecodingConfig};
use neurodyn_analysis::pca::{self, PcaConfig};
use neurodyn_analysis::psychometric::{self, fit_logistic, ChoiceSource, PsychometricConfig};
use neurodyn_analysis::selectivity::{
    self, Comparison, MaxSelectivityConfig, Measure, SelectivityConfig,
};
use neurodyn_analysis::task_variance::{self, TaskVarianceConfig};
use neurodyn_analysis::{AnalysisError, Window};
use neurodyn_core::{Recording, Rng};

/// Units: 0 selective (a: 1 ± 0.2, b: 0.4 ± 0.1), 1 silent, 2 unselective (0.7 ± 0.3 in both).
/// Within a trial each rate wiggles ±0.05 around its trial value on alternating steps.
fn selectivity_recording() -> Recording {
    let (n_trials, n_steps, n_units) = (40, 8, 3);
    let mut rates = Vec::new();
    let mut group = Vec::new();
    for i in 0..n_trials {
        let a = i % 2 == 0;
        let pm = if (i / 2) % 2 == 0 { 1.0 } else { -1.0 };
        let v0 = if a { 1.0 + 0.2 * pm } else { 0.4 + 0.1 * pm };
        let v2 = 0.7 + 0.3 * pm;
        group.push(if a { 1.0 } else { 0.0 });
        for t in 0..n_steps {
            let wiggle = if t % 2 == 0 { 0.05 } else { -0.05 };
            rates.extend([(v0 + wiggle) as f32, 0.0, (v2 + wiggle) as f32]);
        }
    }
    let mut rec = recording(n_trials, n_steps, n_units, rates, vec![("choice", group)]);
    rec.periods.push((
        "stim".into(),
        (0..n_trials).flat_map(|_| [2i64, 6]).collect(),
    ));
    rec
}

#[test]
fn selectivity_recovers_known_d_prime_in_both_conventions() {
    let rec = selectivity_recording();
    let cfg = SelectivityConfig {
        label: "choice".into(),
        group_a: vec![1.0],
        group_b: vec![0.0],
        window: Window::Period("stim".into()),
        ..SelectivityConfig::default()
    };
    let r = selectivity::run(&rec, &cfg).expect("selectivity");
    assert_eq!((r.n_a, r.n_b), (20, 20));
    let d = 0.6 / ((0.04f64 + 0.01) / 2.0).sqrt();
    assert!(
        (r.d_prime[0] - d).abs() < 1e-5,
        "d′ {} vs {d}",
        r.d_prime[0]
    );
    assert!(
        (r.selectivity[0] - 2.0 * 0.6 / 0.05f64.sqrt()).abs() < 1e-5,
        "s {}",
        r.selectivity[0]
    );
    assert!((r.selectivity[0] / r.d_prime[0] - 2f64.sqrt()).abs() < 1e-12);
    assert!(!r.active[1] && r.d_prime[1].is_nan());
    assert!(r.d_prime[2].abs() < 1e-6);
    // Swapping the sets flips the sign.
    let swapped = selectivity::run(
        &rec,
        &SelectivityConfig {
            group_a: vec![0.0],
            group_b: vec![1.0],
            ..cfg.clone()
        },
    )
    .expect("swapped");
    assert!((swapped.d_prime[0] + r.d_prime[0]).abs() < 1e-12);
    // Unknown label / period are errors that name the alternatives.
    let e = selectivity::run(
        &rec,
        &SelectivityConfig {
            label: "nope".into(),
            ..cfg.clone()
        },
    )
    .expect_err("unknown label");
    assert!(
        matches!(e, AnalysisError::UnknownLabel { ref available, .. } if available.contains("choice")),
        "{e}"
    );
    let e = selectivity::run(
        &rec,
        &SelectivityConfig {
            window: Window::Period("delay".into()),
            ..cfg
        },
    )
    .expect_err("unknown period");
    assert!(e.to_string().contains("stim"), "{e}");
    assert_eq!(r.to_npz().expect("npz").arrays.len(), 8);
}

/// Seed 001's fig. 9 compares time steps by their target: each masked step whose target is in a
/// set is one sample, so the within-trial wiggle (±0.05) adds to the spread across trials.
#[test]
fn step_selectivity_compares_time_steps_by_target_class() {
    let mut rec = selectivity_recording();
    let n_steps = rec.n_steps;
    let mut targets = Vec::new();
    for i in 0..rec.n_trials {
        let class = if i % 2 == 0 { 1 } else { 0 };
        // Step 6 is masked out and step 7 belongs to neither set: steps 0..6 stay, three of
        // each sign of the wiggle.
        targets.extend((0..n_steps).map(|t| if t == 7 { 2 } else { class }));
        rec.mask[i * n_steps + 6] = 0.0;
    }
    rec.targets = neurodyn_core::RecTargets::Class(targets);
    let r = selectivity::by_target_steps(&rec, &[1], &[0], 1e-3).expect("steps");
    assert_eq!((r.n_a, r.n_b), (20 * 6, 20 * 6));
    let (var_a, var_b): (f64, f64) = (0.04 + 0.0025, 0.01 + 0.0025);
    let s = 2.0 * 0.6 / (var_a + var_b).sqrt();
    assert!((r.mean_a[0] - 1.0).abs() < 1e-6 && (r.var_a[0] - var_a).abs() < 1e-6);
    assert!(
        (r.selectivity[0] - s).abs() < 1e-4,
        "{} vs {s}",
        r.selectivity[0]
    );
    assert!(!r.active[1] && r.selectivity[1].is_nan());
    assert!(r.selectivity[2].abs() < 1e-5, "{}", r.selectivity[2]);
    // Swapped sets flip the sign; overlapping sets and continuous targets are refused.
    let swapped = selectivity::by_target_steps(&rec, &[0], &[1], 1e-3).expect("swapped");
    assert!((swapped.selectivity[0] + r.selectivity[0]).abs() < 1e-12);
    let e = selectivity::by_target_steps(&rec, &[0, 1], &[1], 1e-3).expect_err("overlap");
    assert!(e.to_string().contains("class 1"), "{e}");
    let e = selectivity::by_target_steps(&rec, &[1], &[5], 1e-3).expect_err("empty");
    assert!(e.to_string().contains("[5]"), "{e}");
    rec.targets = neurodyn_core::RecTargets::Continuous(vec![0.0; rec.n_trials * n_steps]);
    let e = selectivity::by_target_steps(&rec, &[1], &[0], 1e-3).expect_err("continuous");
    assert!(e.to_string().contains("class targets"), "{e}");
}

#[test]
fn monte_carlo_max_selectivity_pools_active_units() {
    let rec = selectivity_recording();
    let cfg = MaxSelectivityConfig {
        comparisons: vec![Comparison {
            label: "choice".into(),
            group_a: vec![1.0],
            group_b: vec![0.0],
            window: Window::Whole,
        }],
        measure: Measure::DPrime,
        n_bins: 10,
        max_value: Some(5.0),
        ..MaxSelectivityConfig::default()
    };
    let from_slice = selectivity::max_selectivity(&[rec.clone(), rec.clone(), rec.clone()], &cfg)
        .expect("slice");
    let from_closure =
        selectivity::max_selectivity_repeats(3, |_| Ok(rec.clone()), &cfg).expect("closure");
    assert_eq!(from_slice, from_closure);
    // Two active units per repeat (unit 1 is silent).
    assert_eq!(from_slice.values.len(), 6);
    assert_eq!(from_slice.counts.iter().sum::<u64>(), 6);
    let d = 0.6 / ((0.04f64 + 0.01) / 2.0).sqrt();
    assert_eq!(
        from_slice.counts[(d / 0.5) as usize],
        3,
        "{:?}",
        from_slice.counts
    );
    assert_eq!(from_slice.counts[0], 3);
}

#[test]
fn logistic_fit_recovers_known_parameters() {
    let mut rng = Rng::new(42);
    let (x0, s, lapse) = (0.1, 0.15, 0.08);
    let levels: Vec<f64> = (0..11).map(|k| -0.5 + 0.1 * k as f64).collect();
    let (mut x, mut y, mut yl) = (Vec::new(), Vec::new(), Vec::new());
    for &lv in &levels {
        for _ in 0..2000 {
            let p = 1.0 / (1.0 + (-(lv - x0) / s).exp());
            x.push(lv);
            y.push(rng.bernoulli(p));
            yl.push(rng.bernoulli(lapse + (1.0 - 2.0 * lapse) * p));
        }
    }
    let f = fit_logistic(&x, &y, false).expect("fit");
    assert!(f.converged);
    assert!((f.x0 - x0).abs() < 0.01 && (f.s - s).abs() < 0.01, "{f:?}");
    let fl = fit_logistic(&x, &yl, true).expect("fit lapse");
    assert!(fl.converged, "{fl:?}");
    assert!(
        (fl.lapse - lapse).abs() < 0.02 && (fl.x0 - x0).abs() < 0.02 && (fl.s - s).abs() < 0.03,
        "{fl:?}"
    );
    // The lapse fit explains the lapsed data better than the lapse-free one.
    assert!(fl.log_likelihood > fit_logistic(&x, &yl, false).expect("fit").log_likelihood + 10.0);
}

#[test]
fn psychometric_run_signs_evidence_from_labels() {
    let mut rng = Rng::new(7);
    let n = 3000;
    let (mut coh, mut gt, mut choice) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let c = *rng.choose(&[0.0, 0.064, 0.128, 0.256, 0.512]);
        let g = if rng.bernoulli(0.5) { 1.0 } else { 0.0 };
        let x: f64 = if g == 1.0 { c } else { -c };
        let p = 1.0 / (1.0 + (-x / 0.1).exp());
        coh.push(c);
        gt.push(g);
        choice.push(if rng.bernoulli(p) { 1.0 } else { 2.0 });
    }
    let rec = recording(
        n,
        1,
        1,
        vec![0.5; n],
        vec![("coherence", coh), ("ground_truth", gt), ("choice", choice)],
    );
    let cfg = PsychometricConfig {
        choice: ChoiceSource::Label("choice".into()),
        ..PsychometricConfig::default()
    };
    let r = psychometric::run(&rec, &cfg).expect("run");
    assert_eq!(r.x.len(), 9, "{:?}", r.x); // ±4 coherences and 0
    assert_eq!(r.n.iter().sum::<usize>(), n);
    assert!(
        r.fit.x0.abs() < 0.02 && (r.fit.s - 0.1).abs() < 0.02,
        "{:?}",
        r.fit
    );
    assert!(
        r.p.windows(2).filter(|w| w[1] < w[0]).count() <= 1,
        "roughly monotone {:?}",
        r.p
    );
    assert_eq!(r.curve_x.len(), 101);
}

#[test]
fn task_variance_separates_task_specific_units() {
    let (n_trials, n_steps, n_units) = (10, 5, 6);
    let make = |active: &[usize]| {
        let mut rates = Vec::new();
        for i in 0..n_trials {
            let pm = if i % 2 == 0 { 1.0f32 } else { -1.0 };
            for _ in 0..n_steps {
                for u in 0..n_units {
                    rates.push(if active.contains(&u) { 2.0 + pm } else { 0.3 });
                }
            }
        }
        recording(n_trials, n_steps, n_units, rates, vec![])
    };
    let (a, b) = (make(&[0, 1, 4]), make(&[2, 3, 4]));
    let cfg = TaskVarianceConfig {
        k_max: 4,
        ..TaskVarianceConfig::default()
    };
    let r = task_variance::run(&[("go", &a), ("anti", &b)], &cfg, &mut Rng::new(0)).expect("tv");
    assert_eq!(r.kept_units, vec![0, 1, 2, 3, 4]);
    assert!((r.variance[0] - 1.0).abs() < 1e-12 && r.variance[1].abs() < 1e-12);
    assert_eq!(r.k, 3, "silhouettes {:?}", r.silhouette);
    let l = &r.labels;
    assert!(
        l[0] == l[1] && l[2] == l[3] && l[0] != l[2] && l[4] != l[0] && l[4] != l[2],
        "{l:?}"
    );
    // Heatmap: go-preferring units first, then the mixed unit (peaks on go too, ties → first task), then anti.
    let mut sorted = r.order.clone();
    sorted.sort();
    assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
    assert!(l[r.order[0]] == l[r.order[1]]);
    assert_eq!(r.to_npz().expect("npz").arrays.len(), 5);
}

#[test]
fn activity_means_and_maxima() {
    let rates = vec![0.0, 1.0, 2.0, 3.0, /* trial 1 */ 4.0, 0.5, 1.0, 9.0];
    let rec = recording(2, 2, 2, rates, vec![]);
    let r = activity::run(&rec, &ActivityConfig::default()).expect("activity");
    assert_eq!(r.trial_mean, vec![1.5, 3.625]);
    assert_eq!(r.max_rate, vec![4.0, 9.0]);
    assert_eq!(
        (r.argmax_trial.clone(), r.argmax_step.clone()),
        (vec![1, 1], vec![0, 1])
    );
    let w = activity::run(
        &rec,
        &ActivityConfig {
            window: Window::Steps(1, 2),
        },
    )
    .expect("window");
    assert_eq!(w.trial_mean, vec![2.5, 5.0]);
}

#[test]
fn pca_on_a_recording_reconstructs_at_full_rank_and_zeroes_padding() {
    let mut rng = Rng::new(2);
    let (n_trials, n_steps, n_units) = (6, 10, 4);
    let rates: Vec<f32> = (0..n_trials * n_steps * n_units)
        .map(|_| rng.normal() as f32)
        .collect();
    let mut rec = recording(n_trials, n_steps, n_units, rates, vec![]);
    rec.trial_len[5] = 7;
    let r = pca::run(
        &rec,
        &PcaConfig {
            n_components: None,
            ..PcaConfig::default()
        },
    )
    .expect("pca");
    assert_eq!(r.pca.n_samples, 5 * 10 + 7);
    let k = r.pca.n_components;
    assert_eq!(k, 4);
    let back = r.pca.inverse_transform(&r.projected[..n_steps * k]);
    for (a, b) in back.iter().zip(&rec.rates[..n_steps * n_units]) {
        assert!((a - *b as f64).abs() < 1e-9);
    }
    assert!(r.projected[(5 * n_steps + 7) * k..]
        .iter()
        .all(|&v| v == 0.0));
    assert!(r.pca.explained_variance.windows(2).all(|w| w[0] >= w[1]));
    let z = r.to_npz().expect("npz");
    assert_eq!(
        z.get("projected").map(|a| a.shape().to_vec()),
        Some(vec![6, 10, 4])
    );
    assert!(serde_json::from_str::<PcaConfig>(r#"{"n_components": 2, "windw": "whole"}"#).is_err());
    let c: PcaConfig = serde_json::from_str(r#"{"window": {"period": "stim"}}"#).expect("parse");
    assert_eq!(c.window, Window::Period("stim".into()));
}

#[test]
fn kmeans_chooses_k_by_silhouette_and_is_seed_deterministic() {
    let mut rng = Rng::new(9);
    let centres = [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]];
    let mut data = Vec::new();
    for i in 0..90 {
        let c = centres[i % 3];
        data.extend([c[0] + 0.5 * rng.normal(), c[1] + 0.5 * rng.normal()]);
    }
    let base = KMeansConfig {
        n_init: 4,
        ..KMeansConfig::default()
    };
    let s = cluster::select_k(&data, 90, 2, 2, 6, &base, &mut Rng::new(1)).expect("select");
    assert_eq!(s.best_k, 3, "{:?}", s.scores);
    assert_eq!(s.scores.len(), 5);
    for i in 0..90 {
        assert_eq!(s.best.labels[i], s.best.labels[i % 3], "sample {i}");
    }
    let a = cluster::kmeans::run(
        &data,
        90,
        2,
        &KMeansConfig {
            k: 3,
            ..base.clone()
        },
        &mut Rng::new(3),
    )
    .expect("a");
    let b = cluster::kmeans::run(
        &data,
        90,
        2,
        &KMeansConfig { k: 3, ..base },
        &mut Rng::new(3),
    )
    .expect("b");
    assert_eq!(a, b);
    assert!(cluster::silhouette_score(&data, 90, 2, &vec![0; 90]).is_err());
}

/// Three classes, 4 noisy units; from step 6 on, unit c is raised by 1 in class c (a one-vs-rest
/// linear read-out cannot pick out the middle of three levels of one unit); the last 10 trials
/// end at step 8, and 3 trials have no label (NaN).
fn decoding_recording() -> Recording {
    let (n_trials, n_steps, n_units) = (90, 12, 4);
    let mut rng = Rng::new(5);
    let mut rates = Vec::new();
    let mut class = Vec::new();
    for i in 0..n_trials {
        let c = (i % 3) as f64;
        class.push(c * 10.0);
        for t in 0..n_steps {
            for u in 0..n_units {
                let signal = if t >= 6 && u == i % 3 { 1.0 } else { 0.0 };
                rates.push((signal + 0.2 * rng.normal()) as f32);
            }
        }
    }
    let mut rec = recording(n_trials, n_steps, n_units, rates, vec![("stimulus", class)]);
    for len in rec.trial_len.iter_mut().skip(80) {
        *len = 8;
    }
    for i in [5, 40, 77] {
        rec.labels[0].values[i] = f64::NAN;
    }
    rec
}

#[test]
fn decoding_finds_when_the_population_carries_the_label() {
    let rec = decoding_recording();
    let cfg = DecodingConfig {
        label: "stimulus".into(),
        stride: 1,
        shuffles: 4,
        ..DecodingConfig::default()
    };
    let r = decoding::run(&rec, &cfg).expect("decoding");
    assert_eq!(r.classes, [0.0, 10.0, 20.0]);
    assert_eq!(r.steps, (0..12).collect::<Vec<_>>());
    assert_eq!(r.n_trials[7], 87, "unlabelled trials are left out");
    assert_eq!(r.n_trials[8], 77, "trials that ended are left out");
    // 30 / 29 / 28 labelled trials per class up to step 7 (trials 5, 40, 77 are of classes 2, 1, 2).
    assert!(
        (r.majority[0] - 30.0 / 87.0).abs() < 1e-12,
        "{}",
        r.majority[0]
    );
    for t in 0..6 {
        assert!(r.accuracy[t] < 0.6, "step {t}: {}", r.accuracy[t]);
    }
    for t in 6..12 {
        assert!(r.accuracy[t] > 0.95, "step {t}: {}", r.accuracy[t]);
        assert!(r.shuffled[t] < 0.6, "step {t}: shuffled {}", r.shuffled[t]);
    }
    assert!(r.best.0 >= 6 && r.best.1 > 0.95);
    // Same seed, same numbers; a stride keeps every stride-th step.
    assert_eq!(decoding::run(&rec, &cfg).expect("again"), r);
    let every3 = decoding::run(
        &rec,
        &DecodingConfig {
            stride: 3,
            ..cfg.clone()
        },
    )
    .expect("stride");
    assert_eq!(every3.steps, [0, 3, 6, 9]);
    assert_eq!(every3.accuracy[2], r.accuracy[6]);
    let z = r.to_npz().expect("npz");
    assert_eq!(z.get("accuracy").expect("accuracy").to_f64(), r.accuracy);
    // Errors name the problem.
    let bad = |c: DecodingConfig| decoding::run(&rec, &c).expect_err("refused").to_string();
    let e = bad(DecodingConfig {
        label: "colour".into(),
        ..cfg.clone()
    });
    assert!(e.contains("colour") && e.contains("stimulus"), "{e}");
    let e = bad(DecodingConfig {
        folds: 1,
        ..cfg.clone()
    });
    assert!(e.contains("folds"), "{e}");
    let e = bad(DecodingConfig {
        alpha: 0.0,
        ..cfg.clone()
    });
    assert!(e.contains("alpha"), "{e}");
    let e = bad(DecodingConfig { folds: 50, ..cfg });
    assert!(e.contains("no step"), "{e}");
}

#[test]
fn decoding_takes_chance_among_the_trials_still_running() {
    // Class 0's trials end at step 4: from there on one class is left out of the mix, and where
    // only one class would remain the step is skipped.
    let (n_trials, n_steps, n_units) = (60, 10, 3);
    let mut rng = Rng::new(9);
    let rates: Vec<f32> = (0..n_trials * n_steps * n_units)
        .map(|_| rng.normal() as f32)
        .collect();
    let class: Vec<f64> = (0..n_trials).map(|i| (i % 3) as f64).collect();
    let mut rec = recording(n_trials, n_steps, n_units, rates, vec![("c", class)]);
    for (i, len) in rec.trial_len.iter_mut().enumerate() {
        *len = match i % 3 {
            0 => 4,
            1 => 7,
            _ => 10,
        };
    }
    let cfg = DecodingConfig {
        label: "c".into(),
        stride: 1,
        shuffles: 8,
        ..DecodingConfig::default()
    };
    let r = decoding::run(&rec, &cfg).expect("decoding");
    assert_eq!(
        r.steps,
        (0..7).collect::<Vec<_>>(),
        "steps 7-9 hold one class"
    );
    assert!((r.majority[0] - 1.0 / 3.0).abs() < 1e-12);
    assert!((r.majority[5] - 0.5).abs() < 1e-12);
    // Pure noise: accuracy and shuffles stay near each step's chance.
    for (k, &t) in r.steps.iter().enumerate() {
        assert!(
            r.accuracy[k] < r.majority[k] + 0.25,
            "step {t}: {}",
            r.accuracy[k]
        );
        assert!(
            (r.shuffled[k] - r.majority[k]).abs() < 0.2,
            "step {t}: shuffled {} against {}",
            r.shuffled[k],
            r.majority[k]
        );
    }
}

/// Three classes, 4 noisy units, 16 steps; a period `go` starts at step 4–8 (varying over trials)
/// and unit c is raised by 1 in class c from its onset on; trials 0–2 have no `go` period.
fn go_aligned_recording() -> Recording {
    let (n_trials, n_steps, n_units) = (90, 16, 4);
    let onset = |i: usize| 4 + (i / 3) % 5;
    let mut rng = Rng::new(11);
    let mut rates = Vec::new();
    let mut class = Vec::new();
    for i in 0..n_trials {
        class.push((i % 3) as f64);
        for t in 0..n_steps {
            for u in 0..n_units {
                let on = i >= 3 && t >= onset(i) && u == i % 3;
                rates.push((if on { 1.0 } else { 0.0 } + 0.2 * rng.normal()) as f32);
            }
        }
    }
    let mut rec = recording(n_trials, n_steps, n_units, rates, vec![("choice", class)]);
    let bounds = (0..n_trials)
        .flat_map(|i| {
            if i < 3 {
                [-1, -1]
            } else {
                [onset(i) as i64, n_steps as i64]
            }
        })
        .collect();
    rec.periods = vec![("go".to_string(), bounds)];
    rec
}

#[test]
fn decoding_aligned_to_a_period_counts_steps_from_its_onset() {
    let rec = go_aligned_recording();
    let cfg = DecodingConfig {
        label: "choice".into(),
        stride: 1,
        shuffles: 0,
        align: Some("go".into()),
        ..DecodingConfig::default()
    };
    let r = decoding::run(&rec, &cfg).expect("aligned decoding");
    assert_eq!(r.align.as_deref(), Some("go"));
    // Onsets 4..=8 in 16-step trials: from 8 steps before the onset to 11 after it.
    assert_eq!(r.steps, (-8..12).collect::<Vec<i64>>());
    let at = |tau: i64| r.steps.iter().position(|&s| s == tau).expect("step");
    assert_eq!(
        r.n_trials[at(0)],
        87,
        "trials without the period are left out"
    );
    // 18 trials per onset (15 at onset 4, less the three without the period).
    assert_eq!(
        r.n_trials[at(-5)],
        72,
        "only trials whose onset is 5 or later"
    );
    assert_eq!(r.n_trials[at(-8)], 18, "only trials whose onset is 8");
    for tau in -4..0 {
        assert!(
            r.accuracy[at(tau)] < 0.6,
            "step {tau}: {}",
            r.accuracy[at(tau)]
        );
    }
    for tau in 0..12 {
        assert!(
            r.accuracy[at(tau)] > 0.95,
            "step {tau}: {}",
            r.accuracy[at(tau)]
        );
    }
    assert!(r.best.0 >= 0);
    let z = r.to_npz().expect("npz");
    assert_eq!(z.get("steps").expect("steps").to_f64()[0], -8.0);
    // From trial onset, step 5 mixes trials before and after their onset.
    let onset = decoding::run(
        &rec,
        &DecodingConfig {
            align: None,
            ..cfg.clone()
        },
    )
    .expect("decoding from trial onset");
    assert_eq!(onset.steps[0], 0);
    assert!(onset.accuracy[5] < 0.8, "step 5: {}", onset.accuracy[5]);
    // A stride keeps step 0.
    let every4 = decoding::run(
        &rec,
        &DecodingConfig {
            stride: 4,
            ..cfg.clone()
        },
    )
    .expect("stride");
    assert_eq!(every4.steps, [-8, -4, 0, 4, 8]);
    // An unknown period is named, with the ones the recording has.
    let e = decoding::run(
        &rec,
        &DecodingConfig {
            align: Some("cue".into()),
            ..cfg
        },
    )
    .expect_err("unknown period")
    .to_string();
    assert!(e.contains("cue") && e.contains("go"), "{e}");
}
