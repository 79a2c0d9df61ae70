//! Diagonals: `diagonal` (a view), `diag_embed` (values placed on a diagonal of zeros), `diag`
//! (1-D -> 2-D through diag_embed, 2-D -> 1-D as a copy of the diagonal) and `trace`.

use super::backward::{backward_fn, vals};
use super::index_ops::{index_fill, FillValue};
use super::{record, wrap_dim};
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::tensor::{contiguous_strides, DType, Layout, Tensor};
use crate::with_dtype;

/// The layout of the `offset` diagonal of `layout` over dims `d1`, `d2` (both removed, the
/// diagonal appended last), as PyTorch's `diagonal`.
fn diagonal_layout(layout: &Layout, offset: i64, d1: usize, d2: usize) -> Layout {
    let (n1, n2) = (layout.shape[d1] as i64, layout.shape[d2] as i64);
    let (len, start) = if offset >= 0 {
        ((n1.min(n2 - offset)).max(0), if n1.min(n2 - offset) > 0 { offset as usize * layout.strides[d2] } else { 0 })
    } else {
        ((n1 + offset).min(n2).max(0), if (n1 + offset).min(n2) > 0 { (-offset) as usize * layout.strides[d1] } else { 0 })
    };
    let mut shape = Vec::new();
    let mut strides = Vec::new();
    for d in 0..layout.shape.len() {
        if d != d1 && d != d2 {
            shape.push(layout.shape[d]);
            strides.push(layout.strides[d]);
        }
    }
    shape.push(len as usize);
    strides.push(layout.strides[d1] + layout.strides[d2]);
    Layout { shape, strides, offset: layout.offset + start }
}

/// Wraps and checks the two diagonal dims of a tensor with `ndim` dims.
fn diagonal_dims(ndim: usize, dim1: i64, dim2: i64) -> Result<(usize, usize)> {
    let (d1, d2) = (wrap_dim(dim1, ndim)?, wrap_dim(dim2, ndim)?);
    if d1 == d2 {
        return Err(Error::runtime(format!("diagonal dimensions cannot be identical {dim1}, {dim2}")));
    }
    Ok((d1, d2))
}

/// Zeros of `shape` with `t` written on its `offset` diagonal over `d1`, `d2`, without recording.
fn embed_raw(t: &Tensor, shape: &[usize], offset: i64, d1: usize, d2: usize) -> Result<Tensor> {
    let layout = diagonal_layout(&Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }, offset, d1, d2);
    Ok(with_dtype!(t.dtype(), T => {
        let mut values = vec![T::default(); shape.iter().product()];
        scatter_into(&mut values, &layout, &t.to_vec::<T>()?);
        Tensor::from_vec(values, shape)?
    }))
}

/// The gradient of a diagonal: `grad` on the diagonal of zeros shaped as the input (recorded as
/// DiagonalBackwardBackward0, whose own gradient is the diagonal again).
fn diagonal_backward(grad: &Tensor, shape: &[usize], offset: i64, d1: usize, d2: usize) -> Result<Tensor> {
    let out = embed_raw(grad, shape, offset, d1, d2)?;
    record(&[grad], &[&out], || {
        // d embed(g) = diagonal(grad)
        backward_fn("DiagonalBackwardBackward0", vec![], move |_, _, g| Ok(vec![Some(diagonal(&g[0], offset, d1 as i64, d2 as i64)?)]))
            .values(vals![("dim1", d1 as i64), ("dim2", d2 as i64), ("offset", offset)])
    })?;
    Ok(out)
}

/// The `offset` diagonal of `t` over `dim1`, `dim2`, as a view (the diagonal is the last dim).
pub fn diagonal(t: &Tensor, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
    let (d1, d2) = diagonal_dims(t.dim(), dim1, dim2)?;
    let out = t.view_with_layout(diagonal_layout(&t.layout(), offset, d1, d2));
    record_diagonal("DiagonalBackward0", t, &out, offset, (d1, d2), (dim1, dim2))?;
    Ok(out)
}

/// Records a diagonal's node; `given` are the dims as passed, which PyTorch's node keeps.
fn record_diagonal(name: &'static str, t: &Tensor, out: &Tensor, offset: i64, (d1, d2): (usize, usize), given: (i64, i64)) -> Result<()> {
    let shape = t.shape();
    record(&[t], &[out], || {
        // d diagonal(t) = grad written on the diagonal of zeros
        let saved = vals![("dim1", given.0), ("dim2", given.1), ("offset", offset), ("self_sym_sizes", &shape[..])];
        backward_fn(name, vec![], move |_, _, g| Ok(vec![Some(diagonal_backward(&g[0], &shape, offset, d1, d2)?)])).values(saved)
    })
}

/// `t`'s last dim placed on the `offset` diagonal over `dim1`, `dim2` of a new zero tensor.
pub fn diag_embed(t: &Tensor, offset: i64, dim1: i64, dim2: i64) -> Result<Tensor> {
    let ndim = t.dim() + 1;
    let (d1, d2) = diagonal_dims(ndim, dim1, dim2)?;
    let src = t.shape();
    let n = *src.last().unwrap_or(&1) + offset.unsigned_abs() as usize;
    let mut rest = src[..src.len().saturating_sub(1)].iter().copied();
    let shape: Vec<usize> = (0..ndim).map(|d| if d == d1 || d == d2 { n } else { rest.next().unwrap_or(1) }).collect();
    let out = embed_raw(t, &shape, offset, d1, d2)?;
    record(&[t], &[&out], || {
        // d diag_embed(t) = diagonal(grad)
        backward_fn("DiagEmbedBackward0", vec![], move |_, _, g| Ok(vec![Some(diagonal(&g[0], offset, d1 as i64, d2 as i64)?)]))
            .values(vals![("dim1", dim1), ("dim2", dim2), ("offset", offset)])
    })?;
    Ok(out)
}

/// `diag(t, k)`: a 1-D `t` on the `k` diagonal of a square matrix; a 2-D `t`'s `k` diagonal as a
/// new tensor.
pub fn diag(t: &Tensor, k: i64) -> Result<Tensor> {
    match t.dim() {
        1 => diag_embed(t, k, -2, -1),
        2 => {
            let view = t.view_with_layout(diagonal_layout(&t.layout(), k, 0, 1));
            let out = with_dtype!(t.dtype(), T => Tensor::from_vec(view.to_vec::<T>()?, &view.shape())?);
            record_diagonal("DiagonalBackward0_copy", t, &out, k, (0, 1), (0, 1))?;
            Ok(out)
        }
        n => Err(Error::runtime(format!("diag(): Supports 1D or 2D tensors. Got {n}D"))),
    }
}

/// The sum of a matrix's main diagonal (integers sum as int64).
pub fn trace(t: &Tensor) -> Result<Tensor> {
    if t.dim() != 2 {
        return Err(Error::runtime(format!("trace: expected a matrix, but got tensor with dim {}", t.dim())));
    }
    if t.dtype() == DType::Bool {
        return Err(super::unary::not_implemented("trace", DType::Bool));
    }
    let view = t.view_with_layout(diagonal_layout(&t.layout(), 0, 0, 1));
    let total = super::reduce::sum_dims_raw(&view, &[true], &[])?;
    let shape = t.shape();
    record(&[t], &[&total], || {
        // d trace(t) = grad on the main diagonal of zeros (index_fill of the flattened zeros)
        let saved = vals![("self_sym_sizes", &shape[..])];
        backward_fn("TraceBackward0", vec![], move |_, _, g| {
            let (n, m) = (shape[0], shape[1]);
            let step = m as i64 + 1;
            let index = super::arange_i64(0, (n.min(m) as i64) * step, step)?;
            let flat = Tensor::zeros(&[n * m], g[0].dtype());
            let filled = index_fill(&flat, 0, &index, &FillValue::Tensor(g[0].clone()))?;
            Ok(vec![Some(super::view(&filled, &[n as i64, m as i64])?)])
        })
        .values(saved)
    })?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonals_and_embeds() {
        let m = Tensor::from_vec((0..12).map(|i| i as f64).collect(), &[3, 4]).unwrap();
        assert_eq!(diagonal(&m, 1, 0, 1).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 6.0, 11.0]);
        assert_eq!(diagonal(&m, -1, 0, 1).unwrap().to_vec::<f64>().unwrap(), vec![4.0, 9.0]);
        assert_eq!(diagonal(&m, 5, 0, 1).unwrap().shape(), vec![0]);
        assert_eq!(diagonal(&m, 0, 1, 0).unwrap().to_vec::<f64>().unwrap(), vec![0.0, 5.0, 10.0]);
        let v = Tensor::from_vec(vec![1i64, 2], &[2]).unwrap();
        let d = diag(&v, -1).unwrap();
        assert_eq!(d.shape(), vec![3, 3]);
        assert_eq!(d.to_vec::<i64>().unwrap(), vec![0, 0, 0, 1, 0, 0, 0, 2, 0]);
        assert_eq!(trace(&m).unwrap().to_vec::<f64>().unwrap(), vec![15.0]);
        assert_eq!(diag_embed(&Tensor::ones(&[2, 3], DType::F32), -1, 0, 2).unwrap().shape(), vec![4, 2, 4]);
        assert_eq!(diagonal(&m, 0, 0, 0).unwrap_err().message(), "diagonal dimensions cannot be identical 0, 0");
    }
}
