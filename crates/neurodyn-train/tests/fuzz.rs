//! Fuzzing every parser a user can feed, on stable Rust: run configs (TOML, then every check and
//! the build), vision configs, sweep files, `.npz` files (arrays, recordings, what a file says
//! about itself), safetensors checkpoints and models, and the IDX and CIFAR-10 loaders. Each
//! target starts from valid inputs and mutates them (bit flips, interesting bytes and integers,
//! cuts, copies, splices; for text also whole lines, numbers and keys), and every input must
//! give `Ok` or an error: a panic fails the test (the input is saved under
//! `target/fuzz-failures/`), an abort ends the process.
//!
//! The short version runs in CI (`cargo test -p neurodyn-train --test fuzz`, 1,500 inputs per
//! target). The long one:
//!
//! ```text
//! NEURODYN_FUZZ_ITERS=1000000 cargo test --release -p neurodyn-train --test fuzz -- --nocapture
//! ```
//!
//! (`NEURODYN_FUZZ_SEED` changes the inputs; `NEURODYN_FUZZ_TARGETS=npz,idx` runs some targets.)

use neurodyn_core::{Npz, Recording, Rng};
use neurodyn_train::checkpoint::{load_checkpoint, load_model, read_arrays, save_checkpoint};
use neurodyn_train::recipes;
use neurodyn_train::sweep::SweepSpec;
use neurodyn_train::vision::VisionConfig;
use neurodyn_train::{RunConfig, Trainer};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Inputs per target (`NEURODYN_FUZZ_ITERS`, default 1,500).
fn iterations() -> u64 {
    std::env::var("NEURODYN_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500)
}

/// Whether `target` is to run (`NEURODYN_FUZZ_TARGETS`, default all).
fn wanted(target: &str) -> bool {
    std::env::var("NEURODYN_FUZZ_TARGETS").map_or(true, |v| v.split(',').any(|t| t == target))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Byte- and text-level mutations of valid inputs.
struct Mutator {
    rng: Rng,
}

const INTERESTING_BYTES: [u8; 8] = [0, 1, 0x7f, 0x80, 0xff, b'9', b'-', b'.'];
const INTERESTING_INTS: [u64; 9] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];
const INTERESTING_NUMBERS: [&str; 16] = [
    "0",
    "-1",
    "1",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "9223372036854775807",
    "4294967297",
    "99999999",
    "0.5",
    "2",
];
const INTERESTING_LINES: [&str; 14] = [
    "[model]",
    "[train]",
    "[task]",
    "[eval]",
    "kind = \"lstm\"",
    "n_rec = 0",
    "dt_ms = 0",
    "tau_ms = 1e-9",
    "steps = 0",
    "batch_size = 1",
    "lr = -1",
    "[[train.regularizers]]",
    "[[train.curriculum]]",
    "base = \"defaults\"",
];

impl Mutator {
    fn below(&mut self, n: usize) -> usize {
        self.rng.below(n.max(1) as u64) as usize
    }

    /// One to four byte-level mutations of `input`, sometimes spliced with `other`.
    fn bytes(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut b = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let len = b.len();
            match self.below(8) {
                0 if len > 0 => {
                    let i = self.below(len);
                    b[i] ^= 1 << self.below(8);
                }
                1 if len > 0 => {
                    let i = self.below(len);
                    b[i] = INTERESTING_BYTES[self.below(INTERESTING_BYTES.len())];
                }
                2 if len >= 8 => {
                    let v = INTERESTING_INTS[self.below(INTERESTING_INTS.len())];
                    let w = [1, 2, 4, 8][self.below(4)];
                    let i = self.below(len - w + 1);
                    let bytes = if self.below(2) == 0 {
                        v.to_le_bytes()
                    } else {
                        v.to_be_bytes()
                    };
                    b[i..i + w].copy_from_slice(&bytes[..w]);
                }
                3 => b.truncate(self.below(len + 1)),
                4 if len > 0 => {
                    let (i, n) = (self.below(len), 1 + self.below(16));
                    let end = (i + n).min(len);
                    b.drain(i..end);
                }
                5 if len > 0 => {
                    let (i, n) = (self.below(len), 1 + self.below(64));
                    let chunk: Vec<u8> = b[i..(i + n).min(len)].to_vec();
                    let at = self.below(len + 1);
                    b.splice(at..at, chunk);
                }
                6 if !other.is_empty() => {
                    let cut = self.below(len + 1);
                    let from = self.below(other.len());
                    b.truncate(cut);
                    b.extend_from_slice(&other[from..]);
                }
                _ => {
                    let at = self.below(len + 1);
                    let n = 1 + self.below(8);
                    let junk: Vec<u8> = (0..n).map(|_| self.rng.next_u64() as u8).collect();
                    b.splice(at..at, junk);
                }
            }
        }
        b
    }

    /// Line-, number- and byte-level mutations of a text input.
    fn text(&mut self, input: &str, other: &str) -> String {
        if self.below(4) == 0 {
            return String::from_utf8_lossy(&self.bytes(input.as_bytes(), other.as_bytes()))
                .into_owned();
        }
        let mut lines: Vec<String> = input.lines().map(str::to_string).collect();
        for _ in 0..1 + self.below(3) {
            let n = lines.len();
            match self.below(6) {
                0 if n > 0 => {
                    lines.remove(self.below(n));
                }
                1 if n > 0 => {
                    let l = lines[self.below(n)].clone();
                    lines.insert(self.below(n + 1), l);
                }
                2 => {
                    let l = INTERESTING_LINES[self.below(INTERESTING_LINES.len())].to_string();
                    lines.insert(self.below(n + 1), l);
                }
                3 if !other.is_empty() => {
                    let o: Vec<&str> = other.lines().collect();
                    if !o.is_empty() {
                        lines.insert(self.below(n + 1), o[self.below(o.len())].to_string());
                    }
                }
                _ if n > 0 => {
                    // A number on a line becomes an interesting one.
                    let i = self.below(n);
                    let line = lines[i].clone();
                    let digits: Vec<usize> = line
                        .char_indices()
                        .filter(|(_, c)| c.is_ascii_digit())
                        .map(|(k, _)| k)
                        .collect();
                    if let Some(&start) = digits.get(self.below(digits.len())) {
                        let end = line[start..]
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
                            .map_or(line.len(), |k| start + k);
                        let v = INTERESTING_NUMBERS[self.below(INTERESTING_NUMBERS.len())];
                        lines[i] = format!("{}{v}{}", &line[..start], &line[end..]);
                    }
                }
                _ => {}
            }
        }
        lines.join("\n")
    }
}

/// Feed `iterations()` mutants of `seeds` to `parse` (which says whether the input got past
/// the parser into the checks behind it); returns the panics (input, message).
fn fuzz(
    target: &str,
    seeds: &[Vec<u8>],
    mutate: impl Fn(&mut Mutator, &[u8], &[u8]) -> Vec<u8>,
    parse: impl Fn(&[u8]) -> bool,
) -> Vec<String> {
    if !wanted(target) {
        return Vec::new();
    }
    let seed: u64 = std::env::var("NEURODYN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut m = Mutator {
        rng: Rng::with_stream(
            seed,
            target.len() as u64 * 7919 + target.as_bytes()[0] as u64,
        ),
    };
    let n = iterations();
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut deep = 0u64;
    for seed_input in seeds {
        // The valid inputs themselves must parse without a panic too.
        if catch_unwind(AssertUnwindSafe(|| parse(seed_input))).is_err() {
            failures.push(format!("{target}: a valid seed input panics"));
        }
    }
    for i in 0..n {
        let a = &seeds[m.below(seeds.len())];
        let b = &seeds[m.below(seeds.len())];
        let input = mutate(&mut m, a, b);
        let outcome = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        if let Ok(true) = outcome {
            deep += 1;
        }
        if let Err(p) = outcome {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{target}-{i}.bin"));
            let _ = std::fs::write(&file, &input);
            failures.push(format!("{target} input {i} ({}): {msg}", file.display()));
            if failures.len() >= 5 {
                break;
            }
        }
    }
    eprintln!(
        "fuzz {target}: {n} inputs in {:.1} s, {deep} past the parser, {} panics",
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    failures
}

fn text_mutant(m: &mut Mutator, a: &[u8], b: &[u8]) -> Vec<u8> {
    m.text(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b))
        .into_bytes()
}

fn byte_mutant(m: &mut Mutator, a: &[u8], b: &[u8]) -> Vec<u8> {
    m.bytes(a, b)
}

fn run_config_seeds() -> Vec<Vec<u8>> {
    let mut out = vec![r#"
seed = 3
[task]
name = "PerceptualDecisionMaking"
dt_ms = 100
[model]
n_rec = 16
[train]
steps = 40
batch_size = 8
[[train.regularizers]]
kind = "l2_rate"
weight = 0.001
[eval]
n_trials = 100
"#
    .to_string()];
    for (task, kind) in [
        ("GoNogo", None),
        ("DelayMatchSample", Some("gru")),
        ("ContextDecisionMaking", Some("ei-ctrnn")),
        ("FlipFlop", Some("lstm")),
        ("Yang19Go+Yang19Anti", Some("light-gru")),
        ("ReadySetGo", Some("stp-ctrnn")),
    ] {
        let mut cfg = recipes::recipe(task, 0);
        if let Some(k) = kind {
            cfg = recipes::with_model(cfg, k.parse().expect("kind"));
        }
        cfg.model.n_rec = 16;
        out.push(cfg.to_toml());
    }
    out.into_iter().map(String::into_bytes).collect()
}

#[test]
fn every_user_facing_parser_survives_mutated_inputs() {
    let mut failures = Vec::new();

    // Run configs: parsed over their task's recipe, then every check and the build.
    failures.extend(fuzz("config", &run_config_seeds(), text_mutant, |b| {
        let text = String::from_utf8_lossy(b);
        recipes::from_user_toml(&text, None, None)
            .map(|(cfg, _)| cfg.plan())
            .is_ok()
    }));

    // Vision configs: parsed and checked (the data are the embedded digits).
    let vision_seeds: Vec<Vec<u8>> = [
        VisionConfig::default().to_toml(),
        "[task]\nname = \"Mnist\"\n[model]\nkind = \"mlp\"\nhidden = [32]\n[train]\nepochs = 1\n"
            .to_string(),
        "[task]\nname = \"Mnist\"\n[model]\nkind = \"conv-ctrnn\"\n[train]\nepochs = 1\n"
            .to_string(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    failures.extend(fuzz("vision-config", &vision_seeds, text_mutant, |b| {
        VisionConfig::from_toml(&String::from_utf8_lossy(b))
            .map(|cfg| neurodyn_train::vision::check(&cfg))
            .is_ok()
    }));

    // Sweep files: parsed and planned (small grids; every run checked).
    let sweep_seeds: Vec<Vec<u8>> = [
        "name = \"s\"\nseeds = [0, 1]\n[base]\n[base.task]\nname = \"GoNogo\"\n[base.model]\nn_rec = 8\n[grid]\n\"model.kind\" = [\"ctrnn\", \"gru\"]\n",
        "seeds = { start = 0, count = 2 }\n[base.task]\nname = \"PerceptualDecisionMaking\"\n[zip]\n\"train.lr\" = [0.01, 0.001]\n\"train.regularizers[0].weight\" = [0, 1e-4]\n",
    ]
    .into_iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    failures.extend(fuzz("sweep", &sweep_seeds, text_mutant, |b| {
        let text = String::from_utf8_lossy(b);
        match SweepSpec::from_toml(&text, Path::new("fuzz.toml")) {
            Ok(spec) if spec_runs_small(&text) => {
                let _ = spec.plan();
                true
            }
            _ => false,
        }
    }));

    // npz: arrays, recordings and trial files, and what they say about themselves.
    let npz_seeds = npz_seeds();
    failures.extend(fuzz("npz", &npz_seeds, byte_mutant, |b| {
        let p = Path::new("fuzz.npz");
        Npz::from_bytes(b, p)
            .map(|z| {
                let _ = neurodyn_core::FileInfo::read(&z);
                let _ = Recording::from_npz(&z, p);
            })
            .is_ok()
    }));

    // Checkpoints and models: loaded into the network of their config.
    let d = scratch("ckpt");
    let cfg: RunConfig = recipes::recipe("GoNogo", 0);
    let mut cfg = cfg;
    cfg.model.n_rec = 8;
    let t = Trainer::new(cfg.clone()).expect("trainer");
    let good = d.join("good.safetensors");
    save_checkpoint(&good, &t.net, &t.opt, &t.checkpoint_state()).expect("checkpoint");
    let ckpt_seeds = vec![std::fs::read(&good).expect("bytes")];
    let file = d.join("mutant.safetensors");
    failures.extend(fuzz("checkpoint", &ckpt_seeds, byte_mutant, |b| {
        std::fs::write(&file, b).expect("write the input");
        let mut t = Trainer::new(cfg.clone()).expect("trainer");
        let loaded = load_checkpoint(&file, &mut t.net, &mut t.opt).is_ok();
        let _ = load_model(&file, &mut t.net);
        let _ = read_arrays(&file);
        loaded
    }));
    let _ = std::fs::remove_dir_all(&d);

    // IDX files (MNIST format) and CIFAR-10 batches.
    let idx_seeds = vec![
        neurodyn_data::idx::encode(&[3, 4, 4], &(0..48).collect::<Vec<u8>>()),
        neurodyn_data::idx::encode(&[5], &[0, 1, 2, 9, 3]),
    ];
    failures.extend(fuzz("idx", &idx_seeds, byte_mutant, |b| {
        neurodyn_data::idx::parse(b, "fuzz-idx").is_ok()
    }));
    let record = |label: u8| {
        let mut r = vec![label];
        r.extend((0..3 * 32 * 32).map(|k| (k % 251) as u8));
        r
    };
    let cifar_seeds = vec![record(3), [record(0), record(9)].concat()];
    let names: Vec<String> = neurodyn_data::CIFAR10_CLASSES
        .iter()
        .map(|s| s.to_string())
        .collect();
    failures.extend(fuzz("cifar", &cifar_seeds, byte_mutant, |b| {
        neurodyn_data::cifar10_batch(b, "fuzz-cifar", names.clone()).is_ok()
    }));

    assert!(failures.is_empty(), "panics:\n{}", failures.join("\n"));
}

/// Whether a sweep file's text asks for few enough runs to plan quickly (lists of at most 4
/// values, at most 3 seeds): planning checks every run.
fn spec_runs_small(text: &str) -> bool {
    let Ok(t) = text.parse::<toml::Table>() else {
        return false;
    };
    let seeds = match t.get("seeds") {
        Some(toml::Value::Array(a)) => a.len(),
        Some(toml::Value::Table(s)) => s
            .get("count")
            .and_then(toml::Value::as_integer)
            .map_or(1, |c| c.clamp(0, 1000) as usize),
        _ => 1,
    };
    let lists = ["grid", "zip"].iter().all(|k| {
        t.get(*k).and_then(toml::Value::as_table).is_none_or(|g| {
            g.len() <= 2
                && g.values()
                    .all(|v| v.as_array().is_some_and(|a| a.len() <= 4))
        })
    });
    seeds <= 3 && lists
}

/// A recording and a trials file, as bytes.
fn npz_seeds() -> Vec<Vec<u8>> {
    let d = scratch("npz");
    let task = neurodyn_tasks::build("GoNogo", &Default::default()).expect("task");
    let trials = neurodyn_tasks::sample_trials(task.as_ref(), 3, 0);
    let t_max = trials.iter().map(|t| t.n_steps()).max().unwrap_or(0);
    let n_units = 4;
    let rates: Vec<f32> = (0..3 * t_max * n_units).map(|k| k as f32 * 0.01).collect();
    let outputs = vec![0.5f32; 3 * t_max * task.spec().n_out];
    let rec = Recording::from_trials(&trials, n_units, rates, outputs).expect("recording");
    let rp = d.join("recording.npz");
    let info = neurodyn_tasks::file_info(task.spec(), Default::default(), 0);
    rec.save_described(&rp, &info).expect("save recording");
    let tp = d.join("trials.npz");
    neurodyn_tasks::trials_npz(task.spec(), &trials, Default::default(), 0)
        .expect("trials")
        .save(&tp)
        .expect("save trials");
    let out = vec![
        std::fs::read(&rp).expect("recording bytes"),
        std::fs::read(&tp).expect("trials bytes"),
    ];
    let _ = std::fs::remove_dir_all(&d);
    out
}
