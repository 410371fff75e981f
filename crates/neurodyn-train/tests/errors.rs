//! File errors keep what went wrong: the system's error for a file that cannot be read (so a
//! caller can tell a missing file from a permission problem), the path, and for a file that is
//! there but wrong, what is wrong with it.

use neurodyn_train::{RunConfig, RunDir, TrainError};

#[test]
fn a_missing_config_is_an_io_error_that_keeps_the_system_error() {
    let dir = std::env::temp_dir().join(format!("neurodyn-errors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let e = RunDir::new(&dir).read_config().expect_err("no config.toml");
    match &e {
        TrainError::Io { path, source } => {
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound, "{e}");
            assert!(path.ends_with("config.toml"), "{e}");
        }
        other => panic!("expected TrainError::Io, got {other:?}"),
    }
    assert!(e.to_string().contains("config.toml"), "{e}");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the system error is the source"
    );

    // A model file that is not a safetensors file: the file's path and what is wrong with it.
    let rd = RunDir::new(&dir);
    std::fs::write(rd.config(), RunConfig::default().to_toml()).expect("config");
    let ck = rd.model();
    std::fs::write(&ck, b"not a model").expect("write");
    let e = match neurodyn_train::load_run::<f32>(&dir) {
        Ok(_) => panic!("a garbage model file loaded"),
        Err(e) => e,
    };
    match &e {
        TrainError::File { path, message } => {
            assert_eq!(path, &ck);
            assert!(
                message.contains("safetensors") || message.contains("checkpoint"),
                "{e}"
            );
        }
        other => panic!("expected TrainError::File, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
