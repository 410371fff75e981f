//! Minimising `q(x) = ½‖F(x, u) − x‖²` from one start: damped Newton with a Levenberg–Marquardt
//! fallback, then Newton polishing.
//!
//! The residual is `r(x) = F(x, u) − x` with Jacobian `J_r = ∂F/∂x − I`, square. Where `J_r` is
//! invertible the Newton direction `δ = −J_r⁻¹ r` is always a descent direction of `q`
//! (`∇q·δ = rᵀJ_r δ = −2q`), so each step backtracks along it (Armijo, `c = 1e-4`, halving up to
//! 12 times). Near singular `J_r` (line attractors, saddles' flat directions) or when backtracking
//! fails, a Levenberg–Marquardt step `(J_rᵀJ_r + λI) δ = −J_rᵀ r` is taken instead, with λ adapted
//! ×10 / ÷10; this is what lands on slow points (local minima of `q` with `q > 0`, Sussillo &
//! Barak 2013). Once `q < tol_q`, up to `refine_iters` full Newton steps polish the point, each
//! kept only if it lowers `q`. The search stops when `q < tol_q` (then polishes), when an accepted
//! step lowers `q` by less than `tol_dq`, when no step lowers `q`, or after `max_iters`.
//!
//! Measured on a 64-unit tanh CTRNN (see the crate's tests and README): Newton converges in a
//! handful of iterations per start, far fewer than the thousands of Adam steps FixedPointFinder
//! takes, and costs one `n³/3` LU per iteration. A start whose Newton step fails once stays on
//! Levenberg–Marquardt (retrying Newton every 16th iteration), which is where slow points are.

use neurodyn_core::Dynamics;

/// Stopping rules for one start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SearchParams {
    pub max_iters: usize,
    pub refine_iters: usize,
    pub tol_q: f64,
    pub tol_dq: f64,
}

/// Where one start ended.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    pub x: Vec<f64>,
    pub q: f64,
    pub iterations: usize,
}

/// Scratch buffers for one worker.
pub(crate) struct Workspace {
    n: usize,
    fx: Vec<f64>,
    r: Vec<f64>,
    jac: Vec<f64>,
    a: Vec<f64>,
    delta: Vec<f64>,
    xnew: Vec<f64>,
    rnew: Vec<f64>,
    perm: Vec<usize>,
}

impl Workspace {
    pub fn new(n: usize) -> Self {
        Workspace {
            n,
            fx: vec![0.0; n],
            r: vec![0.0; n],
            jac: vec![0.0; n * n],
            a: vec![0.0; n * n],
            delta: vec![0.0; n],
            xnew: vec![0.0; n],
            rnew: vec![0.0; n],
            perm: vec![0; n],
        }
    }
}

/// `r = F(x) − x`, returns `q = ½‖r‖²`.
#[inline(always)]
fn residual(d: &dyn Dynamics, x: &[f64], u: &[f64], fx: &mut [f64], r: &mut [f64]) -> f64 {
    d.step(x, u, fx);
    let mut q = 0.0;
    for i in 0..x.len() {
        r[i] = fx[i] - x[i];
        q += r[i] * r[i];
    }
    0.5 * q
}

/// `q(x) = ½‖F(x, u) − x‖²`, the speed FixedPointFinder minimises.
pub fn q_value(d: &dyn Dynamics, x: &[f64], u: &[f64]) -> f64 {
    let n = x.len();
    let (mut fx, mut r) = (vec![0.0; n], vec![0.0; n]);
    residual(d, x, u, &mut fx, &mut r)
}

/// In-place LU with partial pivoting of the row-major `n × n` matrix `a`. False if singular
/// to working precision (a pivot below `1e-13 · max |a|`).
#[inline(always)]
fn lu_factor(a: &mut [f64], perm: &mut [usize], n: usize) -> bool {
    let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return false;
    }
    let tiny = 1e-13 * scale;
    for (i, p) in perm.iter_mut().enumerate() {
        *p = i;
    }
    for k in 0..n {
        let mut piv = k;
        for i in k + 1..n {
            if a[i * n + k].abs() > a[piv * n + k].abs() {
                piv = i;
            }
        }
        if a[piv * n + k].abs() <= tiny {
            return false;
        }
        if piv != k {
            for j in 0..n {
                a.swap(k * n + j, piv * n + j);
            }
            perm.swap(k, piv);
        }
        let inv = 1.0 / a[k * n + k];
        let (top, bottom) = a.split_at_mut((k + 1) * n);
        let row_k = &top[k * n..];
        for row in bottom.chunks_exact_mut(n) {
            let f = row[k] * inv;
            row[k] = f;
            if f != 0.0 {
                for j in k + 1..n {
                    row[j] -= f * row_k[j];
                }
            }
        }
    }
    true
}

/// Solve `A x = b` with the factors of [`lu_factor`]; `b` is overwritten by `x`.
#[inline(always)]
fn lu_solve(a: &[f64], perm: &[usize], n: usize, b: &mut [f64], tmp: &mut [f64]) {
    for i in 0..n {
        tmp[i] = b[perm[i]];
    }
    for i in 0..n {
        let s: f64 = (0..i).map(|j| a[i * n + j] * tmp[j]).sum();
        tmp[i] -= s;
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i * n + j] * tmp[j]).sum();
        tmp[i] = (tmp[i] - s) / a[i * n + i];
    }
    b.copy_from_slice(tmp);
}

/// Solve the symmetric positive definite `A x = b` by Cholesky, `A = UᵀU` with `U` upper
/// triangular, in place in the upper triangle of the row-major `a` (its lower triangle is left
/// as it was and never read). The trailing update runs along rows (`a[i][i..] −= U[j][i] ·
/// U[j][i..]`), so its inner loops are plain multiply-adds over contiguous memory that vectorise;
/// the dot-product form (each entry a sum over k) ran as a chain of dependent scalar additions and
/// made the Levenberg–Marquardt steps most of the fixed-point search's time.
#[inline(always)]
fn cholesky_solve(a: &mut [f64], n: usize, b: &mut [f64]) -> bool {
    for j in 0..n {
        let d = a[j * n + j];
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        let (head, tail) = a.split_at_mut((j + 1) * n);
        let row_j = &mut head[j * n..];
        row_j[j] = d;
        let inv = 1.0 / d;
        for v in &mut row_j[j + 1..] {
            *v *= inv;
        }
        let row_j = &head[j * n..];
        for (i, row_i) in (j + 1..n).zip(tail.chunks_exact_mut(n)) {
            let f = row_j[i];
            if f != 0.0 {
                for (x, &u) in row_i[i..].iter_mut().zip(&row_j[i..]) {
                    *x -= f * u;
                }
            }
        }
    }
    // Uᵀ y = b (column j of Uᵀ is row j of U), then U x = y.
    for j in 0..n {
        b[j] /= a[j * n + j];
        let bj = b[j];
        for (x, &u) in b[j + 1..].iter_mut().zip(&a[j * n + j + 1..(j + 1) * n]) {
            *x -= u * bj;
        }
    }
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[i * n + k] * b[k]).sum();
        b[i] = (b[i] - s) / a[i * n + i];
    }
    true
}

/// `jac ← ∂F/∂x − I` at `x`.
#[inline(always)]
fn residual_jacobian(d: &dyn Dynamics, x: &[f64], u: &[f64], jac: &mut [f64], n: usize) {
    d.jacobian(x, u, jac);
    for i in 0..n {
        jac[i * n + i] -= 1.0;
    }
}

/// Try a Newton step with backtracking. On success `ws.xnew`, `ws.rnew` hold the new point and
/// the new `q` is returned.
#[inline(always)]
fn newton_step(
    d: &dyn Dynamics,
    x: &[f64],
    u: &[f64],
    q: f64,
    ws: &mut Workspace,
    backtrack: bool,
) -> Option<f64> {
    let n = ws.n;
    ws.a.copy_from_slice(&ws.jac);
    if !lu_factor(&mut ws.a, &mut ws.perm, n) {
        return None;
    }
    for i in 0..n {
        ws.delta[i] = -ws.r[i];
    }
    lu_solve(&ws.a, &ws.perm, n, &mut ws.delta, &mut ws.rnew);
    let mut t = 1.0;
    for _ in 0..if backtrack { 13 } else { 1 } {
        for i in 0..n {
            ws.xnew[i] = x[i] + t * ws.delta[i];
        }
        let qn = residual(d, &ws.xnew, u, &mut ws.fx, &mut ws.rnew);
        let bound = if backtrack { q * (1.0 - 2e-4 * t) } else { q };
        if qn.is_finite() && qn < bound {
            return Some(qn);
        }
        t *= 0.5;
    }
    None
}

/// Levenberg–Marquardt step; adapts `lambda`. Same contract as [`newton_step`].
#[inline(always)]
fn lm_step(
    d: &dyn Dynamics,
    x: &[f64],
    u: &[f64],
    q: f64,
    ws: &mut Workspace,
    lambda: &mut f64,
) -> Option<f64> {
    let n = ws.n;
    // g = J_rᵀ r, reused across λ trials (kept in rnew's sibling: recompute into delta each try).
    let mut g = vec![0.0; n];
    let mut jtj = vec![0.0; n * n];
    for k in 0..n {
        let row = &ws.jac[k * n..(k + 1) * n];
        let rk = ws.r[k];
        for i in 0..n {
            let jki = row[i];
            g[i] += jki * rk;
            // Only the upper triangle: the Cholesky factorisation reads no other.
            if jki != 0.0 {
                let dst = &mut jtj[i * n + i..(i + 1) * n];
                for (x, &v) in dst.iter_mut().zip(&row[i..]) {
                    *x += jki * v;
                }
            }
        }
    }
    for _ in 0..12 {
        ws.a.copy_from_slice(&jtj);
        for i in 0..n {
            ws.a[i * n + i] += *lambda;
            ws.delta[i] = -g[i];
        }
        if cholesky_solve(&mut ws.a, n, &mut ws.delta) {
            for i in 0..n {
                ws.xnew[i] = x[i] + ws.delta[i];
            }
            let qn = residual(d, &ws.xnew, u, &mut ws.fx, &mut ws.rnew);
            if qn.is_finite() && qn < q {
                *lambda = (*lambda * 0.1).max(1e-12);
                return Some(qn);
            }
        }
        *lambda *= 10.0;
    }
    None
}

/// Run the search from `x0`.
#[allow(unsafe_code)]
pub(crate) fn solve_one(
    d: &dyn Dynamics,
    u: &[f64],
    x0: &[f64],
    p: &SearchParams,
    ws: &mut Workspace,
) -> Outcome {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA were detected just above, which is all `solve_one_avx2` needs.
        return unsafe { solve_one_avx2(d, u, x0, p, ws) };
    }
    solve_one_impl(d, u, x0, p, ws)
}

/// [`solve_one`] compiled for AVX2 and FMA, so that the factorisations' row updates run four
/// lanes wide instead of SSE2's two (the arithmetic is the same: no fused multiply-add is
/// formed where the source has none, so results do not depend on the path).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,fma")]
unsafe fn solve_one_avx2(
    d: &dyn Dynamics,
    u: &[f64],
    x0: &[f64],
    p: &SearchParams,
    ws: &mut Workspace,
) -> Outcome {
    solve_one_impl(d, u, x0, p, ws)
}

#[inline(always)]
fn solve_one_impl(
    d: &dyn Dynamics,
    u: &[f64],
    x0: &[f64],
    p: &SearchParams,
    ws: &mut Workspace,
) -> Outcome {
    let n = ws.n;
    let mut x = x0.to_vec();
    let mut q = residual(d, &x, u, &mut ws.fx, &mut ws.r);
    let mut lambda = 1e-3;
    let mut iterations = 0;
    let mut newton_ok = true;
    while iterations < p.max_iters && q >= p.tol_q && q.is_finite() {
        iterations += 1;
        residual_jacobian(d, &x, u, &mut ws.jac, n);
        // Once a Newton step has failed (a near-singular J_r: a slow region, a line attractor),
        // the start stays on Levenberg–Marquardt, whose step tends to Newton's as λ falls
        // (J_r is square), and tries Newton again only every 16th iteration, instead of paying
        // a factorisation and 13 backtracking evaluations for every failed Newton attempt: on
        // the 64-unit PerceptualDecisionMaking network those were 92 % of the residual
        // evaluations (1024 starts: 6.2 → 2.3 s of CPU; 547 → 542 starts reach q < 1e-12).
        // (A `match`, not `or_else`: a closure would be compiled outside the AVX2 function.)
        let newton = if newton_ok || iterations % 16 == 0 {
            newton_step(d, &x, u, q, ws, true)
        } else {
            None
        };
        let step = match newton {
            Some(qn) => Some(qn),
            None => {
                newton_ok = false;
                lm_step(d, &x, u, q, ws, &mut lambda)
            }
        };
        let Some(qn) = step else { break };
        let dq = q - qn;
        std::mem::swap(&mut x, &mut ws.xnew);
        std::mem::swap(&mut ws.r, &mut ws.rnew);
        q = qn;
        if dq < p.tol_dq {
            break;
        }
    }
    if q < p.tol_q {
        for _ in 0..p.refine_iters {
            if q == 0.0 {
                break;
            }
            residual_jacobian(d, &x, u, &mut ws.jac, n);
            let Some(qn) = newton_step(d, &x, u, q, ws, false) else {
                break;
            };
            std::mem::swap(&mut x, &mut ws.xnew);
            std::mem::swap(&mut ws.r, &mut ws.rnew);
            q = qn;
        }
    }
    Outcome { x, q, iterations }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lu_and_cholesky_solve_a_known_system() {
        let n = 3;
        let a0 = [4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 2.0];
        let x_true = [1.0, -2.0, 0.5];
        let b: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a0[i * n + j] * x_true[j]).sum())
            .collect();
        let (mut a, mut perm, mut x, mut tmp) = (a0.to_vec(), vec![0; n], b.clone(), vec![0.0; n]);
        assert!(lu_factor(&mut a, &mut perm, n));
        lu_solve(&a, &perm, n, &mut x, &mut tmp);
        let mut y = b.clone();
        let mut c = a0.to_vec();
        assert!(cholesky_solve(&mut c, n, &mut y));
        for i in 0..n {
            assert!((x[i] - x_true[i]).abs() < 1e-12, "lu {x:?}");
            assert!((y[i] - x_true[i]).abs() < 1e-12, "chol {y:?}");
        }
        let mut sing = vec![1.0, 2.0, 2.0, 4.0];
        assert!(!lu_factor(&mut sing, &mut [0, 0], 2));
    }
}
