//! `rustgrad.linalg.qr` (Householder with LAPACK's sign conventions, `cpu::linalg_qr`), batched
//! over leading dims, with PyTorch's LinalgQrBackward0 (written with differentiable ops).

use super::backward::{backward_fn, output, vals};
use super::linalg::{matmul, transpose_last2};
use super::linalg_svd::{batch_values, check_matrix_input, result};
use super::record;
use crate::cpu::linalg_qr as k;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// `torch.linalg.qr(A, mode)`: `(Q, R)`; `mode` is "reduced" (Q: m x k, R: k x n), "complete"
/// (Q: m x m, R: m x n) or "r" (Q empty, R: k x n).
pub fn linalg_qr(a: &Tensor, mode: &str) -> Result<(Tensor, Tensor)> {
    let (m, n) = check_matrix_input("linalg.qr", a)?;
    let (complete, with_q, mode): (bool, bool, &'static str) = match mode {
        "reduced" => (false, true, "reduced"),
        "complete" => (true, true, "complete"),
        "r" => (false, false, "r"),
        _ => {
            return Err(Error::runtime(format!(
                "qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'"
            )))
        }
    };
    let kk = m.min(n);
    let (values, batch) = batch_values(a, m, n);
    let (mut qs, mut rs) = (Vec::new(), Vec::new());
    for b in 0..batch {
        let (q, r) = k::qr(&values[b * m * n..(b + 1) * m * n], m, n, complete, with_q);
        qs.extend(q);
        rs.extend(r);
    }
    let (q_cols, r_rows) = if complete { (m, m) } else { (kk, kk) };
    let q = if with_q { result(qs, a, &[m, q_cols])? } else { super::linalg_svd::empty_like_dtype(a)? };
    let r = result(rs, a, &[r_rows, n])?;
    record(&[a], &[&q, &r], || {
        let saved = vec![output("Q", &q, 0), output("R", &r, 1)];
        // m >= n: gA = [gQ + Q copyltu(M)] R^-T with M = R gR^T - gQ^T Q and
        // copyltu(M) = tril(M) + tril(M, -1)^T; m < n: the square QR of A[:, :m] with gQ + Y gR2^T
        // (A = [X | Y], R = [R1 | R2], R2 = Q^T Y), and gY = Q gR2.
        backward_fn("LinalgQrBackward0", saved, move |_, s, g| {
            if mode == "r" {
                return Err(Error::runtime("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr."));
            }
            let (q, r) = (s[0].as_ref().expect("Q"), s[1].as_ref().expect("R"));
            if mode == "complete" && m > n {
                return Err(Error::runtime("The QR decomposition is not differentiable when mode='complete' and nrows > ncols."));
            }
            Ok(vec![Some(qr_backward(&g[0], &g[1], q, r, m, n)?)])
        })
        .values(vals![("mode", mode)])
    })?;
    Ok((q, r))
}

/// The real `linalg_qr_backward` for Q: m x k and R: k x n (k = min(m, n)).
fn qr_backward(gq: &Tensor, gr: &Tensor, q: &Tensor, r: &Tensor, m: usize, n: usize) -> Result<Tensor> {
    if m >= n {
        return qr_backward_square(gq, gr, q, r);
    }
    let mi = m as i64;
    let (r1, r2) = (super::narrow(r, -1, 0, mi)?, super::narrow(r, -1, mi, (n - m) as i64)?);
    let (gr1, gr2) = (super::narrow(gr, -1, 0, mi)?, super::narrow(gr, -1, mi, (n - m) as i64)?);
    let y = matmul(q, &r2)?;
    let gq_x = super::add(gq, &matmul(&y, &transpose_last2(&gr2)?)?)?;
    let gx = qr_backward_square(&gq_x, &gr1, q, &r1)?;
    let gy = matmul(q, &gr2)?;
    super::cat(&[gx, gy], -1)
}

fn qr_backward_square(gq: &Tensor, gr: &Tensor, q: &Tensor, r: &Tensor) -> Result<Tensor> {
    let m_ = super::sub(&matmul(r, &transpose_last2(gr)?)?, &matmul(&transpose_last2(gq)?, q)?)?;
    let low = super::triangle(&m_, -1, true)?;
    let copyltu = super::add(&super::triangle(&m_, 0, true)?, &transpose_last2(&low)?)?;
    let b = super::add(gq, &matmul(q, &copyltu)?)?;
    // B R^-T: X with X R^T = B.
    super::linalg_solve(&transpose_last2(r)?, &b, false)
}
