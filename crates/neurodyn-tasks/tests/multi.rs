//! Multi-task mixes: rule inputs, labels, sizes and errors.

use neurodyn_core::{Rng, Targets};
use neurodyn_tasks::{build, sample_trials, MultiTask, TaskConfig};

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
