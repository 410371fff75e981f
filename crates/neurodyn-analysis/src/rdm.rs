//! Representational dissimilarity matrices (RDMs) between conditions, and the category index.
//!
//! Conditions are the rows of a labelled [`Features`] matrix (one layer's activations on a set of
//! images): either single images (`conditions = "images"`, rows sorted by class, file order kept
//! within a class) or the mean pattern of each class (`"class-means"`). `max_per_class = k` keeps
//! the first `k` images of each class in file order (deterministic subsampling).
//!
//! Methods, for condition patterns `x`, `y` over `p` features (rsatoolbox's conventions):
//!
//! - `correlation`: `1 − r(x, y)` (Pearson r over features): rows centred and scaled to unit
//!   norm, then one GEMM. A constant row has no correlation: an error naming it, never a NaN.
//! - `euclidean`: `‖x − y‖² / p` (squared distance per feature, `rsatoolbox.rdm.calc_rdm`).
//! - `cosine`: `1 − x·y / (‖x‖‖y‖)`; an all-zero row is an error.
//! - `poisson`: the symmetrised Kullback–Leibler divergence between Poisson distributions with
//!   rates `x` and `y`, per feature: `Σ_k (x̃_k − ỹ_k)(ln x̃_k − ln ỹ_k) / p`, the rates first
//!   pulled toward a prior rate 1 with weight 0.1, `x̃ = (x + 0.1) / 1.1` (rsatoolbox's
//!   `poisson` with its defaults `prior_lambda = 1`, `prior_weight = 0.1`). For count-like
//!   data: a negative value is an error.
//!
//! Noise-normalised distances of repeated measurements (Mahalanobis, crossnobis) are in
//! [`crate::noise_rdm`].
//!
//! The **category index** is computed on the image-level RDM of the selected images (also when
//! the RDM asked for is between class means): mean dissimilarity over off-diagonal pairs of
//! images from different classes minus the mean over off-diagonal pairs from the same class.
//! `normalised_category_index` divides it by the mean over all off-diagonal entries. It is `null`
//! when no class has two images or there is a single class.

use crate::error::{AnalysisError, Result};
use crate::features::Features;
use faer::Mat;
use neurodyn_core::Npz;
use serde::{Deserialize, Serialize};

/// The dissimilarity measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RdmMethod {
    /// `1 − Pearson r`.
    #[default]
    Correlation,
    /// Squared Euclidean distance / number of features.
    Euclidean,
    /// `1 − cosine similarity`.
    Cosine,
    /// Symmetrised Poisson KL divergence per feature (non-negative data).
    Poisson,
}

impl RdmMethod {
    /// The name used in configs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            RdmMethod::Correlation => "correlation",
            RdmMethod::Euclidean => "euclidean",
            RdmMethod::Cosine => "cosine",
            RdmMethod::Poisson => "poisson",
        }
    }
}

/// What the rows and columns of the RDM are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conditions {
    /// One condition per image, sorted by class.
    #[default]
    Images,
    /// One condition per class: the mean pattern of its images.
    ClassMeans,
}

/// Options of an RDM.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdmConfig {
    /// Dissimilarity measure.
    pub method: RdmMethod,
    /// Images or class means.
    pub conditions: Conditions,
    /// Keep only the first `k` images of each class (file order); `None` = all.
    pub max_per_class: Option<usize>,
}

/// An RDM and the category index of one layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RdmResult {
    /// The layer (matrix) name.
    pub name: String,
    /// Dissimilarity measure.
    pub method: RdmMethod,
    /// Images or class means.
    pub conditions: Conditions,
    /// Features per pattern.
    pub n_features: usize,
    /// Number of conditions (rows and columns of `rdm`).
    pub n_conditions: usize,
    /// Class label of each condition.
    pub condition_labels: Vec<i64>,
    /// Input rows of the images used, in condition order (for class means: the images averaged,
    /// grouped by class).
    pub rows_used: Vec<usize>,
    /// The distinct classes, ascending.
    pub classes: Vec<i64>,
    /// Row-major `(n_conditions, n_conditions)` dissimilarities (zero diagonal, symmetric).
    #[serde(skip)]
    pub rdm: Vec<f64>,
    /// Mean dissimilarity between images of the same class (off-diagonal).
    pub mean_within: Option<f64>,
    /// Mean dissimilarity between images of different classes.
    pub mean_between: Option<f64>,
    /// Mean over every off-diagonal entry of the image-level RDM.
    pub mean_off_diagonal: f64,
    /// `mean_between − mean_within`.
    pub category_index: Option<f64>,
    /// `category_index / mean_off_diagonal`.
    pub normalised_category_index: Option<f64>,
}

impl RdmResult {
    /// Arrays for `.npz`: `rdm` `(n, n)`, `labels` `(n,)`, `rows` (input rows used).
    pub fn to_npz(&self) -> Result<Npz> {
        let mut z = Npz::new();
        self.add_to(&mut z, "")?;
        Ok(z)
    }

    /// Add `{prefix}rdm`, `{prefix}labels` and `{prefix}rows` to `z` (several layers in one file).
    pub fn add_to(&self, z: &mut Npz, prefix: &str) -> Result<()> {
        let n = self.n_conditions;
        z.f64(&format!("{prefix}rdm"), &[n, n], self.rdm.clone())?;
        z.i64(
            &format!("{prefix}labels"),
            &[n],
            self.condition_labels.clone(),
        )?;
        let rows = self.rows_used.iter().map(|&r| r as i64).collect::<Vec<_>>();
        z.i64(&format!("{prefix}rows"), &[rows.len()], rows)?;
        Ok(())
    }
}

/// The selected rows, grouped by class (ascending), file order within a class.
fn select_rows(x: &Features, max_per_class: Option<usize>) -> Vec<usize> {
    let mut rows = Vec::new();
    for c in x.classes() {
        let k = max_per_class.unwrap_or(usize::MAX);
        rows.extend((0..x.n_rows).filter(|&i| x.labels[i] == c).take(k));
    }
    rows
}

/// Compute the RDM and the category index of `x`.
pub fn run(x: &Features, config: &RdmConfig) -> Result<RdmResult> {
    x.validate()?;
    if config.max_per_class == Some(0) {
        return Err(AnalysisError::config("max_per_class", "must be at least 1"));
    }
    let rows = select_rows(x, config.max_per_class);
    let labels: Vec<i64> = rows.iter().map(|&i| x.labels[i]).collect();
    let classes = x.classes();
    let p = x.n_features;
    let patterns: Vec<&[f64]> = rows.iter().map(|&i| x.row(i)).collect();
    let names: Vec<String> = rows
        .iter()
        .map(|&i| format!("image row {i} (label {})", x.labels[i]))
        .collect();
    let image_rdm = dissimilarity_of_rows(x.name, &patterns, p, &names, config.method)?;
    let ci = category_index(&image_rdm, &labels);
    let (rdm, condition_labels) = match config.conditions {
        Conditions::Images => (image_rdm, labels),
        Conditions::ClassMeans => {
            let mut means = vec![0.0; classes.len() * p];
            for (c, &class) in classes.iter().enumerate() {
                let members: Vec<usize> = (0..rows.len()).filter(|&r| labels[r] == class).collect();
                let m = &mut means[c * p..(c + 1) * p];
                for &r in &members {
                    for (mj, v) in m.iter_mut().zip(patterns[r]) {
                        *mj += v;
                    }
                }
                m.iter_mut().for_each(|v| *v /= members.len() as f64);
            }
            let names: Vec<String> = classes.iter().map(|c| format!("class {c} mean")).collect();
            (
                dissimilarity(x.name, &means, p, &names, config.method)?,
                classes.clone(),
            )
        }
    };
    Ok(RdmResult {
        name: x.name.to_string(),
        method: config.method,
        conditions: config.conditions,
        n_features: p,
        n_conditions: condition_labels.len(),
        condition_labels,
        rows_used: rows,
        classes,
        rdm,
        mean_within: ci.within,
        mean_between: ci.between,
        mean_off_diagonal: ci.off_diagonal,
        category_index: ci.index,
        normalised_category_index: ci.normalised,
    })
}

/// Means of an RDM's off-diagonal entries by class relation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CategoryIndex {
    /// Same-class pairs (`None` if there are none).
    pub within: Option<f64>,
    /// Different-class pairs (`None` if there are none).
    pub between: Option<f64>,
    /// Every off-diagonal pair.
    pub off_diagonal: f64,
    /// `between − within`.
    pub index: Option<f64>,
    /// `index / off_diagonal`.
    pub normalised: Option<f64>,
}

/// The category index of a square `rdm` whose conditions have `labels`.
pub fn category_index(rdm: &[f64], labels: &[i64]) -> CategoryIndex {
    let n = labels.len();
    let (mut sw, mut nw, mut sb, mut nb) = (0.0, 0usize, 0.0, 0usize);
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let d = rdm[i * n + j];
            if labels[i] == labels[j] {
                sw += d;
                nw += 1;
            } else {
                sb += d;
                nb += 1;
            }
        }
    }
    let within = (nw > 0).then(|| sw / nw as f64);
    let between = (nb > 0).then(|| sb / nb as f64);
    let off_diagonal = (sw + sb) / (nw + nb).max(1) as f64;
    let index = within.zip(between).map(|(w, b)| b - w);
    let normalised = index
        .filter(|_| off_diagonal > 0.0)
        .map(|i| i / off_diagonal);
    CategoryIndex {
        within,
        between,
        off_diagonal,
        index,
        normalised,
    }
}

/// The `(n, n)` RDM (row-major) of `n = data.len() / p` patterns; `names[i]` names pattern `i`
/// in errors (a constant row for correlation, a zero row for cosine).
pub fn dissimilarity(
    what: &str,
    data: &[f64],
    p: usize,
    names: &[String],
    method: RdmMethod,
) -> Result<Vec<f64>> {
    let n = names.len();
    if p == 0 || data.len() != n * p {
        return Err(AnalysisError::shape(
            format!("'{what}' patterns"),
            &[n, p],
            &[data.len()],
        ));
    }
    if n < 2 {
        return Err(AnalysisError::empty(format!(
            "'{what}': an RDM needs at least 2 conditions, got {n}"
        )));
    }
    if single_precision(method, n, p) {
        let rows: Vec<&[f64]> = data.chunks_exact(p).collect();
        return unit_rdm_f32(what, &rows, p, names, method == RdmMethod::Correlation);
    }
    dissimilarity_f64(what, data, p, names, method)
}

/// The RDM of the patterns `rows` (each `p` long, e.g. a layer's selected images, read in
/// place), as [`dissimilarity`].
pub fn dissimilarity_of_rows(
    what: &str,
    rows: &[&[f64]],
    p: usize,
    names: &[String],
    method: RdmMethod,
) -> Result<Vec<f64>> {
    if rows.len() >= 2
        && single_precision(method, rows.len(), p)
        && rows.iter().all(|r| r.len() == p)
        && names.len() == rows.len()
    {
        return unit_rdm_f32(what, rows, p, names, method == RdmMethod::Correlation);
    }
    let data: Vec<f64> = rows.iter().flat_map(|r| r.iter()).copied().collect();
    dissimilarity(what, &data, p, names, method)
}

/// The correlation (`centre`) or cosine RDM of many patterns: each pattern centred and scaled to
/// unit length as it is copied, in f32, into a column of one matrix (rows split over threads),
/// then one triangular f32 product. Unit vectors' products are bounded, so single precision
/// costs ≈ 1e-6 absolute, nothing an RDM can show, for twice the speed of f64.
fn unit_rdm_f32(
    what: &str,
    rows: &[&[f64]],
    p: usize,
    names: &[String],
    centre: bool,
) -> Result<Vec<f64>> {
    let n = rows.len();
    // Column-major (p, n): pattern i is the contiguous column i.
    let mut buf = vec![0.0f32; n * p];
    let threads = faer::get_global_parallelism().degree().clamp(1, 16);
    let per = n.div_ceil(threads);
    let mut bad: Vec<Option<usize>> = vec![None; threads];
    std::thread::scope(|s| {
        for ((t, cols), b) in buf.chunks_mut(per * p).enumerate().zip(bad.iter_mut()) {
            s.spawn(move || {
                for (k, col) in cols.chunks_exact_mut(p).enumerate() {
                    let i = t * per + k;
                    let x = rows[i];
                    let mean = if centre {
                        x.iter().sum::<f64>() / p as f64
                    } else {
                        0.0
                    };
                    let (mut ss, mut scale) = (0.0f64, 0.0f64);
                    for &v in x {
                        ss += (v - mean) * (v - mean);
                        scale = scale.max(v.abs());
                    }
                    let norm = ss.sqrt();
                    if norm == 0.0 || norm <= 1e-12 * scale * (p as f64).sqrt() {
                        *b = Some(i);
                        return;
                    }
                    for (o, &v) in col.iter_mut().zip(x) {
                        *o = ((v - mean) / norm) as f32;
                    }
                }
            });
        }
    });
    let z = faer::MatRef::from_column_major_slice(&buf, p, n);
    if let Some(i) = bad.iter().flatten().min() {
        return Err(undefined_row(what, *i, &names[*i], centre));
    }
    let mut g = Mat::<f32>::zeros(n, n);
    faer::linalg::matmul::triangular::matmul(
        g.as_mut(),
        faer::linalg::matmul::triangular::BlockStructure::TriangularLower,
        faer::Accum::Replace,
        z.transpose(),
        faer::linalg::matmul::triangular::BlockStructure::Rectangular,
        z.as_ref(),
        faer::linalg::matmul::triangular::BlockStructure::Rectangular,
        1.0f32,
        faer::get_global_parallelism(),
    );
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        for i in j + 1..n {
            let v = 1.0 - f64::from(g[(i, j)]);
            out[i * n + j] = v;
            out[j * n + i] = v;
        }
    }
    Ok(out)
}

/// The error for a pattern without a direction.
fn undefined_row(what: &str, i: usize, name: &str, centre: bool) -> AnalysisError {
    let (method, why) = if centre {
        (
            "correlation",
            "is constant across features, so its correlation is undefined",
        )
    } else {
        (
            "cosine",
            "is all zeros, so its cosine similarity is undefined",
        )
    };
    AnalysisError::config(
        format!("{what} ({method} RDM)"),
        format!("condition {i}, {name} {why}"),
    )
}

/// Whether an RDM of `n` patterns of `p` features goes through [`unit_rdm_f32`].
fn single_precision(method: RdmMethod, n: usize, p: usize) -> bool {
    matches!(method, RdmMethod::Correlation | RdmMethod::Cosine) && n * n * p >= F32_GRAM_WORK
}

/// [`dissimilarity`] in double precision (its shape checks done).
fn dissimilarity_f64(
    what: &str,
    data: &[f64],
    p: usize,
    names: &[String],
    method: RdmMethod,
) -> Result<Vec<f64>> {
    let n = names.len();
    // Patterns as the columns of a (p, n) matrix: faer is column-major, so each pattern is
    // contiguous and the Gram matrix is one GEMM `ZᵀZ`.
    let mut buf = data.to_vec();
    let mut out = vec![0.0; n * n];
    match method {
        RdmMethod::Poisson => poisson(what, data, n, p, names, &mut out)?,
        RdmMethod::Correlation | RdmMethod::Cosine => {
            let centre = method == RdmMethod::Correlation;
            for (i, row) in buf.chunks_exact_mut(p).enumerate() {
                if centre {
                    let mean = row.iter().sum::<f64>() / p as f64;
                    row.iter_mut().for_each(|v| *v -= mean);
                }
                let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                // A row that is constant to rounding error has no direction either.
                let scale = data[i * p..(i + 1) * p]
                    .iter()
                    .fold(0.0f64, |m, v| m.max(v.abs()));
                if norm == 0.0 || norm <= 1e-12 * scale * (p as f64).sqrt() {
                    return Err(undefined_row(what, i, &names[i], centre));
                }
                row.iter_mut().for_each(|v| *v /= norm);
            }
            let g = gram(&buf, n, p);
            for i in 0..n {
                for j in 0..n {
                    out[i * n + j] = if i == j { 0.0 } else { 1.0 - g[(i, j)] };
                }
            }
        }
        RdmMethod::Euclidean => {
            // Centre the columns first (distances do not change; cancellation shrinks).
            let mut mean = vec![0.0; p];
            for row in buf.chunks_exact(p) {
                mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
            }
            mean.iter_mut().for_each(|m| *m /= n as f64);
            for row in buf.chunks_exact_mut(p) {
                row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
            }
            let sq: Vec<f64> = buf
                .chunks_exact(p)
                .map(|r| r.iter().map(|v| v * v).sum())
                .collect();
            let g = gram(&buf, n, p);
            for i in 0..n {
                for j in 0..n {
                    out[i * n + j] = if i == j {
                        0.0
                    } else {
                        ((sq[i] + sq[j] - 2.0 * g[(i, j)]) / p as f64).max(0.0)
                    };
                }
            }
        }
    }
    // Exactly symmetric.
    for i in 0..n {
        for j in i + 1..n {
            let v = 0.5 * (out[i * n + j] + out[j * n + i]);
            out[i * n + j] = v;
            out[j * n + i] = v;
        }
    }
    Ok(out)
}

/// The Poisson-KL RDM of `n` non-negative patterns into `out` (see the module docs).
fn poisson(
    what: &str,
    data: &[f64],
    n: usize,
    p: usize,
    names: &[String],
    out: &mut [f64],
) -> Result<()> {
    const PRIOR_RATE: f64 = 1.0;
    const PRIOR_WEIGHT: f64 = 0.1;
    if let Some(k) = data.iter().position(|v| *v < 0.0) {
        return Err(AnalysisError::config(
            format!("{what} (poisson RDM)"),
            format!(
                "value {} of condition {}, {}, feature {} is negative; the Poisson divergence \
                 needs non-negative (count-like) data",
                data[k],
                k / p,
                names[k / p],
                k % p
            ),
        ));
    }
    let rate: Vec<f64> = data
        .iter()
        .map(|v| (v + PRIOR_RATE * PRIOR_WEIGHT) / (1.0 + PRIOR_WEIGHT))
        .collect();
    let log: Vec<f64> = rate.iter().map(|v| v.ln()).collect();
    for i in 0..n {
        for j in i + 1..n {
            let d: f64 = (0..p)
                .map(|k| (rate[i * p + k] - rate[j * p + k]) * (log[i * p + k] - log[j * p + k]))
                .sum::<f64>()
                / p as f64;
            out[i * n + j] = d;
            out[j * n + i] = d;
        }
    }
    Ok(())
}

/// Above this many multiply-adds (`n² p`, e.g. 1,000 conditions × 134 features) the correlation
/// and cosine Grams are computed in f32.
pub const F32_GRAM_WORK: usize = 1 << 27;

/// `X Xᵀ` of the row-major `(n, p)` matrix `x`, as one GEMM.
fn gram(x: &[f64], n: usize, p: usize) -> Mat<f64> {
    use faer::linalg::matmul::triangular::{matmul, BlockStructure};
    let z = Mat::<f64>::from_fn(p, n, |j, i| x[i * p + j]);
    // Only the lower triangle (half the flops of a full GEMM), then mirrored.
    let mut g = Mat::<f64>::zeros(n, n);
    matmul(
        g.as_mut(),
        BlockStructure::TriangularLower,
        faer::Accum::Replace,
        z.transpose(),
        BlockStructure::Rectangular,
        z.as_ref(),
        BlockStructure::Rectangular,
        1.0,
        faer::get_global_parallelism(),
    );
    for j in 0..n {
        for i in 0..j {
            g[(i, j)] = g[(j, i)];
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_index_by_hand() {
        // Two classes of two: within pairs 1 and 3 (mean 2), between pairs 4, 5, 6, 7 (mean 5.5).
        #[rustfmt::skip]
        let d = [
            0.0, 1.0, 4.0, 5.0,
            1.0, 0.0, 6.0, 7.0,
            4.0, 6.0, 0.0, 3.0,
            5.0, 7.0, 3.0, 0.0,
        ];
        let c = category_index(&d, &[0, 0, 1, 1]);
        assert_eq!(c.within, Some(2.0));
        assert_eq!(c.between, Some(5.5));
        assert_eq!(c.index, Some(3.5));
        assert_eq!(c.off_diagonal, 26.0 / 6.0);
        assert_eq!(c.normalised, Some(3.5 / (26.0 / 6.0)));
        assert_eq!(category_index(&d, &[0, 1, 2, 3]).index, None);
    }

    #[test]
    fn methods_agree_with_their_definitions() {
        let x = [1.0, 2.0, 4.0, 3.0, 1.0, 0.5, -1.0, 2.0, 2.0];
        let names: Vec<String> = (0..3).map(|i| i.to_string()).collect();
        let (a, b) = (&x[0..3], &x[3..6]);
        let e = dissimilarity("x", &x, 3, &names, RdmMethod::Euclidean).unwrap();
        let want: f64 = a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>() / 3.0;
        assert!((e[1] - want).abs() < 1e-14 && e[3] == e[1] && e[0] == 0.0);
        let c = dissimilarity("x", &x, 3, &names, RdmMethod::Cosine).unwrap();
        let dot: f64 = a.iter().zip(b).map(|(p, q)| p * q).sum();
        let n = |v: &[f64]| v.iter().map(|p| p * p).sum::<f64>().sqrt();
        assert!((c[1] - (1.0 - dot / (n(a) * n(b)))).abs() < 1e-14);
        // Correlation is shift- and scale-invariant per row.
        let y: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(k, v)| if k < 3 { 10.0 + 3.0 * v } else { *v })
            .collect();
        let r1 = dissimilarity("x", &x, 3, &names, RdmMethod::Correlation).unwrap();
        let r2 = dissimilarity("y", &y, 3, &names, RdmMethod::Correlation).unwrap();
        for (p, q) in r1.iter().zip(&r2) {
            assert!((p - q).abs() < 1e-12);
        }
    }

    #[test]
    fn large_rdms_in_single_precision_agree_with_double_to_1e_5() {
        let (n, p) = (200, 3400);
        assert!(n * n * p >= F32_GRAM_WORK);
        let data: Vec<f64> = (0..n * p)
            .map(|k| ((k as f64) * 0.618_033_988_7).fract() * (1.0 + (k / p) as f64 * 0.01))
            .collect();
        let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        for m in [RdmMethod::Correlation, RdmMethod::Cosine] {
            let fast = dissimilarity("x", &data, p, &names, m).expect("f32");
            let slow = dissimilarity_f64("x", &data, p, &names, m).expect("f64");
            let worst = fast
                .iter()
                .zip(&slow)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-5 && worst > 0.0, "{m:?}: {worst:e}");
            for i in 0..n {
                assert_eq!(fast[i * n + i], 0.0);
            }
        }
        let mut flat = data.clone();
        flat[7 * p..8 * p].fill(0.25);
        let e = dissimilarity("x", &flat, p, &names, RdmMethod::Correlation).unwrap_err();
        assert!(e.to_string().contains("condition 7, c7 is constant"), "{e}");
    }
}
