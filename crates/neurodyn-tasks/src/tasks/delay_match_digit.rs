//! DelayMatchDigit: delayed match-to-sample on handwritten digits, where "match" means the same
//! digit class (two different images of it). The image version of DelayMatchSample (Miller,
//! Erickson & Desimone 1996) for a network with a visual front end.
//!
//! ```text
//!  period   | fixation 300 | sample 500         | delay 1000 | test 500           | decision 900 |
//!  fixation | 1            | 1                  | 1          | 1                  | 0            |
//!  features | blank        | f(sample image)+ξ  | blank      | f(test image)+ξ    | blank        |
//!  target   | 0            | 0                  | 0          | 0                  | 1 match / 2 non-match |
//! ```
//! `f` is the front end ([`crate::ImageFeatures`]): `front_end = "pixels"` (default, 196
//! inputs) or the path of a features file, one layer of a trained, frozen CNN (`neurodyn train
//! --task DelayMatchDigit --front-end CNN_RUN` writes it). "blank" is the front end's answer to
//! an empty screen. On match trials the test is another image of the sample's class, on
//! non-match trials an image of another class (uniform). ξ ~ N(0, σ²/dt) on the feature
//! channels during sample and test.
//!
//! Training draws from the front end's training images; evaluation and the analyses
//! ([`Task::held_out`](crate::Task::held_out)) from its held-out images, which neither the front
//! end nor the network has seen.
//!
//! Labels: `ground_truth` (1 match, 2 non-match), `sample_class`, `test_class`, `sample_image`,
//! `test_image` (positions in the split drawn from).

use super::prelude::*;
use crate::image_features::{FeatureSplit, ImageFeatures};
use std::path::Path;
use std::sync::Arc;

/// The DelayMatchDigit task.
#[derive(Clone)]
pub struct DelayMatchDigit {
    spec: TaskSpec,
    setup: Setup,
    features: Arc<ImageFeatures>,
    /// `true`: draw from the held-out images.
    held_out: bool,
    /// Image positions per class, in the split drawn from.
    by_class: Arc<Vec<Vec<usize>>>,
    sigma: f64,
    timing: Vec<(&'static str, Duration)>,
}

/// One DelayMatchDigit condition.
#[derive(Clone, Debug, PartialEq)]
pub struct DigitMatchCondition {
    /// `true` when the test digit's class is the sample's.
    pub is_match: bool,
    /// Sample image (position in the split).
    pub sample_image: usize,
    /// Test image (position in the split).
    pub test_image: usize,
    /// Class of the sample.
    pub sample_class: usize,
    /// Class of the test.
    pub test_class: usize,
    /// Periods.
    pub timeline: Timeline,
}

const NAME: &str = "DelayMatchDigit";

impl FromConfig for DelayMatchDigit {
    fn from_config(cfg: &TaskConfig) -> Result<Self, TaskError> {
        let p = Params::new(NAME, cfg, &["front_end", "sigma", "delay_ms"])?;
        let setup = Setup::new(NAME, cfg, 20.0)?;
        let front = p.text("front_end", "pixels")?;
        let invalid = |message: String| TaskError::InvalidParam {
            task: NAME.to_string(),
            key: "front_end".to_string(),
            message,
        };
        let features = if front == "pixels" {
            ImageFeatures::pixels().map_err(invalid)?
        } else {
            Arc::new(
                ImageFeatures::load(Path::new(&front))
                    .map_err(|m| invalid(format!("expected \"pixels\" or a features file: {m}")))?,
            )
        };
        let mut inputs = names(&["fixation"]);
        inputs.extend(ring_names("feature", features.dim));
        let spec = make_spec(
            NAME,
            &setup,
            inputs,
            names(&["fixate", "match", "non-match"]),
            &[
                "ground_truth",
                "sample_class",
                "test_class",
                "sample_image",
                "test_image",
            ],
            None,
            &["visual", "working memory", "two-alternative", "supervised", "images"],
            "Miller, Erickson & Desimone (1996) Neural mechanisms of visual working memory in prefrontal cortex of the macaque. J Neurosci 16:5154; digits: LeCun et al. (1998) MNIST",
            &format!(
                "Hold a handwritten digit over a delay and report whether a second, different \
                 image shows the same digit. Front end: {}.",
                features.source
            ),
        );
        let by_class = Arc::new(features.train.by_class(features.class_names.len()));
        Ok(DelayMatchDigit {
            spec,
            sigma: p.nonneg("sigma", 0.5)?,
            timing: vec![
                ("fixation", Duration::Fixed(300.0)),
                ("sample", Duration::Fixed(500.0)),
                ("delay", Duration::Fixed(p.nonneg("delay_ms", 1000.0)?)),
                ("test", Duration::Fixed(500.0)),
                ("decision", Duration::Fixed(900.0)),
            ],
            setup,
            features,
            held_out: false,
            by_class,
        })
    }
}

impl DelayMatchDigit {
    fn split(&self) -> &FeatureSplit {
        if self.held_out {
            &self.features.held_out
        } else {
            &self.features.train
        }
    }

    /// Draw a condition.
    pub fn sample(&self, rng: &mut Rng) -> DigitMatchCondition {
        let k = self.by_class.len();
        let is_match = rng.below(2) == 0;
        let sample_class = rng.below(k as u64) as usize;
        let same = &self.by_class[sample_class];
        let sample_image = same[rng.below(same.len() as u64) as usize];
        let (test_class, test_image) = if is_match {
            // Another image of the same class (every class has more than one image).
            let mut j = same[rng.below(same.len() as u64) as usize];
            while j == sample_image && same.len() > 1 {
                j = same[rng.below(same.len() as u64) as usize];
            }
            (sample_class, j)
        } else {
            let other = (sample_class + 1 + rng.below(k as u64 - 1) as usize) % k;
            let pool = &self.by_class[other];
            (other, pool[rng.below(pool.len() as u64) as usize])
        };
        DigitMatchCondition {
            is_match,
            sample_image,
            test_image,
            sample_class,
            test_class,
            timeline: lay_out(&self.setup, &self.timing, rng),
        }
    }

    /// Render a condition.
    pub fn render(&self, c: &DigitMatchCondition, rng: &mut Rng) -> Trial {
        let tl = &c.timeline;
        let (sample, test, dec) = (tl.range("sample"), tl.range("test"), tl.range("decision"));
        let d = self.features.dim;
        let split = self.split();
        let image = |i: usize| &split.features[i * d..(i + 1) * d];
        let mut cv = Canvas::new(tl.clone(), 1 + d, 3);
        cv.set(0..dec.start, 0, 1.0);
        let blank = &self.features.blank;
        cv.add_vec(0..sample.start, 1, blank);
        cv.add_vec(sample.clone(), 1, image(c.sample_image));
        cv.add_vec(sample.end..test.start, 1, blank);
        cv.add_vec(test.clone(), 1, image(c.test_image));
        cv.add_vec(test.end..cv.n_steps(), 1, blank);
        let sd = self.setup.noise_sd(self.sigma);
        cv.noise(sample, 1..1 + d, sd, rng);
        cv.noise(test, 1..1 + d, sd, rng);
        let gt = if c.is_match { 1 } else { 2 };
        cv.class(dec.clone(), gt);
        cv.respond_from(dec.start);
        let labels = Labels::new()
            .int("ground_truth", gt)
            .int("sample_class", c.sample_class as i64)
            .int("test_class", c.test_class as i64)
            .int("sample_image", c.sample_image as i64)
            .int("test_image", c.test_image as i64);
        cv.finish(&self.setup, labels)
    }
}

impl crate::task::Task for DelayMatchDigit {
    fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    fn trial(&self, rng: &mut Rng) -> Trial {
        let c = self.sample(rng);
        self.render(&c, rng)
    }

    fn held_out(&self) -> Option<Box<dyn crate::task::Task>> {
        let mut t = self.clone();
        t.held_out = true;
        t.by_class = Arc::new(
            self.features
                .held_out
                .by_class(self.features.class_names.len()),
        );
        Some(Box::new(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Task;

    #[test]
    fn match_means_same_class_and_held_out_draws_other_images() {
        let t = DelayMatchDigit::from_config(&TaskConfig::default()).unwrap();
        assert_eq!(t.spec().n_in, 197);
        let mut rng = Rng::new(3);
        let (mut matches, n) = (0, 400);
        for _ in 0..n {
            let c = t.sample(&mut rng);
            assert_ne!(c.sample_image, c.test_image);
            assert_eq!(c.is_match, c.sample_class == c.test_class);
            let tr = &t.features.train.labels;
            assert_eq!(tr[c.sample_image], c.sample_class);
            assert_eq!(tr[c.test_image], c.test_class);
            matches += usize::from(c.is_match);
        }
        assert!((150..250).contains(&matches), "{matches} matches of {n}");
        let h = t.held_out().unwrap();
        let trial = h.trial(&mut Rng::new(4));
        let img = trial.labels.get("sample_image").unwrap().as_f64() as usize;
        let class = trial.labels.get("sample_class").unwrap().as_f64() as usize;
        assert_eq!(t.features.held_out.labels[img], class);
        // The sample period shows the held-out image's features, within the noise.
        let sample = trial.period("sample").unwrap();
        let d = t.features.dim;
        let want = &t.features.held_out.features[img * d..(img + 1) * d];
        let steps = (sample.start..sample.end).count() as f32;
        let mean_err: f32 = (0..d)
            .map(|j| {
                let m: f32 = (sample.start..sample.end)
                    .map(|s| trial.inputs[s * (d + 1) + 1 + j])
                    .sum::<f32>()
                    / steps;
                (m - want[j]).abs()
            })
            .sum::<f32>()
            / d as f32;
        assert!(mean_err < 0.1, "{mean_err}");
        // Before the sample: the blank screen.
        assert_eq!(trial.inputs[1], t.features.blank[0]);
    }
}
