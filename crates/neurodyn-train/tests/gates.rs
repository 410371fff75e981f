//! Gate recordings of gated cells are the gates the cell used: rebuilding each step's state from
//! the recorded gates reproduces the recorded rates, and they survive a save/load of the npz.

use neurodyn_core::Recording;
use neurodyn_train::{record, RunConfig, Trainer};

fn recorded(kind: &str) -> Recording {
    let mut cfg = RunConfig::default();
    cfg.task.name = "PerceptualDecisionMaking".into();
    cfg.task.dt_ms = Some(100.0);
    cfg.model.kind = kind.parse().expect("a model kind");
    cfg.model.n_rec = 8;
    cfg.train.steps = 20;
    cfg.train.batch_size = 8;
    let mut t = Trainer::new(cfg).expect("trainer");
    t.run(20, |_, _| Ok(())).expect("train");
    let trials = neurodyn_tasks::sample_trials(t.task.as_ref(), 6, 3);
    let rec = record(&mut t.net, &trials, 4).expect("record");
    let p = std::env::temp_dir().join(format!("neurodyn-gates-{kind}-{}.npz", std::process::id()));
    rec.save(&p).expect("save");
    let back = Recording::load(&p).expect("load");
    let _ = std::fs::remove_file(&p);
    assert_eq!(back.gates, rec.gates, "gates round-trip through the npz");
    assert_eq!(
        back.states, rec.states,
        "state blocks round-trip through the npz"
    );
    back
}

fn gate<'a>(rec: &'a Recording, name: &str) -> &'a [f32] {
    &rec.gates
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no gate {name}"))
        .1
}

/// Check `h_t = step(h_{t−1}, gates_t)` at every real step of every trial.
fn check(rec: &Recording, step: impl Fn(usize, f64) -> (f64, f64)) {
    let (t_max, h) = (rec.n_steps, rec.n_units);
    let mut worst = 0.0f64;
    for i in 0..rec.n_trials {
        for k in 0..h {
            let mut prev = 0.0; // zero initial state
            for t in 0..rec.trial_len[i] {
                let at = (i * t_max + t) * h + k;
                let (want, next_prev) = step(at, prev);
                worst = worst.max((want - rec.rates[at] as f64).abs());
                prev = next_prev;
            }
        }
    }
    assert!(
        worst < 1e-5,
        "rebuilt rates differ from recorded by {worst:e}"
    );
}

#[test]
fn gru_rates_follow_from_recorded_gates() {
    let rec = recorded("gru");
    let names: Vec<&str> = rec.gates.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["reset", "update", "candidate"]);
    let (z, n) = (gate(&rec, "update"), gate(&rec, "candidate"));
    assert!(gate(&rec, "reset")
        .iter()
        .all(|&r| (0.0..=1.0).contains(&r)));
    check(&rec, |at, prev| {
        let h = (1.0 - z[at] as f64) * n[at] as f64 + z[at] as f64 * prev;
        (h, h)
    });
}

#[test]
fn lstm_rates_follow_from_recorded_gates() {
    let rec = recorded("lstm");
    let (i, f, g, o) = (
        gate(&rec, "input"),
        gate(&rec, "forget"),
        gate(&rec, "candidate"),
        gate(&rec, "output"),
    );
    // Here `prev` carries the cell state c.
    check(&rec, |at, c_prev| {
        let c = f[at] as f64 * c_prev + i[at] as f64 * g[at] as f64;
        (o[at] as f64 * c.tanh(), c)
    });
    // The recorded cell state (state block `cell`) is that c.
    let names: Vec<&str> = rec.states.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["cell"]);
    let cell = &rec.states[0].1;
    let mut worst = 0.0f64;
    for tr in 0..rec.n_trials {
        for k in 0..rec.n_units {
            let mut c = 0.0;
            for t in 0..rec.trial_len[tr] {
                let at = (tr * rec.n_steps + t) * rec.n_units + k;
                c = f[at] as f64 * c + i[at] as f64 * g[at] as f64;
                worst = worst.max((c - cell[at] as f64).abs());
            }
        }
    }
    assert!(worst < 1e-5, "recorded cell state differs by {worst:e}");
}

#[test]
fn light_gru_rates_follow_from_recorded_gates() {
    let rec = recorded("light-gru");
    let (z, hc) = (gate(&rec, "update"), gate(&rec, "candidate"));
    check(&rec, |at, prev| {
        let h = z[at] as f64 * prev + (1.0 - z[at] as f64) * hc[at] as f64;
        (h, h)
    });
}

#[test]
fn ungated_cells_record_no_gates() {
    let rec = recorded("ctrnn");
    assert!(rec.gates.is_empty() && rec.states.is_empty());
}

/// A run keeps the first trials of its evaluation in `recording.npz`: their gates come along
/// (they used to stay whole, and the npz of every GRU/LSTM/light-GRU run failed to save).
#[test]
fn kept_trials_keep_their_gates() {
    let rec = recorded("lstm");
    let kept = neurodyn_train::run::keep_trials(&rec, 2);
    let per_trial = rec.n_steps * rec.n_units;
    for (name, g) in &kept.gates {
        assert_eq!(g.len(), 2 * per_trial, "gate {name}");
        let whole = &gate(&rec, name)[..2 * per_trial];
        assert_eq!(g.as_slice(), whole, "gate {name}: the first two trials");
    }
    assert_eq!(
        kept.states[0].1,
        rec.states[0].1[..2 * per_trial],
        "the cell state too"
    );
    let p = std::env::temp_dir().join(format!("neurodyn-gates-kept-{}.npz", std::process::id()));
    kept.save(&p).expect("save");
    let back = Recording::load(&p).expect("load");
    let _ = std::fs::remove_file(&p);
    assert_eq!(back.gates, kept.gates);
    assert_eq!(back.states, kept.states);
}
