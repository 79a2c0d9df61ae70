//! `beta * input + alpha * product` ops beside addmm: `addmv` (matrix-vector), `baddbmm`
//! (batched, per batch) and `addbmm` (batched products summed over the batch).

use super::backward::{backward_fn, input, number, vals};
use super::binary::mul_scalar;
use super::{add, bmm, expand, mv, needs, outer, record, sum_dims, transpose, unsqueeze};
use crate::autograd::GradModeGuard;
use crate::error::Result;
use crate::tensor::{Scalar, Tensor};

/// `beta * input + alpha * product` without recording; `beta == 0` ignores `input` (NaN included),
/// as PyTorch's; integer tensors stay integer when the factors are integral.
fn combine(input: &Tensor, product: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    let scaled = |t: &Tensor, c: Scalar| -> Result<Tensor> {
        if matches!(c, Scalar::Int(1)) { Ok(t.clone()) } else { super::mul(t, &c.to_tensor()) }
    };
    let product = scaled(product, alpha)?;
    if beta.to_f64() == 0.0 {
        return expand(&product, &product.shape());
    }
    add(&scaled(input, beta)?, &product)
}

/// A new tensor (not a view) with the values of `t`.
fn fresh(t: &Tensor) -> Result<Tensor> {
    Tensor::from_buffer(t.contiguous_buffer(), &t.shape())
}

/// The gradient of `beta * input` (`grad * beta`).
fn beta_grad(g: &Tensor, beta: f64) -> Result<Tensor> {
    if beta == 1.0 { Ok(g.clone()) } else { mul_scalar(g, beta) }
}

/// `beta * input + alpha * (mat @ vec)`.
pub fn addmv(inp: &Tensor, mat: &Tensor, vec: &Tensor, beta: Scalar, alpha: Scalar) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let product = mv(mat, vec)?;
        let out_shape = crate::tensor::broadcast_shapes(&inp.shape(), &product.shape())?;
        fresh(&expand(&combine(inp, &product, beta, alpha)?, &out_shape)?)?
    };
    let (a, b) = (alpha.to_f64(), beta.to_f64());
    record(&[inp, mat, vec], &[&out], || {
        // d addmv = grad*beta, alpha * grad outer vec, alpha * mat^T grad
        backward_fn("AddmvBackward0", vec![input("mat", mat), input("vec", vec)], move |node, s, g| {
            let (mat, vec) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let gi = if needs(node, 0) { Some(beta_grad(&g[0], b)?) } else { None };
            let gm = if needs(node, 1) { Some(mul_scalar(&outer(&g[0], vec)?, a)?) } else { None };
            let gv = if needs(node, 2) { Some(mul_scalar(&mv(&transpose(mat, 0, 1)?, &g[0])?, a)?) } else { None };
            Ok(vec![gi, gm, gv])
        })
        .values(vals![("alpha", number(a)), ("beta", number(b))])
    })?;
    Ok(out)
}

/// `beta * input + alpha * bmm(batch1, batch2)` (or summed over the batch when `sum_batch`:
/// addbmm).
pub fn baddbmm(inp: &Tensor, batch1: &Tensor, batch2: &Tensor, beta: Scalar, alpha: Scalar, sum_batch: bool) -> Result<Tensor> {
    let out = {
        let _no_grad = GradModeGuard::new(false);
        let mut product = bmm(batch1, batch2)?;
        if sum_batch {
            product = sum_dims(&product, &[0], false)?;
        }
        let out_shape = crate::tensor::broadcast_shapes(&inp.shape(), &product.shape())?;
        fresh(&expand(&combine(inp, &product, beta, alpha)?, &out_shape)?)?
    };
    let (a, b) = (alpha.to_f64(), beta.to_f64());
    let (nb, n, p) = (batch1.shape()[0], batch1.shape()[1], batch2.shape()[2]);
    record(&[inp, batch1, batch2], &[&out], || {
        // d baddbmm = grad*beta, alpha * grad @ batch2^T, alpha * batch1^T @ grad (addbmm: grad
        // expanded over the batch first)
        let name = if sum_batch { "AddbmmBackward0" } else { "BaddbmmBackward0" };
        let mut values = vals![("alpha", number(a)), ("beta", number(b))];
        if sum_batch {
            values.extend(vals![("batch1_sym_argsize_0", nb), ("batch1_sym_argsize_1", n), ("batch2_sym_argsize_2", p)]);
        }
        backward_fn(name, vec![input("batch1", batch1), input("batch2", batch2)], move |node, s, g| {
            let (b1, b2) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let grad = if sum_batch { expand(&unsqueeze(&g[0], 0)?, &[nb, n, p])? } else { g[0].clone() };
            let gi = if needs(node, 0) { Some(beta_grad(&g[0], b)?) } else { None };
            let g1 = if needs(node, 1) { Some(mul_scalar(&bmm(&grad, &transpose(b2, 1, 2)?)?, a)?) } else { None };
            let g2 = if needs(node, 2) { Some(mul_scalar(&bmm(&transpose(b1, 1, 2)?, &grad)?, a)?) } else { None };
            Ok(vec![gi, g1, g2])
        })
        .values(values)
    })?;
    Ok(out)
}
