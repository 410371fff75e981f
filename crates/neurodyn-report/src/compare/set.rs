//! [`ResponseSet`]: one `(condition, feature)` or `(condition, repeat, feature)` array read
//! from an npz file, checked, with its condition means and its RDM.

use super::CompareRdm;
use crate::error::{Context, Result};
use neurodyn_analysis::noise_rdm::{self, Repeats};
use neurodyn_analysis::rdm::{self, RdmMethod};
use neurodyn_analysis::rsa;
use neurodyn_core::Npz;
use std::path::Path;

/// One response set: `(condition, repeat, feature)` values (`n_repeats = 1` for 2-D input).
pub struct ResponseSet {
    /// Where it came from: the file, or what the caller calls it.
    pub source: String,
    /// `FILE: array 'KEY'`, used in messages.
    pub label: String,
    /// The array's name.
    pub key: String,
    /// Its shape as stored.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f64>,
    /// Conditions (first axis).
    pub n_conditions: usize,
    /// Repeats (1 for a 2-D array).
    pub n_repeats: usize,
    /// Features (last axis).
    pub n_features: usize,
}

impl ResponseSet {
    /// Read the response set of `path`: the array `key`, or the file's only 2-D/3-D array.
    pub fn load(path: &Path, key: Option<&str>) -> Result<ResponseSet> {
        let z = Npz::load(path).with_context(|| format!("reading {}", path.display()))?;
        let shown = path.display();
        let (key, a) = match key {
            Some(k) => (k.to_string(), z.require(k, path)?),
            None => {
                let found: Vec<&(String, _)> = z
                    .arrays
                    .iter()
                    .filter(|(_, a)| matches!(a.shape().len(), 2 | 3))
                    .collect();
                match found.as_slice() {
                    [(k, a)] => (k.clone(), a),
                    [] => fail!(
                        "{shown} has no 2-D (condition, feature) or 3-D (condition, repeat, \
                         feature) array (it has: {})",
                        describe(&z)
                    ),
                    _ => fail!(
                        "{shown} has several 2-D/3-D arrays ({}); name one with --key (or \
                         --key-a / --key-b)",
                        describe(&z)
                    ),
                }
            }
        };
        let shape = a.shape().to_vec();
        Self::from_values(shown.to_string(), key, shape, a.to_f64())
    }

    /// A response set from values in memory (`source` and `key` name it in messages), with the
    /// checks [`ResponseSet::load`] makes: 2-D or 3-D, at least 3 conditions, every value finite.
    pub fn from_values(
        source: String,
        key: String,
        shape: Vec<usize>,
        data: Vec<f64>,
    ) -> Result<ResponseSet> {
        let label = format!("{source}: array '{key}'");
        let (c, r, p) = match shape.as_slice() {
            [c, p] => (*c, 1, *p),
            [c, r, p] => (*c, *r, *p),
            _ => fail!(
                "{label} has shape {shape:?}; compare needs (condition, feature) or (condition, \
                 repeat, feature)"
            ),
        };
        if c * r * p == 0 {
            fail!("{label} is empty (shape {shape:?})");
        }
        if c < 3 {
            fail!("{label} has {c} condition(s); comparing representations needs at least 3");
        }
        if data.len() != c * r * p {
            fail!(
                "{label} holds {} values, not the {} of shape {shape:?}",
                data.len(),
                c * r * p
            );
        }
        if let Some(k) = data.iter().position(|v| !v.is_finite()) {
            let at = if shape.len() == 3 {
                format!(
                    "condition {}, repeat {}, feature {}",
                    k / (r * p),
                    k / p % r,
                    k % p
                )
            } else {
                format!("condition {}, feature {}", k / p, k % p)
            };
            fail!("{label}: value {} at {at} is not finite", data[k]);
        }
        Ok(ResponseSet {
            source,
            label,
            key,
            shape,
            data,
            n_conditions: c,
            n_repeats: r,
            n_features: p,
        })
    }

    /// `(condition, feature)` means over repeats.
    pub fn means(&self) -> Vec<f64> {
        self.repeats().means()
    }

    /// The values as [`Repeats`].
    pub fn repeats(&self) -> Repeats<'_> {
        Repeats {
            name: &self.label,
            data: &self.data,
            n_conditions: self.n_conditions,
            n_repeats: self.n_repeats,
            n_features: self.n_features,
        }
    }

    /// Features constant over the conditions (of the means).
    pub fn constant_features(&self) -> usize {
        let (m, p) = (self.means(), self.n_features);
        (0..p)
            .filter(|&j| (0..self.n_conditions).all(|i| m[i * p + j] == m[j]))
            .count()
    }

    /// The upper triangle of the RDM of each repeat on its own (`None` for the Mahalanobis and
    /// crossnobis RDMs, which need every repeat at once).
    pub fn repeat_rdms(&self, how: CompareRdm) -> Result<Option<Vec<Vec<f64>>>> {
        let Some(m) = one_pass_method(how) else {
            return Ok(None);
        };
        let (n, r, p) = (self.n_conditions, self.n_repeats, self.n_features);
        let names: Vec<String> = (0..n).map(|i| format!("condition {i}")).collect();
        (0..r)
            .map(|k| {
                let x: Vec<f64> = (0..n)
                    .flat_map(|c| &self.data[(c * r + k) * p..(c * r + k + 1) * p])
                    .copied()
                    .collect();
                let label = format!("{} repeat {k}", self.label);
                let full = rdm::dissimilarity(&label, &x, p, &names, m)?;
                Ok(rsa::upper_triangle(&full, n))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The upper triangle of this set's RDM.
    pub fn rdm(&self, how: CompareRdm) -> Result<Vec<f64>> {
        let (n, p) = (self.n_conditions, self.n_features);
        let names: Vec<String> = (0..n).map(|i| format!("condition {i}")).collect();
        let need_repeats = |what: &str| -> Result<()> {
            if self.n_repeats < 2 {
                fail!(
                    "{}: the {what} RDM needs repeated measurements, a 3-D (condition, repeat, \
                     feature) array with at least 2 repeats; it has shape {:?}",
                    self.label,
                    self.shape
                );
            }
            Ok(())
        };
        let full = match one_pass_method(how) {
            Some(m) => rdm::dissimilarity(&self.label, &self.means(), p, &names, m)?,
            None => {
                need_repeats(if how == CompareRdm::Mahalanobis {
                    "mahalanobis"
                } else {
                    "crossnobis"
                })?;
                let x = self.repeats();
                let cov = x.noise_covariance(None)?;
                let prec = noise_rdm::precision(&self.label, &cov, p)?;
                if how == CompareRdm::Mahalanobis {
                    noise_rdm::mahalanobis(&self.label, &x.means(), n, p, &prec)?
                } else {
                    noise_rdm::crossnobis(&x, &prec)?
                }
            }
        };
        Ok(rsa::upper_triangle(&full, n))
    }
}

/// The library's measure for the RDMs made from one set of patterns (`None`: Mahalanobis and
/// crossnobis, which need the repeats).
fn one_pass_method(how: CompareRdm) -> Option<RdmMethod> {
    match how {
        CompareRdm::Correlation => Some(RdmMethod::Correlation),
        CompareRdm::Euclidean => Some(RdmMethod::Euclidean),
        CompareRdm::Cosine => Some(RdmMethod::Cosine),
        CompareRdm::Poisson => Some(RdmMethod::Poisson),
        CompareRdm::Mahalanobis | CompareRdm::Crossnobis => None,
    }
}

fn describe(z: &Npz) -> String {
    if z.arrays.is_empty() {
        return "no arrays".into();
    }
    z.arrays
        .iter()
        .map(|(k, a)| format!("{k} {:?}", a.shape()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_only_response_array_and_averages_repeats() {
        let dir = std::env::temp_dir().join(format!("neurodyn-report-set-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("r.npz");
        let mut z = Npz::new();
        z.i64("labels", &[3], vec![0, 1, 2]).expect("labels");
        // 3 conditions, 2 repeats, 2 features.
        let data = vec![1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 2.0, 2.0, 5.0, 1.0, 7.0, 3.0];
        z.f64("resp", &[3, 2, 2], data).expect("resp");
        z.save(&p).expect("save");
        let s = ResponseSet::load(&p, None).expect("load");
        assert_eq!(
            (s.key.as_str(), s.n_conditions, s.n_repeats, s.n_features),
            ("resp", 3, 2, 2)
        );
        assert_eq!(s.means(), [2.0, 3.0, 1.0, 1.0, 6.0, 2.0]);
        assert_eq!(s.constant_features(), 0);
        assert!(s.rdm(CompareRdm::Crossnobis).is_ok());
        z.f64("other", &[3, 4], vec![0.5; 12]).expect("other");
        z.save(&p).expect("save");
        let e = ResponseSet::load(&p, None)
            .err()
            .expect("two arrays")
            .to_string();
        assert!(
            e.contains("resp [3, 2, 2]") && e.contains("other [3, 4]"),
            "{e}"
        );
        let o = ResponseSet::load(&p, Some("other")).expect("named");
        assert_eq!(o.constant_features(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
