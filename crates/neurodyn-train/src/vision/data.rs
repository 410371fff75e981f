//! The image tasks: which datasets a vision run trains on, where their images come from, and how
//! they are normalised.
//!
//! | task | images | source |
//! |---|---|---|
//! | `Mnist` | 1×28×28, 10 digits | the 10,000 embedded digits split 8,000 / 2,000 by `split_seed`, or MNIST's IDX files in `data_dir` |
//! | `FashionMnist` | 1×28×28, 10 garments | IDX files in `data_dir` |
//! | `Cifar10` | 3×32×32, 10 objects | the binary batches in `data_dir` |

use crate::error::{config, Result};
use crate::vision::config::ImageTaskSection;
use crate::vision::eval::Normalize;
use neurodyn_core::Rng;
use neurodyn_data::{
    cifar10_dir, embedded_mnist_split, mnist_dir, Augmenter, ImageSet, CIFAR10_MEAN, CIFAR10_STD,
    MNIST_MEAN, MNIST_STD,
};

/// Fashion-MNIST's class names, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// An image classification task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageTask {
    /// Handwritten digits.
    Mnist,
    /// Zalando's garments in MNIST's format.
    FashionMnist,
    /// CIFAR-10's 32×32 colour images.
    Cifar10,
}

/// Every image task, for lists and messages.
pub const IMAGE_TASKS: [ImageTask; 3] = [
    ImageTask::Mnist,
    ImageTask::FashionMnist,
    ImageTask::Cifar10,
];

impl ImageTask {
    /// The task called `name`, in any case and with or without `-` / `_` (`mnist`,
    /// `fashion-mnist`, `CIFAR-10`).
    pub fn parse(name: &str) -> Option<ImageTask> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        IMAGE_TASKS
            .into_iter()
            .find(|t| t.name().to_ascii_lowercase() == key)
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            ImageTask::Mnist => "Mnist",
            ImageTask::FashionMnist => "FashionMnist",
            ImageTask::Cifar10 => "Cifar10",
        }
    }

    /// What one image is, for messages ("2000 held-out digits").
    pub fn noun(self) -> &'static str {
        match self {
            ImageTask::Mnist => "digits",
            ImageTask::FashionMnist | ImageTask::Cifar10 => "images",
        }
    }

    /// One line about the task and where its images come from.
    pub fn describe(self) -> &'static str {
        match self {
            ImageTask::Mnist => {
                "handwritten digits, 1x28x28, 10 classes: the 10,000 embedded digits (8,000 train / \
                 2,000 held out), or MNIST's IDX files in [task] data_dir"
            }
            ImageTask::FashionMnist => {
                "garments, 1x28x28, 10 classes: Fashion-MNIST's IDX files in [task] data_dir"
            }
            ImageTask::Cifar10 => {
                "objects, 3x32x32, 10 classes: CIFAR-10's binary batches in [task] data_dir"
            }
        }
    }

    /// The per-channel pixel mean and standard deviation (pixels scaled to [0, 1]) of the
    /// dataset's training images.
    pub fn normalization(self) -> (Vec<f64>, Vec<f64>) {
        // Through the f32 constants' shortest decimal, so that configs show 0.1307, not
        // 0.13070000708103180.
        let f = |v: &[f32]| -> Vec<f64> {
            v.iter()
                .map(|x| x.to_string().parse().unwrap_or(f64::from(*x)))
                .collect()
        };
        match self {
            ImageTask::Mnist => (f(&[MNIST_MEAN]), f(&[MNIST_STD])),
            // Fashion-MNIST's training pixels.
            ImageTask::FashionMnist => (vec![0.2860], vec![0.3530]),
            ImageTask::Cifar10 => (f(&CIFAR10_MEAN), f(&CIFAR10_STD)),
        }
    }
}

/// Whether `name` is an image task.
pub fn is_image_task(name: &str) -> bool {
    ImageTask::parse(name).is_some()
}

/// The task a section names, or a config error listing the image tasks.
pub fn image_task(section: &ImageTaskSection) -> Result<ImageTask> {
    ImageTask::parse(&section.name).ok_or_else(|| {
        let names: Vec<&str> = IMAGE_TASKS.iter().map(|t| t.name()).collect();
        config(
            "task.name",
            format!(
                "`{}` is not an image task (image tasks: {})",
                section.name,
                names.join(", ")
            ),
        )
    })
}

/// Training and held-out images of a task.
pub struct ImageData {
    /// The task.
    pub task: ImageTask,
    /// Training images.
    pub train: ImageSet,
    /// Held-out images.
    pub test: ImageSet,
}

/// Load the images a section describes: the embedded digits, or the files in `data_dir`.
pub fn load(section: &ImageTaskSection) -> Result<ImageData> {
    let task = image_task(section)?;
    if section.data_dir.is_some() && section.split_seed.is_some() {
        return Err(config(
            "task.split_seed",
            "applies to the embedded digits only; the files in data_dir come split into train \
             and t10k (test)",
        ));
    }
    let (train, test) = match (&section.data_dir, task) {
        (None, ImageTask::Mnist) => embedded_mnist_split(section.split_seed.unwrap_or(0))?,
        (None, _) => {
            return Err(config(
                "task.data_dir",
                format!(
                    "{} needs a data_dir (only MNIST's digits are embedded)",
                    task.name()
                ),
            ))
        }
        (Some(dir), ImageTask::Mnist) => mnist_dir(dir)?,
        (Some(dir), ImageTask::FashionMnist) => {
            let names: Vec<String> = FASHION_MNIST_CLASSES
                .iter()
                .map(|s| s.to_string())
                .collect();
            let (train, test) = mnist_dir(dir)?;
            (
                train.with_class_names(names.clone())?,
                test.with_class_names(names)?,
            )
        }
        (Some(dir), ImageTask::Cifar10) => cifar10_dir(dir)?,
    };
    Ok(ImageData { task, train, test })
}

/// The normalisation a section asks for (the dataset's by default), checked against the number
/// of channels.
pub fn normalization(
    section: &ImageTaskSection,
    task: ImageTask,
    channels: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mean0, std0) = task.normalization();
    let mean = section.mean.clone().unwrap_or(mean0);
    let std = section.std.clone().unwrap_or(std0);
    for (key, v) in [("task.mean", &mean), ("task.std", &std)] {
        if v.len() != 1 && v.len() != channels {
            return Err(config(
                key,
                format!(
                    "needs 1 value or one per channel ({channels}), got {}",
                    v.len()
                ),
            ));
        }
    }
    if let Some(m) = mean.iter().find(|m| !m.is_finite()) {
        return Err(config("task.mean", format!("must be finite, got {m}")));
    }
    if let Some(s) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(config(
            "task.std",
            format!("must be finite and > 0, got {s}"),
        ));
    }
    Ok((mean, std))
}

/// `n` indices spread evenly over `0..len` (all of them when `n` is 0 or ≥ `len`): over a set
/// ordered by class, a subset with every class in proportion.
pub fn spread(len: usize, n: usize) -> Vec<usize> {
    if n == 0 || n >= len {
        return (0..len).collect();
    }
    (0..n).map(|i| i * len / n).collect()
}

/// The stream of the augmentation draws (apart from the run's own generator, so that turning
/// augmentation on changes neither the initial weights nor the order of the batches).
const AUGMENT_STREAM: u64 = 0xA06_0000;

/// Write the training images at `chunk` of `set`, normalised, into `x`: as they are, or through
/// `aug`, each image's draws from a generator of the run's `seed`, the `epoch` and the image's
/// index (so an image is augmented afresh each epoch, and the same way whatever the batch).
pub fn training_batch(
    set: &ImageSet,
    chunk: &[usize],
    norm: &Normalize,
    aug: Option<(&mut Augmenter, &mut Vec<f32>)>,
    (seed, epoch): (u64, usize),
    x: &mut Vec<f32>,
) {
    let len = set.image_len();
    x.resize(chunk.len() * len, 0.0);
    let Some((aug, pixels)) = aug else {
        set.normalize_into(chunk, &norm.mean, &norm.std, x);
        return;
    };
    augmented_pixels(set, chunk, aug, (seed, epoch), pixels);
    set.normalize_pixels(pixels, &norm.mean, &norm.std, x);
}

/// The training images at `chunk` of `set` as `aug` changes them in `epoch` of a run seeded
/// `seed` (pixel values 0…255, images one after another, into `pixels`): what
/// [`training_batch`] normalises.
pub fn augmented_pixels(
    set: &ImageSet,
    chunk: &[usize],
    aug: &mut Augmenter,
    (seed, epoch): (u64, usize),
    pixels: &mut Vec<f32>,
) {
    let len = set.image_len();
    pixels.resize(chunk.len() * len, 0.0);
    let shape = (set.channels(), set.height(), set.width());
    for (dst, &i) in pixels.chunks_exact_mut(len.max(1)).zip(chunk) {
        let stream = AUGMENT_STREAM ^ ((epoch as u64) << 32) ^ i as u64;
        aug.apply(
            set.image(i),
            shape,
            &mut Rng::with_stream(seed, stream),
            dst,
        );
    }
}
