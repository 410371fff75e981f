//! Multi-task mixes: rule inputs, labels, sizes and errors.

use neurodyn_core::{Rng, Targets};
use neurodyn_tasks::{build, sample_trials, MultiTask, ParamValue, TaskConfig};

#[test]
fn a_mix_appends_one_rule_input_per_task_and_keeps_each_task_intact() {
    let cfg = TaskConfig::with_dt(20.0);
    let names = ["Yang19Go", "Yang19Dm1", "Yang19Dms"];
    let multi = MultiTask::new(&names, &cfg).expect("mix");
    let built = build("Yang19Go+Yang19Dm1+Yang19Dms", &cfg).expect("by name");
    assert_eq!(built.spec().n_in, 33 + 3);
    assert_eq!(built.spec().n_out, 17);
    assert_eq!(built.spec().input_names[33], "rule_Yang19Go");
    for (k, name) in names.iter().enumerate() {
        let single = build(name, &cfg).expect("task");
        // Same stream, same trial: the mix only adds the rule channels and the label.
        let a = multi.trial_of(k, &mut Rng::with_stream(7, 3));
        let b = single.trial(&mut Rng::with_stream(7, 3));
        assert_eq!(a.n_steps(), b.n_steps());
        assert_eq!(a.targets, b.targets);
        assert_eq!(a.mask, b.mask);
        for t in 0..a.n_steps() {
            let row = &a.inputs[t * 36..(t + 1) * 36];
            assert_eq!(&row[..33], &b.inputs[t * 33..(t + 1) * 33]);
            let rules: Vec<f32> = row[33..].to_vec();
            let mut want = vec![0.0; 3];
            want[k] = 1.0;
            assert_eq!(rules, want, "rule inputs of task {k} at step {t}");
        }
        assert_eq!(a.labels.get("task").map(|l| l.as_f64()), Some(k as f64));
    }
    // Mixed trials visit every task.
    let trials = sample_trials(&multi, 60, 1);
    let mut seen = [0usize; 3];
    for tr in &trials {
        seen[tr.labels.get("task").expect("task label").as_f64() as usize] += 1;
        assert!(matches!(tr.targets, Targets::Class(_)));
    }
    assert!(seen.iter().all(|&c| c > 5), "{seen:?}");
}

#[test]
fn a_mix_refuses_tasks_with_different_outputs_naming_both() {
    let cfg = TaskConfig::with_dt(20.0);
    let err = build("PerceptualDecisionMaking+Yang19Go", &cfg)
        .err()
        .expect("different outputs")
        .to_string();
    assert!(
        err.contains("PerceptualDecisionMaking") && err.contains("Yang19Go") && err.contains("17"),
        "{err}"
    );
    let err = build("Yang19Go+Yang19Nope", &cfg)
        .err()
        .expect("unknown")
        .to_string();
    assert!(err.contains("Yang19Nope"), "{err}");
    assert!(MultiTask::new(&["Yang19Go"], &cfg).is_err());
}

/// How many of `n` mixed trials each task got.
fn counts(cfg: &TaskConfig, name: &str, n: usize) -> Vec<usize> {
    let multi = build(name, cfg).expect("mix");
    let mut seen = vec![0usize; name.split('+').count()];
    for tr in sample_trials(multi.as_ref(), n, 5) {
        seen[tr.labels.get("task").expect("task label").as_f64() as usize] += 1;
    }
    seen
}

#[test]
fn task_weights_set_how_often_each_task_is_drawn() {
    let name = "Yang19Go+Yang19Anti+Yang19Dm1";
    let mut cfg = TaskConfig::with_dt(20.0);
    cfg.params
        .insert("task_weights".into(), ParamValue::List(vec![1.0, 0.0, 3.0]));
    let seen = counts(&cfg, name, 2000);
    assert_eq!(seen[1], 0, "a weight of 0 is never drawn: {seen:?}");
    // Expected 500 and 1500; the binomial s.d. is 19.4.
    assert!((seen[0] as f64 - 500.0).abs() < 90.0, "{seen:?}");
    assert_eq!(seen[0] + seen[2], 2000);
    // By name: unnamed tasks get 0.
    cfg.params.insert(
        "task_weights".into(),
        ParamValue::Map([("Yang19Anti".to_string(), 1.0)].into()),
    );
    assert_eq!(counts(&cfg, name, 200), [0, 200, 0]);
    // The rule inputs stay one per task, so a weighted mix fits the same network.
    assert_eq!(build(name, &cfg).expect("mix").spec().n_in, 33 + 3);
    // Without weights, trial i's task is still the first uniform draw of its stream.
    let plain = build(name, &TaskConfig::with_dt(20.0)).expect("mix");
    for (i, tr) in sample_trials(plain.as_ref(), 50, 5).iter().enumerate() {
        let drawn = Rng::with_stream(5, i as u64).below(3) as f64;
        assert_eq!(
            tr.labels.get("task").map(|l| l.as_f64()),
            Some(drawn),
            "trial {i}"
        );
    }
    let mut equal = TaskConfig::with_dt(20.0);
    equal
        .params
        .insert("task_weights".into(), ParamValue::List(vec![1.0; 3]));
    assert!(counts(&equal, name, 300).iter().all(|&c| c > 60));
}

#[test]
fn bad_task_weights_are_refused_naming_the_parameter() {
    let name = "Yang19Go+Yang19Anti";
    let cases = [
        (ParamValue::List(vec![1.0]), "1 weights for 2 tasks"),
        (
            ParamValue::Map([("Yang19Dm1".to_string(), 1.0)].into()),
            "'Yang19Dm1' is not one of the tasks",
        ),
        (ParamValue::List(vec![1.0, -1.0]), "≥ 0"),
        (ParamValue::List(vec![0.0, 0.0]), "positive"),
        (ParamValue::Num(2.0), "one weight per task"),
        (ParamValue::List(vec![1e308, 1e308]), "sum must be finite"),
    ];
    for (value, needle) in cases {
        let mut cfg = TaskConfig::with_dt(20.0);
        cfg.params.insert("task_weights".into(), value);
        let err = build(name, &cfg).err().expect("refused").to_string();
        assert!(
            err.contains("task_weights") && err.contains(needle),
            "`{needle}` missing: {err}"
        );
    }
}

#[test]
fn a_misspelt_parameter_of_a_mix_lists_task_weights_among_the_allowed() {
    let mut cfg = TaskConfig::with_dt(20.0);
    cfg.params
        .insert("task_weight".into(), ParamValue::List(vec![1.0, 1.0]));
    let err = build("Yang19Go+Yang19Anti", &cfg)
        .err()
        .expect("unknown parameter")
        .to_string();
    assert!(
        err.contains("\"task_weight\"") && err.contains("task_weights"),
        "{err}"
    );
}
