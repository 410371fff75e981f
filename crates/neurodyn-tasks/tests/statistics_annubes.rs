//! Statistics of AnnubesEnv with `compat = "neurogym"` against neurogym 2.3.1 itself (2000
//! seeded trials per dt from `tests/golden/tasks/neurogym_stats.py`, with session
//! `{v: 0.5, a: 0.5}` and catch_prob 0.5, this task's defaults), within sampling error; plus the
//! default-mode fixes and the `session` / `catch_prob` parameters.

mod common;

use common::*;
use neurodyn_core::Trial;
use neurodyn_tasks::{build, Compat, ParamValue, TaskConfig, TaskError};

/// Per-step noise SD of AnnubesEnv at the defaults: 0.01·√(2·100/dt).
fn annubes_sigma(dt: f64) -> f64 {
    0.01 * (200.0 / dt).sqrt()
}

#[test]
fn annubes_matches_neurogym() {
    let n = 4000;
    // (dt, length, neurogym stimulus-period mean and SD of channels a and v)
    for (dt, len, ng_mean, ng_sd) in [
        (20.0, 75, [0.22245, 0.22364], [0.39088, 0.39239]),
        (100.0, 15, [0.22249, 0.22357], [0.3907, 0.39202]),
    ] {
        let t = trials("AnnubesEnv", dt, NG, n);
        let what = |s: &str| format!("dt {dt}: {s}");
        assert!(t.iter().all(|x| x.n_steps() == len && x.n_in == 4));
        // Fixation period all zero (fix_intensity 0); start cue 1 in the stimulus period.
        for ch in 0..4 {
            assert_eq!(
                input_stats(&t, "fixation", ch),
                (0.0, 0.0),
                "{}",
                what("fixation")
            );
        }
        assert_eq!(input_stats(&t, "stimulus", 0), (0.0, 0.0));
        assert_eq!(input_stats(&t, "stimulus", 1), (1.0, 0.0));
        // Modality channels a, v: a quarter of the trials each, intensity mean 0.9.
        for (i, ch) in [2, 3].into_iter().enumerate() {
            let (m, sd) = input_stats(&t, "stimulus", ch);
            // One value per trial (plus tiny noise): SE of the mean ≈ SD/√trials.
            let tol = 4.0 * 0.392 * (1.0 / n as f64 + 1.0 / NG_N).sqrt();
            close(m, ng_mean[i], tol, &what("modality mean vs neurogym"));
            close(
                m,
                0.25 * 0.9,
                4.0 * 0.392 / (n as f64).sqrt(),
                &what("modality mean"),
            );
            close(sd, ng_sd[i], 0.02, &what("modality SD"));
        }
        // Noise only on the shown modality: its within-trial SD is noise_std·√(2τ/dt); the
        // other channels are exactly 0.
        let shown_a = t.iter().filter(|x| label(x, "intensity_a") > 0.0);
        let sd = within_trial_sd(shown_a, "stimulus", 2);
        close(
            sd,
            annubes_sigma(dt),
            0.03 * annubes_sigma(dt),
            &what("noise SD"),
        );
        for tr in &t {
            for (ch, m) in [(2, "intensity_a"), (3, "intensity_v")] {
                if label(tr, m) == 0.0 {
                    assert!(range(tr, "stimulus").all(|k| tr.inputs[k * 4 + ch] == 0.0));
                }
            }
            // Target: respond through the stimulus period unless it is a catch trial.
            let gt = label(tr, "ground_truth") as i64;
            assert_eq!(gt, i64::from(label(tr, "stim_type") != 0.0));
            assert!(classes(tr, "stimulus").iter().all(|&c| c == gt));
            assert!(classes(tr, "fixation").iter().all(|&c| c == 0));
        }
        // Trial types: catch ½ (neurogym 0.5055), a ¼ (0.247), v ¼ (0.2475).
        for (k, p, ng) in [(0.0, 0.5, 0.5055), (1.0, 0.25, 0.247), (2.0, 0.25, 0.2475)] {
            let f = fraction(&t, |x| label(x, "stim_type") == k);
            close(f, p, tol_p(p, n), &what("stim_type"));
            close(f, ng, tol_p_ng(p, n), &what("stim_type vs neurogym"));
        }
        // Intensities 0.8, 0.9, 1.0 a third each of the shown modalities (neurogym: 0.162,
        // 0.161, 0.1715 of all trials).
        for (v, ng) in [(0.8, 0.162), (0.9, 0.161), (1.0, 0.1715)] {
            let f = fraction(&t, |x| {
                label(x, "intensity_a") == v || label(x, "intensity_v") == v
            });
            close(f, 0.5 / 3.0, tol_p(0.5 / 3.0, n), &what("intensity"));
            close(
                f,
                ng,
                tol_p_ng(0.5 / 3.0, n),
                &what("intensity vs neurogym"),
            );
        }
    }
}

#[test]
fn annubes_default_cues_fixation_and_noises_every_modality() {
    let dt = 20.0;
    let t = trials("AnnubesEnv", dt, Compat::Default, 2000);
    let sigma = annubes_sigma(dt);
    for tr in &t {
        assert!(range(tr, "fixation").all(|k| tr.inputs[k * 4] == 1.0));
        assert!(range(tr, "stimulus").all(|k| tr.inputs[k * 4] == 0.0));
    }
    // Every modality channel is noisy in the stimulus period: absent ones (catch trials included)
    // have mean 0 and SD σ, shown ones SD σ around their intensity.
    let catch: Vec<&Trial> = t.iter().filter(|x| label(x, "stim_type") == 0.0).collect();
    assert!(catch.len() > 800);
    for ch in [2, 3] {
        let sd = within_trial_sd(catch.iter().copied(), "stimulus", ch);
        close(sd, sigma, 0.03 * sigma, "catch-trial noise SD");
        let (m, _) =
            pooled(catch.iter().flat_map(|tr| {
                range(tr, "stimulus").map(move |k| f64::from(tr.inputs[k * 4 + ch]))
            }));
        close(
            m,
            0.0,
            4.0 * sigma / (catch.len() as f64 * 50.0).sqrt(),
            "catch mean",
        );
    }
    let only_v = t.iter().filter(|x| label(x, "stim_type") == 2.0);
    close(
        within_trial_sd(only_v, "stimulus", 2),
        sigma,
        0.03 * sigma,
        "absent modality noise SD",
    );
    // Neither the noise level nor its presence tells catch from stimulus trials any more.
    let shown: Vec<&Trial> = t.iter().filter(|x| label(x, "intensity_a") > 0.0).collect();
    close(
        within_trial_sd(shown.iter().copied(), "stimulus", 2),
        sigma,
        0.03 * sigma,
        "shown modality noise SD",
    );
}

#[test]
fn annubes_session_and_catch_prob_are_parameters() {
    // The way a run config gives them: a TOML table.
    let cfg: TaskConfig = toml::from_str(
        r#"
        dt_ms = 50
        [params]
        session = { a = 1, "a+v" = 3 }
        catch_prob = 0.2
        intensities = [0.5]
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let task = build("AnnubesEnv-v0", &cfg).unwrap_or_else(|e| panic!("{e}"));
    let s = task.spec();
    assert_eq!(s.input_names, ["fixation", "start", "a", "v"]);
    assert_eq!(
        s.label_names,
        ["ground_truth", "stim_type", "intensity_a", "intensity_v"]
    );
    let n = 4000;
    let t = trials_cfg("AnnubesEnv", &cfg, n);
    // Types in name order: 1 = "a", 2 = "a+v"; catch 0.2, a 0.8·¼, a+v 0.8·¾.
    for (k, p) in [(0.0, 0.2), (1.0, 0.2), (2.0, 0.6)] {
        let f = fraction(&t, |x| label(x, "stim_type") == k);
        close(f, p, tol_p(p, n), "session fractions");
    }
    for tr in &t {
        let (a, v) = (label(tr, "intensity_a"), label(tr, "intensity_v"));
        match label(tr, "stim_type") as i64 {
            0 => assert_eq!((a, v), (0.0, 0.0)),
            1 => assert_eq!((a, v), (0.5, 0.0)),
            _ => assert_eq!((a, v), (0.5, 0.5)),
        }
    }
    // Bad values name the key.
    let with = |key: &str, v: ParamValue| TaskConfig::default().param(key, v);
    let map =
        |kv: &[(&str, f64)]| ParamValue::Map(kv.iter().map(|(k, p)| (k.to_string(), *p)).collect());
    for (cfg, key) in [
        (with("catch_prob", ParamValue::Num(1.0)), "catch_prob"),
        (with("catch_prob", ParamValue::Num(-0.1)), "catch_prob"),
        (with("session", map(&[("catch", 1.0)])), "session"),
        (with("session", map(&[("a", 0.0), ("v", 0.0)])), "session"),
        (with("session", ParamValue::Num(0.5)), "session"),
        (with("tau_ms", ParamValue::Num(0.0)), "tau_ms"),
        (with("stimulus_ms", ParamValue::Num(0.0)), "stimulus_ms"),
    ] {
        match build("AnnubesEnv", &cfg) {
            Err(TaskError::InvalidParam { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: expected InvalidParam, got {:?}", other.err()),
        }
    }
    assert!(matches!(
        build("AnnubesEnv", &with("max_sequential", ParamValue::Num(3.0))),
        Err(TaskError::UnknownParam { .. })
    ));
}
