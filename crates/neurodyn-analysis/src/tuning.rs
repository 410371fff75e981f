//! Tuning curves: a unit's mean response as a function of a stimulus transform (rotation angle,
//! shift, zoom, contrast; [`crate::image_transform`]), overall and per class — the seed's "the
//! tuning curve of neuron 2 in layer 3 … activation as a function of the rotation angle".
//!
//! Input: the responses `r[v, i, u]` of units `u` to images `i` under each transform value `v`
//! (the network run on every transformed image), and each image's class. Per unit:
//!
//! ```text
//! mean[v] = mean_i r[v, i, u]            sem[v] = sd_i r[v, i, u] (ddof 1) / √n   (none for n < 2)
//! class_mean[c][v], class_sem[c][v]: the same over the images of class c
//! preferred value  = the value of the largest mean (the first, on ties)
//! selectivity index SI = (max − min) / (max + min) of the mean curve: 0 flat, 1 silent somewhere
//!                    (responses ≥ 0 only: none when a mean is negative or max + min = 0)
//! rotation only, θ_v in radians, over the mean curve (Ringach et al. 2002):
//!   circular variance CV = 1 − |Σ_v mean[v] e^{iθ_v}| / Σ_v mean[v]   (0: responds at one angle
//!                          only, 1: the same at every angle)
//!   rotation selectivity = 1 − CV = |Σ mean e^{iθ}| / Σ mean            (0 untuned, 1 sharp)
//!   vector angle         = arg Σ mean e^{iθ}, degrees in [0, 360)
//! ```
//!
//! The circular measures assume the angles sample the circle evenly (the default 0…345° in 15°
//! steps does); they use `e^{iθ}`, not `e^{2iθ}`, because a digit turned by 180° is a different
//! stimulus, unlike an oriented grating.

use crate::error::{AnalysisError, Result};
use crate::image_transform::Transform;
use neurodyn_core::Npz;
use serde::{Deserialize, Serialize};

/// What the values are (circular statistics for rotation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningConfig {
    /// The transform the values sweep.
    pub transform: Transform,
}

/// Responses to transformed images.
#[derive(Clone, Copy, Debug)]
pub struct TuningData<'a> {
    /// Transform values, in sweep order.
    pub values: &'a [f64],
    /// `(value, image, unit)` row-major: `values.len() · n_images · units.len()`.
    pub responses: &'a [f64],
    /// Images per value.
    pub n_images: usize,
    /// The units' indices in their layer (for naming).
    pub units: &'a [usize],
    /// The class of each image.
    pub labels: &'a [i64],
}

/// Circular statistics of a rotation tuning curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CircularTuning {
    /// `1 − |Σ r e^{iθ}| / Σ r`: 0 for a response at one angle only, 1 for a flat curve.
    pub circular_variance: f64,
    /// `1 − circular variance`: 0 untuned, 1 sharply tuned.
    pub rotation_selectivity: f64,
    /// Direction of `Σ r e^{iθ}`, degrees in `[0, 360)`.
    pub vector_angle: f64,
}

/// One unit's tuning.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitTuning {
    /// The unit's index in its layer.
    pub unit: usize,
    /// Mean response at each value.
    pub mean: Vec<f64>,
    /// Standard error of the mean at each value (`None` with one image).
    pub sem: Vec<Option<f64>>,
    /// Mean response per class (row) and value.
    pub class_mean: Vec<Vec<f64>>,
    /// Its standard error (`None` for a class of one image).
    pub class_sem: Vec<Vec<Option<f64>>>,
    /// The value of the largest mean response.
    pub preferred_value: f64,
    /// Its position in the values.
    pub preferred_index: usize,
    /// Largest mean response.
    pub max: f64,
    /// Smallest mean response.
    pub min: f64,
    /// `(max − min) / (max + min)` of the mean curve (`None` for negative means or max + min = 0).
    pub selectivity_index: Option<f64>,
    /// Each class's preferred value.
    pub class_preferred_value: Vec<f64>,
    /// Circular statistics (rotation, non-negative curve with a positive sum).
    pub circular: Option<CircularTuning>,
}

/// Tuning curves of several units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TuningResult {
    /// The transform.
    pub transform: Transform,
    /// Its values.
    pub values: Vec<f64>,
    /// Images per value.
    pub n_images: usize,
    /// The classes present, ascending.
    pub classes: Vec<i64>,
    /// Images of each class.
    pub class_n: Vec<usize>,
    /// One entry per unit.
    pub units: Vec<UnitTuning>,
    /// What could not be computed, and why.
    pub warnings: Vec<String>,
}

/// Mean and standard error (ddof 1) of `x`; the error is `None` for fewer than two values.
fn mean_sem(x: impl Iterator<Item = f64> + Clone) -> (f64, Option<f64>) {
    let n = x.clone().count();
    let m = x.clone().sum::<f64>() / n as f64;
    if n < 2 {
        return (m, None);
    }
    let ss = x.map(|v| (v - m) * (v - m)).sum::<f64>();
    (m, Some((ss / (n - 1) as f64).sqrt() / (n as f64).sqrt()))
}

/// The first position of the largest value.
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// `(max − min) / (max + min)` of a non-negative curve.
pub fn selectivity_index(curve: &[f64]) -> Option<f64> {
    let max = curve.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = curve.iter().copied().fold(f64::INFINITY, f64::min);
    (min >= 0.0 && max + min > 0.0).then(|| (max - min) / (max + min))
}

/// Circular variance, its complement and the vector angle of a curve over `degrees`.
pub fn circular(curve: &[f64], degrees: &[f64]) -> Option<CircularTuning> {
    let total: f64 = curve.iter().sum();
    if curve.iter().any(|&r| r < 0.0) || total.is_nan() || total <= 0.0 {
        return None;
    }
    let (mut re, mut im) = (0.0, 0.0);
    for (&r, &d) in curve.iter().zip(degrees) {
        let (c, s) = crate::image_transform::cos_sin_degrees(d);
        re += r * c;
        im += r * s;
    }
    let strength = re.hypot(im) / total;
    Some(CircularTuning {
        circular_variance: 1.0 - strength,
        rotation_selectivity: strength,
        vector_angle: im.atan2(re).to_degrees().rem_euclid(360.0),
    })
}

/// Tuning curves of every unit in `data`.
pub fn run(data: &TuningData, config: &TuningConfig) -> Result<TuningResult> {
    let (nv, n, nu) = (data.values.len(), data.n_images, data.units.len());
    if nv == 0 || n == 0 || nu == 0 {
        return Err(AnalysisError::empty(format!(
            "tuning curves need values, images and units (got {nv}, {n}, {nu})"
        )));
    }
    if data.responses.len() != nv * n * nu {
        return Err(AnalysisError::shape(
            "responses (value, image, unit)",
            &[nv, n, nu],
            &[data.responses.len()],
        ));
    }
    if data.labels.len() != n {
        return Err(AnalysisError::shape(
            "labels (one per image)",
            &[n],
            &[data.labels.len()],
        ));
    }
    if let Some(i) = data.responses.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::config(
            "responses",
            format!(
                "response of unit {} to image {} at value {} is {}",
                data.units[i % nu],
                i / nu % n,
                data.values[i / (nu * n)],
                data.responses[i]
            ),
        ));
    }
    let mut classes = data.labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let members: Vec<Vec<usize>> = classes
        .iter()
        .map(|&c| (0..n).filter(|&i| data.labels[i] == c).collect())
        .collect();
    let r = |v: usize, i: usize, u: usize| data.responses[(v * n + i) * nu + u];
    let mut warnings = Vec::new();
    let mut units = Vec::with_capacity(nu);
    for (u, &unit) in data.units.iter().enumerate() {
        let (mean, sem): (Vec<f64>, Vec<Option<f64>>) = (0..nv)
            .map(|v| mean_sem((0..n).map(|i| r(v, i, u))))
            .unzip();
        let mut class_mean = Vec::with_capacity(classes.len());
        let mut class_sem = Vec::with_capacity(classes.len());
        for m in &members {
            let (cm, cs): (Vec<f64>, Vec<Option<f64>>) = (0..nv)
                .map(|v| mean_sem(m.iter().map(|&i| r(v, i, u))))
                .unzip();
            class_mean.push(cm);
            class_sem.push(cs);
        }
        let best = argmax(&mean);
        let max = mean[best];
        let min = mean.iter().copied().fold(f64::INFINITY, f64::min);
        let si = selectivity_index(&mean);
        if si.is_none() {
            warnings.push(format!(
                "unit {unit}: no selectivity index (mean responses from {min} to {max}; it needs \
                 responses ≥ 0, not all 0)"
            ));
        }
        let circ = if config.transform.is_circular() {
            let c = circular(&mean, data.values);
            if c.is_none() {
                warnings.push(format!(
                    "unit {unit}: no circular variance (it needs mean responses ≥ 0 with a \
                     positive sum)"
                ));
            }
            c
        } else {
            None
        };
        units.push(UnitTuning {
            unit,
            class_preferred_value: class_mean.iter().map(|c| data.values[argmax(c)]).collect(),
            preferred_value: data.values[best],
            preferred_index: best,
            max,
            min,
            selectivity_index: si,
            circular: circ,
            mean,
            sem,
            class_mean,
            class_sem,
        });
    }
    Ok(TuningResult {
        transform: config.transform,
        values: data.values.to_vec(),
        n_images: n,
        class_n: members.iter().map(Vec::len).collect(),
        classes,
        units,
        warnings,
    })
}

impl TuningResult {
    /// Arrays for `.npz`: `values` (V), `units` (U), `mean` and `sem` (U, V), `classes` (K),
    /// `class_n` (K), `class_mean` and `class_sem` (U, K, V), `preferred_value`,
    /// `selectivity_index` and `circular_variance` (U); NaN where a value is undefined.
    pub fn to_npz(&self) -> Result<Npz> {
        let (u, v, k) = (self.units.len(), self.values.len(), self.classes.len());
        let opt = |x: &Option<f64>| x.unwrap_or(f64::NAN);
        let mut z = Npz::new();
        z.f64("values", &[v], self.values.clone())?;
        z.i64(
            "units",
            &[u],
            self.units.iter().map(|t| t.unit as i64).collect(),
        )?;
        z.f64(
            "mean",
            &[u, v],
            self.units.iter().flat_map(|t| t.mean.clone()).collect(),
        )?;
        let sem = self
            .units
            .iter()
            .flat_map(|t| t.sem.iter().map(opt))
            .collect();
        z.f64("sem", &[u, v], sem)?;
        z.i64("classes", &[k], self.classes.clone())?;
        z.i64(
            "class_n",
            &[k],
            self.class_n.iter().map(|&c| c as i64).collect(),
        )?;
        let cm = self
            .units
            .iter()
            .flat_map(|t| t.class_mean.iter().flatten().copied())
            .collect();
        z.f64("class_mean", &[u, k, v], cm)?;
        let cs = self
            .units
            .iter()
            .flat_map(|t| t.class_sem.iter().flatten().map(opt))
            .collect();
        z.f64("class_sem", &[u, k, v], cs)?;
        let pv = self.units.iter().map(|t| t.preferred_value).collect();
        z.f64("preferred_value", &[u], pv)?;
        let si = self
            .units
            .iter()
            .map(|t| opt(&t.selectivity_index))
            .collect();
        z.f64("selectivity_index", &[u], si)?;
        let cv = self
            .units
            .iter()
            .map(|t| {
                t.circular
                    .as_ref()
                    .map_or(f64::NAN, |c| c.circular_variance)
            })
            .collect();
        z.f64("circular_variance", &[u], cv)?;
        Ok(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_classes_and_indices_by_hand() {
        // 4 values (0, 90, 180, 270°), 3 images (classes 1, 1, 5), 2 units.
        let values = [0.0, 90.0, 180.0, 270.0];
        let labels = [1, 1, 5];
        let mut resp = Vec::new();
        for v in 0..4 {
            for i in 0..3 {
                // Unit 0 responds only at 90° (1, 3, 5 for the three images); unit 1 is flat 2.
                resp.push(if v == 1 { 1.0 + 2.0 * i as f64 } else { 0.0 });
                resp.push(2.0);
            }
        }
        let data = TuningData {
            values: &values,
            responses: &resp,
            n_images: 3,
            units: &[7, 9],
            labels: &labels,
        };
        let cfg = TuningConfig {
            transform: Transform::Rotation,
        };
        let r = run(&data, &cfg).unwrap();
        assert_eq!(r.classes, vec![1, 5]);
        assert_eq!(r.class_n, vec![2, 1]);
        let a = &r.units[0];
        assert_eq!(a.unit, 7);
        assert_eq!(a.mean, vec![0.0, 3.0, 0.0, 0.0]);
        assert_eq!(a.sem[1], Some(2.0 / 3f64.sqrt()));
        assert_eq!(
            a.class_mean,
            vec![vec![0.0, 2.0, 0.0, 0.0], vec![0.0, 5.0, 0.0, 0.0]]
        );
        assert_eq!(a.class_sem[1][1], None);
        assert_eq!((a.preferred_value, a.preferred_index), (90.0, 1));
        assert_eq!(a.selectivity_index, Some(1.0));
        let c = a.circular.as_ref().unwrap();
        assert!(c.circular_variance.abs() < 1e-15 && (c.vector_angle - 90.0).abs() < 1e-12);
        let b = &r.units[1];
        assert_eq!(b.selectivity_index, Some(0.0));
        assert_eq!(b.preferred_value, 0.0);
        assert!((b.circular.as_ref().unwrap().circular_variance - 1.0).abs() < 1e-15);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let z = r.to_npz().unwrap();
        assert_eq!(z.get("class_mean").unwrap().shape(), &[2, 2, 4]);
    }

    #[test]
    fn negative_curves_have_no_indices_and_bad_shapes_are_refused() {
        let data = TuningData {
            values: &[1.0, 2.0],
            responses: &[-1.0, 1.0],
            n_images: 1,
            units: &[0],
            labels: &[3],
        };
        let cfg = TuningConfig {
            transform: Transform::Rotation,
        };
        let r = run(&data, &cfg).unwrap();
        assert_eq!(r.units[0].selectivity_index, None);
        assert_eq!(r.units[0].circular, None);
        assert_eq!(r.units[0].sem, vec![None, None]);
        assert_eq!(r.warnings.len(), 2);
        let bad = TuningData {
            responses: &[1.0],
            ..data
        };
        assert!(run(&bad, &cfg).unwrap_err().to_string().contains("shape"));
    }
}
