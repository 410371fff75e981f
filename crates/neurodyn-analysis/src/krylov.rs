//! Matrix-free linear algebra for states too large for a dense Jacobian (a convolutional RNN's
//! thousands of units): the operator is known only through its products `v ↦ A v`.
//!
//! - [`arnoldi`]: the eigenvalues of largest modulus and their Ritz vectors. Arnoldi iteration
//!   with full reorthogonalisation (classical Gram–Schmidt, twice), the Krylov space grown until
//!   the wanted Ritz pairs have converged or `max_dim` is reached; the Ritz values are the
//!   eigenvalues of the Hessenberg matrix (faer), and the residual of each Ritz pair,
//!   `‖A x − θ x‖ = h_{m+1,m} |e_mᵀ y|` for a unit `x = V_m y`, is its convergence check.
//! - [`gmres`]: restarted GMRES(k) for `A x = b`, Givens rotations on the Hessenberg matrix.
//! - [`newton_krylov`]: zeros of a map `G(x)` (e.g. `G(r) = F(r) − r` for the fixed points of
//!   a one-step map `F`) by Newton steps whose linear systems `J_G δ = −G` GMRES solves from
//!   Jacobian-vector products alone, with a backtracking line search on `‖G‖`.
//!
//! A network's one-step map `F` ([`MatrixFreeMap`]) enters through [`JacobianOf`] (its `J` for
//! Arnoldi) and [`FixedPointResidual`] (`F(x) − x` for Newton–Krylov). Everything is
//! deterministic: the Arnoldi start vector comes from a seeded generator.

use crate::error::{AnalysisError, Result};
use faer::Mat;
use neurodyn_core::{MatrixFreeMap, Rng};
use serde::{Deserialize, Serialize};

/// A linear operator known through its products.
pub trait LinearOperator {
    /// Dimension `n` of the (square) operator.
    fn dim(&self) -> usize;
    /// `out = A v`, both of length `n`.
    fn apply(&mut self, v: &[f64], out: &mut [f64]);
}

/// A dense row-major matrix as an operator (tests and small cases).
pub struct DenseOperator<'a> {
    /// `n × n`, row-major.
    pub a: &'a [f64],
    /// `n`.
    pub n: usize,
}

impl LinearOperator for DenseOperator<'_> {
    fn dim(&self) -> usize {
        self.n
    }
    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        for (o, row) in out.iter_mut().zip(self.a.chunks_exact(self.n)) {
            *o = dot(row, v);
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Settings of [`arnoldi`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ArnoldiConfig {
    /// Eigenvalues wanted (those of largest modulus).
    pub n_eigenvalues: usize,
    /// Largest Krylov dimension `m` (capped at the operator's dimension).
    pub max_dim: usize,
    /// A Ritz pair has converged when its residual `‖A x − θ x‖` (unit `x`) is at most this.
    pub tol: f64,
    /// Ritz pairs are computed every this many steps once the space holds `n_eigenvalues`.
    pub check_every: usize,
    /// Seed of the random start vector.
    pub seed: u64,
}

impl Default for ArnoldiConfig {
    fn default() -> Self {
        ArnoldiConfig {
            n_eigenvalues: 20,
            max_dim: 200,
            tol: 1e-8,
            check_every: 10,
            seed: 0,
        }
    }
}

/// The eigenvalues of largest modulus of an operator, with their convergence.
#[derive(Clone, Debug, Serialize)]
pub struct ArnoldiResult {
    /// Ritz values `θ` as `[re, im]`, by modulus descending (then real part, then imaginary).
    pub eigenvalues: Vec<[f64; 2]>,
    /// `‖A x − θ x‖` of each unit Ritz vector, from the Hessenberg matrix.
    pub residuals: Vec<f64>,
    /// How many of `eigenvalues` have a residual within the tolerance.
    pub n_converged: usize,
    /// Krylov dimension reached.
    pub krylov_dim: usize,
    /// The space became invariant (exact breakdown): every Ritz value is an eigenvalue.
    pub invariant: bool,
    /// Products `A v` computed.
    pub n_products: usize,
    /// Ritz vector of the first eigenvalue, unit norm, real part (phase chosen so that its
    /// largest-magnitude entry is real and positive).
    #[serde(skip)]
    pub leading_re: Vec<f64>,
    /// Its imaginary part (zero for a real eigenvalue).
    #[serde(skip)]
    pub leading_im: Vec<f64>,
    /// `‖A x − θ x‖` of that vector recomputed with one more product (a check of the
    /// Hessenberg estimate).
    pub leading_residual: f64,
}

/// A Ritz value `[re, im]`, its residual estimate and its unit eigenvector in the Krylov basis.
type RitzPair = ([f64; 2], f64, Vec<[f64; 2]>);

/// Ritz pairs of the `dim × dim` leading block of `h` (row-major, `cols` columns): values sorted
/// by modulus descending with their residual estimates `beta·|y_last|` and unit eigenvectors.
fn ritz(h: &[f64], cols: usize, dim: usize, beta: f64) -> Result<Vec<RitzPair>> {
    let m = Mat::<f64>::from_fn(dim, dim, |i, j| h[i * cols + j]);
    let evd = m.eigen().map_err(|e| AnalysisError::LinearAlgebra {
        what: "Arnoldi Hessenberg eigendecomposition".into(),
        message: format!("{e:?}"),
    })?;
    let (s, u) = (evd.S(), evd.U());
    let mut out: Vec<RitzPair> = (0..dim)
        .map(|k| {
            let y: Vec<[f64; 2]> = (0..dim).map(|i| [u[(i, k)].re, u[(i, k)].im]).collect();
            let ny = y
                .iter()
                .map(|z| z[0] * z[0] + z[1] * z[1])
                .sum::<f64>()
                .sqrt();
            let y: Vec<[f64; 2]> = if ny > 0.0 {
                y.iter().map(|z| [z[0] / ny, z[1] / ny]).collect()
            } else {
                y
            };
            let last = y[dim - 1];
            let res = beta * last[0].hypot(last[1]);
            ([s[k].re, s[k].im], res, y)
        })
        .collect();
    out.sort_by(|a, b| {
        let (za, zb) = (a.0, b.0);
        za[0]
            .hypot(za[1])
            .total_cmp(&zb[0].hypot(zb[1]))
            .reverse()
            .then(zb[0].total_cmp(&za[0]))
            .then(zb[1].total_cmp(&za[1]))
    });
    Ok(out)
}

/// The `n_eigenvalues` eigenvalues of largest modulus of `op` by Arnoldi iteration (see the
/// module's notes). Errors on a bad configuration or a non-finite product; a run that reaches
/// `max_dim` before every wanted pair converges is not an error: [`ArnoldiResult::n_converged`]
/// and the residuals say how far it got.
pub fn arnoldi(op: &mut dyn LinearOperator, cfg: &ArnoldiConfig) -> Result<ArnoldiResult> {
    let n = op.dim();
    if n == 0 || cfg.n_eigenvalues == 0 || cfg.max_dim == 0 || cfg.check_every == 0 {
        return Err(AnalysisError::InvalidConfig {
            field: "arnoldi".into(),
            message: format!(
                "needs a non-empty operator (n = {n}), n_eigenvalues ≥ 1 ({}), max_dim ≥ 1 ({}) \
                 and check_every ≥ 1 ({})",
                cfg.n_eigenvalues, cfg.max_dim, cfg.check_every
            ),
        });
    }
    if cfg.tol.is_nan() || cfg.tol <= 0.0 {
        return Err(AnalysisError::InvalidConfig {
            field: "arnoldi.tol".into(),
            message: format!("must be > 0, got {}", cfg.tol),
        });
    }
    let m = cfg.max_dim.min(n);
    let k_want = cfg.n_eigenvalues.min(m);
    let mut rng = Rng::new(cfg.seed);
    let mut basis: Vec<f64> = Vec::with_capacity((m + 1) * n);
    let mut v0: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let n0 = norm(&v0);
    v0.iter_mut().for_each(|x| *x /= n0);
    basis.extend_from_slice(&v0);
    let mut h = vec![0.0; (m + 1) * m];
    let mut w = vec![0.0; n];
    let mut coef = vec![0.0; m + 1];
    let mut n_products = 0;
    let mut pairs = Vec::new();
    let mut dim = 0;
    let mut invariant = false;
    for j in 0..m {
        op.apply(&basis[j * n..(j + 1) * n], &mut w);
        n_products += 1;
        if w.iter().any(|x| !x.is_finite()) {
            return Err(AnalysisError::LinearAlgebra {
                what: "Arnoldi".into(),
                message: format!("the operator's product {n_products} has non-finite entries"),
            });
        }
        let w_norm = norm(&w);
        // Classical Gram–Schmidt, twice ("twice is enough").
        for _ in 0..2 {
            for (i, c) in coef.iter_mut().enumerate().take(j + 1) {
                *c = dot(&basis[i * n..(i + 1) * n], &w);
            }
            for i in 0..=j {
                let c = coef[i];
                h[i * m + j] += c;
                for (x, &b) in w.iter_mut().zip(&basis[i * n..(i + 1) * n]) {
                    *x -= c * b;
                }
            }
        }
        let beta = norm(&w);
        h[(j + 1) * m + j] = beta;
        dim = j + 1;
        invariant = beta <= 1e-13 * w_norm.max(f64::MIN_POSITIVE) || beta == 0.0;
        let check = invariant
            || dim == m
            || (dim >= k_want && (dim - k_want).is_multiple_of(cfg.check_every));
        if check {
            pairs = ritz(&h, m, dim, if invariant { 0.0 } else { beta })?;
            let done = pairs.iter().take(k_want).all(|p| p.1 <= cfg.tol);
            if invariant || dim == m || (pairs.len() >= k_want && done) {
                break;
            }
        }
        basis.extend(w.iter().map(|x| x / beta));
    }
    let k = k_want.min(pairs.len());
    // The leading Ritz vector x = V y.
    let y = &pairs[0].2;
    let mut xr = vec![0.0; n];
    let mut xi = vec![0.0; n];
    for (i, z) in y.iter().enumerate() {
        let v = &basis[i * n..(i + 1) * n];
        for ((r, im), &b) in xr.iter_mut().zip(xi.iter_mut()).zip(v) {
            *r += z[0] * b;
            *im += z[1] * b;
        }
    }
    // Phase: the largest-magnitude entry real and positive; then unit norm.
    let big = (0..n)
        .max_by(|&a, &b| xr[a].hypot(xi[a]).total_cmp(&xr[b].hypot(xi[b])))
        .unwrap_or(0);
    let (pr, pi) = (xr[big], xi[big]);
    let pm = pr.hypot(pi);
    if pm > 0.0 {
        let (c, s) = (pr / pm, -pi / pm);
        for (r, im) in xr.iter_mut().zip(xi.iter_mut()) {
            let (a, b) = (*r, *im);
            *r = a * c - b * s;
            *im = a * s + b * c;
        }
    }
    let nx = (dot(&xr, &xr) + dot(&xi, &xi)).sqrt();
    if nx > 0.0 {
        xr.iter_mut().for_each(|x| *x /= nx);
        xi.iter_mut().for_each(|x| *x /= nx);
    }
    let theta = pairs[0].0;
    let leading_residual = {
        let mut ar = vec![0.0; n];
        op.apply(&xr, &mut ar);
        n_products += 1;
        let mut ai = vec![0.0; n];
        if xi.iter().any(|&x| x != 0.0) {
            op.apply(&xi, &mut ai);
            n_products += 1;
        }
        // (A − θ)(xr + i xi) = (A xr − θr xr + θi xi) + i (A xi − θr xi − θi xr)
        let mut s = 0.0;
        for t in 0..n {
            let re = ar[t] - theta[0] * xr[t] + theta[1] * xi[t];
            let im = ai[t] - theta[0] * xi[t] - theta[1] * xr[t];
            s += re * re + im * im;
        }
        s.sqrt()
    };
    let top = &pairs[..k];
    Ok(ArnoldiResult {
        eigenvalues: top.iter().map(|p| p.0).collect(),
        residuals: top.iter().map(|p| p.1).collect(),
        n_converged: top.iter().filter(|p| p.1 <= cfg.tol).count(),
        krylov_dim: dim,
        invariant,
        n_products,
        leading_re: xr,
        leading_im: xi,
        leading_residual,
    })
}

/// Settings of [`gmres`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GmresConfig {
    /// Krylov dimension before a restart.
    pub restart: usize,
    /// Largest total number of products.
    pub max_iter: usize,
    /// Stop when `‖b − A x‖ ≤ tol · ‖b‖`.
    pub tol: f64,
}

impl Default for GmresConfig {
    fn default() -> Self {
        GmresConfig {
            restart: 50,
            max_iter: 500,
            tol: 1e-10,
        }
    }
}

/// How a [`gmres`] solve ended.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct GmresResult {
    /// Products `A v` computed.
    pub iterations: usize,
    /// `‖b − A x‖ / ‖b‖` at the end (the recurrence's value).
    pub relative_residual: f64,
    /// Whether the tolerance was met.
    pub converged: bool,
}

/// Solve `A x = b` by restarted GMRES from the `x` given (its initial guess); `x` holds the
/// solution on return.
pub fn gmres(
    op: &mut dyn LinearOperator,
    b: &[f64],
    x: &mut [f64],
    cfg: &GmresConfig,
) -> GmresResult {
    let n = op.dim();
    assert!(
        b.len() == n && x.len() == n,
        "gmres: b and x must have the operator's length"
    );
    let b_norm = norm(b);
    if b_norm == 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return GmresResult {
            iterations: 0,
            relative_residual: 0.0,
            converged: true,
        };
    }
    let k = cfg.restart.clamp(1, n.max(1));
    let mut iterations = 0;
    let mut r = vec![0.0; n];
    let mut av = vec![0.0; n];
    let mut v: Vec<f64> = vec![0.0; (k + 1) * n];
    let mut h = vec![0.0; (k + 1) * k];
    let (mut cs, mut sn) = (vec![0.0; k], vec![0.0; k]);
    let mut g = vec![0.0; k + 1];
    let mut rel;
    loop {
        // r = b − A x
        op.apply(x, &mut av);
        iterations += 1;
        for ((ri, &bi), &ai) in r.iter_mut().zip(b).zip(&av) {
            *ri = bi - ai;
        }
        let r_norm = norm(&r);
        rel = r_norm / b_norm;
        if rel <= cfg.tol || iterations >= cfg.max_iter || !rel.is_finite() {
            break;
        }
        for (vi, &ri) in v[..n].iter_mut().zip(&r) {
            *vi = ri / r_norm;
        }
        g.iter_mut().for_each(|x| *x = 0.0);
        g[0] = r_norm;
        h.iter_mut().for_each(|x| *x = 0.0);
        let mut used = 0;
        for j in 0..k {
            let (done, rest) = v.split_at_mut((j + 1) * n);
            op.apply(&done[j * n..], &mut av);
            iterations += 1;
            let w = &mut rest[..n];
            w.copy_from_slice(&av);
            // Modified Gram–Schmidt.
            for i in 0..=j {
                let c = dot(&done[i * n..(i + 1) * n], w);
                h[i * k + j] = c;
                for (x, &q) in w.iter_mut().zip(&done[i * n..(i + 1) * n]) {
                    *x -= c * q;
                }
            }
            let hn = norm(w);
            h[(j + 1) * k + j] = hn;
            if hn > 0.0 {
                w.iter_mut().for_each(|x| *x /= hn);
            }
            // Apply the earlier rotations to column j, then a new one.
            for i in 0..j {
                let (a, bb) = (h[i * k + j], h[(i + 1) * k + j]);
                h[i * k + j] = cs[i] * a + sn[i] * bb;
                h[(i + 1) * k + j] = -sn[i] * a + cs[i] * bb;
            }
            let (a, bb) = (h[j * k + j], h[(j + 1) * k + j]);
            let d = a.hypot(bb);
            let (c, s) = if d == 0.0 {
                (1.0, 0.0)
            } else {
                (a / d, bb / d)
            };
            cs[j] = c;
            sn[j] = s;
            h[j * k + j] = d;
            h[(j + 1) * k + j] = 0.0;
            g[j + 1] = -s * g[j];
            g[j] *= c;
            used = j + 1;
            rel = g[j + 1].abs() / b_norm;
            if rel <= cfg.tol || iterations >= cfg.max_iter || hn == 0.0 {
                break;
            }
        }
        // Back-substitution for y, then x += V y.
        let mut y = vec![0.0; used];
        for i in (0..used).rev() {
            let mut s = g[i];
            for t in i + 1..used {
                s -= h[i * k + t] * y[t];
            }
            y[i] = if h[i * k + i] != 0.0 {
                s / h[i * k + i]
            } else {
                0.0
            };
        }
        for (i, &yi) in y.iter().enumerate() {
            for (xv, &q) in x.iter_mut().zip(&v[i * n..(i + 1) * n]) {
                *xv += yi * q;
            }
        }
        if iterations >= cfg.max_iter {
            op.apply(x, &mut av);
            let rr: f64 = b
                .iter()
                .zip(&av)
                .map(|(bi, ai)| (bi - ai) * (bi - ai))
                .sum::<f64>()
                .sqrt();
            rel = rr / b_norm;
            break;
        }
    }
    GmresResult {
        iterations,
        relative_residual: rel,
        converged: rel <= cfg.tol,
    }
}

/// A map `G: ℝⁿ → ℝⁿ` with Jacobian-vector products at the point last evaluated.
pub trait SmoothMap {
    /// `n`.
    fn dim(&self) -> usize;
    /// `g = G(x)`; later [`SmoothMap::jvp`] calls use the Jacobian at this `x`.
    fn eval(&mut self, x: &[f64], g: &mut [f64]);
    /// `out = J_G(x) v` at the `x` of the last [`SmoothMap::eval`].
    fn jvp(&mut self, v: &[f64], out: &mut [f64]);
}

/// The Jacobian of a [`MatrixFreeMap`] at its last state, as an operator (for [`arnoldi`]).
pub struct JacobianOf<'a, M: MatrixFreeMap + ?Sized>(pub &'a mut M);

impl<M: MatrixFreeMap + ?Sized> LinearOperator for JacobianOf<'_, M> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        self.0.jvp(v, out);
    }
}

/// `G(x) = F(x) − x` of a [`MatrixFreeMap`], whose zeros are its fixed points (for
/// [`newton_krylov`]).
pub struct FixedPointResidual<'a, M: MatrixFreeMap + ?Sized>(pub &'a mut M);

impl<M: MatrixFreeMap + ?Sized> SmoothMap for FixedPointResidual<'_, M> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn eval(&mut self, x: &[f64], g: &mut [f64]) {
        self.0.step(x, g);
        for (gi, xi) in g.iter_mut().zip(x) {
            *gi -= xi;
        }
    }
    fn jvp(&mut self, v: &[f64], out: &mut [f64]) {
        self.0.jvp(v, out);
        for (o, vi) in out.iter_mut().zip(v) {
            *o -= vi;
        }
    }
}

/// Settings of [`newton_krylov`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NewtonConfig {
    /// Newton steps at most.
    pub max_iter: usize,
    /// Converged when `‖G(x)‖ ≤ tol` (Euclidean norm).
    pub tol: f64,
    /// The inner linear solves (their `tol` is relative to `‖G‖`).
    pub gmres: GmresConfig,
    /// Stop when `stall` Newton steps together have not halved `‖G‖` (no fixed point near, or
    /// a kink of a piecewise-linear map that Newton keeps crossing); 0: never.
    pub stall: usize,
}

impl Default for NewtonConfig {
    fn default() -> Self {
        NewtonConfig {
            max_iter: 50,
            tol: 1e-10,
            gmres: GmresConfig {
                restart: 50,
                max_iter: 400,
                tol: 1e-8,
            },
            stall: 8,
        }
    }
}

/// How a [`newton_krylov`] search ended.
#[derive(Clone, Debug, Serialize)]
pub struct NewtonResult {
    /// The point reached.
    #[serde(skip)]
    pub x: Vec<f64>,
    /// `‖G(x)‖` there.
    pub residual: f64,
    /// `‖G‖` at the start and after each Newton step.
    pub history: Vec<f64>,
    /// Newton steps taken.
    pub iterations: usize,
    /// Jacobian-vector products the inner GMRES solves used.
    pub gmres_products: usize,
    /// Whether `‖G(x)‖ ≤ tol`.
    pub converged: bool,
    /// Why it stopped, in words.
    pub stop: String,
}

struct Shifted<'a, M: SmoothMap + ?Sized>(&'a mut M);

impl<M: SmoothMap + ?Sized> LinearOperator for Shifted<'_, M> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn apply(&mut self, v: &[f64], out: &mut [f64]) {
        self.0.jvp(v, out);
    }
}

/// A zero of `map` near `x0` by Newton–Krylov (see the module's notes). Non-convergence is not
/// an error: [`NewtonResult::converged`] and [`NewtonResult::stop`] say what happened. On return
/// the map was last evaluated at [`NewtonResult::x`].
pub fn newton_krylov(
    map: &mut dyn SmoothMap,
    x0: &[f64],
    cfg: &NewtonConfig,
) -> Result<NewtonResult> {
    let n = map.dim();
    if x0.len() != n {
        return Err(AnalysisError::ShapeMismatch {
            what: "newton_krylov start".into(),
            expected: vec![n],
            got: vec![x0.len()],
        });
    }
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    map.eval(&x, &mut g);
    let mut g_norm = norm(&g);
    if !g_norm.is_finite() {
        return Err(AnalysisError::LinearAlgebra {
            what: "newton_krylov".into(),
            message: "the map is not finite at the start".into(),
        });
    }
    let mut history = vec![g_norm];
    let mut gmres_products = 0;
    let mut trial = vec![0.0; n];
    let mut g_trial = vec![0.0; n];
    let mut delta = vec![0.0; n];
    let mut minus_g = vec![0.0; n];
    let mut iterations = 0;
    let mut stop = String::from("reached max_iter");
    while iterations < cfg.max_iter {
        if g_norm <= cfg.tol {
            stop = "‖G‖ within tolerance".into();
            break;
        }
        for (m, &v) in minus_g.iter_mut().zip(&g) {
            *m = -v;
        }
        delta.iter_mut().for_each(|v| *v = 0.0);
        let inner = gmres(&mut Shifted(&mut *map), &minus_g, &mut delta, &cfg.gmres);
        gmres_products += inner.iterations;
        // Backtracking on ‖G‖ (Armijo with a small slope).
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            for ((t, &xv), &d) in trial.iter_mut().zip(&x).zip(&delta) {
                *t = xv + step * d;
            }
            map.eval(&trial, &mut g_trial);
            let tn = norm(&g_trial);
            if tn.is_finite() && tn <= (1.0 - 1e-4 * step) * g_norm {
                accepted = true;
                x.copy_from_slice(&trial);
                g.copy_from_slice(&g_trial);
                g_norm = tn;
                break;
            }
            step *= 0.5;
        }
        iterations += 1;
        if !accepted {
            map.eval(&x, &mut g);
            stop = format!(
                "no decrease of ‖G‖ along the Newton direction (GMRES relative residual {:.1e})",
                inner.relative_residual
            );
            history.push(g_norm);
            break;
        }
        history.push(g_norm);
        let h = history.len();
        if cfg.stall > 0 && h > cfg.stall && g_norm > 0.5 * history[h - 1 - cfg.stall] {
            stop = format!(
                "stalled: {} Newton steps did not halve ‖G‖ (from {:.2e} to {g_norm:.2e})",
                cfg.stall,
                history[h - 1 - cfg.stall]
            );
            break;
        }
    }
    if g_norm <= cfg.tol {
        stop = "‖G‖ within tolerance".into();
    }
    Ok(NewtonResult {
        x,
        residual: g_norm,
        history,
        iterations,
        gmres_products,
        converged: g_norm <= cfg.tol,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Rng::new(seed);
        (0..n * n)
            .map(|_| rng.normal() / (n as f64).sqrt())
            .collect()
    }

    fn dense_eigs(a: &[f64], n: usize) -> Vec<[f64; 2]> {
        let m = Mat::<f64>::from_fn(n, n, |i, j| a[i * n + j]);
        let s = m.eigenvalues().unwrap();
        let mut e: Vec<[f64; 2]> = s.iter().map(|z| [z.re, z.im]).collect();
        e.sort_by(|a, b| {
            b[0].hypot(b[1])
                .total_cmp(&a[0].hypot(a[1]))
                .then(b[0].total_cmp(&a[0]))
                .then(b[1].total_cmp(&a[1]))
        });
        e
    }

    #[test]
    fn arnoldi_finds_the_outer_eigenvalues_of_a_matrix_with_a_gap() {
        // A random matrix (spectrum in the unit disc) plus a few outliers: the outliers are the
        // largest-modulus eigenvalues and Arnoldi must find them to high accuracy.
        let n = 300;
        let mut a = random(n, 3);
        for (i, s) in [3.0, 2.5, 2.0, 1.8, 1.6].iter().enumerate() {
            a[i * n + i] += s;
        }
        let want = dense_eigs(&a, n);
        let cfg = ArnoldiConfig {
            n_eigenvalues: 5,
            max_dim: 150,
            ..ArnoldiConfig::default()
        };
        let got = arnoldi(&mut DenseOperator { a: &a, n }, &cfg).unwrap();
        assert_eq!(got.n_converged, 5, "{got:?}");
        for (g, w) in got.eigenvalues.iter().zip(&want) {
            assert!((g[0] - w[0]).hypot(g[1] - w[1]) < 1e-7, "{g:?} vs {w:?}");
        }
        assert!(got.leading_residual < 1e-7, "{}", got.leading_residual);
        // A unit vector, and an eigenvector of A.
        let nx: f64 = got.leading_re.iter().map(|v| v * v).sum::<f64>()
            + got.leading_im.iter().map(|v| v * v).sum::<f64>();
        assert!((nx - 1.0).abs() < 1e-12);
        // The same seed gives the same bits.
        let again = arnoldi(&mut DenseOperator { a: &a, n }, &cfg).unwrap();
        assert_eq!(
            format!("{:?}", got.eigenvalues),
            format!("{:?}", again.eigenvalues)
        );
    }

    #[test]
    fn arnoldi_on_the_whole_space_is_exact() {
        let n = 40;
        let a = random(n, 5);
        let want = dense_eigs(&a, n);
        let cfg = ArnoldiConfig {
            n_eigenvalues: n,
            max_dim: n,
            ..ArnoldiConfig::default()
        };
        let got = arnoldi(&mut DenseOperator { a: &a, n }, &cfg).unwrap();
        assert_eq!(got.eigenvalues.len(), n);
        for (g, w) in got.eigenvalues.iter().zip(&want) {
            assert!((g[0] - w[0]).hypot(g[1] - w[1]) < 1e-9, "{g:?} vs {w:?}");
        }
    }

    #[test]
    fn arnoldi_refuses_an_empty_request() {
        let a = [1.0];
        let cfg = ArnoldiConfig {
            n_eigenvalues: 0,
            ..ArnoldiConfig::default()
        };
        let e = arnoldi(&mut DenseOperator { a: &a, n: 1 }, &cfg).unwrap_err();
        assert!(e.to_string().contains("n_eigenvalues"), "{e}");
    }

    #[test]
    fn gmres_solves_a_nonsymmetric_system_across_restarts() {
        let n = 120;
        let mut a = random(n, 7);
        for i in 0..n {
            a[i * n + i] += 3.0;
        }
        let mut rng = Rng::new(9);
        let x_true: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mut b = vec![0.0; n];
        DenseOperator { a: &a, n }.apply(&x_true, &mut b);
        let mut x = vec![0.0; n];
        let cfg = GmresConfig {
            restart: 10,
            max_iter: 500,
            tol: 1e-12,
        };
        let r = gmres(&mut DenseOperator { a: &a, n }, &b, &mut x, &cfg);
        assert!(r.converged, "{r:?}");
        let err = x
            .iter()
            .zip(&x_true)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "max error {err}");
    }

    /// G(x) = x + 0.3 tanh(x) − c: one zero per coordinate, Jacobian diag(1 + 0.3 sech²).
    struct Tanh {
        c: Vec<f64>,
        d: Vec<f64>,
    }

    impl SmoothMap for Tanh {
        fn dim(&self) -> usize {
            self.c.len()
        }
        fn eval(&mut self, x: &[f64], g: &mut [f64]) {
            for i in 0..x.len() {
                g[i] = x[i] + 0.3 * x[i].tanh() - self.c[i];
                self.d[i] = 1.0 + 0.3 / x[i].cosh().powi(2);
            }
        }
        fn jvp(&mut self, v: &[f64], out: &mut [f64]) {
            for i in 0..v.len() {
                out[i] = self.d[i] * v[i];
            }
        }
    }

    #[test]
    fn newton_krylov_converges_quadratically_on_a_smooth_map() {
        let n = 50;
        let c: Vec<f64> = (0..n).map(|i| (i as f64 - 25.0) / 5.0).collect();
        let mut map = Tanh {
            c: c.clone(),
            d: vec![0.0; n],
        };
        let r = newton_krylov(&mut map, &vec![0.0; n], &NewtonConfig::default()).unwrap();
        assert!(r.converged, "{r:?}");
        assert!(r.iterations <= 8, "{r:?}");
        for (i, &x) in r.x.iter().enumerate() {
            assert!((x + 0.3 * x.tanh() - c[i]).abs() < 1e-10);
        }
        let e = newton_krylov(&mut map, &[0.0; 3], &NewtonConfig::default()).unwrap_err();
        assert!(e.to_string().contains("newton_krylov start"), "{e}");
    }
}
