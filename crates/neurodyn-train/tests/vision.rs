//! Vision runs: config parsing and its errors, a short CNN run well above chance, bit-identical
//! reruns, and the run directory's files and shapes. Each test takes at most a few seconds.

use neurodyn_core::{NpArray, Npz};
use neurodyn_train::checkpoint::read_tensors;
use neurodyn_train::vision::{
    default_layers, is_vision_toml, load_vision_run, prepare, resume_vision, train_vision,
    LayerConfig, NetKind, VisionConfig,
};
use neurodyn_train::TrainError;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-vision-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn parse(text: &str) -> VisionConfig {
    VisionConfig::from_toml(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The error of preparing `text` (which must parse), as a message.
fn prepare_error(text: &str) -> String {
    match prepare(parse(text)) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// 1,000 training digits, two epochs (64 steps): about a second; 0.88 held out.
const SHORT: &str = r#"
seed = 1
[task]
name = "mnist"
[train]
epochs = 2
batch_size = 32
lr = 0.002
max_train_images = 1000
[eval]
n_record = 40
"#;

#[test]
fn defaults_and_the_documented_example_parse() {
    let d = parse("");
    assert_eq!(d, VisionConfig::default());
    assert_eq!(d.task.name, "Mnist");
    assert_eq!(d.model.kind, NetKind::Cnn);
    assert_eq!(
        (d.train.epochs, d.train.batch_size, d.train.lr),
        (10, 64, 1e-3)
    );
    let c = parse(
        r#"
        seed = 0
        [task]
        name = "Mnist"
        split_seed = 0
        [model]
        kind = "cnn"
        layers = [
          { kind = "conv2d", name = "conv1", out = 6, kernel = 3, padding = 1 },
          { kind = "relu" }, { kind = "maxpool", k = 2 },
          { kind = "conv2d", out = 16, kernel = 3, padding = 1 },
          { kind = "relu" }, { kind = "maxpool", k = 2 }, { kind = "flatten" },
          { kind = "linear", name = "fc1", out = 120 }, { kind = "relu" },
          { kind = "linear", out = 84 }, { kind = "relu" },
          { kind = "linear", name = "fc3", out = 10 },
        ]
        [train]
        epochs = 10
        batch_size = 64
        lr = 0.001
        threads = 1
        "#,
    );
    let explicit = prepare(c).expect("prepare").cfg;
    let default = prepare(VisionConfig::default()).expect("prepare").cfg;
    // The example spells out seed 000's network: it resolves to the default one.
    assert_eq!(explicit, default);
    let layers = default.model.layers.as_ref().expect("resolved layers");
    assert_eq!(layers.len(), default_layers(NetKind::Cnn, 10).len());
    assert_eq!(layers[3].name(), Some("conv2"));
    assert_eq!(layers[9].name(), Some("fc2"));
    assert_eq!(default.task.mean, Some(vec![0.1307]));
    assert_eq!(default.task.std, Some(vec![0.3081]));
    // The resolved config re-runs as is.
    let text = default.to_toml();
    assert!(is_vision_toml(&text), "{text}");
    assert_eq!(prepare(parse(&text)).expect("re-prepare").cfg, default);
}

#[test]
fn unknown_keys_and_kinds_are_named() {
    for (text, needle) in [
        ("[train]\nepoch = 3\n", "epoch"),
        ("[model]\nkind = \"resnet\"\n", "resnet"),
        ("[task]\nsplit = 2\n", "split"),
        (
            "[model]\nlayers = [{ kind = \"relu\", k = 2 }, { kind = \"linear\", out = 10 }]\n",
            "`k`",
        ),
        (
            "[model]\nlayers = [{ kind = \"conv2d\", out = 4, kernel = 3, pad = 1 }]\n",
            "pad",
        ),
        ("[model]\nlayers = [{ kind = \"dropout\" }]\n", "dropout"),
    ] {
        let e = VisionConfig::from_toml(text).expect_err(text);
        assert!(e.contains(needle), "{needle:?} not in: {e}");
    }
}

#[test]
fn impossible_values_are_named() {
    for (text, needle) in [
        ("[train]\nepochs = 0\n", "train.epochs"),
        ("[train]\nlr = -1.0\n", "train.lr"),
        ("[task]\nname = \"PerceptualDecisionMaking\"\n", "task.name"),
        ("[task]\nname = \"Cifar10\"\n", "task.data_dir"),
        ("[task]\nstd = [0.0]\n", "task.std"),
        ("[task]\nmean = [0.1, 0.2]\n", "task.mean"),
        (
            "[task]\ndata_dir = \"/nonexistent\"\nsplit_seed = 1\n",
            "task.split_seed",
        ),
        (
            "[train.augment]\nscale = [1.2, 0.8]\n",
            "train.augment.scale",
        ),
        (
            "[train.augment]\nrotation_deg = 400\n",
            "train.augment.rotation_deg",
        ),
    ] {
        let e = prepare_error(text);
        assert!(e.contains(needle), "{needle:?} not in: {e}");
    }
    let e = prepare_error("[task]\ndata_dir = \"/nonexistent-neurodyn\"\n");
    assert!(e.contains("/nonexistent-neurodyn"), "{e}");
}

#[test]
fn a_layer_that_does_not_fit_is_named_with_its_shapes() {
    let e = prepare_error(
        r#"[model]
        layers = [
          { kind = "conv2d", out = 4, kernel = 5 }, { kind = "maxpool", k = 2 },
          { kind = "conv2d", out = 4, kernel = 20 }, { kind = "linear", out = 10 },
        ]"#,
    );
    for needle in ["model.layers[2]", "conv2d", "[4, 12, 12]"] {
        assert!(e.contains(needle), "{needle:?} not in: {e}");
    }
    let e = prepare_error(
        "[model]\nlayers = [{ kind = \"flatten\" }, { kind = \"maxpool\", k = 2 }, \
         { kind = \"linear\", out = 10 }]\n",
    );
    for needle in ["model.layers[1]", "maxpool", "[784, 1, 1]"] {
        assert!(e.contains(needle), "{needle:?} not in: {e}");
    }
}

#[test]
fn the_last_layer_must_give_one_value_per_class() {
    let e =
        prepare_error("[model]\nlayers = [{ kind = \"linear\", out = 12 }, { kind = \"relu\" }]\n");
    for needle in ["model.layers", "(1, relu)", "12 values", "10 classes"] {
        assert!(e.contains(needle), "{needle:?} not in: {e}");
    }
}

#[test]
fn mlp_layers_and_names_are_checked() {
    let e = prepare_error(
        "[model]\nkind = \"mlp\"\nlayers = [{ kind = \"conv2d\", out = 2, kernel = 3 }, \
         { kind = \"linear\", out = 10 }]\n",
    );
    assert!(e.contains("model.layers[0]") && e.contains("cnn"), "{e}");
    let e = prepare_error(
        "[model]\nlayers = [{ kind = \"linear\", name = \"a\", out = 20 }, \
         { kind = \"linear\", name = \"a\", out = 10 }]\n",
    );
    assert!(
        e.contains("model.layers[1].name") && e.contains("unique"),
        "{e}"
    );
    let e =
        prepare_error("[model]\nlayers = [{ kind = \"linear\", name = \"labels\", out = 10 }]\n");
    assert!(e.contains("reserved"), "{e}");
    let mlp = prepare(parse("[model]\nkind = \"mlp\"\n")).expect("default mlp");
    let kinds: Vec<&str> = mlp.net.layers.iter().map(LayerConfig::kind).collect();
    assert_eq!(kinds, ["flatten", "linear", "relu", "linear"]);
    assert_eq!(mlp.net.net.params.len(), 784 * 256 + 256 + 256 * 10 + 10);
}

/// Every tensor of a weights file.
fn weights(run: &Path) -> Vec<(String, Vec<f32>)> {
    read_tensors(&run.join("model.safetensors")).expect("read model")
}

/// `metrics.csv` without its wall-time column.
fn metrics_without_time(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("metrics.csv"))
        .expect("metrics")
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string())
        .collect()
}

#[test]
fn a_short_run_learns_writes_its_files_and_repeats_to_the_bit() {
    let (a, b) = (tmp("short-a"), tmp("short-b"));
    let mut steps = 0;
    let out = train_vision(parse(SHORT), &a, |_| steps += 1).expect("train");
    assert_eq!(steps, 2 * 1000_usize.div_ceil(32));
    // Chance is 0.1.
    assert!(
        out.test.accuracy > 0.75,
        "held-out accuracy {}",
        out.test.accuracy
    );
    assert_eq!(out.test.n, 2000);
    assert_eq!(out.train.n, 1000);
    for f in [
        "config.toml",
        "metrics.csv",
        "model.safetensors",
        "eval.json",
        "activations.npz",
    ] {
        assert!(a.join(f).is_file(), "{f} missing");
    }

    // Bit-identical on a second run.
    let again = train_vision(parse(SHORT), &b, |_| {}).expect("train again");
    assert_eq!(weights(&a), weights(&b));
    let bytes = |d: &Path, f: &str| std::fs::read(d.join(f)).expect(f);
    for f in ["model.safetensors", "activations.npz", "config.toml"] {
        assert!(bytes(&a, f) == bytes(&b, f), "{f} differs");
    }
    assert_eq!(metrics_without_time(&a), metrics_without_time(&b));
    assert_eq!(out.test, again.test);
    assert_eq!(metrics_without_time(&a).len(), 1 + steps);
    let eval = |d: &Path| -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("eval.json")).expect("eval"))
                .expect("json");
        v["train_seconds"] = serde_json::Value::Null;
        v
    };
    let ev = eval(&a);
    assert_eq!(ev, eval(&b));
    assert_eq!(ev["n_test"], 2000);
    assert_eq!(ev["accuracy"], out.test.accuracy);
    assert_eq!(ev["class_names"].as_array().map(Vec::len), Some(10));
    assert_eq!(ev["confusion"].as_array().map(Vec::len), Some(10));
    assert_eq!(ev["per_class"][3]["class"], "3");
    assert_eq!(ev["train"]["n_train"], 1000);

    // Tensors by layer name with PyTorch's shapes.
    let names: Vec<String> = weights(&a).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "conv1.bias",
            "conv1.weight",
            "conv2.bias",
            "conv2.weight",
            "fc1.bias",
            "fc1.weight",
            "fc2.bias",
            "fc2.weight",
            "fc3.bias",
            "fc3.weight"
        ]
    );
    let bytes = std::fs::read(a.join("model.safetensors")).expect("model");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    assert_eq!(
        st.tensor("conv2.weight").expect("conv2").shape(),
        [16, 6, 3, 3]
    );
    assert_eq!(st.tensor("fc1.weight").expect("fc1").shape(), [120, 784]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).expect("metadata");
    let meta = meta.metadata().clone().unwrap_or_default();
    assert_eq!(meta.get("kind").map(String::as_str), Some("cnn"));

    // Every layer's output for 40 held-out images.
    let z = Npz::load(&a.join("activations.npz")).expect("npz");
    let shape = |name: &str| z.require(name, &a).expect(name).shape().to_vec();
    assert_eq!(shape("images"), [40, 1, 28, 28]);
    assert_eq!(shape("labels"), [40]);
    assert_eq!(shape("conv1"), [40, 6, 28, 28]);
    assert_eq!(shape("1_relu"), [40, 6, 28, 28]);
    assert_eq!(shape("2_maxpool"), [40, 6, 14, 14]);
    assert_eq!(shape("conv2"), [40, 16, 14, 14]);
    assert_eq!(shape("6_flatten"), [40, 784]);
    assert_eq!(shape("fc1"), [40, 120]);
    assert_eq!(shape("fc3"), [40, 10]);
    // The images' four arrays, twelve layers, and what the file is.
    assert_eq!(z.arrays.len(), 4 + 12 + 4);
    let info = neurodyn_core::FileInfo::read(&z);
    assert_eq!(
        info.format.as_deref(),
        Some(neurodyn_core::ACTIVATIONS_FORMAT)
    );
    assert_eq!(info.task.as_deref(), Some("Mnist"));
    assert_eq!(info.class_names.as_ref().map(Vec::len), Some(10));
    let Some(NpArray::I64(labels)) = z.get("labels") else {
        panic!("labels are not int64")
    };
    let Some(NpArray::U8(images)) = z.get("images") else {
        panic!("images are not uint8")
    };
    assert_eq!(images.shape(), [40, 1, 28, 28]);
    // Spread over the held-out set, which is ordered by class: every class appears.
    let mut seen: Vec<i64> = labels.iter().copied().collect();
    seen.dedup();
    assert_eq!(seen, (0..10).collect::<Vec<i64>>());

    // The trained network loads back from the files and scores the same.
    let p = load_vision_run(&a).expect("load");
    let all: Vec<usize> = (0..p.data.test.len()).collect();
    let s = neurodyn_train::vision::eval::score(&p.net, &p.data.test, &all, &p.norm, 1);
    assert_eq!(s, out.test);

    // A directory holding a run is refused, and left alone.
    let e = train_vision(parse(SHORT), &a, |_| {}).expect_err("second run into a");
    assert!(e.to_string().contains("already holds a run"), "{e}");
    assert_eq!(weights(&a), weights(&b));
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn a_non_finite_loss_stops_with_its_epoch_and_step() {
    let d = tmp("nan");
    let text = SHORT.replace("lr = 0.002", "lr = 1e30");
    let e = train_vision(parse(&text), &d, |_| {}).expect_err("diverges");
    let TrainError::NonFiniteLoss { epoch, step, .. } = &e else {
        panic!("{e}")
    };
    let (epoch, step) = (*epoch, *step);
    assert_eq!(epoch, 1);
    assert!(step > 1, "step {step}");
    assert!(
        e.to_string().contains(&format!("epoch 1, step {step}")),
        "{e}"
    );
    // What was written before stays: the config and one metrics row per good step.
    assert!(d.join("config.toml").is_file());
    assert_eq!(metrics_without_time(&d).len(), step as usize);
    assert!(!d.join("model.safetensors").exists());
    let _ = std::fs::remove_dir_all(&d);
}

/// The README's vision config parses, resolves and builds the network it describes.
#[test]
fn the_readme_vision_example_builds() {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("```toml\n")
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains("kind = \"cnn\""))
        .expect("a vision toml block in the README");
    let p = prepare(parse(block)).expect("the README's vision config prepares");
    let names = &p.net.output_names;
    assert_eq!(names, &["conv1", "1_relu", "2_maxpool", "fc1"]);
    assert_eq!(p.net.net.layers[3].in_shape(), [16, 14, 14]);
}

/// `[train.augment]`: the run still learns, repeats to the bit, keeps the weights' initialisation
/// and the batches' order (the draws have their own stream), and writes the table into its
/// config; an unknown key in it is named.
#[test]
fn augmented_runs_learn_repeat_and_keep_their_initialisation() {
    let aug = format!(
        "{SHORT}[train.augment]\nrotation_deg = 10\ntranslate = 0.08\nscale = [0.9, 1.1]\n\
         shear_deg = 5\nelastic_alpha = 6\nelastic_sigma = 3\nbrightness = 0.1\ncontrast = 0.2\n\
         noise_std = 0.05\n"
    );
    let (a, b, plain) = (tmp("aug-a"), tmp("aug-b"), tmp("aug-plain"));
    let out = train_vision(parse(&aug), &a, |_| {}).expect("train");
    assert!(
        out.test.accuracy > 0.6,
        "held-out accuracy {}",
        out.test.accuracy
    );
    train_vision(parse(&aug), &b, |_| {}).expect("again");
    let bytes = |d: &Path, f: &str| std::fs::read(d.join(f)).expect(f);
    assert!(bytes(&a, "model.safetensors") == bytes(&b, "model.safetensors"));
    let config = String::from_utf8(bytes(&a, "config.toml")).expect("utf-8");
    assert!(
        config.contains("[train.augment]") && config.contains("elastic_alpha = 6.0"),
        "{config}"
    );
    assert_eq!(parse(&config), parse(&config.clone()), "re-runs as is");
    // One step of each: the same initial weights, another first batch's images only.
    let one = |text: &str| {
        text.replace("epochs = 2", "epochs = 1")
            .replace("max_train_images = 1000", "max_train_images = 32")
    };
    train_vision(parse(&one(SHORT)), &plain, |_| {}).expect("plain");
    let (p, q) = (
        prepare(parse(&one(SHORT))).expect("p"),
        prepare(parse(&one(&aug))).expect("q"),
    );
    assert_eq!(p.net.net.params, q.net.net.params, "initial weights");
    assert_ne!(
        weights(&plain),
        weights(&tmp_train(&one(&aug))),
        "augmented images differ"
    );
    let e = VisionConfig::from_toml("[train.augment]\nrotate = 10\n").expect_err("unknown key");
    assert!(e.contains("rotate"), "{e}");
    for d in [a, b, plain] {
        let _ = std::fs::remove_dir_all(d);
    }
}

fn tmp_train(text: &str) -> PathBuf {
    let d = tmp("aug-one");
    train_vision(parse(text), &d, |_| {}).expect("train");
    d
}

/// A run killed in mid-epoch (here: a panic in its step callback after step 7, with a
/// checkpoint every 5 steps) and resumed ends with the same bits as one never stopped, batch
/// norm's running statistics, dropout and augmentation included; so does
/// a 1-epoch run resumed with `train.epochs = 2` (allowed explicitly) against a 2-epoch run,
/// and a changed key is refused by name.
#[test]
fn resumed_runs_end_with_the_same_bits_as_uninterrupted_ones() {
    let text = format!(
        "{}checkpoint_every = 5\n[train.augment]\nrotation_deg = 5\n",
        SHORT
            .replace("max_train_images = 1000", "max_train_images = 320")
            .replace("[eval]\nn_record = 40\n", "")
    );
    // Batch norm (running statistics in the checkpoint), dropout (masks from the step) and
    // weight norm.
    let text = format!(
        "{text}[eval]\nn_record = 10\n[model]\nkind = \"cnn\"\nlayers = [\n\
         {{ kind = \"conv2d\", out = 4, kernel = 3, stride = 2, padding = 1, weight_norm = true }},\n\
         {{ kind = \"batchnorm\" }},\n{{ kind = \"relu\" }},\n{{ kind = \"flatten\" }},\n\
         {{ kind = \"dropout\", p = 0.2 }},\n{{ kind = \"linear\", out = 10 }},\n]\n"
    );
    let (whole, cut) = (tmp("resume-whole"), tmp("resume-cut"));
    train_vision(parse(&text), &whole, |_| {}).expect("uninterrupted");
    let killed = std::panic::catch_unwind(|| {
        let _ = train_vision(parse(&text), &cut, |s| {
            if s.step == 7 {
                panic!("killed at step 7");
            }
        });
    });
    assert!(killed.is_err(), "the run was killed");
    assert!(!cut.join("model.safetensors").exists());
    assert_eq!(
        metrics_without_time(&cut).len(),
        1 + 7,
        "rows up to the kill"
    );
    resume_vision(&cut, false, |_| {}).expect("resume");
    let bytes = |d: &Path, f: &str| std::fs::read(d.join(f)).expect(f);
    for f in ["model.safetensors", "activations.npz", "config.toml"] {
        assert!(
            bytes(&whole, f) == bytes(&cut, f),
            "{f} differs after resuming"
        );
    }
    assert_eq!(metrics_without_time(&whole), metrics_without_time(&cut));

    // More epochs, allowed explicitly.
    let one = text.replace("epochs = 2", "epochs = 1");
    let longer = tmp("resume-longer");
    train_vision(parse(&one), &longer, |_| {}).expect("one epoch");
    std::fs::write(longer.join("config.toml"), parse(&text).to_toml()).expect("edit config");
    let e = resume_vision(&longer, false, |_| {}).expect_err("not allowed");
    assert!(e.to_string().contains("--allow-config-change"), "{e}");
    resume_vision(&longer, true, |_| {}).expect("resume with 2 epochs");
    assert!(bytes(&whole, "model.safetensors") == bytes(&longer, "model.safetensors"));
    // Another learning rate is another run.
    std::fs::write(
        longer.join("config.toml"),
        parse(&text.replace("lr = 0.002", "lr = 0.003")).to_toml(),
    )
    .expect("edit config");
    let e = resume_vision(&longer, true, |_| {}).expect_err("lr changed");
    assert!(e.to_string().contains("train.lr (0.002 → 0.003)"), "{e}");
    for d in [whole, cut, longer] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `[train] regularizers` and `clip`: an L2 penalty on every weight ends with smaller weights
/// than the same run without it, and the resolved config keeps both tables.
#[test]
fn weight_penalties_and_clipping_train_and_are_kept() {
    let (plain, pen) = (tmp("pen-plain"), tmp("pen-l2"));
    train_vision(parse(SHORT), &plain, |_| {}).expect("plain");
    let text = SHORT.replace(
        "[eval]",
        "clip = { kind = \"norm\", max_norm = 1.0 }\nregularizers = [{ kind = \"l2\", param = \"weights\", weight = 0.01 }]\n[eval]",
    );
    let out = train_vision(parse(&text), &pen, |_| {}).expect("penalised");
    assert!(out.test.accuracy > 0.6, "{}", out.test.accuracy);
    let sq = |d: &Path| -> f64 {
        weights(d)
            .iter()
            .filter(|(n, _)| n.ends_with(".weight"))
            .flat_map(|(_, v)| v.iter().map(|&w| f64::from(w) * f64::from(w)))
            .sum()
    };
    assert!(
        sq(&pen) < 0.9 * sq(&plain),
        "{} vs {}",
        sq(&pen),
        sq(&plain)
    );
    let config = std::fs::read_to_string(pen.join("config.toml")).expect("config");
    assert!(
        config.contains("max_norm = 1.0") && config.contains("param = \"weights\""),
        "{config}"
    );
    let e = prepare_error("[train]\nclip = { kind = \"norm\", max_norm = -1.0 }\n");
    assert!(e.contains("train.clip"), "{e}");
    for d in [plain, pen] {
        let _ = std::fs::remove_dir_all(d);
    }
}
