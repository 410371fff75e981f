//! neurodyn-data: labelled image datasets for training, as bytes, offline.
//!
//! - [`ImageSet`]: images `(N, C, H, W)` as `u8` with labels and class names; normalised to f32
//!   on demand.
//! - [`embedded_mnist`]: 10,000 real MNIST digits compiled into the crate (1.6 MB gzipped IDX;
//!   provenance in `data/PROVENANCE.md`), and [`embedded_mnist_split`], its default stratified
//!   8,000 / 2,000 split.
//! - [`mnist_dir`] / [`mnist_files`]: MNIST, Fashion-MNIST or KMNIST from their IDX files;
//!   [`idx`]: the IDX format itself, raw or gzipped.
//! - [`cifar10_dir`] / [`cifar10_batch`]: CIFAR-10's binary format.
//! - [`stratified_split`]: seeded train/test splits stratified by class.
//! - [`image_transform`]: rotation, translation, zoom (bilinear, zero fill) and contrast of image
//!   planes (the tuning analysis' stimuli); [`augment`]: seeded random affine, elastic,
//!   brightness/contrast and noise augmentation of training images ([`Augment`]).
//! - [`DataError`]: every failure names the file and what was expected.

pub mod augment;
mod cifar;
mod error;
pub mod idx;
mod image_set;
pub mod image_transform;
mod mnist;
pub mod split;

pub use augment::{Augment, Augmenter};
pub use cifar::{cifar10_batch, cifar10_dir, CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD};
pub use error::{DataError, Result};
pub use image_set::ImageSet;
pub use mnist::{
    embedded_mnist, embedded_mnist_split, mnist_dir, mnist_files, EMBEDDED_TEST_SIZE, MNIST_MEAN,
    MNIST_STD,
};
pub use split::{stratified_split, TestSize};
