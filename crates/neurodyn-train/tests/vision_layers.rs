//! Vision runs with weight normalisation, batch norm and dropout: their config keys and errors,
//! a short run whose loss falls and that repeats to the bit, and a saved model (running
//! statistics included) that loads back into the same evaluation-mode outputs.

use neurodyn_core::{NpArray, Npz};
use neurodyn_train::vision::{eval, load_vision_run, prepare, train_vision, VisionConfig};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "neurodyn-vision-layers-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn parse(text: &str) -> VisionConfig {
    VisionConfig::from_toml(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// 320 digits, three epochs of 10 steps, through every new layer kind.
const RUN: &str = r#"
seed = 3
[task]
name = "mnist"
[model]
kind = "cnn"
layers = [
  { kind = "conv2d", out = 4, kernel = 3, stride = 2, padding = 1, weight_norm = true },
  { kind = "batchnorm" },
  { kind = "relu" },
  { kind = "maxpool", k = 2 },
  { kind = "dropout", p = 0.2 },
  { kind = "flatten" },
  { kind = "linear", out = 16, weight_norm = true },
  { kind = "batchnorm", name = "norm_fc", momentum = 0.2 },
  { kind = "relu" },
  { kind = "dropout", p = 0.3 },
  { kind = "linear", out = 10 },
]
[train]
epochs = 3
batch_size = 32
lr = 0.01
max_train_images = 320
[eval]
n_record = 24
"#;

fn metrics_without_time(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics");
    text.lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string())
        .collect()
}

fn array(z: &Npz, name: &str) -> Vec<f32> {
    match z.get(name) {
        Some(NpArray::F32(a)) => a.iter().copied().collect(),
        _ => panic!("no f32 array {name}"),
    }
}

#[test]
fn config_keys_resolve_and_errors_name_the_layer() {
    let p = prepare(parse(RUN)).expect("prepare");
    let names = &p.net.output_names;
    assert_eq!(names[1], "bn1");
    assert_eq!(names[4], "4_dropout");
    assert_eq!(names[7], "norm_fc");
    // The resolved config spells out names, momentum and eps, and re-runs as is.
    let text = p.cfg.to_toml();
    for key in [
        "weight_norm = true",
        "momentum = 0.1",
        "eps = 0.00001",
        "p = 0.2",
        "\"bn1\"",
    ] {
        assert!(text.contains(key), "{key} missing from\n{text}");
    }
    let again = prepare(parse(&text)).expect("the resolved config prepares");
    assert_eq!(again.cfg, p.cfg);
    // Tensor names and PyTorch's shapes.
    let shapes: Vec<(String, Vec<usize>)> = p
        .net
        .tensors()
        .into_iter()
        .chain(p.net.buffer_tensors())
        .map(|t| (t.name, t.shape))
        .collect();
    for (name, shape) in [
        ("conv1.weight_g", vec![4, 1, 1, 1]),
        ("conv1.weight_v", vec![4, 1, 3, 3]),
        ("conv1.bias", vec![4]),
        ("bn1.weight", vec![4]),
        ("bn1.running_var", vec![4]),
        ("bn1.num_batches_tracked", vec![]),
        ("fc1.weight_g", vec![16, 1]),
        ("fc1.weight_v", vec![16, 196]),
        ("norm_fc.running_mean", vec![16]),
        ("fc2.weight", vec![10, 16]),
    ] {
        assert!(
            shapes.contains(&(name.to_string(), shape.clone())),
            "{name} {shape:?} not in {shapes:?}"
        );
    }
    // An mlp takes dropout and batch norm.
    let mlp = r#"
        [model]
        kind = "mlp"
        layers = [{ kind = "flatten" }, { kind = "linear", out = 8, weight_norm = true },
                  { kind = "batchnorm" }, { kind = "dropout", p = 0.5 }, { kind = "linear", out = 10 }]
    "#;
    prepare(parse(mlp)).expect("an mlp with dropout and batchnorm");
    // Errors name the key.
    let bad = |layers: &str| {
        let text = format!("[model]\nlayers = [{layers}, {{ kind = \"flatten\" }}, {{ kind = \"linear\", out = 10 }}]");
        match VisionConfig::from_toml(&text) {
            Err(e) => e,
            Ok(cfg) => match prepare(cfg) {
                Ok(_) => panic!("accepted {layers}"),
                Err(e) => e.to_string(),
            },
        }
    };
    let e = bad(r#"{ kind = "dropout", p = 1.0 }"#);
    assert!(
        e.contains("model.layers[0].p") && e.contains("[0, 1)"),
        "{e}"
    );
    let e = bad(r#"{ kind = "batchnorm", momentum = 2.0 }"#);
    assert!(e.contains("model.layers[0].momentum"), "{e}");
    let e = bad(r#"{ kind = "batchnorm", eps = 0.0 }"#);
    assert!(e.contains("model.layers[0].eps"), "{e}");
    let e = bad(r#"{ kind = "batchnorm", affine = false }"#);
    assert!(e.contains("affine"), "{e}");
    let e = bad(r#"{ kind = "maxpool", k = 2, weight_norm = true }"#);
    assert!(e.contains("weight_norm"), "{e}");
    let e = bad(r#"{ kind = "dropout" }"#);
    assert!(e.contains("`p`"), "{e}");
}

#[test]
fn a_run_with_the_new_layers_learns_repeats_and_reloads() {
    let (a, b) = (tmp("a"), tmp("b"));
    let out = train_vision(parse(RUN), &a, |_| {}).expect("train");
    train_vision(parse(RUN), &b, |_| {}).expect("train again");
    // The loss falls over the thirty steps.
    let losses: Vec<f64> = metrics_without_time(&a)[1..]
        .iter()
        .map(|l| l.split(',').nth(2).expect("loss").parse().expect("number"))
        .collect();
    assert_eq!(losses.len(), 30);
    let (first, last) = (
        losses[..3].iter().sum::<f64>(),
        losses[27..].iter().sum::<f64>(),
    );
    assert!(last < 0.7 * first, "losses {losses:?}");
    assert!(out.test.accuracy > 0.3, "{}", out.test.accuracy);
    // Same seed, same bits.
    for f in ["model.safetensors", "activations.npz", "config.toml"] {
        let (x, y) = (
            std::fs::read(a.join(f)).expect("a"),
            std::fs::read(b.join(f)).expect("b"),
        );
        assert!(x == y, "{f} differs between two runs of one seed");
    }
    assert_eq!(metrics_without_time(&a), metrics_without_time(&b));
    // The saved buffers: thirty batches tracked, running statistics moved off their start.
    let st = neurodyn_train::checkpoint::read_arrays(&a.join("model.safetensors")).expect("read");
    match st.get("bn1.num_batches_tracked") {
        Some(NpArray::I64(v)) => assert_eq!(v.iter().copied().collect::<Vec<_>>(), [30]),
        other => panic!("bn1.num_batches_tracked: {other:?}"),
    }
    let var = array(&st, "norm_fc.running_var");
    assert!(var.iter().all(|&v| v > 0.0 && v != 1.0), "{var:?}");
    // Reloaded, the network gives the recorded evaluation-mode outputs to the bit.
    let p = load_vision_run(&a).expect("load");
    assert_eq!(p.net.net.buffers.len(), (2 * 4 + 1) + (2 * 16 + 1));
    let z = Npz::load(&a.join("activations.npz")).expect("activations");
    let index: Vec<usize> = match z.get("index") {
        Some(NpArray::I64(v)) => v.iter().map(|&i| i as usize).collect(),
        _ => panic!("index"),
    };
    let again = eval::record(&p.net, &p.data.test, &index, &p.norm, 1).expect("record");
    for name in ["bn1", "4_dropout", "norm_fc", "fc2"] {
        assert!(
            array(&again, name) == array(&z, name),
            "{name} differs after reloading"
        );
    }
    // Evaluation does not depend on the threads either.
    let two = eval::record(&p.net, &p.data.test, &index, &p.norm, 2).expect("record");
    assert!(array(&two, "fc2") == array(&z, "fc2"));
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}
