//! [`ImageSet`]: labelled images as bytes, `(N, C, H, W)` row-major, and their normalisation to
//! f32 for a network.
//!
//! Pixels stay `u8` (a quarter of the memory of f32, and exactly what the files hold); a model
//! takes [`ImageSet::normalized`] or, batch by batch, [`ImageSet::normalize_into`], which map a
//! byte `p` of channel `c` to `(p / 255 - mean[c]) / std[c]`.

use crate::error::{DataError, Result};
use std::path::PathBuf;

/// Labelled images: pixels `(N, C, H, W)` as bytes, one class label per image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    channels: usize,
    height: usize,
    width: usize,
    class_names: Vec<String>,
}

impl ImageSet {
    /// A set from row-major `(N, C, H, W)` pixels, `N` labels and the class names; every label
    /// must index `class_names`.
    pub fn new(
        pixels: Vec<u8>,
        labels: Vec<u8>,
        [channels, height, width]: [usize; 3],
        class_names: Vec<String>,
    ) -> Result<Self> {
        let expected = [labels.len(), channels, height, width]
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .unwrap_or(usize::MAX);
        if pixels.len() != expected {
            return Err(DataError::ShapeMismatch {
                what: format!(
                    "pixels of {} images of {channels}x{height}x{width}",
                    labels.len()
                ),
                expected,
                got: pixels.len(),
            });
        }
        check_labels(&labels, class_names.len(), || PathBuf::from("<memory>"))?;
        Ok(ImageSet {
            pixels,
            labels,
            channels,
            height,
            width,
            class_names,
        })
    }

    /// The same images and labels under other class names (e.g. Fashion-MNIST's).
    pub fn with_class_names(self, class_names: Vec<String>) -> Result<Self> {
        let shape = [self.channels, self.height, self.width];
        Self::new(self.pixels, self.labels, shape, class_names)
    }

    /// The number of images `N`.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `[N, C, H, W]`.
    pub fn shape(&self) -> [usize; 4] {
        [self.len(), self.channels, self.height, self.width]
    }

    /// Channels per image `C`.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Image height `H` in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Image width `W` in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Bytes per image, `C * H * W`.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// All pixels, `(N, C, H, W)` row-major.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// The label of every image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The pixels of image `i`, `(C, H, W)` row-major. Panics if `i >= len()`.
    pub fn image(&self, i: usize) -> &[u8] {
        let k = self.image_len();
        &self.pixels[i * k..(i + 1) * k]
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// The images at `indices`, in that order. Panics on an index `>= len()`.
    pub fn select(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSet {
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
            ..*self
        }
    }

    /// Every image as f32 `(N, C, H, W)`: `(p / 255 - mean[c]) / std[c]`. `mean` and `std` hold
    /// one value per channel, or one for all (e.g. [`crate::MNIST_MEAN`], [`crate::MNIST_STD`]).
    pub fn normalized(&self, mean: &[f32], std: &[f32]) -> Vec<f32> {
        let lut = self.lookup(mean, std);
        let plane = self.height * self.width;
        let mut out = Vec::with_capacity(self.pixels.len());
        for (k, chunk) in self.pixels.chunks(plane.max(1)).enumerate() {
            let table = &lut[k % self.channels.max(1)];
            out.extend(chunk.iter().map(|&p| table[usize::from(p)]));
        }
        out
    }

    /// The images at `indices`, normalised as in [`ImageSet::normalized`], into `out`
    /// (`indices.len() * C * H * W` values): a batch without converting the whole set.
    pub fn normalize_into(&self, indices: &[usize], mean: &[f32], std: &[f32], out: &mut [f32]) {
        assert_eq!(
            out.len(),
            indices.len() * self.image_len(),
            "normalize_into: out holds {} values, {} images need {}",
            out.len(),
            indices.len(),
            indices.len() * self.image_len()
        );
        let lut = self.lookup(mean, std);
        let plane = self.height * self.width;
        for (dst, &i) in out.chunks_mut(self.image_len().max(1)).zip(indices) {
            for (c, (d, s)) in dst
                .chunks_mut(plane.max(1))
                .zip(self.image(i).chunks(plane.max(1)))
                .enumerate()
            {
                for (d, &p) in d.iter_mut().zip(s) {
                    *d = lut[c][usize::from(p)];
                }
            }
        }
    }

    /// Normalise pixel values `pixels` (images of this set's shape, 0…255 as f32, e.g.
    /// augmented or transformed ones) into `out` by the formula of [`ImageSet::normalize_into`],
    /// `(p/255 − mean[c]) / std[c]` in f32: a byte's value gives exactly its table entry.
    pub fn normalize_pixels(&self, pixels: &[f32], mean: &[f32], std: &[f32], out: &mut [f32]) {
        assert_eq!(pixels.len(), out.len(), "normalize_pixels: lengths differ");
        let plane = (self.height * self.width).max(1);
        let c = self.channels.max(1);
        for (k, (o, p)) in out.chunks_mut(plane).zip(pixels.chunks(plane)).enumerate() {
            let ch = k % c;
            let (m, s) = (mean[ch % mean.len()], std[ch % std.len()]);
            for (o, &p) in o.iter_mut().zip(p) {
                *o = (p / 255.0 - m) / s;
            }
        }
    }

    /// Per channel, the normalised value of each byte.
    fn lookup(&self, mean: &[f32], std: &[f32]) -> Vec<[f32; 256]> {
        let c = self.channels;
        assert!(
            (mean.len() == 1 || mean.len() == c) && (std.len() == 1 || std.len() == c),
            "normalisation needs 1 or {c} means and standard deviations, got {} and {}",
            mean.len(),
            std.len()
        );
        (0..c)
            .map(|ch| {
                let (m, s) = (mean[ch % mean.len()], std[ch % std.len()]);
                std::array::from_fn(|p| (p as f32 / 255.0 - m) / s)
            })
            .collect()
    }
}

/// [`DataError::BadLabel`] for the first label `>= n_classes`.
pub(crate) fn check_labels(
    labels: &[u8],
    n_classes: usize,
    file: impl FnOnce() -> PathBuf,
) -> Result<()> {
    match labels.iter().position(|&l| usize::from(l) >= n_classes) {
        None => Ok(()),
        Some(index) => Err(DataError::BadLabel {
            file: file(),
            index,
            label: labels[index],
            n_classes,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    #[test]
    fn normalisation_is_per_channel_and_batches_agree() -> Result<()> {
        // Two images of 2 channels x 1 x 2.
        let set = ImageSet::new(
            vec![0, 255, 51, 102, 255, 0, 0, 0],
            vec![1, 0],
            [2, 1, 2],
            names(2),
        )?;
        let all = set.normalized(&[0.5, 0.0], &[0.5, 0.2]);
        let want = [-1.0, 1.0, 1.0, 2.0, 1.0, -1.0, 0.0, 0.0];
        for (a, w) in all.iter().zip(want) {
            assert!((a - w).abs() < 1e-6, "{all:?}");
        }
        let mut batch = vec![0.0; 4];
        set.normalize_into(&[1], &[0.5, 0.0], &[0.5, 0.2], &mut batch);
        assert_eq!(batch, all[4..]);
        assert_eq!(set.select(&[1, 1]).labels(), &[0, 0]);
        Ok(())
    }

    #[test]
    fn bad_shape_and_label_are_errors() {
        let e = ImageSet::new(vec![0; 3], vec![0], [1, 2, 2], names(1));
        assert!(matches!(
            e,
            Err(DataError::ShapeMismatch {
                expected: 4,
                got: 3,
                ..
            })
        ));
        let e = ImageSet::new(vec![0; 2], vec![0, 3], [1, 1, 1], names(3));
        assert!(matches!(
            e,
            Err(DataError::BadLabel {
                index: 1,
                label: 3,
                ..
            })
        ));
    }
}
