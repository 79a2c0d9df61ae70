//! Jacobi factorizations of one dense row-major float64 matrix: the singular value decomposition
//! (one-sided Hestenes Jacobi: rotate pairs of columns until all are mutually orthogonal, then the
//! column norms are the singular values) and the symmetric eigendecomposition (two-sided cyclic
//! Jacobi). Both are accurate to working precision in relative terms, which is why they are used
//! here instead of bidiagonalization: the matrices rustgrad users factor are small.

/// Sweeps before giving up (Jacobi converges quadratically; real inputs need well under 20).
const MAX_SWEEPS: usize = 80;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Rotates rows `p` and `q` of `rows` (row length `len`): `(r_p, r_q) <- (c r_p - s r_q, s r_p + c r_q)`.
fn rotate_rows(rows: &mut [f64], len: usize, p: usize, q: usize, c: f64, s: f64) {
    let (lo, hi) = rows.split_at_mut(q * len);
    let (rp, rq) = (&mut lo[p * len..(p + 1) * len], &mut hi[..len]);
    for (x, y) in rp.iter_mut().zip(rq.iter_mut()) {
        let (a, b) = (*x, *y);
        *x = c * a - s * b;
        *y = s * a + c * b;
    }
}

/// The one-sided Jacobi SVD of the `rows x len` matrix `w` given by rows (`rows <= len`), in place:
/// afterwards the rows of `w` are mutually orthogonal and `v` (`rows x rows`, starting as the
/// identity) holds the accumulated rotations, so that `w_in = v^T w_out`. False when it did not
/// converge.
fn orthogonalize_rows(w: &mut [f64], v: &mut [f64], rows: usize, len: usize) -> bool {
    let tol = f64::EPSILON * (len as f64).sqrt().max(1.0);
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..rows {
            for q in p + 1..rows {
                let alpha = dot(&w[p * len..(p + 1) * len], &w[p * len..(p + 1) * len]);
                let beta = dot(&w[q * len..(q + 1) * len], &w[q * len..(q + 1) * len]);
                let gamma = dot(&w[p * len..(p + 1) * len], &w[q * len..(q + 1) * len]);
                if gamma == 0.0 || gamma.abs() <= tol * (alpha.sqrt() * beta.sqrt()) {
                    continue;
                }
                rotated = true;
                // The rotation that zeroes the (p, q) entry of W W^T (Rutishauser's stable form).
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = c * t;
                rotate_rows(w, len, p, q, c, s);
                rotate_rows(v, rows, p, q, c, s);
            }
        }
        if !rotated {
            return true;
        }
    }
    false
}

/// Appends unit vectors (length `len`) orthogonal to the `rows` given ones until there are
/// `want`: each time the standard basis vector with the largest residual after two rounds of
/// Gram-Schmidt (its squared residuals sum to `len - rows`, so the best is never tiny).
fn complete_basis(basis: &mut Vec<f64>, len: usize, want: usize) {
    while basis.len() / len.max(1) < want {
        let mut best: Option<(f64, Vec<f64>)> = None;
        for j in 0..len {
            let mut e = vec![0.0; len];
            e[j] = 1.0;
            for _ in 0..2 {
                for b in basis.chunks_exact(len) {
                    let d = dot(&e, b);
                    e.iter_mut().zip(b).for_each(|(x, y)| *x -= d * y);
                }
            }
            let norm = dot(&e, &e).sqrt();
            if best.as_ref().is_none_or(|(n, _)| norm > *n) {
                best = Some((norm, e));
            }
        }
        let (norm, e) = best.expect("len > 0 while the basis is incomplete");
        basis.extend(e.iter().map(|x| x / norm));
    }
}

/// An SVD `A = U diag(S) Vh` with `U` (`m x ku`), `S` (descending, `min(m, n)`), `Vh` (`kv x n`).
pub struct Svd {
    /// Left singular vectors as columns (`m x ku`, row-major; empty without `uv`).
    pub u: Vec<f64>,
    /// Singular values, descending.
    pub s: Vec<f64>,
    /// Right singular vectors as rows (`kv x n`, row-major; empty without `uv`).
    pub vh: Vec<f64>,
}

/// The SVD of the `m x n` row-major `a`: `full` gives square `U` (`m x m`) and `Vh` (`n x n`),
/// else `m x k` and `k x n` (`k = min(m, n)`); without `uv`, `u` and `vh` are empty. `None` when
/// Jacobi did not converge (callers check for non-finite values first).
pub fn svd(a: &[f64], m: usize, n: usize, full: bool, uv: bool) -> Option<Svd> {
    debug_assert_eq!(a.len(), m * n);
    if m < n {
        // A^T = U' S Vh'  =>  A = Vh'^T S U'^T.
        let at = transpose(a, m, n);
        let t = svd(&at, n, m, full, uv)?;
        if !uv {
            return Some(t);
        }
        let k = m;
        let ku = if full { n } else { k };
        return Some(Svd { u: transpose(&t.vh, m, m), s: t.s, vh: transpose(&t.u, n, ku) });
    }
    // m >= n: the rows of w are A's columns.
    let k = n;
    let mut w = transpose(a, m, n);
    let mut v = identity(n);
    if !orthogonalize_rows(&mut w, &mut v, n, m) {
        return None;
    }
    let norms: Vec<f64> = w.chunks_exact(m.max(1)).take(n).map(|r| dot(r, r).sqrt()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| norms[j].total_cmp(&norms[i]));
    let s: Vec<f64> = order.iter().map(|&i| norms[i]).collect();
    if !uv {
        return Some(Svd { u: Vec::new(), s, vh: Vec::new() });
    }
    let vh: Vec<f64> = order.iter().flat_map(|&i| v[i * n..(i + 1) * n].iter().copied()).collect();
    // U's columns (as rows): normalized columns of A V; exactly-zero ones are completed after.
    let mut ucols = Vec::with_capacity(m * m);
    let mut zero_cols = Vec::new();
    for (slot, &i) in order.iter().enumerate() {
        if norms[i] > 0.0 && norms[i].is_finite() {
            ucols.extend(w[i * m..(i + 1) * m].iter().map(|x| x / norms[i]));
        } else {
            zero_cols.push(slot);
        }
    }
    let good = ucols.len() / m.max(1);
    complete_basis(&mut ucols, m, if full { m } else { k }.max(good + zero_cols.len()));
    // The completed vectors fill the zero-singular-value slots first, then the extra columns.
    let ku = if full { m } else { k };
    let mut u_rows = vec![0.0; ku * m];
    let (mut next_good, mut next_extra) = (0, good);
    for slot in 0..ku {
        let src = if slot < k && !zero_cols.contains(&slot) {
            next_good += 1;
            next_good - 1
        } else {
            next_extra += 1;
            next_extra - 1
        };
        u_rows[slot * m..(slot + 1) * m].copy_from_slice(&ucols[src * m..(src + 1) * m]);
    }
    Some(Svd { u: transpose(&u_rows, ku, m), s, vh })
}

/// The eigendecomposition of the symmetric `n x n` row-major `a` (only its lower triangle is
/// read when `lower`, else its upper one): ascending eigenvalues and the eigenvectors as the
/// columns of an `n x n` row-major matrix. `None` when Jacobi did not converge.
pub fn eigh(a: &[f64], n: usize, lower: bool) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (r, c) = if (i >= j) == lower { (i, j) } else { (j, i) };
            m[i * n + j] = a[r * n + c];
        }
    }
    // v's rows are the eigenvectors: m = v^T diag(m) v at the end.
    let mut v = identity(n);
    let mut converged = n < 2;
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| m[i * n + j].powi(2)).sum();
        let diag: f64 = (0..n).map(|i| m[i * n + i].powi(2)).sum();
        if off <= (f64::EPSILON * f64::EPSILON) * diag || off == 0.0 {
            converged = true;
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation zeroing m[p][q]: tan of the angle from (m_qq - m_pp) / (2 m_pq).
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (1.0 + theta * theta).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                // m <- J^T m J with J the rotation in the (p, q) plane: rows, then columns.
                rotate_rows(&mut m, n, p, q, c, s);
                for r in 0..n {
                    let (x, y) = (m[r * n + p], m[r * n + q]);
                    m[r * n + p] = c * x - s * y;
                    m[r * n + q] = s * x + c * y;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                rotate_rows(&mut v, n, p, q, c, s);
            }
        }
    }
    if !converged {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[i * n + i].total_cmp(&m[j * n + j]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &i) in order.iter().enumerate() {
        for r in 0..n {
            vectors[r * n + col] = v[i * n + r];
        }
    }
    Some((values, vectors))
}

fn identity(n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n * n];
    (0..n).for_each(|i| v[i * n + i] = 1.0);
    v
}

/// The transpose of the `r x c` row-major `a`.
pub fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut out = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            out[j * r + i] = a[i * c + j];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        (0..m).flat_map(|i| (0..n).map(move |j| (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum())).collect()
    }

    fn assert_orthonormal_cols(q: &[f64], r: usize, c: usize) {
        let g = matmul(&transpose(q, r, c), q, c, r, c);
        for i in 0..c {
            for j in 0..c {
                assert!((g[i * c + j] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "{g:?}");
            }
        }
    }

    fn check(a: &[f64], m: usize, n: usize) {
        let k = m.min(n);
        let f = svd(a, m, n, true, true).unwrap();
        assert_orthonormal_cols(&f.u, m, m);
        assert_orthonormal_cols(&transpose(&f.vh, n, n), n, n);
        assert!(f.s.windows(2).all(|w| w[0] >= w[1]));
        // U[:, :k] diag(S) Vh[:k] == A
        let us: Vec<f64> = (0..m).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| f.u[i * m + j] * f.s[j]).collect();
        let back = matmul(&us, &f.vh[..k * n], m, k, n);
        back.iter().zip(a).for_each(|(x, y)| assert!((x - y).abs() < 1e-12, "{back:?} vs {a:?}"));
    }

    #[test]
    fn svd_reconstructs_tall_wide_and_rank_deficient() {
        check(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2);
        check(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
        check(&[1.0, 2.0, 2.0, 4.0, 3.0, 6.0], 3, 2);
        check(&[0.0; 6], 2, 3);
        check(&[3.0, 0.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0], 3, 3);
    }

    #[test]
    fn singular_values_of_a_known_matrix() {
        let f = svd(&[3.0, 0.0, 4.0, 5.0], 2, 2, false, false).unwrap();
        assert!((f.s[0] - 45f64.sqrt()).abs() < 1e-13 && (f.s[1] - 5f64.sqrt()).abs() < 1e-13);
    }

    #[test]
    fn eigh_diagonalizes_ascending() {
        let a = [2.0, 1.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0];
        let (w, v) = eigh(&a, 3, true).unwrap();
        let s2 = 2f64.sqrt();
        [2.0 - s2, 2.0, 2.0 + s2].iter().zip(&w).for_each(|(e, g)| assert!((e - g).abs() < 1e-13));
        assert_orthonormal_cols(&v, 3, 3);
    }
}
