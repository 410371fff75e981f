//! PatternGeneration (Sussillo & Abbott 2009's first FORCE example): a one-step-or-longer cue,
//! then the three-harmonic pattern on the output with nothing on the input, checked against the
//! formula; every trial the same; bad parameters refused by name.

use neurodyn_core::{Rng, Targets};
use neurodyn_tasks::{build, ParamValue, TaskConfig};

const NAME: &str = "PatternGeneration";

fn config(params: &[(&str, f64)]) -> TaskConfig {
    let mut cfg = TaskConfig::default();
    for (k, v) in params {
        cfg.params.insert((*k).into(), ParamValue::Num(*v));
    }
    cfg
}

#[test]
fn the_cue_then_the_pattern_from_its_formula() {
    let task = build(NAME, &config(&[])).expect("task");
    let spec = task.spec();
    assert_eq!((spec.n_in, spec.n_out, spec.dt_ms), (1, 1, 5.0));
    assert!(!spec.categorical);
    let t = task.trial(&mut Rng::new(0));
    // 50 ms cue (10 steps) + 10 000 ms (2000 steps).
    assert_eq!(t.n_steps(), 2010);
    let Targets::Continuous(y) = &t.targets else {
        panic!("continuous targets")
    };
    for k in 0..2010 {
        let cue = if k < 10 { 1.0 } else { 0.0 };
        assert_eq!(t.inputs[k], cue, "input at step {k}");
        let want = if k < 10 {
            0.0
        } else {
            let w = 2.0 * std::f64::consts::PI * (k - 10) as f64 * 5.0 / 1000.0;
            0.8 * (w.sin() + 0.5 * (2.0 * w).sin() + 0.25 * (3.0 * w).sin())
        };
        assert!((f64::from(y[k]) - want).abs() < 1e-6, "target at step {k}");
    }
    assert!(t.mask.iter().all(|&m| m == 1.0));
    // One period of 1 Hz is 200 steps: the pattern repeats.
    assert!((y[10 + 37] - y[10 + 237]).abs() < 1e-5);
    // Nothing is drawn: any seed gives the same trial.
    let u = task.trial(&mut Rng::new(99));
    assert!(u.inputs == t.inputs && u.targets == t.targets);
}

#[test]
fn parameters_change_the_pattern_and_bad_ones_are_refused() {
    let task = build(
        NAME,
        &config(&[
            ("freq_hz", 2.0),
            ("amplitude", 1.0),
            ("duration_ms", 1000.0),
        ]),
    )
    .expect("task");
    let t = task.trial(&mut Rng::new(0));
    assert_eq!(t.n_steps(), 210);
    let Targets::Continuous(y) = &t.targets else {
        panic!("continuous targets")
    };
    // 2 Hz: a period of 100 steps; a quarter period in, sin = 1, sin 2ω = 0, sin 3ω = −1.
    assert!((y[10 + 25] - 0.75).abs() < 1e-5, "{}", y[35]);
    assert!((y[10 + 25] - y[10 + 125]).abs() < 1e-5);
    for (key, value) in [("freq_hz", 0.0), ("freq_hz", 20.0), ("duration_ms", 1.0)] {
        let e = build(NAME, &config(&[(key, value)]))
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains(key), "{key} = {value}: {e}");
    }
}
