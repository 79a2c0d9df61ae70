//! `rustgrad.linalg.svd` / `svdvals` (one-sided Jacobi, `cpu::linalg_svd`), batched over leading
//! dims, with PyTorch's LinalgSvdBackward0 (`svd_backward` of FunctionsManual.cpp, written with
//! differentiable ops so `create_graph=True` works) and PyTorch's errors.

use super::backward::{backward_fn, output, vals};
use super::linalg::{matmul, transpose_last2};
use super::record;
use crate::cpu::linalg_svd as k;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// PyTorch's checks of a matrix-function input: at least 2 dims, then a float dtype.
pub(crate) fn check_matrix_input(name: &str, a: &Tensor) -> Result<(usize, usize)> {
    let shape = a.shape();
    if shape.len() < 2 {
        return Err(Error::runtime(format!("{name}: The input tensor A must have at least 2 dimensions.")));
    }
    if !a.dtype().is_float() {
        return Err(Error::runtime(format!(
            "{name}: Expected a floating point or complex tensor as input. Got {}",
            a.dtype().scalar_type_name()
        )));
    }
    Ok((shape[shape.len() - 2], shape[shape.len() - 1]))
}

/// A matrix batch as float64 row-major values (the Jacobi kernels run in float64) and its count.
pub(crate) fn batch_values(a: &Tensor, m: usize, n: usize) -> (Vec<f64>, usize) {
    let values = super::dense::<f64>(&super::shape::convert(&a.detach(), DType::F64));
    let batch = a.shape()[..a.dim() - 2].iter().product();
    debug_assert_eq!(values.len(), batch * m * n);
    (values, batch)
}

/// A float64 result in the input's dtype with shape `batch dims + tail`.
pub(crate) fn result(values: Vec<f64>, a: &Tensor, tail: &[usize]) -> Result<Tensor> {
    let mut shape = a.shape()[..a.dim() - 2].to_vec();
    shape.extend_from_slice(tail);
    Ok(super::shape::convert(&Tensor::from_vec(values, &shape)?, a.dtype()))
}

/// The 1-D empty tensor PyTorch returns for a factor it did not compute.
pub(crate) fn empty_like_dtype(a: &Tensor) -> Result<Tensor> {
    Ok(super::shape::convert(&Tensor::from_vec(Vec::<f64>::new(), &[0])?, a.dtype()))
}

/// PyTorch's `_linalg_check_errors` prefix: batched inputs name the failing batch element.
pub(crate) fn batch_failure(name: &str, batched: bool, batch: usize, what: &str) -> Error {
    let at = if batched { format!("(Batch element {batch}): ") } else { String::new() };
    Error::linalg(format!("{name}: {at}{what}"))
}

/// `torch.linalg.svd(A, full_matrices)` as `(U, S, Vh)`; without `compute_uv` (svdvals outside a
/// graph) `U` and `Vh` are empty, as PyTorch's. NaN inputs raise PyTorch's LinAlgError; infinite
/// ones give NaN factors.
pub fn linalg_svd(a: &Tensor, full_matrices: bool, compute_uv: bool) -> Result<(Tensor, Tensor, Tensor)> {
    const NAME: &str = "linalg.svd";
    let (m, n) = check_matrix_input(NAME, a)?;
    let kk = m.min(n);
    let (ku, kv) = if full_matrices { (m, n) } else { (kk, kk) };
    let (values, batch) = batch_values(a, m, n);
    let (mut us, mut ss, mut vhs) = (Vec::new(), Vec::with_capacity(batch * kk), Vec::new());
    for (b, mat) in values.chunks_exact((m * n).max(1)).take(batch).enumerate() {
        if mat.iter().any(|x| x.is_nan()) {
            let what = "The algorithm failed to converge because the input matrix contained non-finite values.";
            return Err(batch_failure(NAME, a.dim() > 2, b, what));
        }
        if mat.iter().any(|x| x.is_infinite()) {
            ss.extend(std::iter::repeat_n(f64::NAN, kk));
            if compute_uv {
                us.extend(std::iter::repeat_n(f64::NAN, m * ku));
                vhs.extend(std::iter::repeat_n(f64::NAN, kv * n));
            }
            continue;
        }
        let f = k::svd(mat, m, n, full_matrices, compute_uv).ok_or_else(|| {
            batch_failure(NAME, a.dim() > 2, b, "The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated singular values (error code: 1).")
        })?;
        us.extend(f.u);
        ss.extend(f.s);
        vhs.extend(f.vh);
    }
    if batch == 0 || m * n == 0 {
        // No matrices to factor, or empty ones: the kernel's shapes still hold per matrix.
        let f = k::svd(&vec![0.0; m * n], m, n, full_matrices, compute_uv).expect("empty SVD");
        us = f.u.repeat(batch);
        vhs = f.vh.repeat(batch);
    }
    let s = result(ss, a, &[kk])?;
    let (u, vh) = if compute_uv { (result(us, a, &[m, ku])?, result(vhs, a, &[kv, n])?) } else { (empty_like_dtype(a)?, empty_like_dtype(a)?) };
    record(&[a], &[&u, &s, &vh], || {
        let saved = vec![output("U", &u, 0), output("S", &s, 1), output("Vh", &vh, 2)];
        backward_fn("LinalgSvdBackward0", saved, move |_, s, g| {
            let (u, sv, vh) = (s[0].as_ref().expect("U"), s[1].as_ref().expect("S"), s[2].as_ref().expect("Vh"));
            // A full factorization's extra columns/rows carry no gradient information (gauge).
            let k = sv.shape().last().copied().unwrap_or(0) as i64;
            let (u, vh, gu, gvh) = if full_matrices {
                (super::narrow(u, -1, 0, k)?, super::narrow(vh, -2, 0, k)?, super::narrow(&g[0], -1, 0, k)?, super::narrow(&g[2], -2, 0, k)?)
            } else {
                (u.clone(), vh.clone(), g[0].clone(), g[2].clone())
            };
            Ok(vec![Some(svd_backward(defined(&gu)?, &g[1], defined(&gvh)?, &u, sv, &vh)?)])
        })
        .values(vals![("full_matrices", full_matrices)])
    })?;
    Ok((u, s, vh))
}

/// A materialized gradient, or None when it is all zeros (an output that got no gradient: its
/// terms vanish, and skipping them avoids the 0/0 of repeated singular values, as PyTorch's
/// undefined gradients do).
fn defined(g: &Tensor) -> Result<Option<&Tensor>> {
    Ok((!is_zero(g)?).then_some(g))
}

/// Whether every element of `g` is zero (a gradient that never arrived, materialized).
pub(crate) fn is_zero(g: &Tensor) -> Result<bool> {
    let values = super::dense::<f64>(&super::shape::convert(&g.detach(), DType::F64));
    Ok(values.iter().all(|&x| x == 0.0))
}

/// PyTorch's `svd_backward` for real inputs (reduced U: m x k, S: k, Vh: k x n). With
/// E_ij = S_j^2 - S_i^2 (1 on the diagonal), skew(X) = X - X^T:
/// gA = U [(skew(U^T gU) S + S skew(Vh gVh^T)) / E + diag(gS)] Vh, plus (I - U U^T) gU S^-1 Vh
/// for tall A and U S^-1 gVh (I - Vh^T Vh) for wide A.
fn svd_backward(gu: Option<&Tensor>, gs: &Tensor, gvh: Option<&Tensor>, u: &Tensor, s: &Tensor, vh: &Tensor) -> Result<Tensor> {
    let (m, n) = (u.shape()[u.dim() - 2], vh.shape()[vh.dim() - 1]);
    let (s_row, s_col) = (super::unsqueeze(s, -2)?, super::unsqueeze(s, -1)?);
    if gu.is_none() && gvh.is_none() {
        // svdvals: gA = U diag(gS) Vh
        let gs_col = super::unsqueeze(gs, -1)?;
        return if m >= n { matmul(u, &super::mul(&gs_col, vh)?) } else { matmul(&super::mul(u, &super::unsqueeze(gs, -2)?)?, vh) };
    }
    let skew = |x: Tensor| -> Result<Tensor> { super::sub(&x, &transpose_last2(&x)?) };
    let s2 = super::mul(s, s)?;
    let e = super::sub(&super::unsqueeze(&s2, -2)?, &super::unsqueeze(&s2, -1)?)?;
    let k = s.shape().last().copied().unwrap_or(0);
    // E's diagonal is exactly 0 (S_i^2 - S_i^2): adding I makes it 1.
    let eye = super::shape::convert(&super::eye(k as i64, None, DType::F64)?, e.dtype());
    let e = super::add(&e, &eye)?;
    let uhgu = gu.map(|g| skew(matmul(&transpose_last2(u)?, g)?)).transpose()?;
    let vhgv = gvh.map(|g| skew(matmul(vh, &transpose_last2(g)?)?)).transpose()?;
    let mut ga = match (&uhgu, &vhgv) {
        (Some(a), Some(b)) => super::div(&super::add(&super::mul(a, &s_row)?, &super::mul(&s_col, b)?)?, &e)?,
        (Some(a), None) => super::mul(a, &super::div(&s_row, &e)?)?,
        (None, Some(b)) => super::div(&super::mul(&s_col, b)?, &e)?,
        (None, None) => unreachable!("handled above"),
    };
    ga = super::add(&ga, &super::diag_embed(gs, 0, -2, -1)?)?;
    if let (true, Some(gu)) = (m > n, gu) {
        // gA = [U gA + (I - U U^T) gU S^-1] Vh
        let gu_sinv = super::div(gu, &s_row)?;
        let proj = super::sub(&gu_sinv, &matmul(u, &matmul(&transpose_last2(u)?, &gu_sinv)?)?)?;
        return matmul(&super::add(&matmul(u, &ga)?, &proj)?, vh);
    }
    if let (true, Some(gvh)) = (m < n, gvh) {
        // gA = U [gA Vh + S^-1 gVh (I - Vh^T Vh)]
        let sinv_gvh = super::div(gvh, &s_col)?;
        let proj = super::sub(&sinv_gvh, &matmul(&matmul(&sinv_gvh, &transpose_last2(vh)?)?, vh)?)?;
        return matmul(u, &super::add(&matmul(&ga, vh)?, &proj)?);
    }
    if m >= n {
        matmul(u, &matmul(&ga, vh)?)
    } else {
        matmul(&matmul(u, &ga)?, vh)
    }
}

/// `torch.linalg.pinv(A, atol, rtol, hermitian)`: `Vh^T diag(S^+) U^T` from the reduced SVD, where
/// `S^+` inverts the singular values above `max(atol, rtol * S_max)` and zeroes the rest
/// (LinalgPinvBackward0). `rtol` defaults to `eps * max(m, n)`, or 0 when a positive `atol` is
/// given. A hermitian `A` is read from its lower triangle.
pub fn linalg_pinv(a: &Tensor, atol: Option<f64>, rtol: Option<f64>, hermitian: bool) -> Result<Tensor> {
    let shape = a.shape();
    if shape.len() < 2 || !a.dtype().is_float() {
        let dims = shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::runtime(format!(
            "linalg.pinv({}{{[{dims}]}}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types",
            a.dtype().scalar_type_name()
        )));
    }
    let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if hermitian && m != n {
        return Err(Error::runtime(format!("linalg.eigh: A must be batches of square matrices, but they are {m} by {n} matrices")));
    }
    let eps = if a.dtype() == DType::F32 { f32::EPSILON as f64 } else { f64::EPSILON };
    let atol_v = atol.unwrap_or(0.0);
    let rtol_v = rtol.unwrap_or(if atol_v > 0.0 { 0.0 } else { eps * m.max(n) as f64 });
    let out = {
        let _no_grad = crate::autograd::GradModeGuard::new(false);
        let input = if hermitian {
            // The symmetric matrix of A's lower triangle.
            let low = super::triangle(a, 0, true)?;
            super::sub(&super::add(&low, &transpose_last2(&low)?)?, &super::diag_embed(&super::diagonal(a, 0, -2, -1)?, 0, -2, -1)?)?
        } else {
            a.clone()
        };
        let (u, s, vh) = linalg_svd(&input, false, true)?;
        let values = super::dense::<f64>(&super::shape::convert(&s, DType::F64));
        let k = m.min(n);
        let batch = if k == 0 { 0 } else { values.len() / k };
        let mut inv = vec![0.0; values.len()];
        for b in 0..batch {
            let row = &values[b * k..(b + 1) * k];
            let tol = atol_v.max(rtol_v * row.first().copied().unwrap_or(0.0));
            for (o, &x) in inv[b * k..(b + 1) * k].iter_mut().zip(row) {
                *o = if x > tol { 1.0 / x } else { 0.0 };
            }
        }
        let s_inv = super::shape::convert(&Tensor::from_vec(inv, &s.shape())?, a.dtype());
        super::contiguous(&matmul(&super::mul(&transpose_last2(&vh)?, &super::unsqueeze(&s_inv, -2)?)?, &transpose_last2(&u)?)?)?
    };
    record(&[a], &[&out], || {
        let saved = vec![super::backward::input("self", a), output("result", &out, 0)];
        backward_fn("LinalgPinvBackward0", saved, move |_, s, g| {
            let (a, p) = (s[0].as_ref().expect("self"), s[1].as_ref().expect("result"));
            Ok(vec![Some(pinv_backward(&g[0], p, a)?)])
        })
    })?;
    Ok(out)
}

/// PyTorch's `pinv_backward` (real case), arranged to multiply the smallest matrices. For m <= n,
/// with K = g^T P: gA = -(P K)^T + K P^T - A P K P^T + P^T P (g^T - K A).
fn pinv_backward(g: &Tensor, p: &Tensor, a: &Tensor) -> Result<Tensor> {
    let (m, n) = (a.shape()[a.dim() - 2], a.shape()[a.dim() - 1]);
    let (pt, gt) = (transpose_last2(p)?, transpose_last2(g)?);
    if m <= n {
        let k = matmul(&gt, p)?;
        let kpt = matmul(&k, &pt)?;
        let t1 = super::sub(&kpt, &transpose_last2(&matmul(p, &k)?)?)?;
        let t2 = super::sub(&t1, &matmul(&matmul(a, p)?, &kpt)?)?;
        super::add(&t2, &matmul(&matmul(&pt, p)?, &super::sub(&gt, &matmul(&k, a)?)?)?)
    } else {
        // K = P g^T: gA = -(K P)^T + P^T K - P^T K P A + (g^T - A K) P P^T
        let k = matmul(p, &gt)?;
        let ptk = matmul(&pt, &k)?;
        let t1 = super::sub(&ptk, &transpose_last2(&matmul(&k, p)?)?)?;
        let t2 = super::sub(&t1, &matmul(&ptk, &matmul(p, a)?)?)?;
        super::add(&t2, &matmul(&matmul(&super::sub(&gt, &matmul(a, &k)?)?, p)?, &pt)?)
    }
}
