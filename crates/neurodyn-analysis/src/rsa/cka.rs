//! Linear CKA (Kornblith et al. 2019): the normalised HSIC of two response matrices over the
//! same conditions, `‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)` with centred columns; equal to the
//! Frobenius cosine of the Gram matrices `XXᵀ`, `YYᵀ`, the cheaper form when the features far
//! outnumber the conditions. In `[0, 1]`; invariant to orthogonal transforms and isotropic
//! scaling of either matrix, not to arbitrary invertible maps.

use crate::error::{AnalysisError, Result};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

/// Columns centred, as a faer `(n, p)` matrix; an error when every column is constant.
fn centred(what: &str, x: &[f64], n: usize, p: usize) -> Result<Mat<f64>> {
    if p == 0 || x.len() != n * p {
        return Err(AnalysisError::shape(
            format!("'{what}' responses"),
            &[n, p],
            &[x.len()],
        ));
    }
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        return Err(AnalysisError::config(
            what,
            format!(
                "value {} at condition {}, feature {} is not finite",
                x[k],
                k / p,
                k % p
            ),
        ));
    }
    let mut mean = vec![0.0; p];
    for row in x.chunks_exact(p) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let m = Mat::from_fn(n, p, |i, j| x[i * p + j] - mean[j]);
    let scale = x.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    if m.norm_l2() <= 1e-12 * scale * ((n * p) as f64).sqrt() {
        return Err(AnalysisError::config(
            what,
            "every feature is constant over the conditions: CKA is undefined",
        ));
    }
    Ok(m)
}

fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    matmul(c.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    c
}

/// Linear CKA between the row-major `x (n, p)` and `y (n, q)` (rows = the same conditions).
/// Errors: shapes, fewer than 2 conditions, non-finite values, a matrix with no variation.
pub fn linear_cka(x: &[f64], y: &[f64], n: usize, p: usize, q: usize) -> Result<f64> {
    if n < 2 {
        return Err(AnalysisError::empty(format!(
            "CKA needs at least 2 conditions, got {n}"
        )));
    }
    let xc = centred("first", x, n, p)?;
    let yc = centred("second", y, n, q)?;
    // Feature form costs n(pq + p² + q²) multiply-adds, the Gram form n²(p + q).
    let gram = p * q + p * p + q * q > n * (p + q);
    Ok(cka_of(xc.as_ref(), yc.as_ref(), gram))
}

/// The Gram matrix `XXᵀ` `(n, n)`, row-major, of the row-major `(n, p)` responses `x` with
/// centred columns (a layer compared with many others: one Gram each, then
/// [`cka_from_grams`] per pair).
pub fn centred_gram(what: &str, x: &[f64], n: usize, p: usize) -> Result<Vec<f64>> {
    if n < 2 {
        return Err(AnalysisError::empty(format!(
            "'{what}': CKA needs at least 2 conditions, got {n}"
        )));
    }
    let xc = centred(what, x, n, p)?;
    let k = product(xc.as_ref(), xc.transpose());
    Ok((0..n * n).map(|i| k[(i / n, i % n)]).collect())
}

/// Linear CKA from two [`centred_gram`]s of the same conditions: `⟨K, L⟩ / (‖K‖ ‖L‖)`.
pub fn cka_from_grams(k: &[f64], l: &[f64]) -> Result<f64> {
    if k.len() != l.len() {
        return Err(AnalysisError::shape(
            "the second Gram matrix",
            &[k.len()],
            &[l.len()],
        ));
    }
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (kk, ll) = (dot(k, k).sqrt(), dot(l, l).sqrt());
    if kk == 0.0 || ll == 0.0 {
        return Err(AnalysisError::empty(
            "CKA of a response matrix without variation",
        ));
    }
    Ok((dot(k, l) / (kk * ll)).clamp(0.0, 1.0))
}

/// CKA of column-centred matrices, by the Gram form or the feature (HSIC) form.
fn cka_of(xc: MatRef<'_, f64>, yc: MatRef<'_, f64>, gram: bool) -> f64 {
    let n = xc.nrows();
    let (cross, xx, yy) = if !gram {
        (
            product(yc.transpose(), xc).squared_norm_l2(),
            product(xc.transpose(), xc).norm_l2(),
            product(yc.transpose(), yc).norm_l2(),
        )
    } else {
        let k = product(xc, xc.transpose());
        let l = product(yc, yc.transpose());
        let kl: f64 = (0..n)
            .flat_map(|j| (0..n).map(move |i| (i, j)))
            .map(|(i, j)| k[(i, j)] * l[(i, j)])
            .sum();
        (kl, k.norm_l2(), l.norm_l2())
    };
    (cross / (xx * yy)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, p: usize, s: f64) -> Vec<f64> {
        (0..n * p)
            .map(|k| ((k as f64) * s).sin() + 0.1 * (k % 3) as f64)
            .collect()
    }

    #[test]
    fn identity_invariances_and_both_forms_agree() {
        let (n, p) = (12, 3);
        let x = data(n, p, 0.77);
        assert!((linear_cka(&x, &x, n, p, p).unwrap() - 1.0).abs() < 1e-12);
        // Rotation in the plane of features 0 and 1, scaling by 5, a shift: CKA unchanged.
        let (c, s) = (0.6, 0.8);
        let y: Vec<f64> = x
            .chunks_exact(p)
            .flat_map(|r| {
                [
                    5.0 * (c * r[0] - s * r[1]) + 2.0,
                    5.0 * (s * r[0] + c * r[1]),
                    5.0 * r[2],
                ]
            })
            .collect();
        assert!((linear_cka(&x, &y, n, p, p).unwrap() - 1.0).abs() < 1e-12);
        // Wide y (Gram form) against a narrow copy (feature form): same number both ways.
        let w = data(n, 40, 0.31);
        let (xc, wc) = (
            centred("x", &x, n, p).unwrap(),
            centred("w", &w, n, 40).unwrap(),
        );
        let by_gram = cka_of(xc.as_ref(), wc.as_ref(), true);
        let by_features = cka_of(xc.as_ref(), wc.as_ref(), false);
        assert!(
            (by_gram - by_features).abs() < 1e-12,
            "{by_gram} {by_features}"
        );
        assert!(by_gram > 0.0 && by_gram < 1.0);
        assert_eq!(linear_cka(&x, &w, n, p, 40).unwrap(), by_gram);
    }

    #[test]
    fn cka_is_the_whitened_cosine_of_squared_euclidean_rdms() {
        // −½ H D H = H X Xᵀ H for D the squared distances: the two measures coincide.
        let (n, p, q) = (9, 4, 6);
        let (x, y) = (data(n, p, 0.41), data(n, q, 0.23));
        let names: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let rdm = |v: &[f64], m| {
            let d = crate::rdm::dissimilarity("v", v, m, &names, crate::rdm::RdmMethod::Euclidean);
            super::super::upper_triangle(&d.unwrap(), n)
        };
        let w = super::super::compare(
            &rdm(&x, p),
            &rdm(&y, q),
            super::super::RsaMethod::WhitenedCosine,
        );
        let c = linear_cka(&x, &y, n, p, q).unwrap();
        let g = cka_from_grams(
            &centred_gram("x", &x, n, p).unwrap(),
            &centred_gram("y", &y, n, q).unwrap(),
        );
        assert!(
            (w.unwrap() - c).abs() < 1e-12 && (g.unwrap() - c).abs() < 1e-12,
            "{c}"
        );
    }

    #[test]
    fn refusals() {
        let x = data(5, 2, 0.5);
        assert!(linear_cka(&x, &[1.0; 10], 5, 2, 2).is_err());
        assert!(linear_cka(&x, &x[..8], 5, 2, 2).is_err());
        let mut bad = x.clone();
        bad[3] = f64::NAN;
        assert!(linear_cka(&x, &bad, 5, 2, 2).is_err());
        assert!(linear_cka(&x[..2], &x[..2], 1, 2, 2).is_err());
    }
}
