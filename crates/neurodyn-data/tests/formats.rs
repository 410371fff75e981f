//! IDX and CIFAR-10 files: round trips, directory loaders, and every malformed input giving its
//! error variant with a message naming the file (never a panic or an abort).

use flate2::write::GzEncoder;
use flate2::Compression;
use neurodyn_data::{cifar10_batch, cifar10_dir, idx, mnist_dir, mnist_files, DataError};
use std::io::Write;
use std::path::{Path, PathBuf};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fresh directory under the target dir, named for the test.
fn scratch(name: &str) -> std::io::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("neurodyn-data-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes)?;
    e.finish()
}

/// Three 2x3 images with pixel values 0..18 and labels 2, 0, 1.
fn tiny() -> (Vec<u8>, Vec<u8>) {
    let images = idx::encode(&[3, 2, 3], &(0..18).collect::<Vec<u8>>());
    (images, idx::encode(&[3], &[2, 0, 1]))
}

#[test]
fn idx_round_trips_raw_and_gzipped() -> TestResult {
    let dir = scratch("idx")?;
    let (images, labels) = tiny();
    std::fs::write(dir.join("im.idx"), &images)?;
    std::fs::write(dir.join("im.idx.gz"), gzip(&images)?)?;
    for name in ["im.idx", "im.idx.gz"] {
        let a = idx::read(dir.join(name))?;
        assert_eq!(a.dims, [3, 2, 3]);
        assert_eq!(a.data, (0..18).collect::<Vec<u8>>());
        assert_eq!(a.magic(), 0x0000_0803);
    }
    std::fs::write(dir.join("lab.idx.gz"), gzip(&labels)?)?;
    let set = mnist_files(dir.join("im.idx.gz"), dir.join("lab.idx.gz"))?;
    assert_eq!(set.shape(), [3, 1, 2, 3]);
    assert_eq!(set.labels(), [2, 0, 1]);
    assert_eq!(set.image(1), [6, 7, 8, 9, 10, 11]);
    Ok(())
}

#[test]
fn mnist_dir_finds_raw_or_gz_and_names_a_missing_file() -> TestResult {
    let dir = scratch("mnist-dir")?;
    let (images, labels) = tiny();
    std::fs::write(dir.join("train-images-idx3-ubyte"), &images)?;
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gzip(&labels)?)?;
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gzip(&images)?)?;
    let e = mnist_dir(&dir).map(|_| ());
    let msg = e
        .as_ref()
        .map_err(ToString::to_string)
        .err()
        .unwrap_or_default();
    assert!(matches!(e, Err(DataError::Missing { .. })), "{msg}");
    assert!(
        msg.contains("t10k-labels-idx1-ubyte") && msg.contains("neurodyn-data-mnist-dir"),
        "{msg}"
    );
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), &labels)?;
    let (train, test) = mnist_dir(&dir)?;
    assert_eq!(train, test);
    assert_eq!(train.n_classes(), 10);
    Ok(())
}

/// Parses `bytes` as `file` and returns the error and its message.
fn idx_error(bytes: &[u8], file: &str) -> (DataError, String) {
    match idx::parse(bytes, file) {
        Ok(a) => panic!("{file}: parsed as {:?}", a.dims),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(file), "message does not name the file: {msg}");
            (e, msg)
        }
    }
}

#[test]
fn malformed_idx_gives_the_right_error() -> TestResult {
    let (images, labels) = tiny();

    let (e, _) = idx_error(b"PK\x03\x04 a zip file", "zip.idx");
    assert!(matches!(
        e,
        DataError::NotIdx {
            found: 0x504b_0304,
            ..
        }
    ));

    let mut float = images.clone();
    float[2] = 0x0D;
    let (e, msg) = idx_error(&float, "float.idx");
    assert!(matches!(e, DataError::UnsupportedType { code: 0x0D, .. }));
    assert!(msg.contains("float32"), "{msg}");

    let (e, _) = idx_error(&images[..2], "short-magic.idx");
    assert!(matches!(
        e,
        DataError::TruncatedHeader {
            expected: 4,
            found: 2,
            ..
        }
    ));
    let (e, _) = idx_error(&images[..9], "short-dims.idx");
    assert!(matches!(
        e,
        DataError::TruncatedHeader {
            expected: 16,
            found: 9,
            ..
        }
    ));

    let (e, msg) = idx_error(&images[..images.len() - 1], "short-data.idx");
    assert!(
        matches!(
            e,
            DataError::Truncated {
                expected: 18,
                found: 17,
                ..
            }
        ),
        "{msg}"
    );
    let (e, _) = idx_error(&gzip(&images[..20])?, "short-data.idx.gz");
    assert!(matches!(
        e,
        DataError::Truncated {
            expected: 18,
            found: 4,
            ..
        }
    ));

    let mut long = images.clone();
    long.extend_from_slice(&[0; 5]);
    let (e, _) = idx_error(&long, "long.idx");
    assert!(matches!(e, DataError::TrailingData { extra: 5, .. }));

    // 2^40 items declared over 3 bytes: an error, not an allocation of a terabyte.
    let mut huge = vec![0, 0, 8, 2];
    huge.extend_from_slice(&(1u32 << 20).to_be_bytes());
    huge.extend_from_slice(&(1u32 << 20).to_be_bytes());
    huge.extend_from_slice(&[1, 2, 3]);
    let (e, _) = idx_error(&huge, "huge.idx");
    assert!(matches!(e, DataError::Truncated { expected, found: 3, .. } if expected == 1 << 40));
    // A product past u64: saturates, still an error.
    let mut past = vec![0, 0, 8, 3];
    for _ in 0..3 {
        past.extend_from_slice(&u32::MAX.to_be_bytes());
    }
    let (e, _) = idx_error(&past, "past-u64.idx");
    assert!(matches!(
        e,
        DataError::Truncated {
            expected: u64::MAX,
            found: 0,
            ..
        }
    ));

    let (e, _) = idx_error(&[0x1f, 0x8b, 8, 0, 1, 2], "corrupt.gz");
    assert!(matches!(e, DataError::Io { .. }));

    // Roles swapped, and counts that disagree.
    let dir = scratch("idx-pairs")?;
    let (im, lab) = (dir.join("images.idx"), dir.join("labels.idx"));
    std::fs::write(&im, &images)?;
    std::fs::write(&lab, &labels)?;
    let e = mnist_files(&lab, &im);
    let msg = e
        .as_ref()
        .map(|_| ())
        .map_err(ToString::to_string)
        .err()
        .unwrap_or_default();
    assert!(
        matches!(
            e,
            Err(DataError::BadMagic {
                expected: 0x803,
                found: 0x801,
                ..
            })
        ),
        "{msg}"
    );
    assert!(
        msg.contains("labels.idx") && msg.contains("0x00000803"),
        "{msg}"
    );
    std::fs::write(&lab, idx::encode(&[2], &[0, 1]))?;
    let e = mnist_files(&im, &lab);
    let msg = e
        .as_ref()
        .map(|_| ())
        .map_err(ToString::to_string)
        .err()
        .unwrap_or_default();
    assert!(
        matches!(
            e,
            Err(DataError::CountMismatch {
                images: 3,
                labels: 2,
                ..
            })
        ),
        "{msg}"
    );
    assert!(
        msg.contains("images.idx") && msg.contains("labels.idx"),
        "{msg}"
    );
    let e = idx::read(dir.join("absent.idx"));
    assert!(matches!(e, Err(DataError::Io { ref file, .. }) if file.ends_with("absent.idx")));
    Ok(())
}

/// A CIFAR record: label, then the R, G, B planes filled with `label`, `label + 1`, `label + 2`.
fn record(label: u8) -> Vec<u8> {
    let mut r = vec![label];
    for c in 0..3 {
        r.extend(std::iter::repeat_n(label + c, 1024));
    }
    r
}

fn names() -> Vec<String> {
    neurodyn_data::CIFAR10_CLASSES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn cifar_batch_parses_records_and_rejects_partial_ones() -> TestResult {
    let bytes = [record(3), record(9)].concat();
    let set = cifar10_batch(&bytes, "two.bin", names())?;
    assert_eq!(set.shape(), [2, 3, 32, 32]);
    assert_eq!(set.labels(), [3, 9]);
    assert_eq!(set.image(1)[0], 9);
    assert_eq!(set.image(1)[1024], 10);
    assert_eq!(set.image(1)[3071], 11);
    assert_eq!(set.class_names()[3], "cat");

    let e = cifar10_batch(&bytes[..bytes.len() - 1], "cut.bin", names());
    let msg = e
        .as_ref()
        .map(|_| ())
        .map_err(ToString::to_string)
        .err()
        .unwrap_or_default();
    assert!(matches!(
        e,
        Err(DataError::PartialRecord {
            len: 6145,
            record: 3073,
            ..
        })
    ));
    assert!(msg.contains("cut.bin"), "{msg}");
    assert!(matches!(
        cifar10_batch(&[], "empty.bin", names()),
        Err(DataError::PartialRecord { len: 0, .. })
    ));
    let e = cifar10_batch(&record(10), "label.bin", names());
    assert!(matches!(
        e,
        Err(DataError::BadLabel {
            label: 10,
            index: 0,
            ..
        })
    ));
    Ok(())
}

#[test]
fn cifar_dir_reads_batches_and_class_names() -> TestResult {
    let root = scratch("cifar")?;
    let dir = root.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&dir)?;
    for i in 1..=5u8 {
        std::fs::write(
            dir.join(format!("data_batch_{i}.bin")),
            [record(i), record(0)].concat(),
        )?;
    }
    let e = cifar10_dir(&root);
    assert!(matches!(e, Err(DataError::Missing { ref file, .. }) if file == "test_batch.bin"));
    std::fs::write(dir.join("test_batch.bin"), record(7))?;
    let (train, test) = cifar10_dir(&root)?;
    assert_eq!(train.labels(), [1, 0, 2, 0, 3, 0, 4, 0, 5, 0]);
    assert_eq!((test.len(), test.class_names()[7].as_str()), (1, "horse"));

    let custom: String = (0..10).map(|i| format!("c{i}\n")).collect::<String>() + "\n";
    std::fs::write(dir.join("batches.meta.txt"), custom)?;
    assert_eq!(cifar10_dir(&dir)?.1.class_names()[7], "c7");
    std::fs::write(dir.join("batches.meta.txt"), "a\nb\n")?;
    let e = cifar10_dir(&dir);
    assert!(matches!(
        e,
        Err(DataError::ClassNames {
            expected: 10,
            found: 2,
            ..
        })
    ));
    Ok(())
}
