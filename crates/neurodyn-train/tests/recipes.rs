//! Default recipes stay healthy after they have learned.

use neurodyn_train::{recipes, record, Trainer};

/// GoNogo is solved within a few dozen steps; without its activity penalty the rest of training
/// let the rates grow without bound (seed 1: rates up to 66,715, logits ±170,000).
#[test]
fn gonogo_keeps_its_rates_bounded() {
    let cfg = recipes::recipe("GoNogo", 1);
    let steps = cfg.train.steps;
    let mut t = Trainer::new(cfg).expect("trainer");
    t.run(steps, |_, _| Ok(())).expect("train");
    let trials = neurodyn_tasks::sample_trials(t.task.as_ref(), 64, 7);
    let rec = record(&mut t.net, &trials, 64).expect("record");
    let max_rate = rec.rates.iter().fold(0.0f32, |m, &v| m.max(v));
    let max_logit = rec.outputs.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
    assert!(max_rate < 100.0, "rates up to {max_rate}");
    assert!(max_logit < 100.0, "logits up to {max_logit}");
}

/// A file that sets only `[task]` trains as the task's recipe would, with its change.
#[test]
fn a_config_starts_from_its_tasks_recipe() {
    use neurodyn_nn::init::RecInit;
    use neurodyn_train::recipes::{from_user_toml, Base};
    let text = "[task]\nname = \"ContextDecisionMaking\"\ncompat = \"neurogym\"\n";
    let (cfg, base) = from_user_toml(text, None, None).expect("parses");
    assert_eq!(base, Base::Recipe("ContextDecisionMaking".into()));
    let mut want = recipes::recipe("ContextDecisionMaking", 0);
    want.task.compat = neurodyn_tasks::Compat::Neurogym;
    assert_eq!(cfg, want);
    assert_eq!(cfg.train.steps, 3000);
    assert_eq!(cfg.model.init, RecInit::Identity { scale: 1.0 });

    // Keys the file sets win; tables merge key by key.
    let text = "seed = 4\n[task]\nname = \"ContextDecisionMaking-v0\"\n[train]\nsteps = 10\n[model]\nn_rec = 32\n";
    let (cfg, _) = from_user_toml(text, None, None).expect("parses");
    assert_eq!((cfg.seed, cfg.train.steps, cfg.model.n_rec), (4, 10, 32));
    assert_eq!(cfg.train.warmup_steps, 300, "the recipe's warm-up stays");
    assert_eq!(
        cfg.task.name, "ContextDecisionMaking",
        "the task's own name"
    );

    // A schedule of another kind replaces the recipe's whole (no stray lr_end).
    let text = "[task]\nname = \"GoNogo\"\n[train]\nschedule = { kind = \"constant\" }\n";
    let (cfg, _) = from_user_toml(text, None, None).expect("another schedule kind");
    assert_eq!(cfg.train.schedule, neurodyn_nn::Schedule::Constant);
    assert_eq!(
        cfg.train.regularizers.len(),
        1,
        "GoNogo's activity penalty stays"
    );

    // A model kind set in the file gets the recipe's per-model adjustments.
    let text = "[task]\nname = \"DelayMatchSample\"\n[model]\nkind = \"gru\"\n";
    let (cfg, _) = from_user_toml(text, None, None).expect("gru");
    assert_eq!(
        cfg,
        recipes::with_model(
            recipes::recipe("DelayMatchSample", 0),
            "gru".parse().unwrap()
        )
    );
    // ... as does one from the command line, which also replaces the task.
    let (cfg, base) =
        from_user_toml(text, Some("GoNogo"), Some("lstm".parse().unwrap())).expect("flags");
    assert_eq!(base, Base::Recipe("GoNogo".into()));
    assert_eq!(
        cfg,
        recipes::with_model(recipes::recipe("GoNogo", 0), "lstm".parse().unwrap())
    );

    // FORCE: the recipe's gradient settings (penalty, warm-up, loss) do not come along.
    let text = "[task]\nname = \"ReadySetGo\"\n[train]\nmethod = { kind = \"force\" }\n";
    let (cfg, _) = from_user_toml(text, None, None).expect("force");
    assert!(cfg.train.regularizers.is_empty() && cfg.train.loss.is_none());
    assert_eq!(cfg.train.warmup_steps, 0);
    assert_eq!(cfg.train.steps, 1500, "the rest of the recipe stays");

    // The generic defaults, on request.
    let text = "base = \"defaults\"\n[task]\nname = \"ContextDecisionMaking\"\n";
    let (cfg, base) = from_user_toml(text, None, None).expect("defaults");
    assert_eq!(base, Base::Defaults);
    assert_eq!(cfg.train.steps, 1000);
    assert_eq!(cfg.task.name, "ContextDecisionMaking");

    // A resolved config gives itself over any base.
    let resolved = recipes::recipe("DelayComparison", 2).to_toml();
    let (cfg, _) = from_user_toml(&resolved, None, None).expect("resolved");
    assert_eq!(cfg, recipes::recipe("DelayComparison", 2));
}

/// Errors keep the file's own line numbers and name the key.
#[test]
fn user_config_errors_name_the_key() {
    use neurodyn_train::recipes::from_user_toml;
    let e = from_user_toml("[task]\nname = \"GoNogo\"\n[train]\nlrr = 1\n", None, None)
        .expect_err("unknown key");
    assert!(e.contains("lrr") && e.contains("line 4"), "{e}");
    let e = from_user_toml("base = \"recipes\"\n", None, None).expect_err("bad base");
    assert!(e.contains("base") && e.contains("defaults"), "{e}");
}

/// The fast subset of the recipe table (`scripts/recipe_table.py` runs every task, 3 seeds): each
/// of these recipes learns its task on seed 0, holding fixation, with a healthy network.
#[test]
fn a_fast_subset_of_recipes_learns_and_stays_healthy() {
    // (task, least accuracy, least accuracy holding fixation); measured 1.000 / 0.969 / 1.000 / 1.000.
    let rows = [
        ("GoNogo", 0.95, 0.9),
        ("DelayMatchCategory", 0.9, 0.85),
        ("AntiReach", 0.9, 0.85),
        ("ReadySetGo", 0.9, 0.8),
    ];
    for (task, least, least_strict) in rows {
        let cfg = recipes::recipe(task, 0);
        let steps = cfg.train.steps;
        let mut t = Trainer::new(cfg).expect("trainer");
        t.run(steps, |_, _| Ok(())).expect("train");
        let (sc, rec) = neurodyn_train::evaluate(&mut t, Some(500)).expect("evaluate");
        let strict = sc.strict_accuracy.expect("class targets");
        assert!(
            sc.accuracy >= least && strict >= least_strict,
            "{task}: accuracy {} (strict {strict})",
            sc.accuracy
        );
        let h = neurodyn_train::health::check(&rec, &[]);
        assert!(h.warnings.is_empty(), "{task}: {:?}", h.warnings);
    }
}

/// The per-task adjustments session 22 made (each measured on seeds 0-2 in BENCHMARKS.md), and
/// that they reach only their tasks.
#[test]
fn per_task_adjustments_reach_their_tasks_only() {
    use neurodyn_nn::init::RecInit;
    use neurodyn_train::Method;
    let r = |t: &str| recipes::recipe(t, 0);
    for t in [
        "Yang19DlyDm1",
        "Yang19DlyDm2",
        "Yang19CtxDlyDm1",
        "Yang19CtxDlyDm2",
        "Yang19MultiDlyDm",
    ] {
        assert_eq!(r(t).train.steps, 3000, "{t}");
    }
    assert_eq!(r("Yang19Dm1").train.steps, 1500);
    // Yang et al.'s cost mask on all their tasks and their mix, not on others.
    for t in ["Yang19Go", "Yang19DlyDm1", "Yang19Go+Yang19DlyDm1"] {
        let m = &r(t).task.mask;
        assert_eq!((m.response_weight, m.grace_ms), (5.0, 100.0), "{t}");
    }
    let m = &r("PerceptualDecisionMaking").task.mask;
    assert_eq!((m.response_weight, m.grace_ms), (1.0, 0.0));
    assert_eq!(r("Yang19DlyGo").train.steps, 1500);
    // A mix that contains a delayed decision keeps the mix's own steps.
    assert_eq!(r("Yang19Go+Yang19DlyDm1").train.steps, 6000);
    // A mix trains in batches of 128; a Yang19 mix draws its context decisions 5× as often.
    use neurodyn_tasks::ParamValue;
    let mix = r("Yang19Go+yang19ctxdm1+Yang19Dm1+Yang19CtxDlyDm2");
    assert_eq!(mix.train.batch_size, 128);
    assert_eq!(
        mix.task.params.get("task_weights"),
        Some(&ParamValue::List(vec![1.0, 5.0, 1.0, 5.0]))
    );
    assert!(!r("Yang19Go+Yang19DlyDm1")
        .task
        .params
        .contains_key("task_weights"));
    assert!(!r("Yang19CtxDm1+GoNogo")
        .task
        .params
        .contains_key("task_weights"));
    assert_eq!(r("Yang19CtxDm1").train.batch_size, 32);
    let hr = r("HierarchicalReasoning");
    assert_eq!(hr.train.steps, 4000);
    assert_eq!(hr.model.init, RecInit::Identity { scale: 1.0 });
    assert!(hr.train.regularizers.is_empty());
    assert_eq!(
        r("Reaching1DWithSelfDistraction").model.activation,
        neurodyn_nn::Activation::Tanh
    );
    assert_eq!(
        r("Reaching1D").model.activation,
        neurodyn_nn::Activation::Relu
    );
    let pg = r("PatternGeneration");
    assert!(matches!(pg.train.method, Method::Force { every: 2, .. }));
    assert_eq!(
        (pg.model.n_rec, pg.train.steps, pg.train.batch_size),
        (300, 20, 4)
    );
    assert!(pg.train.regularizers.is_empty() && pg.train.warmup_steps == 0);
    // Scoring fits in memory: every trial is the same.
    assert_eq!((pg.eval.n_trials, pg.eval.n_record), (10, 10));
}
