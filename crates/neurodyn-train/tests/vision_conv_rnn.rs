//! `[model] kind = "conv-ctrnn"`: its keys and their errors, the resolved config, a short run
//! above chance that writes a CNN's files and repeats to the bit (on one thread and on two), and
//! the run loaded back.

use neurodyn_core::Npz;
use neurodyn_train::checkpoint::read_tensors;
use neurodyn_train::vision::conv_rnn_run::{self, load_run};
use neurodyn_train::vision::{is_vision_toml, train_vision, VisionConfig};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-crnn-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn parse(text: &str) -> VisionConfig {
    VisionConfig::from_toml(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn prepare_error(text: &str) -> String {
    let cfg = parse(text);
    let e = if cfg.model.kind == neurodyn_train::vision::NetKind::ConvCtrnn {
        conv_rnn_run::prepare(cfg).err().map(|e| e.to_string())
    } else {
        neurodyn_train::vision::prepare(cfg)
            .err()
            .map(|e| e.to_string())
    };
    e.unwrap_or_else(|| panic!("accepted:\n{text}"))
}

/// A small network on 1,000 digits, three epochs: a few seconds.
const SHORT: &str = r#"
seed = 3
[task]
name = "Mnist"
[model]
kind = "conv-ctrnn"
stem = { channels = 4, kernel = 3, padding = 1, pool = 2 }
areas = [{ channels = 8 }, { channels = 8, stride = 2 }]
spont_steps = 4
steps = 6
loss_steps = 2
[train]
epochs = 3
batch_size = 32
lr = 0.005
max_train_images = 1000
[eval]
n_record = 30
"#;

#[test]
fn keys_that_do_not_apply_or_do_not_exist_are_named() {
    let base = "[model]\nkind = \"conv-ctrnn\"\n";
    let e = VisionConfig::from_toml(&format!("{base}tau = 10.0\n")).unwrap_err();
    assert!(e.contains("tau"), "{e}");
    let e = VisionConfig::from_toml(&format!("{base}stem = {{ channels = 4, kernl = 3 }}\n"))
        .unwrap_err();
    assert!(e.contains("kernl"), "{e}");
    let e = prepare_error("[model]\nkind = \"cnn\"\ntau_ms = 10.0\n");
    assert!(
        e.contains("model.tau_ms") && e.contains("conv-ctrnn"),
        "{e}"
    );
    let e = prepare_error(&format!("{base}layers = [{{ kind = \"relu\" }}]\n"));
    assert!(e.contains("model.layers"), "{e}");
    for (extra, key) in [
        ("dt_ms = 20.0\n", "model.dt_ms"),
        ("tau_ms = -1.0\n", "model.tau_ms"),
        ("steps = 0\n", "model.steps"),
        ("loss_steps = 30\n", "model.loss_steps"),
        ("areas = []\n", "model.areas"),
        ("ramp_decades = -1.0\n", "model.ramp_decades"),
        ("readout = \"last-two\"\n", "last-two"),
        ("stem = { channels = 4, kernel = 40 }\n", "stem"),
    ] {
        let e = prepare_error(&format!("{base}{extra}"));
        assert!(e.contains(key), "{extra}: {e}");
    }
    assert!(is_vision_toml(base));
}

#[test]
fn the_resolved_config_spells_out_every_default_and_rebuilds_as_is() {
    let p = conv_rnn_run::prepare(parse("[model]\nkind = \"conv-ctrnn\"\n")).expect("prepare");
    let m = &p.cfg.model;
    assert_eq!(
        (m.tau_ms, m.dt_ms, m.steps, m.spont_steps, m.loss_steps),
        (Some(10.0), Some(2.0), Some(15), Some(20), Some(5))
    );
    assert_eq!(p.net.net.area_shapes(), vec![[16, 14, 14], [32, 7, 7]]);
    assert!((p.net.net.alpha() - 0.2).abs() < 1e-12);
    let text = p.cfg.to_toml();
    let again = conv_rnn_run::prepare(parse(&text)).expect("the resolved config");
    assert_eq!(again.cfg, p.cfg);
    assert_eq!(again.net.params, p.net.params, "same seed, same weights");
}

fn bytes(d: &Path, f: &str) -> Vec<u8> {
    std::fs::read(d.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

#[test]
fn a_short_run_learns_writes_its_files_and_repeats_to_the_bit() {
    let (a, b) = (tmp("a"), tmp("b"));
    let out = train_vision(parse(SHORT), &a, |_| {}).expect("train");
    // Chance is 0.1; this small network, 96 steps in, is at about 0.44.
    assert!(out.test.accuracy > 0.3, "held out {}", out.test.accuracy);
    assert_eq!((out.test.n, out.train.n), (2000, 1000));
    train_vision(parse(SHORT), &b, |_| {}).expect("train again");
    for f in ["model.safetensors", "activations.npz", "config.toml"] {
        assert!(bytes(&a, f) == bytes(&b, f), "{f} differs");
    }
    let names: Vec<String> = read_tensors(&a.join("model.safetensors"))
        .expect("weights")
        .into_iter()
        .map(|t| t.0)
        .collect();
    for n in ["stem.weight", "area1.rec.weight", "area0.bias", "fc.bias"] {
        assert!(names.iter().any(|m| m == n), "{n} missing from {names:?}");
    }
    let z = Npz::load(&a.join("activations.npz")).expect("activations");
    let shape = |n: &str| z.get(n).unwrap_or_else(|| panic!("{n}")).shape().to_vec();
    assert_eq!(shape("area0"), [30, 8, 14, 14]);
    assert_eq!(shape("area1"), [30, 8, 7, 7]);
    assert_eq!(shape("stem"), [30, 4, 14, 14]);
    assert_eq!(shape("fc"), [30, 10]);
    let eval: serde_json::Value =
        serde_json::from_str(&String::from_utf8_lossy(&bytes(&a, "eval.json"))).expect("json");
    assert_eq!(eval["model"], "conv-ctrnn");
    assert_eq!(eval["accuracy"].as_f64(), Some(out.test.accuracy));

    // Loaded back from its files, the run scores the same.
    let p = load_run(&a).expect("load");
    let all: Vec<usize> = (0..p.data.test.len()).collect();
    let s = conv_rnn_run::score(&p.net, &p.data.test, &all, &p.norm);
    assert_eq!(s, out.test);
    assert!(conv_rnn_run::is_run(&a));

    // Two threads: each half of a batch on its own thread; repeats to the bit too, and learns
    // as well (the sums differ from one thread's only by rounding).
    let two = SHORT.replace("max_train_images", "threads = 2\nmax_train_images");
    let (c, d) = (tmp("c"), tmp("d"));
    let o2 = train_vision(parse(&two), &c, |_| {}).expect("two threads");
    train_vision(parse(&two), &d, |_| {}).expect("two threads again");
    assert!(bytes(&c, "model.safetensors") == bytes(&d, "model.safetensors"));
    assert!(
        (o2.test.accuracy - out.test.accuracy).abs() < 0.1,
        "{} vs {}",
        o2.test.accuracy,
        out.test.accuracy
    );
    for dir in [a, b, c, d] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
