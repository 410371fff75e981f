//! `parameters` (what `neurodyn tasks show` lists): every key a task accepts, with the default it
//! really uses. Setting every listed key to its listed default gives the very trials the task
//! gives without them, for every registered task.

use neurodyn_core::Rng;
use neurodyn_tasks::{build, parameters, task_names, ParamInfo, ParamValue, TaskConfig};
use std::collections::BTreeMap;

#[test]
fn delay_match_sample_lists_its_keys_and_defaults() {
    let p = parameters("DelayMatchSample", &TaskConfig::default()).expect("parameters");
    let info = |k: &str, d: &str| ParamInfo {
        key: k.into(),
        default: Some(d.into()),
    };
    assert_eq!(
        p,
        [
            info("dim_ring", "2"),
            info("sigma", "1"),
            info("delay_ms", "1000")
        ]
    );
    // Noting stops with the call: an unknown name fails and leaves nothing behind.
    assert!(parameters("DelayMatchSampl", &TaskConfig::default()).is_err());
    assert_eq!(
        parameters("DelayMatchSample", &TaskConfig::default()).expect("again"),
        p
    );
}

#[test]
fn every_listed_default_is_the_default_the_task_uses() {
    for name in task_names() {
        let cfg = TaskConfig::default();
        let listed = parameters(name, &cfg).expect("parameters");
        let mut set: BTreeMap<String, ParamValue> = BTreeMap::new();
        for p in &listed {
            let Some(d) = &p.default else { continue };
            let one: BTreeMap<String, ParamValue> =
                toml::from_str(&format!("{} = {d}", p.key)).expect("the default parses as TOML");
            set.extend(one);
        }
        let explicit = TaskConfig {
            params: set,
            ..TaskConfig::default()
        };
        let (a, b) = (
            build(name, &cfg).expect("task"),
            build(name, &explicit).expect("task with its listed defaults set"),
        );
        for seed in 0..3 {
            let (x, y) = (a.trial(&mut Rng::new(seed)), b.trial(&mut Rng::new(seed)));
            assert!(
                x.inputs == y.inputs && x.targets == y.targets && x.mask == y.mask,
                "{name}: trial {seed} differs with the listed defaults set"
            );
        }
    }
}

#[test]
fn a_task_without_parameters_says_so() {
    let mut cfg = TaskConfig::default();
    cfg.params.insert("foo".into(), ParamValue::Num(1.0));
    let err = build("MotorTiming", &cfg)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("\"foo\"") && err.contains("takes none"),
        "{err}"
    );
    assert!(parameters("MotorTiming", &TaskConfig::default())
        .expect("parameters")
        .is_empty());
}
