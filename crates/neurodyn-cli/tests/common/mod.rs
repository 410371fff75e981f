//! What every CLI test file needs: the binary under test, a run of it, a fresh temporary
//! directory, a path as an argument, a command's output as text, a JSON file, and a tiny
//! vision config.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `neurodyn` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
}

/// A vision config of only [train] and [eval] (the task comes from `--task`): one epoch on 800
/// training digits, about a second, recording `n_record` held-out images.
pub fn tiny_cnn(n_record: usize) -> String {
    format!(
        "\n[train]\nepochs = 1\nbatch_size = 32\nlr = 0.002\nmax_train_images = 800\n[eval]\n\
         n_record = {n_record}\n"
    )
}

/// Run the binary with `args` and wait for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run neurodyn")
}

/// A temporary path as a command-line argument.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A fresh, empty directory `neurodyn-cli-PID-NAME` in the system's temporary directory.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neurodyn-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A JSON file, parsed.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("json file")).expect("json")
}

/// A command's stdout, then its stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
