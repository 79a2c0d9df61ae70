//! `rustgrad.linalg.eigh` / `eigvalsh` (cyclic Jacobi, `cpu::linalg_svd::eigh`) and
//! `linalg.solve_triangular` (`cpu::linalg_tri`), batched over leading dims, with PyTorch's
//! LinalgEighBackward0 and LinalgSolveTriangularBackward0 (written with differentiable ops).

use super::backward::{backward_fn, input, output, vals};
use super::linalg::{matmul, transpose_last2};
use super::linalg_svd::{batch_failure, batch_values, result};
use super::{needs, record};
use crate::autograd::GradModeGuard;
use crate::cpu::{linalg_svd as k, linalg_tri};
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Tensor};

/// PyTorch's checks of a square-matrix input (dims, squareness), then its dtype dispatch error.
fn check_square(name: &str, kernel: &str, a: &Tensor) -> Result<usize> {
    let shape = a.shape();
    if shape.len() < 2 {
        return Err(Error::runtime(format!("{name}: The input tensor A must have at least 2 dimensions.")));
    }
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if r != c {
        return Err(Error::runtime(format!("{name}: A must be batches of square matrices, but they are {r} by {c} matrices")));
    }
    if !a.dtype().is_float() {
        return Err(Error::not_implemented(format!("\"{kernel}\" not implemented for '{}'", a.dtype().scalar_type_name())));
    }
    Ok(r)
}

/// `torch.linalg.eigh(A, UPLO)`: ascending eigenvalues and orthonormal eigenvectors (columns) of
/// the symmetric matrix read from `A`'s lower (`"L"`) or upper (`"U"`) triangle. Without
/// `vectors` (eigvalsh outside a graph) the eigenvectors are an empty tensor.
pub fn linalg_eigh(a: &Tensor, uplo: &str, vectors: bool) -> Result<(Tensor, Tensor)> {
    const NAME: &str = "linalg.eigh";
    let lower = match uplo {
        "L" | "l" => true,
        "U" | "u" => false,
        _ => return Err(Error::runtime(format!("Expected UPLO argument to be 'L' or 'U', but got {uplo}"))),
    };
    let n = check_square(NAME, "linalg_eigh_cpu", a)?;
    let (values, batch) = batch_values(a, n, n);
    let (mut ws, mut vs) = (Vec::with_capacity(batch * n), Vec::with_capacity(batch * n * n));
    for b in 0..batch {
        let mat = &values[b * n * n..(b + 1) * n * n];
        let failed = || {
            let what = format!(
                "The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: {}).",
                n.saturating_sub(1).max(1)
            );
            batch_failure(NAME, a.dim() > 2, b, &what)
        };
        if mat.iter().any(|x| !x.is_finite()) {
            return Err(failed());
        }
        let (w, v) = k::eigh(mat, n, lower).ok_or_else(failed)?;
        ws.extend(w);
        vs.extend(v);
    }
    let w = result(ws, a, &[n])?;
    let v = if vectors { result(vs, a, &[n, n])? } else { super::linalg_svd::empty_like_dtype(a)? };
    record(&[a], &[&w, &v], || {
        let saved = vec![output("eigenvalues", &w, 0), output("eigenvectors", &v, 1)];
        // gA = V (diag(gL) + skew(V^T gV)/2 / E) V^T with E_ij = L_j - L_i (1 on the diagonal)
        backward_fn("LinalgEighBackward0", saved, move |_, s, g| {
            let (w, v) = (s[0].as_ref().expect("eigenvalues"), s[1].as_ref().expect("eigenvectors"));
            let inner = if super::linalg_svd::is_zero(&g[1])? {
                super::diag_embed(&g[0], 0, -2, -1)?
            } else {
                let vhgv = matmul(&transpose_last2(v)?, &g[1])?;
                let skew = super::mul(&super::sub(&vhgv, &transpose_last2(&vhgv)?)?, &Tensor::wrapped_scalar(0.5, DType::F64))?;
                let e = super::sub(&super::unsqueeze(w, -2)?, &super::unsqueeze(w, -1)?)?;
                let eye = super::shape::convert(&super::eye(n as i64, None, DType::F64)?, e.dtype());
                // skew's diagonal is exactly 0, so adding diag(gL) sets it.
                super::add(&super::div(&skew, &super::add(&e, &eye)?)?, &super::diag_embed(&g[0], 0, -2, -1)?)?
            };
            Ok(vec![Some(matmul(v, &matmul(&inner, &transpose_last2(v)?)?)?)])
        })
    })?;
    Ok((w, v))
}

/// `torch.linalg.solve_triangular(A, B, upper, left, unitriangular)`: `X` with `A X = B` (`X A = B`
/// when `!left`) for triangular `A`; batch dims broadcast, dtypes promote.
pub fn linalg_solve_triangular(a: &Tensor, b: &Tensor, upper: bool, left: bool, unitriangular: bool) -> Result<Tensor> {
    const NAME: &str = "linalg.solve_triangular";
    let (a_shape, b_shape) = (a.shape(), b.shape());
    for (t, shape) in [("A", &a_shape), ("B", &b_shape)] {
        if shape.len() < 2 {
            return Err(Error::runtime(format!("{NAME}: The input tensor {t} must have at least 2 dimensions.")));
        }
    }
    let (ra, ca) = (a_shape[a_shape.len() - 2], a_shape[a_shape.len() - 1]);
    if ra != ca {
        return Err(Error::runtime(format!("{NAME}: A must be batches of square matrices, but they are {ra} by {ca} matrices")));
    }
    let n = ra;
    let (rb, cb) = (b_shape[b_shape.len() - 2], b_shape[b_shape.len() - 1]);
    if (left && rb != n) || (!left && cb != n) {
        let eq = if left { "AX = B" } else { "XA = B" };
        return Err(Error::runtime(format!("{NAME}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {rb}x{cb})")));
    }
    let dtype = a.dtype().promote(b.dtype());
    if !dtype.is_float() {
        return Err(Error::not_implemented(format!("\"triangular_solve_cpu\" not implemented for '{}'", dtype.scalar_type_name())));
    }
    let batch = broadcast_shapes(&b_shape[..b_shape.len() - 2], &a_shape[..a_shape.len() - 2])?;
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let full = |tail: [usize; 2]| batch.iter().copied().chain(tail).collect::<Vec<_>>();
        let a_full = super::expand(&super::shape::convert(a, DType::F64), &full([n, n]))?;
        let b_full = super::expand(&super::shape::convert(b, DType::F64), &full([rb, cb]))?;
        // X A = B is A^T X^T = B^T: the transposed triangle, solved on B^T.
        let (a_sys, b_sys) = if left { (a_full, b_full) } else { (transpose_last2(&a_full)?, transpose_last2(&b_full)?) };
        let tri_upper = upper == left;
        let rhs = if left { cb } else { rb };
        let av = super::dense::<f64>(&a_sys);
        let mut bv = super::dense::<f64>(&b_sys);
        let count: usize = batch.iter().product();
        for i in 0..count {
            linalg_tri::solve_triangular(&av[i * n * n..(i + 1) * n * n], &mut bv[i * n * rhs..(i + 1) * n * rhs], n, rhs, tri_upper, unitriangular);
        }
        let x = Tensor::from_vec(bv, &full([n, rhs]))?;
        let x = if left { x } else { super::contiguous(&transpose_last2(&x)?)? };
        super::shape::convert(&x, dtype)
    };
    let (b_dtype, b_shape) = (b.dtype(), b.shape());
    record(&[a, b], &[&out], || {
        let saved = vec![input("self", a), output("result", &out, 0)];
        // gB = A^-T gX (gX A^-T when !left), gA = -gB X^T (-X^T gB), kept on A's triangle
        backward_fn("LinalgSolveTriangularBackward0", saved, move |node, s, g| {
            let (a, x) = (s[0].as_ref().expect("self"), s[1].as_ref().expect("result"));
            let gb = linalg_solve_triangular(&transpose_last2(a)?, &g[0], !upper, left, unitriangular)?;
            let ga = if needs(node, 0) {
                let xt = transpose_last2(x)?;
                let full = super::neg(&if left { matmul(&gb, &xt)? } else { matmul(&xt, &gb)? })?;
                let off = unitriangular as i64;
                let tri = if upper { super::triangle(&full, off, false)? } else { super::triangle(&full, -off, true)? };
                Some(super::sum_to_size(&super::shape::convert(&tri, a.dtype()), &a.shape())?)
            } else {
                None
            };
            let gb = if needs(node, 1) { Some(super::sum_to_size(&super::shape::convert(&gb, b_dtype), &b_shape)?) } else { None };
            Ok(vec![ga, gb])
        })
        .values(vals![("upper", upper), ("left", left), ("unitriangular", unitriangular)])
    })?;
    Ok(out)
}
