//! DelayMatchCategory's default inputs carry the sample's category; neurogym's two-channel ring
//! (kept with `compat = "neurogym"`) does not.

use neurodyn_core::{Label, Rng};
use neurodyn_tasks::{build, Compat, ParamValue, TaskConfig};

/// Per trial: the mean stimulus input over the sample period, and the sample category.
fn sample_inputs(cfg: &TaskConfig) -> (usize, Vec<(Vec<f64>, i64)>) {
    let task = build("DelayMatchCategory", cfg).expect("builds");
    let n_in = task.spec().n_in;
    let mut rng = Rng::new(4);
    let rows = (0..300)
        .map(|_| {
            let tr = task.trial(&mut rng);
            let sample = tr.period("sample").expect("a sample period");
            let mut mean = vec![0.0; n_in - 1];
            for t in sample.clone() {
                for (m, &v) in mean
                    .iter_mut()
                    .zip(&tr.inputs[t * n_in + 1..(t + 1) * n_in])
                {
                    *m += f64::from(v) / sample.len() as f64;
                }
            }
            let Some(Label::Int(category)) = tr.labels.get("sample_category") else {
                panic!("no sample_category label")
            };
            (mean, category)
        })
        .collect();
    (n_in, rows)
}

#[test]
fn the_default_ring_tells_the_categories_apart_and_neurogyms_does_not() {
    let quiet = |c: Compat| {
        TaskConfig::default()
            .compat(c)
            .param("sigma", ParamValue::Num(0.0))
    };
    // Default: four channels tuned to 0, π/2, π, 3π/2; channel π/2 minus channel 3π/2 is
    // sin θ, positive exactly on category 0 ([0, π)).
    let (n_in, rows) = sample_inputs(&quiet(Compat::Default));
    assert_eq!(n_in, 5, "fixation + a ring of 4");
    for (m, category) in &rows {
        let sin = m[1] - m[3];
        assert_eq!(i64::from(sin < 0.0), *category, "sin θ = {sin}");
    }
    // neurogym: two channels at 0 and π, both functions of cos θ alone: θ and 2π − θ (opposite
    // categories) give the same inputs, so no readout can separate them.
    let (n_in, rows) = sample_inputs(&quiet(Compat::Neurogym));
    assert_eq!(n_in, 3, "fixation + a ring of 2");
    for (m, _) in &rows {
        assert!(
            (m[0] + m[1] - 1.0).abs() < 1e-6,
            "the two channels sum to 1: {m:?}"
        );
    }
}
