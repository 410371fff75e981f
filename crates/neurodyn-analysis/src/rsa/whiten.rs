//! The whitening of an RDM vector behind `whitened-cosine` / `whitened-pearson`: the RDM as the
//! double-centred second-moment matrix `G = −½ H D H`, stretched into the vector of its
//! off-diagonal entries (× √2, as each appears twice) and its diagonal, so that a plain cosine
//! of two such vectors is the Frobenius cosine `⟨G_a, G_b⟩ / (‖G_a‖ ‖G_b‖)`. This equals the
//! cosine in the metric `V⁻¹` of Diedrichsen et al. 2021 (`V = Ξ ∘ Ξ`, `Ξ = C Cᵀ`, `C` the
//! pairwise contrasts), which the golden test confirms against rsatoolbox's explicit `V⁻¹` form.
//!
//! With missing pairs there is no `H D H`: the row/column effects `β` are fitted by weighted
//! least squares over the defined entries (weight ½ per pair, 1 per diagonal entry) and
//! subtracted, rsatoolbox's missing-value double centring; `β` solves `M β = Sᵀ w`,
//! `M = I + ½ Σ_(i,j) (e_i + e_j)(e_i + e_j)ᵀ` over the defined pairs (an `n × n` Cholesky).

use crate::error::{AnalysisError, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};

/// The whitened stretch of the RDM vector `v` over `n` conditions (`v[k]` is read where
/// `keep[k]`): the defined pairs (× √2) then the `n` diagonal entries.
pub(super) fn whitened(v: &[f64], n: usize, keep: &[bool]) -> Result<Vec<f64>> {
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    debug_assert_eq!(pairs.len(), v.len());
    let mut out = Vec::with_capacity(v.len() + n);
    if keep.iter().all(|&k| k) {
        // Full RDM: G = −½ (D − r_i − r_j + m), r the row means of D (zero diagonal included).
        let mut r = vec![0.0; n];
        for (&(i, j), &d) in pairs.iter().zip(v) {
            r[i] += d;
            r[j] += d;
        }
        r.iter_mut().for_each(|x| *x /= n as f64);
        let m = r.iter().sum::<f64>() / n as f64;
        for (&(i, j), &d) in pairs.iter().zip(v) {
            out.push(-0.5 * (d - r[i] - r[j] + m) * std::f64::consts::SQRT_2);
        }
        out.extend(r.iter().map(|&ri| -0.5 * (m - 2.0 * ri)));
        return Ok(out);
    }
    let mut mm = Mat::<f64>::identity(n, n);
    let mut a = Mat::<f64>::zeros(n, 1);
    for ((&(i, j), &d), &k) in pairs.iter().zip(v).zip(keep) {
        if !k {
            continue;
        }
        let w = -0.5 * d;
        a[(i, 0)] += w;
        a[(j, 0)] += w;
        mm[(i, i)] += 0.5;
        mm[(j, j)] += 0.5;
        mm[(i, j)] += 0.5;
        mm[(j, i)] += 0.5;
    }
    let llt = mm
        .llt(Side::Lower)
        .map_err(|e| AnalysisError::LinearAlgebra {
            what: "whitening an RDM with missing pairs".into(),
            message: format!("{e:?}"),
        })?;
    llt.solve_in_place(a.as_mut());
    for ((&(i, j), &d), &k) in pairs.iter().zip(v).zip(keep) {
        if k {
            out.push((-0.5 * d - 0.5 * (a[(i, 0)] + a[(j, 0)])) * std::f64::consts::SQRT_2);
        }
    }
    out.extend((0..n).map(|k| -a[(k, 0)]));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_value_path_agrees_with_double_centring_when_nothing_is_missing() {
        // Force the general path with every pair kept by going through it directly.
        let n = 6;
        let v: Vec<f64> = (0..15)
            .map(|k| ((k * 3) as f64 * 0.7).sin() + 1.2)
            .collect();
        let fast = whitened(&v, n, &[true; 15]).unwrap();
        // The weighted least-squares fit of the missing-value path, with every pair present.
        let mut mm = Mat::<f64>::identity(n, n);
        let mut a = Mat::<f64>::zeros(n, 1);
        let mut p = 0;
        for i in 0..n {
            for j in i + 1..n {
                a[(i, 0)] += -0.5 * v[p];
                a[(j, 0)] += -0.5 * v[p];
                for (x, y) in [(i, i), (j, j), (i, j), (j, i)] {
                    mm[(x, y)] += 0.5;
                }
                p += 1;
            }
        }
        let b = mm.llt(Side::Lower).unwrap().solve(a.as_ref());
        for k in 0..n {
            assert!((fast[15 + k] + b[(k, 0)]).abs() < 1e-12);
        }
    }
}
