//! Statistics of ReachingDelayResponse and ProbabilisticReasoning with `compat = "neurogym"`
//! against neurogym 2.3.1 itself, within sampling error: 2000 seeded trials per task and dt from
//! `tests/golden/tasks/neurogym_stats.py` (output in `neurogym_stats.json` beside it), the spec's
//! length table (NEUROGYM_TASKS.md §0) and the exact values neurogym's rules imply. AnnubesEnv's
//! are in `statistics_annubes.rs`.
//!
//! Tolerances are 4 standard errors: of our sample against an exact value, or of the difference
//! of two samples (ours and neurogym's 2000 trials) against a neurogym number.

mod common;

use common::*;
use neurodyn_core::{Targets, Trial};
use neurodyn_tasks::{build, Compat, TaskConfig};

// ---------------------------------------------------------------------------------------------
// ReachingDelayResponse

#[test]
fn reaching_delay_response_matches_neurogym() {
    let n = 3000;
    let sd_u = 1.0 / 12f64.sqrt();
    // (dt, spec mean length, neurogym's stimulus mean and SD of s)
    for (dt, spec_len, ng_mean, ng_sd) in [
        (20.0, 99.7, 0.50015, 0.28285),
        (100.0, 19.9, 0.50015, 0.28285),
    ] {
        let t = trials("ReachingDelayResponse", dt, NG, n);
        let what = |s: &str| format!("dt {dt}: {s}");
        // Lengths: stimulus + delay {0, 1000, 2000} + decision, a third each.
        let unit = 500.0 / dt;
        let fr = length_fractions(&t);
        assert_eq!(fr.len(), 3, "{}", what("three lengths"));
        for (k, (&len, &f)) in fr.iter().enumerate() {
            assert_eq!(len as f64, unit * (2.0 + 2.0 * k as f64));
            close(f, 1.0 / 3.0, tol_p(1.0 / 3.0, n), &what("length fraction"));
        }
        // Length SD is (1000/dt)·√(2/3); the spec's mean is from 2000 trials.
        let len_sd = 1000.0 / dt * (2.0f64 / 3.0).sqrt();
        let tol = 4.0 * len_sd * (1.0 / n as f64 + 1.0 / NG_N).sqrt();
        close(mean_len(&t), spec_len, tol, &what("mean length"));
        // Inputs: [0, s] in the stimulus, [0, −0.5] in the delay, [1, −0.5] in the decision.
        let (m, sd) = input_stats(&t, "stimulus", 1);
        let tol_m = 4.0 * sd_u * (1.0 / n as f64 + 1.0 / NG_N).sqrt();
        close(m, ng_mean, tol_m, &what("stimulus mean"));
        close(sd, ng_sd, 0.015, &what("stimulus SD"));
        assert_eq!(input_stats(&t, "stimulus", 0), (0.0, 0.0));
        let nonempty: Vec<Trial> = t
            .iter()
            .filter(|x| !range(x, "delay").is_empty())
            .cloned()
            .collect();
        assert_eq!(input_stats(&nonempty, "delay", 0), (0.0, 0.0));
        assert_eq!(input_stats(&nonempty, "delay", 1), (-0.5, 0.0));
        assert_eq!(input_stats(&t, "decision", 0), (1.0, 0.0));
        assert_eq!(input_stats(&t, "decision", 1), (-0.5, 0.0));
        // Targets: [−1, −0.5] until the decision, then [1, s].
        assert_eq!(target_stats(&t, "stimulus", 0), (-1.0, 0.0));
        assert_eq!(target_stats(&t, "stimulus", 1), (-0.5, 0.0));
        assert_eq!(target_stats(&nonempty, "delay", 0), (-1.0, 0.0));
        assert_eq!(target_stats(&nonempty, "delay", 1), (-0.5, 0.0));
        assert_eq!(target_stats(&t, "decision", 0), (1.0, 0.0));
        let (m, sd) = target_stats(&t, "decision", 1);
        close(m, ng_mean, tol_m, &what("reach target mean"));
        close(sd, ng_sd, 0.015, &what("reach target SD"));
        for tr in &t {
            // The reach target is the position shown, and the label.
            let s = label(tr, "ground_truth") as f32;
            assert_eq!(tr.inputs[range(tr, "stimulus").start * 2 + 1], s);
            let Targets::Continuous(v) = &tr.targets else {
                panic!()
            };
            assert_eq!(v[range(tr, "decision").start * 2 + 1], s);
            assert!((0.0..1.0).contains(&s));
        }
        for d in [0.0, 1000.0, 2000.0] {
            let f = fraction(&t, |x| label(x, "delay_ms") == d);
            close(f, 1.0 / 3.0, tol_p(1.0 / 3.0, n), &what("delay label"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ProbabilisticReasoning

/// Trial lengths at one dt: the spec's mean and range, neurogym's fraction of each length.
struct Lengths {
    dt: f64,
    spec_mean: f64,
    spec_range: (usize, usize),
    neurogym: &'static [(usize, f64)],
}

const WEIGHTS: [f64; 10] = [-10.0, -0.9, -0.7, -0.5, -0.3, 0.3, 0.5, 0.7, 0.9, 10.0];

#[test]
fn probabilistic_reasoning_matches_neurogym() {
    let n = 4000;
    let cases = [
        Lengths {
            dt: 20.0,
            spec_mean: 174.5,
            spec_range: (172, 177),
            neurogym: &[
                (172, 0.1015),
                (173, 0.1995),
                (174, 0.195),
                (175, 0.2085),
                (176, 0.198),
                (177, 0.0975),
            ],
        },
        Lengths {
            dt: 100.0,
            spec_mean: 34.5,
            spec_range: (34, 35),
            neurogym: &[(34, 0.496), (35, 0.504)],
        },
    ];
    for Lengths {
        dt,
        spec_mean: spec_len,
        spec_range: (lo, hi),
        neurogym: ng_fr,
    } in cases
    {
        let t = trials("ProbabilisticReasoning", dt, NG, n);
        let what = |s: &str| format!("dt {dt}: {s}");
        let fr = length_fractions(&t);
        assert_eq!(
            (*fr.keys().next().unwrap(), *fr.keys().last().unwrap()),
            (lo, hi),
            "{}",
            what("length range")
        );
        for &(len, f) in ng_fr {
            let got = fr.get(&len).copied().unwrap_or(0.0);
            close(got, f, tol_p_ng(f, n), &what(&format!("length {len}")));
        }
        // The delay is U(450, 550) floored: length SD < 1.5 steps.
        close(
            mean_len(&t),
            spec_len,
            4.0 * 1.5 * (1.0 / n as f64 + 1.0 / NG_N).sqrt(),
            &what("mean length"),
        );
        // Fixation input: 1 until the decision.
        for p in ["fixation", "stimulus0", "stimulus3", "delay"] {
            assert_eq!(input_stats(&t, p, 0), (1.0, 0.0), "{}", what(p));
        }
        assert_eq!(input_stats(&t, "decision", 0), (0.0, 0.0));
        for tr in &t {
            // Shapes: exactly i+1 one-hot codes during stimulus i, in distinct location blocks;
            // none in fixation, delay and decision.
            let shown = |k: usize| -> Vec<usize> {
                (1..41)
                    .filter(|&ch| tr.inputs[k * 41 + ch] != 0.0)
                    .collect()
            };
            for (p, count) in [
                ("fixation", 0),
                ("stimulus0", 1),
                ("stimulus1", 2),
                ("stimulus2", 3),
                ("stimulus3", 4),
                ("delay", 0),
                ("decision", 0),
            ] {
                for k in range(tr, p) {
                    let on = shown(k);
                    assert_eq!(on.len(), count, "{}", what(p));
                    assert!(on.iter().all(|&ch| tr.inputs[k * 41 + ch] == 1.0));
                    let mut blocks: Vec<usize> = on.iter().map(|ch| (ch - 1) / 10).collect();
                    blocks.dedup();
                    assert_eq!(blocks.len(), count);
                }
            }
            // Shape i sits in block loc{i}, at channel shape{i}, from stimulus i on.
            let k = range(tr, "stimulus3").start;
            for i in 0..4 {
                let ch = 1
                    + 10 * label(tr, &format!("loc{i}")) as usize
                    + label(tr, &format!("shape{i}")) as usize;
                assert_eq!(tr.inputs[k * 41 + ch], 1.0);
                assert_eq!(
                    tr.inputs[range(tr, &format!("stimulus{i}")).start * 41 + ch],
                    1.0
                );
            }
            // The target is the drawn choice, in the decision period only.
            let gt = label(tr, "ground_truth") as i64;
            assert!(classes(tr, "decision").iter().all(|&c| c == gt));
            assert!(classes(tr, "delay").iter().all(|&c| c == 0));
            let l: f64 = (0..4)
                .map(|i| WEIGHTS[label(tr, &format!("shape{i}")) as usize])
                .sum();
            close(label(tr, "log_odds_choice1"), -l, 1e-9, "log odds label");
        }
        // Shapes and locations uniform: every shape channel is on ~1/10 of stimulus-3 steps.
        for ch in 1..41 {
            let (m, _) = input_stats(&t, "stimulus3", ch);
            close(
                m,
                0.1,
                tol_p(0.1, n),
                &what(&format!("channel {ch} in stimulus3")),
            );
        }
        // Labels (exact values by enumerating the 10^4 shape draws; neurogym: 0.5145 choice 2,
        // signs −/0/+ 0.473/0.041/0.486, P(choice 2 | sign) 0.070/0.537/0.945, sure 0.5865).
        let p2 = fraction(&t, |x| label(x, "ground_truth") == 2.0);
        close(p2, 0.5, tol_p(0.5, n), &what("P(choice 2)"));
        close(
            p2,
            0.5145,
            tol_p_ng(0.5, n),
            &what("P(choice 2) vs neurogym"),
        );
        let sure = fraction(&t, |x| {
            (0..4).any(|i| matches!(label(x, &format!("shape{i}")) as usize, 0 | 9))
        });
        close(sure, 0.5904, tol_p(0.5904, n), &what("a sure shape"));
        let sign = |x: &Trial| {
            let v = label(x, "log_odds_choice1");
            if v > 1e-6 {
                1
            } else if v < -1e-6 {
                -1
            } else {
                0
            }
        };
        // sign of log_odds_choice1: +1 favours choice 1.
        for (s, p_sign, p_choice2) in [
            (1, 0.4813, 0.06839),
            (0, 0.0374, 0.5),
            (-1, 0.4813, 0.93161),
        ] {
            let group: Vec<&Trial> = t.iter().filter(|x| sign(x) == s).collect();
            let f = group.len() as f64 / n as f64;
            close(f, p_sign, tol_p(p_sign, n), &what(&format!("P(sign {s})")));
            let c2 = group
                .iter()
                .filter(|x| label(x, "ground_truth") == 2.0)
                .count() as f64
                / group.len() as f64;
            close(
                c2,
                p_choice2,
                tol_p(p_choice2, group.len()),
                &what(&format!("P(choice 2 | sign {s})")),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// All three

#[test]
fn new_tasks_resolve_by_neurogym_id_with_neurogym_sizes() {
    for (id, n_in, n_out, categorical) in [
        ("ReachingDelayResponse-v0", 2, 2, false),
        ("ProbabilisticReasoning-v0", 41, 3, true),
        ("AnnubesEnv-v0", 4, 2, true),
    ] {
        for compat in [Compat::Default, NG] {
            let task = build(id, &TaskConfig::default().compat(compat))
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            let s = task.spec();
            assert_eq!(format!("{}-v0", s.name), id);
            assert_eq!((s.n_in, s.n_out, s.categorical), (n_in, n_out, categorical));
            assert_eq!(s.dt_ms, 100.0);
        }
    }
}

#[test]
fn tasks_without_deviations_are_the_same_in_both_modes() {
    for name in ["ReachingDelayResponse", "ProbabilisticReasoning"] {
        for dt in [20.0, 100.0] {
            assert_eq!(
                trials(name, dt, Compat::Default, 50),
                trials(name, dt, NG, 50),
                "{name} @ dt {dt}"
            );
        }
    }
}
