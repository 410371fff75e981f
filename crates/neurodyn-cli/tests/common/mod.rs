//! What every CLI test file needs: the binary under test, a run of it, a fresh temporary
//! directory, a path as an argument, and a command's output as text.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `neurodyn` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
}

/// A vision config of only [train] and [eval] (the task comes from `--task`): one epoch on 800
/// training digits, about a second.
pub const TINY_CNN: &str = r#"
[train]
epochs = 1
batch_size = 32
lr = 0.002
max_train_images = 800
[eval]
n_record = 20
"#;

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

/// A command's stdout, then its stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
