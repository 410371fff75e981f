//! Images as a task sees them: one feature vector per image, from a visual front end, split into
//! the images a network trains on and the images it is scored on.
//!
//! Two front ends:
//! - `pixels` ([`ImageFeatures::pixels`]): the embedded MNIST digits (split 8,000 / 2,000 with
//!   seed 0, as `neurodyn train --task Mnist` splits them), averaged over 2×2 blocks to 14×14:
//!   a retina, not a visual system.
//! - a file (`.npz`, [`ImageFeatures::load`]), written by `neurodyn train --task DelayMatchDigit
//!   --front-end CNN_RUN`: one layer of a trained, frozen CNN on the same digits (its own
//!   training and held-out images).
//!
//! Both are standardised alike ([`ImageFeatures::standardize`]): each feature centred on its mean
//! over the training images, all divided by one number so that the centred training features
//! have a mean square of 1. A task's inputs are then zero-mean and of order 1 whatever the
//! layer's scale; a constant offset (a dark background, a ReLU layer's positive mean) would
//! otherwise drive every recurrent unit the same way on every image.
//!
//! The file holds `train_features` (image, feature) f32, `train_labels` (image) int64,
//! `held_out_features`, `held_out_labels`, `blank` (feature) f32: the front end's answer to an
//! empty screen (a zero image), `class_names` and a text `source` saying where the features come
//! from; `format` is [`FEATURES_FORMAT`].

use neurodyn_core::{NpArray, Npz};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The `format` text of a features file.
pub const FEATURES_FORMAT: &str = "neurodyn image features 1";

/// Feature vectors of a set of images, with their classes.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSplit {
    /// `(image, feature)`, row-major.
    pub features: Vec<f32>,
    /// Class of each image.
    pub labels: Vec<usize>,
}

impl FeatureSplit {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Positions of the images of each class (`n_classes` lists).
    pub fn by_class(&self, n_classes: usize) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); n_classes];
        for (i, &c) in self.labels.iter().enumerate() {
            out[c].push(i);
        }
        out
    }
}

/// What a visual front end makes of a set of images: see the module docs.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFeatures {
    /// Features per image.
    pub dim: usize,
    /// The images trained on.
    pub train: FeatureSplit,
    /// The images scored on.
    pub held_out: FeatureSplit,
    /// The front end's features for an empty screen.
    pub blank: Vec<f32>,
    /// One name per class.
    pub class_names: Vec<String>,
    /// Where the features come from, in words.
    pub source: String,
}

impl ImageFeatures {
    /// The `pixels` front end over the embedded digits (built once per process).
    pub fn pixels() -> Result<Arc<ImageFeatures>, String> {
        static PIXELS: OnceLock<Arc<ImageFeatures>> = OnceLock::new();
        if let Some(f) = PIXELS.get() {
            return Ok(f.clone());
        }
        let (train, test) =
            neurodyn_data::embedded_mnist_split(0).map_err(|e| format!("embedded digits: {e}"))?;
        let pool = |set: &neurodyn_data::ImageSet| FeatureSplit {
            features: (0..set.len())
                .flat_map(|i| pool_2x2(set.image(i)))
                .collect(),
            labels: set.labels().iter().map(|&l| usize::from(l)).collect(),
        };
        let mut f = ImageFeatures {
            dim: 14 * 14,
            train: pool(&train),
            held_out: pool(&test),
            blank: vec![0.0; 14 * 14],
            class_names: train.class_names().to_vec(),
            source: "pixels: the embedded digits averaged over 2×2 blocks to 14×14, standardised \
                     (a baseline without a visual system; `neurodyn train` gives the task seed \
                     000's CNN unless front_end is set)"
                .to_string(),
        };
        f.standardize()?;
        Ok(PIXELS.get_or_init(|| Arc::new(f)).clone())
    }

    /// Centre each feature on its mean over the training images and divide every value (both
    /// splits and the blank) by the root mean square of the centred training features; returns
    /// that divisor. An error when the training images all have the same features.
    pub fn standardize(&mut self) -> Result<f64, String> {
        let d = self.dim;
        let n = self.train.len().max(1) as f64;
        let mut mean = vec![0.0f64; d];
        for row in self.train.features.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let ms = self
            .train
            .features
            .chunks_exact(d)
            .flat_map(|row| {
                row.iter()
                    .zip(&mean)
                    .map(|(&v, &m)| (f64::from(v) - m).powi(2))
            })
            .sum::<f64>()
            / (n * d as f64);
        if !(ms.is_finite() && ms > 0.0) {
            return Err(
                "every training image has the same features: nothing tells them apart".into(),
            );
        }
        let scale = ms.sqrt();
        let rows = self
            .train
            .features
            .chunks_exact_mut(d)
            .chain(self.held_out.features.chunks_exact_mut(d))
            .chain(std::iter::once(&mut self.blank[..]));
        for row in rows {
            for (v, &m) in row.iter_mut().zip(&mean) {
                *v = ((f64::from(*v) - m) / scale) as f32;
            }
        }
        Ok(scale)
    }

    /// Check sizes, classes and values: every array agrees with `dim`, labels are classes, values
    /// are finite and both splits hold every class.
    pub fn validate(&self) -> Result<(), String> {
        let k = self.class_names.len();
        if self.dim == 0 || k < 2 {
            return Err(format!(
                "needs at least one feature and two classes, has {} and {k}",
                self.dim
            ));
        }
        if self.blank.len() != self.dim {
            return Err(format!(
                "blank has {} features, the images {}",
                self.blank.len(),
                self.dim
            ));
        }
        for (name, s) in [("train", &self.train), ("held_out", &self.held_out)] {
            if s.features.len() != s.len() * self.dim {
                return Err(format!(
                    "{name}_features holds {} values for {} images of {} features",
                    s.features.len(),
                    s.len(),
                    self.dim
                ));
            }
            if let Some(&c) = s.labels.iter().find(|&&c| c >= k) {
                return Err(format!(
                    "{name}_labels has class {c}, but there are {k} classes"
                ));
            }
            if s.by_class(k).iter().any(|v| v.is_empty()) {
                return Err(format!("{name} lacks images of some class"));
            }
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if !finite(&self.train.features) || !finite(&self.held_out.features) || !finite(&self.blank)
        {
            return Err("holds a value that is not finite".into());
        }
        Ok(())
    }

    /// Write the features file (atomically: a temporary file renamed into place).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let mut z = Npz::new();
        let labels = |s: &FeatureSplit| s.labels.iter().map(|&c| c as i64).collect::<Vec<_>>();
        let e = |e: neurodyn_core::CoreError| e.to_string();
        z.text("format", FEATURES_FORMAT).map_err(e)?;
        z.text("source", &self.source).map_err(e)?;
        for (name, s) in [("train", &self.train), ("held_out", &self.held_out)] {
            z.f32(
                &format!("{name}_features"),
                &[s.len(), self.dim],
                s.features.clone(),
            )
            .map_err(e)?;
            z.i64(&format!("{name}_labels"), &[s.len()], labels(s))
                .map_err(e)?;
        }
        z.f32("blank", &[self.dim], self.blank.clone()).map_err(e)?;
        z.strings(
            "class_names",
            &[self.class_names.len()],
            self.class_names.clone(),
        )
        .map_err(e)?;
        z.save(path).map_err(e)
    }

    /// Read and check a features file; errors name the file and what is wrong.
    pub fn load(path: &Path) -> Result<ImageFeatures, String> {
        let z = Npz::load(path).map_err(|e| e.to_string())?;
        let bad = |m: String| format!("{}: {m}", path.display());
        if z.get_text("format").as_deref() != Some(FEATURES_FORMAT) {
            return Err(bad(format!(
                "not a features file (its `format` is not {FEATURES_FORMAT:?}; write one with \
                 `neurodyn train --task DelayMatchDigit --front-end CNN_RUN`)"
            )));
        }
        let get = |name: &str| z.require(name, path).map_err(|e| e.to_string());
        let split = |name: &str| -> Result<(FeatureSplit, usize), String> {
            let f: &NpArray = get(&format!("{name}_features"))?;
            let [_, d] = f.shape() else {
                return Err(bad(format!("{name}_features must be (image, feature)")));
            };
            let labels = get(&format!("{name}_labels"))?
                .to_i64()
                .ok_or_else(|| bad(format!("{name}_labels must be integers")))?;
            if labels.iter().any(|&c| c < 0) {
                return Err(bad(format!("{name}_labels has a negative class")));
            }
            Ok((
                FeatureSplit {
                    features: f.to_f32(),
                    labels: labels.into_iter().map(|c| c as usize).collect(),
                },
                *d,
            ))
        };
        let (train, dim) = split("train")?;
        let (held_out, d2) = split("held_out")?;
        if d2 != dim {
            return Err(bad(format!(
                "train has {dim} features per image, held_out {d2}"
            )));
        }
        let f = ImageFeatures {
            dim,
            train,
            held_out,
            blank: get("blank")?.to_f32(),
            class_names: z
                .get("class_names")
                .and_then(NpArray::to_strings)
                .ok_or_else(|| bad("class_names is missing or not text".into()))?,
            source: z.get_text("source").unwrap_or_default(),
        };
        f.validate().map_err(bad)?;
        Ok(f)
    }
}

/// A 28×28 digit (0…255) averaged over 2×2 blocks, on a 0…1 scale.
fn pool_2x2(img: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(196);
    for r in 0..14 {
        for c in 0..14 {
            let at = |dr: usize, dc: usize| f32::from(img[(2 * r + dr) * 28 + 2 * c + dc]);
            out.push((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / (4.0 * 255.0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_split_the_digits_pool_and_standardise_them() {
        let f = ImageFeatures::pixels().unwrap();
        f.validate().unwrap();
        assert_eq!((f.train.len(), f.held_out.len(), f.dim), (8000, 2000, 196));
        let mut img = vec![0u8; 784];
        for i in [0, 1, 28, 29] {
            img[i] = 255;
        }
        let p = pool_2x2(&img);
        assert_eq!((p[0], p[1]), (1.0, 0.0));
        // Zero mean per feature and unit mean square over the training images.
        let n = f.train.len() as f64;
        let mean_of = |j: usize| {
            f.train
                .features
                .chunks_exact(196)
                .map(|r| f64::from(r[j]))
                .sum::<f64>()
                / n
        };
        assert!((0..196).all(|j| mean_of(j).abs() < 1e-5));
        let ms = f
            .train
            .features
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            / (n * 196.0);
        assert!((ms - 1.0).abs() < 1e-5, "{ms}");
        // The blank screen is below the mean in every pixel that is ever lit.
        assert!(f.blank.iter().all(|&b| b <= 0.0));
    }

    #[test]
    fn standardize_centres_scales_and_refuses_constant_features() {
        let mut f = ImageFeatures {
            dim: 2,
            train: FeatureSplit {
                features: vec![1.0, 10.0, 3.0, 10.0],
                labels: vec![0, 1],
            },
            held_out: FeatureSplit {
                features: vec![2.0, 12.0],
                labels: vec![0],
            },
            blank: vec![0.0, 0.0],
            class_names: vec!["a".into(), "b".into()],
            source: String::new(),
        };
        // Centred training features (-1, 0), (1, 0): mean square 0.5.
        let s = f.standardize().unwrap();
        assert!((s - 0.5f64.sqrt()).abs() < 1e-12);
        let r2 = std::f32::consts::SQRT_2;
        assert_eq!(f.train.features, vec![-r2, 0.0, r2, 0.0]);
        assert!((f.held_out.features[0]).abs() < 1e-6);
        assert!((f.held_out.features[1] - 2.0 * r2).abs() < 1e-5);
        assert!((f.blank[0] + 2.0 * r2).abs() < 1e-5 && (f.blank[1] + 10.0 * r2).abs() < 1e-4);
        let mut c = f.clone();
        c.train.features = vec![5.0; 4];
        assert!(c.standardize().unwrap_err().contains("same features"));
    }

    #[test]
    fn a_features_file_round_trips_and_bad_ones_are_named() {
        let dir = std::env::temp_dir().join(format!("nd_features_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let split = |n: usize| FeatureSplit {
            features: (0..n * 3).map(|i| i as f32 * 0.5).collect(),
            labels: (0..n).map(|i| i % 2).collect(),
        };
        let f = ImageFeatures {
            dim: 3,
            train: split(6),
            held_out: split(4),
            blank: vec![0.0, 1.0, 2.0],
            class_names: vec!["a".into(), "b".into()],
            source: "test".into(),
        };
        let path = dir.join("f.npz");
        f.save(&path).unwrap();
        assert_eq!(ImageFeatures::load(&path).unwrap(), f);
        let mut g = f.clone();
        g.held_out.labels = vec![0; 4];
        g.save(&path).unwrap();
        let e = ImageFeatures::load(&path).unwrap_err();
        assert!(e.contains("held_out lacks images of some class"), "{e}");
        let mut z = Npz::new();
        z.text("format", "something else").unwrap();
        z.save(&path).unwrap();
        let e = ImageFeatures::load(&path).unwrap_err();
        assert!(e.contains("not a features file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
