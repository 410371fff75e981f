//! MemorizeReport (Yang & Wang 2020, Figure 8): the target is checked against the inputs alone,
//! step by step, as the network sees them: during each report cue it equals the stimulus at the
//! most recent memorize cue, and it is 0 everywhere else.

use neurodyn_core::{Rng, Targets, Trial};
use neurodyn_tasks::{build, sample_trials, ParamValue, TaskConfig, TaskError};

const NAME: &str = "MemorizeReport";

fn trials(cfg: &TaskConfig, n: usize, seed: u64) -> Vec<Trial> {
    let task = build(NAME, cfg).unwrap_or_else(|e| panic!("{e}"));
    sample_trials(task.as_ref(), n, seed)
}

fn targets(t: &Trial) -> &[f32] {
    match &t.targets {
        Targets::Continuous(v) => v,
        Targets::Class(_) => panic!("MemorizeReport targets must be continuous"),
    }
}

/// Runs of steps where input channel `ch` is on.
fn pulses(t: &Trial, ch: usize) -> Vec<std::ops::Range<usize>> {
    let on = |k: usize| t.inputs[k * t.n_in + ch] != 0.0;
    let mut out = Vec::new();
    let mut k = 0;
    while k < t.n_steps() {
        if on(k) {
            let s = k;
            while k < t.n_steps() && on(k) {
                k += 1;
            }
            out.push(s..k);
        } else {
            k += 1;
        }
    }
    out
}

/// Check one trial: cue layout, the target rule, labels; `frame` = steps per frame.
fn check(t: &Trial, frame: usize, dt: f64, what: &str) {
    assert_eq!((t.n_in, t.n_out), (3, 1), "{what}");
    let n = t.n_steps();
    assert_eq!(n % frame, 0, "{what}: trial is not whole frames");
    let x = |k: usize, ch: usize| t.inputs[k * 3 + ch];
    // The stimulus holds one value per frame, within the amplitude.
    for k in 0..n {
        assert!(x(k, 0).abs() <= 1.0, "{what}: stimulus {}", x(k, 0));
        assert_eq!(
            x(k, 0),
            x(k - k % frame, 0),
            "{what}: stimulus changes inside a frame"
        );
        for ch in [1, 2] {
            assert!(x(k, ch) == 0.0 || x(k, ch) == 1.0, "{what}: cue not 0/1");
        }
    }
    // Cues: one frame each, alternating memorize → report, three cycles.
    let (mem, rep) = (pulses(t, 1), pulses(t, 2));
    assert_eq!((mem.len(), rep.len()), (3, 3), "{what}: cycles");
    for (m, r) in mem.iter().zip(&rep) {
        assert_eq!((m.len(), r.len()), (frame, frame), "{what}: cue length");
        assert_eq!(m.start % frame, 0, "{what}: cue off the frame grid");
        assert!(m.end <= r.start, "{what}: report before its memorize cue");
    }
    for w in rep.windows(2).zip(&mem[1..]) {
        assert!(
            w.0[0].end <= w.1.start,
            "{what}: two memorize cues per report"
        );
    }
    assert!(
        rep[2].end < n,
        "{what}: a frame of stream must end the trial"
    );
    // The target, from the inputs alone.
    let y = targets(t);
    let mut held: Option<f32> = None;
    for k in 0..n {
        if x(k, 1) == 1.0 {
            held = Some(x(k, 0));
        }
        let want = if x(k, 2) == 1.0 {
            held.unwrap_or_else(|| panic!("{what}: report with nothing memorized"))
        } else {
            0.0
        };
        assert_eq!(y[k], want, "{what}: target at step {k}");
    }
    // Labels: memorized value and memory duration per cycle.
    for (i, (m, r)) in mem.iter().zip(&rep).enumerate() {
        let lab = |s: String| t.labels.get(&s).unwrap_or_else(|| panic!("{s}")).as_f64();
        assert_eq!(
            lab(format!("memorized{}", i + 1)),
            f64::from(x(m.start, 0)),
            "{what}"
        );
        let delay = lab(format!("delay{}_ms", i + 1));
        assert_eq!(delay, (r.start - m.start) as f64 * dt, "{what}");
        let frames = (r.start - m.start) / frame;
        assert!(
            (1..=17).contains(&frames),
            "{what}: delay of {frames} frames"
        );
    }
}

#[test]
fn report_target_is_the_stimulus_at_the_last_memorize_cue() {
    for (dt, frame) in [(100.0, 1), (20.0, 5), (50.0, 2), (30.0, 3)] {
        let cfg = TaskConfig::with_dt(dt);
        for (i, t) in trials(&cfg, 300, 1).iter().enumerate() {
            check(t, frame, dt, &format!("dt {dt} trial {i}"));
        }
    }
}

#[test]
fn defaults_follow_the_primer_notebook() {
    let task = build(NAME, &TaskConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let spec = task.spec();
    assert_eq!(spec.dt_ms, 100.0);
    assert!(!spec.categorical);
    assert_eq!(spec.input_names, ["stimulus", "memorize", "report"]);
    let t = sample_trials(task.as_ref(), 4000, 5);
    // Cycles of 5–19 frames (uniform): mean trial 3 × 12 frames.
    let mean = t.iter().map(|x| x.n_steps() as f64).sum::<f64>() / t.len() as f64;
    assert!((mean - 36.0).abs() < 0.4, "mean length {mean}");
    let (lo, hi) = t.iter().fold((usize::MAX, 0), |(a, b), x| {
        (a.min(x.n_steps()), b.max(x.n_steps()))
    });
    assert!(lo >= 15 && hi <= 57, "lengths {lo}..{hi}");
    // Stimulus U(−1, 1): mean 0, SD 1/√3.
    let s: Vec<f64> = t
        .iter()
        .flat_map(|x| x.inputs.iter().step_by(3).map(|&v| f64::from(v)))
        .collect();
    let m = s.iter().sum::<f64>() / s.len() as f64;
    let sd = (s.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / s.len() as f64).sqrt();
    assert!(
        m.abs() < 0.01 && (sd - 3f64.sqrt().recip()).abs() < 0.01,
        "{m} {sd}"
    );
    // Memory durations span 1 to 17 frames.
    let delays: Vec<f64> = t
        .iter()
        .map(|x| x.labels.get("delay1_ms").map_or(0.0, |l| l.as_f64()))
        .collect();
    let dmin = delays.iter().cloned().fold(f64::INFINITY, f64::min);
    let dmax = delays.iter().cloned().fold(0.0, f64::max);
    assert_eq!((dmin, dmax), (100.0, 1700.0));
}

#[test]
fn mask_is_one_by_default_and_period_weights_select_the_reports() {
    for t in trials(&TaskConfig::default(), 50, 2) {
        assert!(t.mask.iter().all(|&m| m == 1.0));
    }
    let mut cfg = TaskConfig::default();
    for p in ["stream", "memorize", "delay"] {
        cfg.mask.period_weights.insert(p.into(), 0.0);
    }
    cfg.mask.period_weights.insert("report".into(), 10.0);
    for t in trials(&cfg, 50, 2) {
        for k in 0..t.n_steps() {
            let reporting = t.inputs[k * 3 + 2] == 1.0;
            assert_eq!(t.mask[k], if reporting { 10.0 } else { 0.0 }, "step {k}");
        }
    }
}

#[test]
fn deterministic_per_seed() {
    let task = build(NAME, &TaskConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let (mut a, mut b) = (Rng::new(9), Rng::new(9));
    for _ in 0..20 {
        assert_eq!(task.trial(&mut a), task.trial(&mut b));
    }
    assert_eq!(
        trials(&TaskConfig::default(), 10, 3),
        trials(&TaskConfig::default(), 10, 3)
    );
    assert_ne!(
        trials(&TaskConfig::default(), 10, 3),
        trials(&TaskConfig::default(), 10, 4)
    );
}

#[test]
fn parameters_change_the_task_and_bad_ones_are_refused() {
    let mut cfg = TaskConfig::default();
    cfg.params.insert("n_cycles".into(), ParamValue::Num(1.0));
    cfg.params
        .insert("cycle_ms".into(), ParamValue::List(vec![1000.0]));
    cfg.params.insert("amplitude".into(), ParamValue::Num(0.5));
    let task = build(NAME, &cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(task.spec().label_names, ["memorized1", "delay1_ms"]);
    for t in sample_trials(task.as_ref(), 50, 1) {
        assert_eq!(t.n_steps(), 10);
        assert!(t.inputs.iter().step_by(3).all(|v| v.abs() <= 0.5));
    }
    for (key, v) in [
        ("cycle_ms", ParamValue::List(vec![1000.0, 200.0])),
        ("frame_ms", ParamValue::Num(0.0)),
        ("n_cycles", ParamValue::Num(0.0)),
    ] {
        let mut cfg = TaskConfig::default();
        cfg.params.insert(key.into(), v);
        match build(NAME, &cfg) {
            Err(TaskError::InvalidParam { key: k, .. }) => assert_eq!(k, key),
            Err(e) => panic!("{key}: wrong error {e}"),
            Ok(_) => panic!("{key}: accepted"),
        }
    }
}
