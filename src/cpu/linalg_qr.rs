//! Householder QR of one dense row-major float64 matrix with LAPACK's conventions (`geqrf`'s
//! reflectors `H = I - tau v v^T`, `v[0] = 1`, `beta = -sign(alpha) * norm`, so R's diagonal may be
//! negative exactly where LAPACK's is, and `orgqr` to form Q), which makes Q and R agree with
//! PyTorch's up to rounding, not just up to signs.

/// `A = Q R` for the `m x n` row-major `a`: `R` is `rows_r x n` upper triangular (`rows_r` = `m`
/// when `complete`, else `min(m, n)`); `Q` is `m x q_cols` (`m` when `complete`, else
/// `min(m, n)`), empty when `!with_q`.
pub fn qr(a: &[f64], m: usize, n: usize, complete: bool, with_q: bool) -> (Vec<f64>, Vec<f64>) {
    let k = m.min(n);
    let mut r = a.to_vec();
    let mut taus = Vec::with_capacity(k);
    for j in 0..k {
        // dlarfg on column j below the diagonal.
        let alpha = r[j * n + j];
        let xnorm = (j + 1..m).map(|i| r[i * n + j].powi(2)).sum::<f64>().sqrt();
        if xnorm == 0.0 {
            taus.push(0.0);
            continue;
        }
        let beta = -alpha.signum() * alpha.hypot(xnorm);
        let beta = if alpha == 0.0 { -alpha.hypot(xnorm) } else { beta };
        let tau = (beta - alpha) / beta;
        let scale = 1.0 / (alpha - beta);
        for i in j + 1..m {
            r[i * n + j] *= scale;
        }
        r[j * n + j] = beta;
        taus.push(tau);
        // Apply H = I - tau v v^T to the columns right of j.
        for c in j + 1..n {
            let mut w = r[j * n + c];
            for i in j + 1..m {
                w += r[i * n + j] * r[i * n + c];
            }
            w *= tau;
            r[j * n + c] -= w;
            for i in j + 1..m {
                r[i * n + c] -= w * r[i * n + j];
            }
        }
    }
    let q_cols = if complete { m } else { k };
    let q = if with_q {
        // orgqr: Q = H_0 H_1 ... H_{k-1} applied to the first q_cols columns of I, last first.
        let mut q = vec![0.0; m * q_cols];
        (0..q_cols).for_each(|i| q[i * q_cols + i] = 1.0);
        for j in (0..k).rev() {
            let tau = taus[j];
            if tau == 0.0 {
                continue;
            }
            let v = |i: usize| if i == j { 1.0 } else { r[i * n + j] };
            for c in 0..q_cols {
                let w: f64 = tau * (j..m).map(|i| v(i) * q[i * q_cols + c]).sum::<f64>();
                for i in j..m {
                    q[i * q_cols + c] -= w * v(i);
                }
            }
        }
        q
    } else {
        Vec::new()
    };
    // R: zero below the diagonal, first rows_r rows.
    let rows_r = if complete { m } else { k };
    let mut out = vec![0.0; rows_r * n];
    for i in 0..rows_r {
        for c in i..n {
            out[i * n + c] = r[i * n + c];
        }
    }
    (q, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_reconstructs_with_lapack_signs() {
        // [[3, 1], [4, 2]]: the first reflector maps (3, 4) to (-5, 0), as dgeqrf.
        let (q, r) = qr(&[3.0, 1.0, 4.0, 2.0], 2, 2, false, true);
        assert!((r[0] + 5.0).abs() < 1e-14 && r[2] == 0.0);
        for i in 0..2 {
            for j in 0..2 {
                let v: f64 = (0..2).map(|l| q[i * 2 + l] * r[l * 2 + j]).sum();
                assert!((v - [3.0, 1.0, 4.0, 2.0][i * 2 + j]).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn complete_q_is_orthogonal() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let (q, r) = qr(&a, 3, 2, true, true);
        assert_eq!((q.len(), r.len()), (9, 6));
        for i in 0..3 {
            for j in 0..3 {
                let d: f64 = (0..3).map(|l| q[l * 3 + i] * q[l * 3 + j]).sum();
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14);
            }
        }
    }
}
