//! End to end with `[model] kind = "conv-ctrnn"`: `train --check` of the default recipe, a
//! short run from a config (with the return penalty), `eval` from its weights, and `analyze RUN
//! noise-robustness` and `spectrum` (also as `fixed-points`) with their refusals. A few
//! seconds.

mod common;
use common::{json, path, run, text, tmp};

const SMALL: &str = r#"
seed = 1
[model]
kind = "conv-ctrnn"
stem = { channels = 4, kernel = 3, padding = 1, pool = 2 }
areas = [{ channels = 8 }, { channels = 8, stride = 2 }]
spont_steps = 4
steps = 6
loss_steps = 2
return_penalty = { steps = 3, weight = 0.05 }
[train]
epochs = 2
batch_size = 32
lr = 0.005
max_train_images = 640
[eval]
n_record = 20
"#;

#[test]
fn a_conv_ctrnn_trains_evaluates_and_takes_noise() {
    let o = run(&[
        "train",
        "--task",
        "Mnist",
        "--model",
        "conv-ctrnn",
        "--check",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("conv-ctrnn of areas [[16, 14, 14], [32, 7, 7]]"),
        "{}",
        text(&o)
    );

    let d = tmp("run");
    let cfg = d.join("small.toml");
    std::fs::write(&cfg, SMALL).expect("config");
    let r = d.join("run");
    let o = run(&[
        "train",
        path(&cfg),
        "--task",
        "Mnist",
        "--out",
        path(&r),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let eval = json(&r.join("eval.json"));
    assert_eq!(eval["model"], "conv-ctrnn");
    // The resolved config spells out the penalty's defaults.
    let resolved = std::fs::read_to_string(r.join("config.toml")).expect("config.toml");
    assert!(
        resolved.contains("[model.return_penalty]\nsteps = 3\nlast = 3\nweight = 0.05\n"),
        "{resolved}"
    );
    let o = run(&["eval", path(&r)]);
    assert!(o.status.success(), "{}", text(&o));
    let acc = eval["accuracy"].as_f64().expect("accuracy");
    assert!(
        text(&o).contains(&format!("accuracy {acc:.4} on 2000 held-out digits")),
        "{}",
        text(&o)
    );

    let noise = |extra: &[&str]| {
        let mut args = vec!["analyze", path(&r), "noise-robustness"];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = noise(&["--n-images", "2000", "--sigmas", "0,3"]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/noise_robustness.json"));
    let at = |k: &str, i: usize| j[k][i].as_f64().expect(k);
    // Without noise both protocols are the plain held-out score.
    assert_eq!(at("static", 0), acc);
    assert_eq!(at("dynamic", 0), acc);
    assert!(at("static", 1) < acc, "σ = 3 costs accuracy: {j}");
    assert!(r.join("figures/noise_robustness.png").is_file());
    // The same seed draws the same noise.
    let o = noise(&["--n-images", "2000", "--sigmas", "0,3"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(json(&r.join("analysis/noise_robustness.json")), j);

    let o = noise(&["--sigmas=0,-1"]);
    assert!(
        !o.status.success() && text(&o).contains("--sigmas"),
        "{}",
        text(&o)
    );
    let o = noise(&["--compare", path(&d)]);
    assert!(
        !o.status.success() && text(&o).contains("not a vision run"),
        "{}",
        text(&o)
    );

    // Steady states and spectra, matrix-free.
    let spectrum = |extra: &[&str]| {
        let mut args = vec!["analyze", path(&r), "spectrum"];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = spectrum(&["--eigenvalues", "6", "--krylov-dim", "60"]);
    assert!(o.status.success(), "{}", text(&o));
    let j = json(&r.join("analysis/spectrum.json"));
    let states = j["states"].as_array().expect("states");
    assert_eq!(states.len(), 2, "{j}");
    for s in states {
        let m: Vec<f64> = s["modulus"]
            .as_array()
            .expect("modulus")
            .iter()
            .map(|v| v.as_f64().expect("|μ|"))
            .collect();
        assert_eq!(m.len(), 6, "{s}");
        assert!(m.windows(2).all(|w| w[0] >= w[1]), "by modulus: {m:?}");
        assert_eq!(s["ritz_residuals"].as_array().map(Vec::len), Some(6));
        assert!(s["newton"]["history"].is_array(), "{s}");
        assert_eq!(s["stable"].as_bool(), Some(m[0] < 1.0));
    }
    assert_eq!(states[1]["image"].as_u64(), Some(0));
    for f in ["spectrum_spontaneous", "spectrum_image_mode"] {
        assert!(r.join(format!("figures/{f}.png")).is_file(), "{f}");
    }
    let o = spectrum(&["--eigenvalues", "6", "--krylov-dim", "60"]);
    assert!(o.status.success(), "{}", text(&o));
    let again = json(&r.join("analysis/spectrum.json"));
    assert_eq!(
        again["states"][0]["eigenvalues"],
        j["states"][0]["eigenvalues"]
    );
    // fixed-points on a conv-ctrnn is this analysis.
    let o = run(&["analyze", path(&r), "fixed-points"]);
    assert!(
        o.status.success() && text(&o).contains("spectrum.json"),
        "{}",
        text(&o)
    );
    let o = spectrum(&["--eigenvalues", "0"]);
    assert!(
        !o.status.success() && text(&o).contains("--eigenvalues"),
        "{}",
        text(&o)
    );
    let o = spectrum(&["--image", "5000"]);
    assert!(
        !o.status.success() && text(&o).contains("held-out images"),
        "{}",
        text(&o)
    );

    // Activation maximisation climbs a class's last-step logit through every step.
    let o = run(&[
        "analyze",
        path(&r),
        "actmax",
        "--unit",
        "3",
        "--starts",
        "3",
        "--steps",
        "25",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let a = json(&r.join("analysis/actmax.json"));
    assert_eq!(a["layer"], "fc");
    let (before, after) = (
        a["mean_before"].as_f64().expect("before"),
        a["mean_after"].as_f64().expect("after"),
    );
    // The test's small network has small logits: 0.06 → 0.28 on average here.
    assert!(after > before + 0.1, "{before} → {after}");
    let each = |k: &str| -> Vec<f64> {
        a[k].as_array()
            .expect("values")
            .iter()
            .map(|v| v.as_f64().expect("value"))
            .collect()
    };
    assert!(each("after")
        .iter()
        .zip(each("before"))
        .all(|(x, y)| *x > y));
    for (args, says) in [
        (vec!["--layer", "area0"], "readout only"),
        (vec!["--channel", "1"], "readout only"),
        (vec!["--unit", "10"], "10 classes"),
    ] {
        let mut all = vec!["analyze", path(&r), "actmax"];
        all.extend(args);
        let o = run(&all);
        assert!(
            !o.status.success() && text(&o).contains(says),
            "{}",
            text(&o)
        );
    }

    // As the visual front end of a CTRNN (seed 002's multi-area networks): by default what the
    // readout reads, one value per channel of the last area.
    let dmd = d.join("dmd");
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--front-end",
        path(&r),
        "--steps",
        "5",
        "--out",
        path(&dmd),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(r.join("front_end/pool.npz").is_file());
    let rec = neurodyn_core::Recording::load(&dmd.join("recording.npz")).expect("recording");
    assert_eq!(rec.n_in, 1 + 8);
    let o = run(&[
        "train",
        "--task",
        "DelayMatchDigit",
        "--front-end",
        path(&r),
        "--front-end-layer",
        "area7",
        "--check",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("stem, area0, area1, pool, fc"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&d);
}
