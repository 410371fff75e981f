//! The model-kind catalogue: a `[model]` key that the chosen kind does not take is refused,
//! naming the key and the kinds that take it; every kind builds from the defaults; a resolved
//! config (every key written out) of every kind re-validates; every recipe trains with every kind
//! (`neurodyn train --task X --model KIND`); and the kind names in configs are unchanged.

use neurodyn_core::Rng;
use neurodyn_nn::cells::CtrnnForm;
use neurodyn_nn::init::RecInit;
use neurodyn_nn::{Activation, Rectify};
use neurodyn_train::model::{build, validate};
use neurodyn_train::{
    recipes, DaleConfig, ModelConfig, ModelKey, ModelKind, RunConfig, TrainError, Trainer,
};

/// The config names, as they were when kinds were strings.
const NAMES: [&str; 10] = [
    "ctrnn",
    "ei-ctrnn",
    "stp-ctrnn",
    "hebb-ctrnn",
    "vanilla",
    "gru",
    "lstm",
    "light-gru",
    "enu-light-gru",
    "ei-light-gru",
];

fn model(kind: ModelKind) -> ModelConfig {
    ModelConfig {
        kind,
        ..ModelConfig::default()
    }
}

/// Set `key` alone to a value other than its default (a valid one for a kind that takes it).
fn set(key: ModelKey, m: &mut ModelConfig) {
    let dale = |m: &mut ModelConfig, f: fn(&mut DaleConfig)| {
        let mut d = m.dale.clone().unwrap_or_default();
        f(&mut d);
        m.dale = Some(d);
    };
    match key {
        ModelKey::TauMs => m.tau_ms = 300.0,
        ModelKey::SigmaRec => m.sigma_rec = 0.5,
        ModelKey::Form => m.form = CtrnnForm::State,
        ModelKey::LearnTau => m.learn_tau = true,
        ModelKey::Activation => m.activation = Activation::Tanh,
        ModelKey::Init => m.init = RecInit::Identity { scale: 1.0 },
        ModelKey::Connectivity => m.connectivity = 0.1,
        ModelKey::Dale => m.dale = Some(DaleConfig::default()),
        ModelKey::DaleFracExc => dale(m, |d| d.frac_exc = 0.5),
        ModelKey::DaleRectify => dale(m, |d| d.rectify = Rectify::Relu),
        ModelKey::DaleReadoutFromExc => dale(m, |d| d.readout_from_exc = false),
        ModelKey::DaleRadius => dale(m, |d| d.radius = 1.0),
        ModelKey::Embed => m.embed = 8,
        ModelKey::Hebb => m.hebb = Some(Default::default()),
    }
}

fn refusal(m: &ModelConfig) -> String {
    match validate(m, 20.0) {
        Ok(()) => panic!("{:?} accepted", m),
        Err(e) => e.to_string(),
    }
}

#[test]
fn gru_with_dale_is_refused_naming_the_key_and_the_kinds_that_take_it() {
    let mut m = model(ModelKind::Gru);
    m.dale = Some(DaleConfig::default());
    assert_eq!(
        refusal(&m),
        "config key `model.dale`: does not apply to kind 'gru' (it applies to ctrnn, ei-ctrnn, \
         stp-ctrnn, ei-light-gru)"
    );
    // The whole config of issue 20: every key is named, and the trainer refuses it too.
    let mut cfg = RunConfig {
        model: m,
        ..RunConfig::default()
    };
    cfg.model.connectivity = 0.1;
    cfg.model.learn_tau = true;
    cfg.model.sigma_rec = 0.5;
    cfg.model.tau_ms = 3.0;
    let err = Trainer::new(cfg).err().expect("refused").to_string();
    for key in [
        "model.dale",
        "model.connectivity",
        "model.learn_tau",
        "model.sigma_rec",
        "model.tau_ms",
    ] {
        assert!(err.contains(key), "{key}: {err}");
    }
    // Each of them alone.
    type Set = fn(&mut ModelConfig);
    let alone: [(&str, Set); 4] = [
        ("model.connectivity", |m| m.connectivity = 0.1),
        ("model.learn_tau", |m| m.learn_tau = true),
        ("model.sigma_rec", |m| m.sigma_rec = 0.5),
        ("model.tau_ms", |m| m.tau_ms = 3.0),
    ];
    for (key, f) in alone {
        let mut m = model(ModelKind::Gru);
        f(&mut m);
        let err = refusal(&m);
        assert!(
            err.starts_with(&format!("config key `{key}`: does not apply to kind 'gru'")),
            "{key}: {err}"
        );
    }
}

#[test]
fn every_key_alone_is_accepted_by_the_kinds_that_take_it_and_refused_by_name_elsewhere() {
    for &kind in ModelKind::ALL {
        for &key in ModelKey::ALL {
            let mut m = model(kind);
            set(key, &mut m);
            assert!(key.is_set(&m), "{key:?} not set by the test");
            if kind.takes(key) {
                validate(&m, 20.0).unwrap_or_else(|e| panic!("{kind} {key:?}: {e}"));
            } else {
                // A field of `[model.dale]` sets the table, refused first where it does not apply.
                let dale_field = matches!(
                    key,
                    ModelKey::DaleFracExc
                        | ModelKey::DaleRectify
                        | ModelKey::DaleReadoutFromExc
                        | ModelKey::DaleRadius
                );
                let key = if dale_field && !kind.takes(ModelKey::Dale) {
                    ModelKey::Dale
                } else {
                    key
                };
                let takers: Vec<&str> = ModelKind::ALL
                    .iter()
                    .filter(|k| k.takes(key))
                    .map(|k| k.name())
                    .collect();
                assert!(!takers.is_empty(), "{key:?} applies to no kind");
                let err = refusal(&m);
                assert!(
                    err.starts_with(&format!("config key `{}`", key.key()))
                        && err.contains(&format!("kind '{kind}'"))
                        && err.contains(&takers.join(", ")),
                    "{kind} {key:?}: {err}"
                );
            }
        }
    }
}

#[test]
fn the_light_gru_with_dale_takes_the_fraction_of_excitatory_units_only() {
    let mut m = model(ModelKind::EiLightGru);
    m.dale = Some(DaleConfig {
        frac_exc: 0.7,
        ..DaleConfig::default()
    });
    validate(&m, 20.0).expect("dale.frac_exc on ei-light-gru");
    m.dale = Some(DaleConfig {
        radius: 2.0,
        ..DaleConfig::default()
    });
    assert_eq!(
        refusal(&m),
        "config key `model.dale.radius`: does not apply to kind 'ei-light-gru' (it applies to \
         ctrnn, ei-ctrnn, stp-ctrnn)"
    );
}

#[test]
fn init_is_refused_with_dales_law_whose_start_replaces_it() {
    for kind in [ModelKind::Ctrnn, ModelKind::StpCtrnn] {
        let mut m = model(kind);
        m.dale = Some(DaleConfig::default());
        m.init = RecInit::Identity { scale: 1.0 };
        assert!(refusal(&m).starts_with("config key `model.init`"), "{kind}");
        m.reset_inapplicable();
        assert_eq!(m.init, RecInit::PytorchUniform);
        validate(&m, 20.0).expect("after the reset");
    }
    let mut m = model(ModelKind::EiCtrnn);
    m.init = RecInit::Identity { scale: 1.0 };
    assert!(refusal(&m).contains("it applies to ctrnn, stp-ctrnn, hebb-ctrnn, vanilla"));
}

#[test]
fn value_checks_still_apply() {
    let mut m = model(ModelKind::Ctrnn);
    m.tau_ms = 3.0;
    assert!(refusal(&m).contains("shorter than dt"));
    let mut m = model(ModelKind::Gru);
    m.n_rec = 0;
    assert!(refusal(&m).contains("model.n_rec"));
    let mut m = model(ModelKind::EnuLightGru);
    m.embed = 0;
    assert!(refusal(&m).contains("model.embed"));
}

#[test]
fn every_kind_builds_from_the_defaults() {
    for &kind in ModelKind::ALL {
        let mut m = model(kind);
        m.n_rec = 8;
        let net = build::<f32>(&m, 3, 2, 20.0, &mut Rng::new(0))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(!net.params.is_empty(), "{kind}");
        assert!(!kind.about().is_empty(), "{kind}");
    }
}

#[test]
fn a_resolved_config_of_every_kind_revalidates() {
    for &kind in ModelKind::ALL {
        let cfg = recipes::with_model(recipes::recipe("DelayMatchSample", 0), kind);
        let text = cfg.to_toml();
        assert!(
            text.contains(&format!("kind = \"{kind}\"")),
            "{kind}: {text}"
        );
        let back = RunConfig::from_toml(&text).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(back, cfg, "{kind}");
        validate(&back.model, 20.0).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

#[test]
fn a_resolved_config_with_every_key_the_kind_takes_revalidates() {
    for &kind in ModelKind::ALL {
        let mut cfg = RunConfig {
            model: model(kind),
            ..RunConfig::default()
        };
        for &key in ModelKey::ALL {
            // Dale's law replaces `init`: of the two, the test sets Dale's law.
            let replaced = key == ModelKey::Init && kind.takes(ModelKey::Dale);
            if kind.takes(key) && !replaced {
                set(key, &mut cfg.model);
            }
        }
        validate(&cfg.model, 20.0).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let back = RunConfig::from_toml(&cfg.to_toml()).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(back, cfg, "{kind}");
        validate(&back.model, 20.0).unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
}

#[test]
fn every_recipe_validates_with_every_kind() {
    for task in neurodyn_tasks::task_names() {
        for &kind in ModelKind::ALL {
            let cfg = recipes::with_model(recipes::recipe(task, 0), kind);
            let dt = cfg.task.dt_ms.unwrap_or(20.0);
            validate(&cfg.model, dt).unwrap_or_else(|e| panic!("{task} with {kind}: {e}"));
        }
    }
}

#[test]
fn every_recipe_trains_with_every_kind() {
    for task in ["PerceptualDecisionMaking", "DelayMatchSample", "GoNogo"] {
        for &kind in ModelKind::ALL {
            let mut cfg = recipes::with_model(recipes::recipe(task, 0), kind);
            assert_eq!(cfg.model.kind, kind);
            assert!(cfg.model.inapplicable().is_empty(), "{task} {kind}");
            cfg.model.n_rec = 8;
            Trainer::new(cfg).unwrap_or_else(|e| panic!("{task} with {kind}: {e}"));
        }
    }
    // What the recipe set and the kind takes is kept.
    let cfg = recipes::with_model(recipes::recipe("DelayMatchSample", 0), ModelKind::Vanilla);
    assert_eq!(cfg.model.init, RecInit::Identity { scale: 1.0 });
}

#[test]
fn kind_names_are_unchanged() {
    // The names configs and run directories have always used…
    for name in NAMES {
        let kind: ModelKind = name.parse().expect("parses");
        assert_eq!(kind.name(), name);
    }
    // …and every kind, these and any added since, is written and read by its name.
    for (i, &kind) in ModelKind::ALL.iter().enumerate() {
        let name = kind.name();
        assert!(!ModelKind::ALL[..i].contains(&kind), "{kind} listed twice");
        assert_eq!(kind.to_string(), name);
        assert_eq!(name.parse::<ModelKind>().expect("parses"), kind);
        assert!(kind == name && kind == *name, "{kind} == \"{name}\"");
        let text = toml::to_string(&model(kind)).expect("toml");
        assert!(text.starts_with(&format!("kind = \"{name}\"\n")), "{text}");
        let cfg = RunConfig::from_toml(&format!("[model]\nkind = \"{name}\"\n")).expect("parses");
        assert_eq!(cfg.model.kind, kind);
    }
    match "cnn".parse::<ModelKind>() {
        Err(TrainError::Config { key, message }) => {
            assert_eq!(key, "model.kind");
            let all: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
            assert!(message.contains(&all.join(", ")), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err = RunConfig::from_toml("[model]\nkind = \"rnn\"\n").expect_err("unknown kind");
    assert!(err.contains("ei-light-gru"), "{err}");
}

#[test]
fn a_run_directory_written_before_the_check_still_loads() {
    // `neurodyn train --task DelayMatchSample --model gru` used to write the recipe's identity
    // `init`, which a GRU never read.
    let dir = std::env::temp_dir().join(format!("neurodyn-model-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut cfg = recipes::recipe("DelayMatchSample", 0);
    cfg.model.kind = ModelKind::Gru;
    cfg.model.n_rec = 8;
    assert!(validate(&cfg.model, 20.0).is_err());
    std::fs::write(dir.join("config.toml"), cfg.to_toml()).expect("write");
    let back = neurodyn_train::RunDir::new(&dir)
        .read_config()
        .expect("read");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(back.model.init, RecInit::PytorchUniform);
    assert_eq!(back.model.kind, ModelKind::Gru);
    Trainer::new(back).expect("the old run builds");
}

#[test]
fn every_model_kind_is_in_the_cell_catalogue_the_conformance_suites_iterate() {
    for kind in ModelKind::ALL {
        assert!(
            neurodyn_nn::cells::CELLS
                .iter()
                .any(|e| e.name == kind.name()),
            "model kind {} has no entry in neurodyn_nn::cells::CELLS",
            kind.name()
        );
    }
}
