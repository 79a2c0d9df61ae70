//! Dense square-matrix factorizations over row-major buffers: LU with partial pivoting (LAPACK's
//! `getrf` conventions: 1-based pivots, `info` = first exactly-zero pivot, factorization continues
//! past it), solves from an LU, determinants, Cholesky (`potrf`, lower) and the cofactor matrix of
//! a singular matrix. Batched forms run the matrices as independent pieces over `cpu::split`.

use super::reduce_simd::Float;
use super::split::map_pieces;

fn zero<T: Float>() -> T {
    <T as num_traits::Zero>::zero()
}

fn one<T: Float>() -> T {
    <T as num_traits::One>::one()
}

/// Factors the `n x n` row-major `a` in place as `P A = L U` (unit-diagonal `L` below the
/// diagonal, `U` on and above it). Returns LAPACK's 1-based pivots (row `i` was swapped with row
/// `piv[i] - 1`) and `info`: 0, or the 1-based index of the first zero diagonal element of `U`.
pub fn lu_factor<T: Float>(a: &mut [T], n: usize) -> (Vec<i32>, usize) {
    debug_assert_eq!(a.len(), n * n);
    let mut piv = Vec::with_capacity(n);
    let mut info = 0;
    for k in 0..n {
        // The first row holding the largest |a[i][k]| (i >= k), as idamax.
        let mut p = k;
        let mut best = a[k * n + k].abs();
        for i in k + 1..n {
            let v = a[i * n + k].abs();
            if v > best || (best.is_nan() && !v.is_nan()) {
                best = v;
                p = i;
            }
        }
        piv.push((p + 1) as i32);
        if a[p * n + k] == zero::<T>() {
            if info == 0 {
                info = k + 1;
            }
            continue;
        }
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
        }
        let pivot = a[k * n + k];
        let (top, rest) = a.split_at_mut((k + 1) * n);
        let row_k = &top[k * n + k + 1..k * n + n];
        for row in rest.chunks_exact_mut(n) {
            let l = row[k] / pivot;
            row[k] = l;
            if l != zero::<T>() {
                for (x, &u) in row[k + 1..].iter_mut().zip(row_k) {
                    *x = *x - l * u;
                }
            }
        }
    }
    (piv, info)
}

/// Solves `A X = B` in place in `b` (`n x k`, row-major) from `lu_factor`'s `lu` and `piv`.
pub fn lu_solve<T: Float>(lu: &[T], piv: &[i32], b: &mut [T], n: usize, k: usize) {
    for (i, &p) in piv.iter().enumerate() {
        let p = p as usize - 1;
        if p != i {
            for j in 0..k {
                b.swap(i * k + j, p * k + j);
            }
        }
    }
    // L y = P b (unit lower), then U x = y.
    for i in 0..n {
        let (done, rest) = b.split_at_mut(i * k);
        let row = &mut rest[..k];
        for (j, done_row) in done.chunks_exact(k).enumerate() {
            let l = lu[i * n + j];
            if l != zero::<T>() {
                for (x, &y) in row.iter_mut().zip(done_row) {
                    *x = *x - l * y;
                }
            }
        }
    }
    for i in (0..n).rev() {
        let (head, tail) = b.split_at_mut((i + 1) * k);
        let row = &mut head[i * k..];
        for (j, done_row) in tail.chunks_exact(k).enumerate() {
            let u = lu[i * n + i + 1 + j];
            if u != zero::<T>() {
                for (x, &y) in row.iter_mut().zip(done_row) {
                    *x = *x - u * y;
                }
            }
        }
        let d = lu[i * n + i];
        for x in row.iter_mut() {
            *x = *x / d;
        }
    }
}

/// Solves `A^T X = B` in place in `b` (`n x k`, row-major) from the LU of `A` (`P A = L U`, so
/// `A^T = U^T L^T P`): `U^T z = b`, `L^T w = z`, then `x = P^T w`.
pub fn lu_solve_transposed<T: Float>(lu: &[T], piv: &[i32], b: &mut [T], n: usize, k: usize) {
    // U^T is lower triangular: forward substitution.
    for i in 0..n {
        let (done, rest) = b.split_at_mut(i * k);
        let row = &mut rest[..k];
        for (j, done_row) in done.chunks_exact(k).enumerate() {
            let u = lu[j * n + i];
            if u != zero::<T>() {
                for (x, &y) in row.iter_mut().zip(done_row) {
                    *x = *x - u * y;
                }
            }
        }
        let d = lu[i * n + i];
        for x in row.iter_mut() {
            *x = *x / d;
        }
    }
    // L^T is unit upper triangular: back substitution.
    for i in (0..n).rev() {
        let (head, tail) = b.split_at_mut((i + 1) * k);
        let row = &mut head[i * k..];
        for (j, done_row) in tail.chunks_exact(k).enumerate() {
            let l = lu[(i + 1 + j) * n + i];
            if l != zero::<T>() {
                for (x, &y) in row.iter_mut().zip(done_row) {
                    *x = *x - l * y;
                }
            }
        }
    }
    for (i, &p) in piv.iter().enumerate().rev() {
        let p = p as usize - 1;
        if p != i {
            for j in 0..k {
                b.swap(i * k + j, p * k + j);
            }
        }
    }
}

/// `(sign, product of |U_ii|)` parts of `det(A)` from an LU: the sign counts row swaps and the
/// signs of the diagonal.
fn det_parts<T: Float>(lu: &[T], piv: &[i32], n: usize) -> (T, Vec<T>) {
    let mut negative = piv.iter().enumerate().filter(|&(i, &p)| p as usize - 1 != i).count() % 2 == 1;
    let mut diag = Vec::with_capacity(n);
    for i in 0..n {
        let d = lu[i * n + i];
        negative ^= d < zero::<T>();
        diag.push(d.abs());
    }
    (if negative { -one::<T>() } else { one::<T>() }, diag)
}

/// `det(A)` from its LU: the product of `U`'s diagonal times the permutation's sign.
pub fn det_from_lu<T: Float>(lu: &[T], piv: &[i32], n: usize) -> T {
    let swaps = piv.iter().enumerate().filter(|&(i, &p)| p as usize - 1 != i).count();
    let prod = (0..n).fold(one::<T>(), |acc, i| acc * lu[i * n + i]);
    if swaps % 2 == 1 {
        -prod
    } else {
        prod
    }
}

/// `(sign, log|det A|)` from its LU; a singular matrix gives `(0, -inf)`.
pub fn slogdet_from_lu<T: Float>(lu: &[T], piv: &[i32], n: usize) -> (T, T) {
    let (sign, diag) = det_parts(lu, piv, n);
    if diag.iter().any(|&d| d == zero::<T>()) {
        return (zero::<T>(), T::neg_infinity());
    }
    (sign, diag.iter().fold(zero::<T>(), |acc, &d| acc + d.ln()))
}

/// Cholesky in place: the lower `L` with `L L^T = A` from `A`'s lower triangle (the upper one is
/// not read, and zeroed). Returns 0, or the order of the first leading minor that is not
/// positive-definite (as `potrf`'s info).
pub fn cholesky<T: Float>(a: &mut [T], n: usize) -> usize {
    for j in 0..n {
        let mut d = a[j * n + j];
        for p in 0..j {
            d = d - a[j * n + p] * a[j * n + p];
        }
        if d.is_nan() || d <= zero::<T>() {
            return j + 1;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for p in 0..j {
                s = s - a[i * n + p] * a[j * n + p];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            a[i * n + j] = zero::<T>();
        }
    }
    0
}

/// The determinant of `a` with row `r` and column `c` removed.
fn minor<T: Float>(a: &[T], n: usize, r: usize, c: usize) -> T {
    let m = n - 1;
    let mut sub: Vec<T> = (0..n).filter(|&i| i != r).flat_map(|i| (0..n).filter(move |&j| j != c).map(move |j| a[i * n + j])).collect();
    let (piv, _) = lu_factor(&mut sub, m);
    det_from_lu(&sub, &piv, m)
}

/// The matrix of cofactors `C_rc = (-1)^(r+c) det(minor(r, c))` (the gradient of `det` at `a`),
/// from the minors: used for singular matrices, where `det(A) A^-T` is not defined.
pub fn cofactors<T: Float>(a: &[T], n: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(n * n);
    for r in 0..n {
        for c in 0..n {
            let m = if n == 1 { one::<T>() } else { minor(a, n, r, c) };
            out.push(if (r + c) % 2 == 1 { -m } else { m });
        }
    }
    out
}

/// Runs `f` on each `n x n` matrix of `data` (consecutive), as independent pieces; returns the
/// per-matrix results in order.
pub fn per_matrix<T: Float, R: Send>(data: &mut [T], n: usize, f: impl Fn(&mut [T]) -> R + Sync + Send) -> Vec<R> {
    let size = (n * n).max(1);
    let count = if n == 0 { data.len() } else { data.len() / size };
    if n == 0 {
        return (0..count).map(|_| f(&mut [])).collect();
    }
    let work = count.saturating_mul(size).saturating_mul(n);
    if work < super::GRAIN || count < 2 {
        return data.chunks_exact_mut(size).map(f).collect();
    }
    map_pieces(data.chunks_exact_mut(size).collect(), f)
}

/// `lu_factor` of each matrix of a batch: `(pivots of all matrices, info of each)`.
pub fn lu_factor_batched<T: Float>(data: &mut [T], n: usize, batch: usize) -> (Vec<i32>, Vec<usize>) {
    if n == 0 {
        return (Vec::new(), vec![0; batch]);
    }
    let parts = per_matrix(data, n, |m| lu_factor(m, n));
    let mut pivots = Vec::with_capacity(batch * n);
    let mut infos = Vec::with_capacity(batch);
    for (p, i) in parts {
        pivots.extend(p);
        infos.push(i);
    }
    (pivots, infos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(a: &[f64], b: &[f64], n: usize, k: usize) -> Vec<f64> {
        let mut c = vec![0.0; n * k];
        for i in 0..n {
            for j in 0..k {
                c[i * k + j] = (0..n).map(|p| a[i * n + p] * b[p * k + j]).sum();
            }
        }
        c
    }

    fn well_conditioned(n: usize, seed: u64) -> Vec<f64> {
        // Deterministic pseudo-random entries plus a dominant diagonal.
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut a = Vec::with_capacity(n * n);
        for i in 0..n * n {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = ((s >> 33) as f64 / (1u64 << 31) as f64) - 0.5;
            a.push(if i % (n + 1) == 0 { v + n as f64 } else { v });
        }
        a
    }

    #[test]
    fn lu_solve_recovers_the_right_hand_side() {
        for n in [1, 2, 3, 7, 8, 9, 17, 33] {
            let a = well_conditioned(n, n as u64);
            let x: Vec<f64> = (0..n * 3).map(|i| (i as f64 * 0.37).sin()).collect();
            let b = matmul(&a, &x, n, 3);
            let mut lu = a.clone();
            let (piv, info) = lu_factor(&mut lu, n);
            assert_eq!(info, 0);
            let mut sol = b.clone();
            lu_solve(&lu, &piv, &mut sol, n, 3);
            for (u, v) in sol.iter().zip(&x) {
                assert!((u - v).abs() < 1e-10, "n={n}: {u} vs {v}");
            }
        }
    }

    #[test]
    fn transposed_solve_solves_with_a_transpose() {
        for n in [1, 2, 5, 9] {
            let a = well_conditioned(n, 7 + n as u64);
            let mut at = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    at[i * n + j] = a[j * n + i];
                }
            }
            let x: Vec<f64> = (0..n * 2).map(|i| (i as f64 * 0.61).cos()).collect();
            let b = matmul(&at, &x, n, 2);
            let mut lu = a.clone();
            let (piv, _) = lu_factor(&mut lu, n);
            let mut sol = b.clone();
            lu_solve_transposed(&lu, &piv, &mut sol, n, 2);
            for (u, v) in sol.iter().zip(&x) {
                assert!((u - v).abs() < 1e-10, "n={n}: {u} vs {v}");
            }
        }
    }

    #[test]
    fn pivoting_swaps_rows_and_det_has_their_sign() {
        // [[0, 1], [2, 3]]: the first pivot needs a swap; det = -2.
        let mut a = vec![0.0, 1.0, 2.0, 3.0];
        let (piv, info) = lu_factor(&mut a, 2);
        assert_eq!((piv.clone(), info), (vec![2, 2], 0));
        assert_eq!(det_from_lu(&a, &piv, 2), -2.0);
        assert_eq!(slogdet_from_lu(&a, &piv, 2), (-1.0, 2f64.ln()));
    }

    #[test]
    fn singular_matrices_report_the_first_zero_pivot() {
        // Row 2 is twice row 1: U's second diagonal element is exactly zero.
        let mut a = vec![1.0f32, 2.0, 2.0, 4.0];
        let (piv, info) = lu_factor(&mut a, 2);
        assert_eq!(info, 2);
        assert_eq!(det_from_lu(&a, &piv, 2), 0.0);
        assert_eq!(slogdet_from_lu(&a, &piv, 2), (0.0, f32::NEG_INFINITY));
        let mut z = vec![0.0f64; 9];
        assert_eq!(lu_factor(&mut z, 3).1, 1);
    }

    #[test]
    fn cholesky_factors_and_refuses_indefinite_matrices() {
        for n in [1, 2, 5, 9] {
            let b = well_conditioned(n, 3);
            let mut spd = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    spd[i * n + j] = (0..n).map(|p| b[i * n + p] * b[j * n + p]).sum();
                }
            }
            let mut l = spd.clone();
            assert_eq!(cholesky(&mut l, n), 0);
            let mut lt = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    lt[i * n + j] = l[j * n + i];
                }
            }
            for (u, v) in matmul(&l, &lt, n, n).iter().zip(&spd) {
                assert!((u - v).abs() < 1e-9);
            }
        }
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert_eq!(cholesky(&mut a, 2), 2);
        let mut neg = vec![-1.0f32];
        assert_eq!(cholesky(&mut neg, 1), 1);
    }

    #[test]
    fn cofactors_of_singular_and_regular_matrices() {
        // [[1, 2], [2, 4]]: cofactors [[4, -2], [-2, 1]].
        assert_eq!(cofactors(&[1.0, 2.0, 2.0, 4.0], 2), vec![4.0, -2.0, -2.0, 1.0]);
        // A regular matrix: cofactors = det * A^-T.
        let a = well_conditioned(4, 9);
        let mut lu = a.clone();
        let (piv, _) = lu_factor(&mut lu, 4);
        let det = det_from_lu(&lu, &piv, 4);
        let mut inv: Vec<f64> = (0..16).map(|i| if i % 5 == 0 { 1.0 } else { 0.0 }).collect();
        lu_solve(&lu, &piv, &mut inv, 4, 4);
        let c = cofactors(&a, 4);
        for r in 0..4 {
            for col in 0..4 {
                assert!((c[r * 4 + col] - det * inv[col * 4 + r]).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn batched_factorization_is_the_same_split_or_not() {
        // Enough matrices to pass GRAIN, so the pieces may go to the pool.
        let n = 9;
        let batch = 60;
        let data: Vec<f64> = (0..batch).flat_map(|b| well_conditioned(n, b as u64)).collect();
        let mut one = data.clone();
        let serial = lu_factor_batched(&mut one, n, batch);
        let mut two = data.clone();
        let split = crate::cpu::split::with_forced_split(2, || lu_factor_batched(&mut two, n, batch));
        assert_eq!(serial, split);
        assert_eq!(one, two);
        assert!(serial.1.iter().all(|&i| i == 0));
    }
}
