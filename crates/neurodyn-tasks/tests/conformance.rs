//! Conformance suite over the whole registry: every task, both compat modes, two time steps.
//! Shapes match the spec, masks are valid, periods tile the trial, the same seed gives the same
//! trials (whatever the thread count), durations scale with dt.

use neurodyn_core::{Label, Rng, Targets};
use neurodyn_tasks::{
    build, sample_batch, sample_trials, sample_trials_threads, Compat, Layout, Stream, TaskConfig,
    REGISTRY,
};

fn configs() -> Vec<TaskConfig> {
    vec![
        TaskConfig::default(),
        TaskConfig::default().compat(Compat::Neurogym),
    ]
}

#[test]
fn every_task_builds_and_matches_its_spec() {
    for entry in REGISTRY {
        for cfg in configs() {
            let task = build(entry.name, &cfg).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
            let spec = task.spec();
            assert_eq!(spec.name, entry.name);
            assert_eq!(spec.input_names.len(), spec.n_in, "{}", entry.name);
            assert_eq!(spec.output_names.len(), spec.n_out, "{}", entry.name);
            assert!(
                !spec.paper.is_empty() && !spec.description.is_empty(),
                "{}",
                entry.name
            );
            if let Some(ev) = &spec.evidence_label {
                assert!(
                    spec.label_names.contains(ev),
                    "{}: evidence label {ev}",
                    entry.name
                );
            }
            for (i, tr) in sample_trials(task.as_ref(), 40, 3).iter().enumerate() {
                let what = format!("{} trial {i} ({:?})", entry.name, cfg.compat);
                tr.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
                assert!(tr.n_steps() > 0, "{what}: empty trial");
                assert_eq!((tr.n_in, tr.n_out), (spec.n_in, spec.n_out), "{what}");
                assert!(!tr.periods.is_empty(), "{what}: no periods");
                assert_eq!(
                    matches!(tr.targets, Targets::Class(_)),
                    spec.categorical,
                    "{what}: target kind"
                );
                let got: Vec<&str> = tr.labels.0.iter().map(|(n, _)| n.as_str()).collect();
                let want: Vec<&str> = spec.label_names.iter().map(String::as_str).collect();
                assert_eq!(got, want, "{what}: labels");
                for (_, l) in &tr.labels.0 {
                    if let Label::Float(v) = l {
                        assert!(v.is_finite(), "{what}: label not finite");
                    }
                }
                assert!(
                    tr.inputs.iter().all(|x| x.is_finite()),
                    "{what}: input not finite"
                );
                assert!(
                    tr.mask.iter().all(|&m| m == 1.0),
                    "{what}: default mask must be 1"
                );
                if let Targets::Continuous(v) = &tr.targets {
                    assert!(v.iter().all(|x| x.is_finite()), "{what}");
                }
            }
        }
    }
}

#[test]
fn determinism_per_seed_and_thread_count() {
    for entry in REGISTRY {
        let task = build(entry.name, &TaskConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let a = sample_trials(task.as_ref(), 12, 7);
        let b = sample_trials_threads(task.as_ref(), 12, 7, 3);
        assert_eq!(a, b, "{}: thread count changed the trials", entry.name);
        let c = sample_trials(task.as_ref(), 12, 8);
        // PatternGeneration draws nothing: its one trial is the cue and the pattern.
        if entry.name != "PatternGeneration" {
            assert_ne!(a, c, "{}: different seeds gave the same trials", entry.name);
        }
        let mut r1 = Rng::new(5);
        let mut r2 = Rng::new(5);
        assert_eq!(task.trial(&mut r1), task.trial(&mut r2), "{}", entry.name);
    }
}

#[test]
fn durations_scale_with_dt() {
    for entry in REGISTRY {
        let base = build(entry.name, &TaskConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let dt = base.spec().dt_ms;
        let fine =
            build(entry.name, &TaskConfig::with_dt(dt / 2.0)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fine.spec().dt_ms, dt / 2.0);
        let mean_ms = |t: &dyn neurodyn_tasks::Task| {
            let tr = sample_trials(t, 300, 11);
            tr.iter().map(|x| x.n_steps() as f64).sum::<f64>() / tr.len() as f64 * t.spec().dt_ms
        };
        let (a, b) = (mean_ms(base.as_ref()), mean_ms(fine.as_ref()));
        // Flooring loses < 1 dt per period; allow 8 periods' worth plus 10 % sampling slack.
        let tol = 0.1 * a.max(b) + 8.0 * dt;
        assert!(
            (a - b).abs() <= tol,
            "{}: mean length {a} ms at dt {dt} vs {b} ms at dt {}",
            entry.name,
            dt / 2.0
        );
    }
}

#[test]
fn batches_and_streams_work_for_every_task() {
    for entry in REGISTRY {
        let task = build(entry.name, &TaskConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let b = sample_batch(task.as_ref(), 5, 1).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(b.batch_size, 5);
        let longest = b.trial_len.iter().copied().max().unwrap_or(0);
        assert_eq!(b.n_steps, longest);
        // Mask is 0 exactly on padding.
        for (j, &len) in b.trial_len.iter().enumerate() {
            for t in 0..b.n_steps {
                assert_eq!(b.mask[t * 5 + j] > 0.0, t < len, "{}", entry.name);
            }
        }
        let mut s = Stream::new(task.as_ref(), 3, 17, 9, Layout::BatchMajor, false)
            .unwrap_or_else(|e| panic!("{e}"));
        let w1 = s.next_window();
        let w2 = s.next_window();
        assert_eq!(w1.inputs.len(), 3 * 17 * task.spec().n_in);
        assert_ne!(w1, w2, "{}", entry.name);
        let mut s2 = Stream::new(task.as_ref(), 3, 17, 9, Layout::BatchMajor, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            w1,
            s2.next_window(),
            "{}: stream not deterministic",
            entry.name
        );
    }
}
