//! CIFAR-10 in its binary format (Krizhevsky 2009, <https://www.cs.toronto.edu/~kriz/cifar.html>).
//!
//! A batch file is a run of 3073-byte records: one label byte, then a 32x32 image as three
//! 1024-byte planes, red, green, blue, each row-major; that is already `(C, H, W)`. The archive
//! `cifar-10-binary.tar.gz` unpacks to `cifar-10-batches-bin/` holding `data_batch_1.bin` ..
//! `data_batch_5.bin` (50,000 training images), `test_batch.bin` (10,000) and
//! `batches.meta.txt` (the class names, one a line).

use crate::error::{DataError, Result};
use crate::image_set::{check_labels, ImageSet};
use std::path::{Path, PathBuf};

/// CIFAR-10's class names, by label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];
/// Per-channel (R, G, B) mean of CIFAR-10's training pixels scaled to `[0, 1]`.
pub const CIFAR10_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
/// Per-channel (R, G, B) standard deviation of CIFAR-10's training pixels scaled to `[0, 1]`.
pub const CIFAR10_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];

const SIDE: usize = 32;
const IMAGE: usize = 3 * SIDE * SIDE;
const RECORD: usize = 1 + IMAGE;

/// One CIFAR-10 batch from its bytes; `file` names it in errors. Labels must index `class_names`.
pub fn cifar10_batch(
    bytes: &[u8],
    file: impl AsRef<Path>,
    class_names: Vec<String>,
) -> Result<ImageSet> {
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    append_records(
        bytes,
        file.as_ref(),
        class_names.len(),
        &mut pixels,
        &mut labels,
    )?;
    ImageSet::new(pixels, labels, [3, SIDE, SIDE], class_names)
}

/// `(train, test)` from a directory holding `data_batch_1.bin` .. `data_batch_5.bin` and
/// `test_batch.bin`, or from its parent when that holds `cifar-10-batches-bin/`. Class names come
/// from `batches.meta.txt` when present (10 non-empty lines), else [`CIFAR10_CLASSES`].
pub fn cifar10_dir(dir: impl AsRef<Path>) -> Result<(ImageSet, ImageSet)> {
    let mut dir = dir.as_ref().to_path_buf();
    if !dir.join("data_batch_1.bin").is_file() && dir.join("cifar-10-batches-bin").is_dir() {
        dir.push("cifar-10-batches-bin");
    }
    let class_names = class_names(&dir)?;
    let load = |names: &[String]| -> Result<ImageSet> {
        let (mut pixels, mut labels) = (Vec::new(), Vec::new());
        for name in names {
            let file = dir.join(name);
            if !file.is_file() {
                return Err(DataError::Missing {
                    dir: dir.clone(),
                    file: name.clone(),
                });
            }
            let bytes = read(&file)?;
            append_records(&bytes, &file, class_names.len(), &mut pixels, &mut labels)?;
        }
        ImageSet::new(pixels, labels, [3, SIDE, SIDE], class_names.clone())
    };
    let train: Vec<String> = (1..=5).map(|i| format!("data_batch_{i}.bin")).collect();
    Ok((load(&train)?, load(&["test_batch.bin".to_string()])?))
}

fn class_names(dir: &Path) -> Result<Vec<String>> {
    let file = dir.join("batches.meta.txt");
    if !file.is_file() {
        return Ok(CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect());
    }
    let text = String::from_utf8_lossy(&read(&file)?).into_owned();
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if names.len() != CIFAR10_CLASSES.len() {
        return Err(DataError::ClassNames {
            file,
            expected: CIFAR10_CLASSES.len(),
            found: names.len(),
        });
    }
    Ok(names)
}

fn read(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).map_err(|source| DataError::Io {
        file: file.to_path_buf(),
        source,
    })
}

fn append_records(
    bytes: &[u8],
    file: &Path,
    n_classes: usize,
    pixels: &mut Vec<u8>,
    labels: &mut Vec<u8>,
) -> Result<()> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(RECORD) {
        return Err(DataError::PartialRecord {
            file: file.to_path_buf(),
            len: bytes.len() as u64,
            record: RECORD,
        });
    }
    let first = labels.len();
    pixels.reserve(bytes.len() / RECORD * IMAGE);
    for record in bytes.chunks_exact(RECORD) {
        labels.push(record[0]);
        pixels.extend_from_slice(&record[1..]);
    }
    check_labels(&labels[first..], n_classes, || PathBuf::from(file))
}
