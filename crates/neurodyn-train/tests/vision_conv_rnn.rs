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

#[test]
fn weight_norm_trains_g_and_v_saves_them_and_starts_from_the_plain_network() {
    let wn = SHORT.replace("loss_steps = 2", "loss_steps = 2\nweight_norm = true");
    // The same seed starts from the same function: v is the plain weight, g its row norms.
    let plain = conv_rnn_run::prepare(parse(SHORT)).expect("plain");
    let normed = conv_rnn_run::prepare(parse(&wn)).expect("normed");
    let w = normed.net.wn.as_ref().expect("weight-normalised");
    assert_eq!(
        w.raw.len(),
        plain.net.params.len()
            + normed
                .net
                .net
                .tensors()
                .iter()
                .filter(|t| t.name.ends_with(".weight"))
                .map(|t| t.shape[0])
                .sum::<usize>()
    );
    for (a, b) in plain.net.params.iter().zip(&normed.net.params) {
        assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
    }

    let (a, b) = (tmp("wn_a"), tmp("wn_b"));
    let out = train_vision(parse(&wn), &a, |_| {}).expect("train");
    assert!(out.test.accuracy > 0.3, "held out {}", out.test.accuracy);
    train_vision(parse(&wn), &b, |_| {}).expect("train again");
    assert!(bytes(&a, "model.safetensors") == bytes(&b, "model.safetensors"));
    let tensors = read_tensors(&a.join("model.safetensors")).expect("weights");
    let len_of = |n: &str| {
        tensors
            .iter()
            .find(|t| t.0 == n)
            .unwrap_or_else(|| panic!("{n} missing"))
            .1
            .len()
    };
    assert_eq!(len_of("area1.rec.weight_g"), 8);
    assert_eq!(len_of("area1.rec.weight_v"), 8 * 8 * 3 * 3);
    assert_eq!(len_of("fc.weight_g"), 10);
    assert_eq!(len_of("area0.bias"), 8 * 14 * 14);
    assert!(!tensors.iter().any(|t| t.0 == "fc.weight"));
    assert!(std::fs::read_to_string(a.join("config.toml"))
        .expect("config")
        .contains("weight_norm = true"));
    // Loaded back, the effective weights are recomputed and score the same.
    let p = load_run(&a).expect("load");
    let all: Vec<usize> = (0..p.data.test.len()).collect();
    assert_eq!(
        conv_rnn_run::score(&p.net, &p.data.test, &all, &p.norm),
        out.test
    );
    // The trained lengths moved away from the directions' norms: g is trained.
    let w = p.net.wn.as_ref().expect("weight-normalised");
    let (_, _, g, _) = w
        .layout
        .tensors()
        .into_iter()
        .find(|t| t.0 == "area0.rec.weight_g")
        .expect("g");
    let (_, _, v, _) = w
        .layout
        .tensors()
        .into_iter()
        .find(|t| t.0 == "area0.rec.weight_v")
        .expect("v");
    let len = v.len() / g.len();
    let moved = w.raw[g]
        .iter()
        .zip(w.raw[v].chunks_exact(len))
        .any(|(&go, row)| (go - row.iter().map(|x| x * x).sum::<f32>().sqrt()).abs() > 1e-3);
    assert!(moved, "g never left ‖v‖");
    for dir in [a, b] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn winograd_trains_as_im2col_does_repeats_to_the_bit_and_is_refused_for_a_cnn() {
    let e = prepare_error("[model]\nkind = \"cnn\"\nwinograd = true\n");
    assert!(
        e.contains("model.winograd") && e.contains("conv-ctrnn"),
        "{e}"
    );
    let p = conv_rnn_run::prepare(parse("[model]\nkind = \"conv-ctrnn\"\n")).expect("prepare");
    assert_eq!(p.cfg.model.winograd, Some(true), "Winograd by default");
    assert!(p.net.net.uses_winograd());
    let p = conv_rnn_run::prepare(parse("[model]\nkind = \"conv-ctrnn\"\nwinograd = false\n"))
        .expect("prepare");
    assert!(!p.net.net.uses_winograd());

    let w = SHORT.replace("loss_steps = 2", "loss_steps = 2\nwinograd = true");
    let im2col = SHORT.replace("loss_steps = 2", "loss_steps = 2\nwinograd = false");
    let (a, b, c) = (tmp("wa"), tmp("wb"), tmp("wc"));
    let plain = train_vision(parse(&im2col), &c, |_| {}).expect("train by im2col");
    let out = train_vision(parse(&w), &a, |_| {}).expect("train by Winograd");
    train_vision(parse(&w), &b, |_| {}).expect("train by Winograd again");
    assert!(bytes(&a, "model.safetensors") == bytes(&b, "model.safetensors"));
    // The same function summed in another order: the runs part only by rounding.
    assert!(
        (out.test.accuracy - plain.test.accuracy).abs() < 0.1,
        "Winograd {} vs im2col {}",
        out.test.accuracy,
        plain.test.accuracy
    );
    assert!(String::from_utf8_lossy(&bytes(&a, "config.toml")).contains("winograd = true"));
    // Loaded back, the run computes by Winograd again and scores the same.
    let p = load_run(&a).expect("load");
    assert!(p.net.net.uses_winograd());
    let all: Vec<usize> = (0..p.data.test.len()).collect();
    assert_eq!(
        conv_rnn_run::score(&p.net, &p.data.test, &all, &p.norm),
        out.test
    );
    // A run saved before the key existed (its config without `winograd`) was trained by
    // im2col, and is loaded so.
    let text = String::from_utf8_lossy(&bytes(&c, "config.toml")).replace("winograd = false\n", "");
    assert!(!text.contains("winograd"), "{text}");
    std::fs::write(c.join("config.toml"), text).expect("write");
    assert!(!load_run(&c).expect("load").net.net.uses_winograd());
    for dir in [a, b, c] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A training step runs each thread's part in chunks of samples (16 for the recipe, whose pass
/// keeps 12.3 MB of states for each 16): the loss, the count of correct images and the gradient
/// are those of the batch run at once, to f32 rounding, whatever the chunks, on one thread or
/// two.
#[test]
fn a_step_in_chunks_is_the_batch_at_once() {
    use neurodyn_core::Rng;
    use neurodyn_train::vision::conv_rnn::{self, Workspaces, CHUNK_BYTES};
    let mut cfg = conv_rnn::recipe();
    let protocol = conv_rnn::resolve(&mut cfg.model).expect("resolve");
    let mut rng = Rng::new(4);
    let net = conv_rnn::build(&cfg.model, protocol, [1, 28, 28], 10, &mut rng).expect("build");
    assert!(net.net.uses_winograd());
    let per = net.net.stored_len(15) * 4;
    assert_eq!(per, (31 * 4704 + 15 * 3136) * 4);
    assert_eq!(net.chunk_len(), CHUNK_BYTES / per);
    assert_eq!(net.chunk_len(), 16);
    let n = 37;
    let x: Vec<f32> = (0..n * 784).map(|_| rng.normal() as f32).collect();
    let labels: Vec<i64> = (0..n).map(|_| rng.below(10) as i64).collect();
    let mut ws = Workspaces::default();
    let mut whole = vec![0.0f32; net.params.len()];
    let (l0, c0) = net.loss_grad_chunked(&mut ws, &x, &labels, 1, n, &mut whole);
    let scale = whole.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(scale > 0.0 && l0.is_finite());
    for (threads, max) in [(1, 16), (1, 5), (2, 16), (2, 1), (1, 0)] {
        let mut g = vec![f32::NAN; net.params.len()];
        let (l, c) = net.loss_grad_chunked(&mut ws, &x, &labels, threads, max, &mut g);
        assert_eq!(c, c0, "{threads} threads, chunks ≤ {max}");
        assert!(
            (l - l0).abs() <= 1e-5 * l0.abs(),
            "{threads} threads, chunks ≤ {max}: loss {l} vs {l0}"
        );
        let e = g
            .iter()
            .zip(&whole)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            e <= 1e-4 * scale,
            "{threads} threads, chunks ≤ {max}: gradient off by {e} (largest {scale})"
        );
    }
    // The same chunks and threads again: the same bits.
    let mut g1 = vec![0.0f32; net.params.len()];
    let mut g2 = vec![0.0f32; net.params.len()];
    net.loss_grad(&mut ws, &x, &labels, 2, &mut g1);
    net.loss_grad(&mut Workspaces::default(), &x, &labels, 2, &mut g2);
    assert!(g1.iter().zip(&g2).all(|(a, b)| a.to_bits() == b.to_bits()));
}
