//! A reader that goes away early (`neurodyn tasks show … | head -2`) ends the binary quietly
//! with status 0, not with std's panic "failed printing to stdout: Broken pipe"; a stdout that
//! fails otherwise gives a one-line error and status 1.

use std::process::{ChildStdin, Command, Output, Stdio};

fn neurodyn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
}

/// The write end of a pipe whose read end is already closed: the reader is a process that
/// exits without reading (`neurodyn --version`, stdin piped), waited for before we write.
fn closed_pipe() -> ChildStdin {
    let mut reader = neurodyn()
        .arg("--version")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn reader");
    let writer = reader.stdin.take().expect("reader stdin");
    assert!(reader.wait().expect("reader exits").success());
    writer
}

fn run_into_closed_pipe(args: &[&str]) -> Output {
    neurodyn()
        .args(args)
        .stdout(Stdio::from(closed_pipe()))
        .stderr(Stdio::piped())
        .output()
        .expect("run neurodyn")
}

#[test]
fn closed_stdout_is_a_quiet_exit_not_a_panic() {
    for args in [
        &["tasks", "show", "PerceptualDecisionMaking"][..],
        &["tasks", "list"],
        &["tasks", "show", "AntiReach"],
    ] {
        let o = run_into_closed_pipe(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(err.is_empty(), "{args:?} wrote to stderr: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn full_stdout_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = neurodyn()
        .args(["tasks", "list"])
        .stdout(full)
        .output()
        .expect("run neurodyn");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.starts_with("error: writing to stdout"), "{err}");
    assert_eq!(o.status.code(), Some(1));
}
