//! `rustgrad.linalg`'s factorization-based ops: `det`, `slogdet`, `inv`, `solve` (LU with partial
//! pivoting) and `cholesky`, batched over leading dims, with PyTorch's nodes (LinalgDetBackward0,
//! LinalgSlogdetBackward0, LinalgInvExBackward0, LinalgSolveExBackward0,
//! LinalgCholeskyExBackward0), saved sets and errors. Backward formulas are written with
//! differentiable ops (so `create_graph=True` works), except where PyTorch needs an SVD (the
//! gradient of `det` at a singular matrix: the cofactor matrix, computed from minors here).

use super::backward::{backward_fn, input, output, vals};
use super::linalg::{matmul, transpose_last2};
use super::{dense, needs, record};
use crate::autograd::{is_grad_enabled, GradModeGuard, SavedTensor};
use crate::cpu::linalg_lu as k;
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, DType, Tensor};
use crate::with_float_dtype;

/// Checks that `a` is a batch of square matrices (PyTorch's `squareCheckInputs`); returns `n`.
fn check_square(name: &str, a: &Tensor) -> Result<usize> {
    let shape = a.shape();
    if shape.len() < 2 {
        return Err(Error::runtime(format!("{name}: The input tensor A must have at least 2 dimensions.")));
    }
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if r != c {
        return Err(Error::runtime(format!("{name}: A must be batches of square matrices, but they are {r} by {c} matrices")));
    }
    Ok(r)
}

/// PyTorch's `checkFloatingOrComplex`.
fn check_float(name: &str, a: &Tensor) -> Result<()> {
    if !a.dtype().is_float() {
        return Err(Error::runtime(format!(
            "{name}: Expected a floating point or complex tensor as input. Got {}",
            a.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

/// The square-matrix checks of det/slogdet/inv/cholesky, in PyTorch's order.
fn check_matrices(name: &str, a: &Tensor) -> Result<usize> {
    let n = check_square(name, a)?;
    check_float(name, a)?;
    Ok(n)
}

/// PyTorch's `_linalg_check_errors` prefix: batched inputs name the failing batch element.
fn failure(name: &str, batched: bool, batch: usize, what: String) -> Error {
    let at = if batched { format!("(Batch element {batch}): ") } else { String::new() };
    Error::linalg(format!("{name}: {at}{what}"))
}

/// An LU factorization of every matrix of a batch: `lu` (same shape as `A`), 1-based int32
/// `pivots` (shape `batch + [n]`) and each matrix's `info` (first zero pivot, 1-based, or 0).
struct Lu {
    lu: Tensor,
    pivots: Tensor,
    infos: Vec<usize>,
}

fn lu_factor(a: &Tensor, n: usize) -> Result<Lu> {
    let shape = a.shape();
    let batch: usize = shape[..shape.len() - 2].iter().product();
    let mut piv_shape = shape[..shape.len() - 2].to_vec();
    piv_shape.push(n);
    with_float_dtype!(a.dtype(), T => {
        let mut data = dense::<T>(a);
        let (pivots, infos) = k::lu_factor_batched(&mut data, n, batch);
        Ok(Lu { lu: Tensor::from_vec(data, &shape)?, pivots: Tensor::from_vec(pivots, &piv_shape)?, infos })
    })
}

/// `X` with `A X = B` for each matrix pair, from `A`'s LU; `b` (contiguous values, `batch x n x
/// k`) is overwritten. A zero pivot gives infinities/NaNs, not an error (callers check first).
fn lu_solve_values<T: crate::cpu::reduce_simd::Float>(lu: &[T], piv: &[i32], b: &mut [T], n: usize, rhs: usize) {
    lu_solve_values_t(lu, piv, b, n, rhs, false)
}

/// `lu_solve_values`, or with `A^T` when `transposed`.
fn lu_solve_values_t<T: crate::cpu::reduce_simd::Float>(lu: &[T], piv: &[i32], b: &mut [T], n: usize, rhs: usize, transposed: bool) {
    if n == 0 || rhs == 0 {
        return;
    }
    let pieces: Vec<_> = b.chunks_exact_mut(n * rhs).enumerate().collect();
    let solve = |(i, chunk): (usize, &mut [T])| {
        let (lu, piv) = (&lu[i * n * n..(i + 1) * n * n], &piv[i * n..(i + 1) * n]);
        if transposed {
            k::lu_solve_transposed(lu, piv, chunk, n, rhs)
        } else {
            k::lu_solve(lu, piv, chunk, n, rhs)
        }
    };
    if crate::cpu::parallel(pieces.len() * n * n * rhs) {
        crate::cpu::split::for_pieces(pieces, solve);
    } else {
        pieces.into_iter().for_each(solve);
    }
}

/// The inverse of every matrix from its LU, without recording (singular ones give inf/NaN).
fn inverse_from_lu(lu: &Lu, n: usize) -> Result<Tensor> {
    let shape = lu.lu.shape();
    let batch = lu.infos.len();
    with_float_dtype!(lu.lu.dtype(), T => {
        let mut out = vec![<T as num_traits::Zero>::zero(); batch * n * n];
        for m in out.chunks_exact_mut((n * n).max(1)) {
            for i in 0..n {
                m[i * n + i] = <T as num_traits::One>::one();
            }
        }
        lu_solve_values(&dense::<T>(&lu.lu), &dense::<i32>(&lu.pivots), &mut out, n, n);
        Tensor::from_vec(out, &shape)
    })
}

/// `g` with two trailing unit dims (a per-matrix scalar broadcast over its matrix).
fn per_matrix(g: &Tensor) -> Result<Tensor> {
    super::unsqueeze(&super::unsqueeze(g, -1)?, -1)
}

/// Whether some element of a float tensor is zero (a singular matrix's det or sign).
fn any_zero(t: &Tensor) -> Result<bool> {
    Ok(super::shape::convert(t, DType::F64).to_vec::<f64>()?.iter().any(|&d| d == 0.0))
}

fn arg(s: &[Option<Tensor>], i: usize) -> &Tensor {
    s[i].as_ref().expect("saved tensor")
}

/// The saved LU factorization as PyTorch's nodes show it (`_saved_LU`, `_saved_pivots`).
fn save_lu(lu: &Lu) -> [Option<SavedTensor>; 2] {
    [Some(SavedTensor::input(&lu.lu).named("LU")), Some(SavedTensor::input(&lu.pivots).named("pivots"))]
}

/// `torch.linalg.det(A)` (also `torch.det`, `Tensor.det`).
pub fn linalg_det(a: &Tensor) -> Result<Tensor> {
    let n = check_matrices("linalg.det", a)?;
    let lu = lu_factor(a, n)?;
    let shape = a.shape();
    let batch_shape = &shape[..shape.len() - 2];
    let out = with_float_dtype!(a.dtype(), T => {
        let (values, piv) = (dense::<T>(&lu.lu), dense::<i32>(&lu.pivots));
        let dets: Vec<T> = (0..lu.infos.len()).map(|i| k::det_from_lu(&values[i * n * n..(i + 1) * n * n], &piv[i * n..(i + 1) * n], n)).collect();
        Tensor::from_vec(dets, batch_shape)?
    });
    record(&[a], &[&out], || {
        let [s_lu, s_piv] = save_lu(&lu);
        let saved = vec![input("A", a), s_lu, s_piv, output("result", &out, 0)];
        // d det(A) = grad * det(A) * A^-T, the cofactor matrix. Where det(A) = 0 exactly, PyTorch's
        // first-order backward solves with a zero right-hand side (gradient 0), while a recorded
        // backward (create_graph) takes the true cofactors (from SVD there, from minors here).
        backward_fn("LinalgDetBackward0", saved, move |_, s, g| {
            let (a, det) = (arg(&s, 0), arg(&s, 3));
            let singular = any_zero(det)?;
            let scale = per_matrix(&super::mul(&g[0], det)?)?;
            if !singular {
                return Ok(vec![Some(super::mul(&scale, &transpose_last2(&linalg_inv(a)?)?)?)]);
            }
            let recorded = is_grad_enabled();
            let cof = with_float_dtype!(a.dtype(), T => {
                let values = dense::<T>(&a.detach());
                let dets = dense::<T>(&super::shape::convert(det, a.dtype()));
                let mut out = Vec::with_capacity(values.len());
                for (m, &d) in values.chunks_exact((n * n).max(1)).zip(&dets) {
                    if d == <T as num_traits::Zero>::zero() && !recorded {
                        out.extend(std::iter::repeat_n(<T as num_traits::Zero>::zero(), n * n));
                    } else {
                        out.extend(k::cofactors(m, n));
                    }
                }
                Tensor::from_vec(out, &a.shape())?
            });
            Ok(vec![Some(super::mul(&per_matrix(&g[0])?, &cof)?)])
        })
    })?;
    Ok(out)
}

/// `torch.linalg.slogdet(A)`: `(sign, log|det A|)`; singular matrices give `(0, -inf)`.
pub fn linalg_slogdet(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = check_matrices("linalg.slogdet", a)?;
    let lu = lu_factor(a, n)?;
    let shape = a.shape();
    let batch_shape = &shape[..shape.len() - 2];
    let (sign, logabs) = with_float_dtype!(a.dtype(), T => {
        let (values, piv) = (dense::<T>(&lu.lu), dense::<i32>(&lu.pivots));
        let (signs, logs): (Vec<T>, Vec<T>) =
            (0..lu.infos.len()).map(|i| k::slogdet_from_lu(&values[i * n * n..(i + 1) * n * n], &piv[i * n..(i + 1) * n], n)).unzip();
        (Tensor::from_vec(signs, batch_shape)?, Tensor::from_vec(logs, batch_shape)?)
    });
    record(&[a], &[&sign, &logabs], || {
        let [s_lu, s_piv] = save_lu(&lu);
        let saved = vec![input("A", a), s_lu, s_piv, output("sign", &sign, 0)];
        // d log|det A| = grad_logabsdet * A^-T (the sign is piecewise constant: no gradient)
        backward_fn("LinalgSlogdetBackward0", saved, move |_, s, g| {
            let (a, lu, piv) = (arg(&s, 0), arg(&s, 1), arg(&s, 2));
            let singular = any_zero(arg(&s, 3))?;
            let inv = if is_grad_enabled() && !singular {
                linalg_inv(a)?
            } else {
                let infos = vec![0; lu.numel() / (n * n).max(1)];
                inverse_from_lu(&Lu { lu: lu.clone(), pivots: piv.clone(), infos }, n)?
            };
            Ok(vec![Some(super::mul(&per_matrix(&g[1])?, &transpose_last2(&inv)?)?)])
        })
    })?;
    Ok((sign, logabs))
}

/// `torch.linalg.inv(A)` (also `torch.inverse`, `Tensor.inverse`).
pub fn linalg_inv(a: &Tensor) -> Result<Tensor> {
    let n = check_matrices("linalg.inv", a)?;
    let lu = lu_factor(a, n)?;
    if let Some((b, &info)) = lu.infos.iter().enumerate().find(|(_, &i)| i != 0) {
        return Err(failure(
            "linalg.inv",
            a.dim() > 2,
            b,
            format!("The diagonal element {info} is zero, the inversion could not be completed because the input matrix is singular."),
        ));
    }
    let out = inverse_from_lu(&lu, n)?;
    record(&[a], &[&out], || {
        // d inv(A) = -inv(A)^T grad inv(A)^T
        backward_fn("LinalgInvExBackward0", vec![output("inverse", &out, 0)], |_, s, g| {
            let inv_t = transpose_last2(arg(&s, 0))?;
            Ok(vec![Some(super::neg(&matmul(&matmul(&inv_t, &g[0])?, &inv_t)?)?)])
        })
    })?;
    Ok(out)
}

/// Whether `B` is a batch of vectors for `A` (PyTorch's `linalg_solve_is_vector_rhs`).
fn vector_rhs(a_shape: &[usize], b_shape: &[usize]) -> bool {
    b_shape.len() == 1 || (b_shape.len() + 1 == a_shape.len() && b_shape == &a_shape[..a_shape.len() - 1])
}

/// `torch.linalg.solve(A, B, left=True)`: `X` with `A X = B` (`X A = B` when `left` is false),
/// `A`'s and `B`'s batch dims broadcast, `B` a (batch of) vector(s) when PyTorch reads it so.
pub fn linalg_solve(a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    const NAME: &str = "linalg.solve";
    check_float(NAME, a)?;
    if a.dtype() != b.dtype() {
        return Err(Error::runtime(format!(
            "{NAME}: Expected A and B to have the same dtype, but found A of type {} and B of type {} instead",
            a.dtype().scalar_type_name(),
            b.dtype().scalar_type_name()
        )));
    }
    let n = check_square(NAME, a)?;
    let (a_shape, b_shape) = (a.shape(), b.shape());
    let vector = vector_rhs(&a_shape, &b_shape);
    if !vector && b_shape.len() < 2 {
        return Err(Error::runtime(format!("{NAME}: The input tensor B must have at least 2 dimensions.")));
    }
    // B as a batch of rows x cols matrices (a vector is one column).
    let (rows, cols) = if vector { (b_shape[b_shape.len() - 1], 1) } else { (b_shape[b_shape.len() - 2], b_shape[b_shape.len() - 1]) };
    // The solve runs on n x rhs right-hand sides: B itself, or B^T for X A = B.
    let (b_n, rhs) = if left { (rows, cols) } else { (cols, rows) };
    if b_n != n {
        let eq = if left { "AX = B" } else { "XA = B" };
        return Err(Error::runtime(format!("{NAME}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {rows}x{cols})")));
    }
    let a_batch = &a_shape[..a_shape.len() - 2];
    let b_batch = &b_shape[..b_shape.len() - if vector { 1 } else { 2 }];
    let batch_shape = broadcast_shapes(b_batch, a_batch)?;
    let lu = lu_factor(a, n)?;
    if let Some(bi) = lu.infos.iter().position(|&i| i != 0) {
        return Err(failure("rustgrad.linalg.solve", a.dim() > 2, bi, "The solver failed because the input matrix is singular.".into()));
    }
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let mut full = batch_shape.clone();
        full.extend([n, n]);
        let lu_b = super::expand(&lu.lu, &full)?;
        let mut piv_shape = batch_shape.clone();
        piv_shape.push(n);
        let piv_b = super::expand(&lu.pivots, &piv_shape)?;
        // B as batch x n x rhs (column vectors for the vector case, B^T for left=false).
        let b_mat = if vector { super::unsqueeze(b, -1)? } else { b.clone() };
        let b_mat = if left { b_mat } else { transpose_last2(&b_mat)? };
        let mut b_full = batch_shape.clone();
        b_full.extend([n, rhs]);
        let b_mat = super::expand(&b_mat, &b_full)?;
        let x = with_float_dtype!(a.dtype(), T => {
            let mut values = dense::<T>(&b_mat);
            // X A = B is A^T X^T = B^T: solved from A's LU.
            lu_solve_values_t(&dense::<T>(&lu_b), &dense::<i32>(&piv_b), &mut values, n, rhs, !left);
            Tensor::from_vec(values, &b_full)?
        });
        let x = if left { x } else { super::contiguous(&transpose_last2(&x)?)? };
        if vector {
            super::squeeze(&x, Some(&[-1]), true)?
        } else {
            x
        }
    };
    record(&[a, b], &[&out], || {
        let [s_lu, s_piv] = save_lu(&lu);
        let saved = vec![input("A", a), s_lu, s_piv, output("result", &out, 0)];
        // left: gB = A^-T grad, gA = -gB X^T; right (X A = B): gB = grad A^-T, gA = -X^T gB
        backward_fn("LinalgSolveExBackward0", saved, move |node, s, g| {
            let (a, x) = (arg(&s, 0), arg(&s, 3));
            let a_t = transpose_last2(a)?;
            let gb = linalg_solve(&a_t, &g[0], left)?;
            let ga = if !needs(node, 0) {
                None
            } else if vector {
                // (vector X, left only: a right solve with a vector B needs n == 1)
                let (gb_m, x_m) = (super::unsqueeze(&gb, -1)?, super::unsqueeze(x, -1)?);
                Some(super::neg(&if left { matmul(&gb_m, &transpose_last2(&x_m)?)? } else { matmul(&transpose_last2(&x_m)?, &gb_m)? })?)
            } else if left {
                Some(super::neg(&matmul(&gb, &transpose_last2(x)?)?)?)
            } else {
                Some(super::neg(&matmul(&transpose_last2(x)?, &gb)?)?)
            };
            Ok(vec![ga, needs(node, 1).then_some(gb)])
        })
        .values(vals![("left", left)])
    })?;
    Ok(out)
}

/// `torch.linalg.cholesky(A, upper=False)`: lower `L` with `L L^T = A` (from `A`'s lower
/// triangle), or `U = L^T` when `upper`.
pub fn linalg_cholesky(a: &Tensor, upper: bool) -> Result<Tensor> {
    const NAME: &str = "linalg.cholesky";
    let n = check_matrices(NAME, a)?;
    let shape = a.shape();
    let l = with_float_dtype!(a.dtype(), T => {
        let mut values = dense::<T>(a);
        let infos = k::per_matrix(&mut values, n, |m| k::cholesky(m, n));
        if let Some((b, &info)) = infos.iter().enumerate().find(|(_, &i)| i != 0) {
            return Err(failure(NAME, a.dim() > 2, b, format!(
                "The factorization could not be completed because the input is not positive-definite (the leading minor of order {info} is not positive-definite)."
            )));
        }
        Tensor::from_vec(values, &shape)?
    });
    let out = if upper {
        let _no_grad = GradModeGuard::new(false);
        super::contiguous(&transpose_last2(&l)?)?
    } else {
        l
    };
    record(&[a], &[&out], || {
        // P = tril(L^T gL), gA = L^-T (P + tril(P, -1)^T)/2 L^-1
        backward_fn("LinalgCholeskyExBackward0", vec![output("L", &out, 0)], move |_, s, g| {
            let (l, gl) = if upper { (transpose_last2(arg(&s, 0))?, transpose_last2(&g[0])?) } else { (arg(&s, 0).clone(), g[0].clone()) };
            let p = super::triangle(&matmul(&transpose_last2(&l)?, &gl)?, 0, true)?;
            let sym = super::mul(&super::add(&p, &transpose_last2(&super::triangle(&p, -1, true)?)?)?, &Tensor::wrapped_scalar(0.5, DType::F64))?;
            let l_inv = linalg_inv(&l)?;
            Ok(vec![Some(matmul(&matmul(&transpose_last2(&l_inv)?, &sym)?, &l_inv)?)])
        })
        .values(vals![("upper", upper)])
    })?;
    Ok(out)
}
