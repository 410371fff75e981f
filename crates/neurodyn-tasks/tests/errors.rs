//! Error paths: unknown task names get suggestions, unknown parameter keys name the key and the
//! allowed ones, bad values and dt are refused, masks follow the config.

use neurodyn_core::Rng;
use neurodyn_tasks::{build, MaskConfig, ParamValue, TaskConfig, TaskError};

#[test]
fn unknown_task_suggests_closest_names() {
    match build("PerceptualDecisionMakin", &TaskConfig::default()) {
        Err(TaskError::UnknownTask { name, suggestions }) => {
            assert_eq!(name, "PerceptualDecisionMakin");
            assert_eq!(suggestions[0], "PerceptualDecisionMaking");
        }
        other => panic!(
            "expected UnknownTask, got {:?}",
            other.map(|t| t.spec().name.clone())
        ),
    }
    let msg = build("gonogo2", &TaskConfig::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("GoNogo"), "{msg}");
}

#[test]
fn aliases_and_ids_resolve() {
    for (id, name) in [
        ("PerceptualDecisionMaking-v0", "PerceptualDecisionMaking"),
        ("yang19.dms-v0", "Yang19Dms"),
        ("yang19.go", "Yang19Go"),
        ("contextdecisionmaking", "ContextDecisionMaking"),
    ] {
        let t = build(id, &TaskConfig::default()).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(t.spec().name, name);
    }
}

#[test]
fn unknown_param_names_key_and_allowed() {
    let cfg = TaskConfig::default().param("sigmaa", ParamValue::Num(0.5));
    let err = build("PerceptualDecisionMaking", &cfg)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("sigmaa") && err.contains("sigma") && err.contains("cohs"),
        "{err}"
    );
    let bad = TaskConfig::default().param("dim_ring", ParamValue::Num(2.5));
    assert!(matches!(
        build("PerceptualDecisionMaking", &bad),
        Err(TaskError::InvalidParam { .. })
    ));
    assert!(matches!(
        build("GoNogo", &TaskConfig::with_dt(-1.0)),
        Err(TaskError::InvalidDt { .. })
    ));
    // A step so fine that a trial could not be held is refused, naming the limit.
    let e = build("PerceptualDecisionMaking", &TaskConfig::with_dt(1e-7))
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("0.1 ms") && e.contains("0.0000001"), "{e}");
    assert!(build("PerceptualDecisionMaking", &TaskConfig::with_dt(0.1)).is_ok());
}

#[test]
fn params_change_the_task() {
    let cfg = TaskConfig::default()
        .param("dim_ring", ParamValue::Num(4.0))
        .param("cohs", ParamValue::List(vec![50.0]));
    let t = build("PerceptualDecisionMaking", &cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.spec().n_in, 5);
    let tr = t.trial(&mut Rng::new(1));
    assert_eq!(tr.labels.get("coherence").map(|l| l.as_f64()), Some(50.0));
    let expl = TaskConfig::default().param("use_expl_context", ParamValue::Bool(true));
    assert_eq!(
        build("ContextDecisionMaking", &expl)
            .map(|t| t.spec().n_in)
            .ok(),
        Some(7)
    );
}

#[test]
fn yang_mask_weights_response_and_grace() {
    let cfg = TaskConfig {
        dt_ms: Some(20.0),
        mask: MaskConfig::yang2019(),
        ..Default::default()
    };
    let t = build("yang19.go", &cfg).unwrap_or_else(|e| panic!("{e}"));
    let tr = t.trial(&mut Rng::new(3));
    let dec = tr.period("decision").unwrap_or(0..0);
    assert!(tr.mask[..dec.start].iter().all(|&m| m == 1.0));
    assert!(tr.mask[dec.start..dec.start + 5].iter().all(|&m| m == 0.0));
    assert!(tr.mask[dec.start + 5..].iter().all(|&m| m == 5.0));
}
