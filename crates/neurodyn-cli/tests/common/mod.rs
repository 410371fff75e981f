//! What every CLI test file needs: the binary under test, a fresh temporary directory, and a
//! command's output as text.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `neurodyn` binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
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
