//! Reductions: sum and mean, over everything or over dimensions, and sum_to_size (the reverse of
//! broadcasting, used by backward formulas).

use std::ops::Add;

use super::backward::{backward_fn, vals};
use super::binary::mul_scalar;
use super::record;
use super::shape::{convert, expand, reshape};
use super::wrap_dim;
use crate::cpu::reduce as kernels;
use crate::cpu::reduce_float;
use crate::cpu::reduce_simd::Float;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};

fn sum_kernel<T: Element + Add<Output = T>>(t: &Tensor, reduce: &[bool], out_shape: &[usize]) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let values = if reduce.iter().all(|&r| r) {
        vec![kernels::sum_all(T::slice(&buffer), &data.layout)]
    } else {
        kernels::sum_dims(T::slice(&buffer), &data.layout, reduce)
    };
    Tensor::from_vec(values, out_shape)
}

/// Runs a float kernel of `cpu::reduce_float` (`kernel(data, layout, reduce)`) on `t`, giving a
/// tensor of `out_shape`.
pub(crate) fn float_reduce<T: Float>(
    t: &Tensor,
    out_shape: &[usize],
    kernel: impl FnOnce(&[T], &crate::tensor::Layout) -> Vec<T>,
) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    Tensor::from_vec(kernel(T::slice(&buffer), &data.layout), out_shape)
}

/// Sums over the flagged dims without recording; integers and bools sum as int64.
fn sum_raw(t: &Tensor, reduce: &[bool], out_shape: &[usize]) -> Result<Tensor> {
    match t.dtype() {
        DType::F32 => float_reduce::<f32>(t, out_shape, |x, l| reduce_float::sum(x, l, reduce)),
        DType::F64 => float_reduce::<f64>(t, out_shape, |x, l| reduce_float::sum(x, l, reduce)),
        DType::I64 => sum_kernel::<i64>(t, reduce, out_shape),
        DType::Bool | DType::U8 | DType::I32 => sum_kernel::<i64>(&convert(t, DType::I64), reduce, out_shape),
    }
}

/// The flags and output shape of a reduction over `dims`.
fn reduction_plan(shape: &[usize], dims: &[i64], keepdim: bool) -> Result<(Vec<bool>, Vec<usize>)> {
    let mut reduce = vec![false; shape.len()];
    for &d in dims {
        let d = wrap_dim(d, shape.len())?;
        if shape.is_empty() {
            continue; // a 0-d tensor accepts dim 0 / -1 and stays 0-d
        }
        if reduce[d] {
            return Err(Error::runtime(format!("dim {d} appears multiple times in the list of dims")));
        }
        reduce[d] = true;
    }
    let out_shape = shape
        .iter()
        .zip(&reduce)
        .filter_map(|(&size, &r)| match (r, keepdim) {
            (false, _) => Some(size),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    Ok((reduce, out_shape))
}

/// The flags and output shape of a reduction over `dims` (None or empty: every dim).
pub(crate) fn plan_dims(shape: &[usize], dims: Option<&[i64]>, keepdim: bool) -> Result<(Vec<bool>, Vec<usize>)> {
    match dims {
        Some(d) if !d.is_empty() => reduction_plan(shape, d, keepdim),
        _ => {
            let all: Vec<i64> = (0..shape.len() as i64).collect();
            reduction_plan(shape, &all, keepdim)
        }
    }
}

/// Sums over the flagged dims without recording (integers and bools sum as int64).
pub(crate) fn sum_dims_raw(t: &Tensor, reduce: &[bool], out_shape: &[usize]) -> Result<Tensor> {
    sum_raw(t, reduce, out_shape)
}

/// Applies `f` to each run of reduced elements of a `T` tensor, giving a tensor of `out_shape`.
pub(crate) fn run_reduce<T: Element, U: Element>(
    t: &Tensor,
    reduce: &[bool],
    out_shape: &[usize],
    f: impl Fn(&[T]) -> U + Sync + Send,
) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    Tensor::from_vec(kernels::map_runs(T::slice(&buffer), &data.layout, reduce, f), out_shape)
}

/// The shape `grad` of a reduction must take before expanding back: reduced dims as size 1.
pub(crate) fn keepdim_shape(shape: &[usize], reduce: &[bool]) -> Vec<i64> {
    shape.iter().zip(reduce).map(|(&s, &r)| if r { 1 } else { s as i64 }).collect()
}

/// Sum of all elements (a 0-d tensor).
pub fn sum(t: &Tensor) -> Result<Tensor> {
    let shape = t.shape();
    let out = sum_raw(t, &vec![true; shape.len()], &[])?;
    record(&[t], &[&out], || {
        // d sum(t) = grad expanded to t's shape
        { let saved_values = vals![("self_sym_sizes", &shape[..])]; backward_fn("SumBackward0", vec![], move |_, _, g| Ok(vec![Some(expand(&g[0], &shape)?)])).values(saved_values) }
    })?;
    Ok(out)
}

/// Sum over `dims` (negative allowed), keeping them as size 1 when `keepdim`.
pub fn sum_dims(t: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let shape = t.shape();
    let (reduce, out_shape) = reduction_plan(&shape, dims, keepdim)?;
    let out = sum_raw(t, &reduce, &out_shape)?;
    record(&[t], &[&out], || {
        // d sum(t, dims) = grad with dims restored, expanded to t's shape
        { let saved_values = vals![("dim", dims.to_vec()), ("keepdim", keepdim), ("self_sym_sizes", &shape[..])]; backward_fn("SumBackward1", vec![], move |_, _, g| {
            Ok(vec![Some(expand(&reshape(&g[0], &keepdim_shape(&shape, &reduce))?, &shape)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

fn mean_dtype_check(t: &Tensor, op: &str) -> Result<()> {
    if !t.dtype().is_float() {
        return Err(Error::runtime(format!(
            "{op}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
            t.dtype().scalar_type_name()
        )));
    }
    Ok(())
}

/// Mean of all elements.
pub fn mean(t: &Tensor) -> Result<Tensor> {
    mean_dtype_check(t, "mean")?;
    let shape = t.shape();
    let n = t.numel();
    let total = sum_raw(t, &vec![true; shape.len()], &[])?;
    let out = convert(&super::binary::mul_scalar_raw(&total, 1.0 / n as f64)?, t.dtype());
    record(&[t], &[&out], || {
        // d mean(t) = grad/n expanded to t's shape
        { let saved_values = vals![("self_sym_numel", n), ("self_sym_sizes", &shape[..])]; backward_fn("MeanBackward0", vec![], move |_, _, g| Ok(vec![Some(expand(&mul_scalar(&g[0], 1.0 / n as f64)?, &shape)?)])).values(saved_values) }
    })?;
    Ok(out)
}

/// Mean over `dims`.
pub fn mean_dims(t: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    mean_dtype_check(t, "mean")?;
    let shape = t.shape();
    let (reduce, out_shape) = reduction_plan(&shape, dims, keepdim)?;
    let count: usize = shape.iter().zip(&reduce).filter(|(_, &r)| r).map(|(&s, _)| s).product();
    let total = sum_raw(t, &reduce, &out_shape)?;
    let out = convert(&super::binary::mul_scalar_raw(&total, 1.0 / count as f64)?, t.dtype());
    record(&[t], &[&out], || {
        // d mean(t, dims) = grad/count with dims restored, expanded
        { let saved_values = vals![("dim", dims.to_vec()), ("keepdim", keepdim), ("self_sym_numel", shape.iter().product::<usize>()), ("self_sym_sizes", &shape[..])]; backward_fn("MeanBackward1", vec![], move |_, _, g| {
            let scaled = mul_scalar(&g[0], 1.0 / count as f64)?;
            Ok(vec![Some(expand(&reshape(&scaled, &keepdim_shape(&shape, &reduce))?, &shape)?)])
        }).values(saved_values) }
    })?;
    Ok(out)
}

/// Sums `t` down to `shape` (which `t`'s shape must broadcast from): the gradient of broadcasting.
pub fn sum_to_size(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let have = t.shape();
    if have == shape {
        return Ok(t.clone());
    }
    let lead = have.len() - shape.len();
    let dims: Vec<i64> = (0..have.len())
        .filter(|&d| d < lead || (shape[d - lead] == 1 && have[d] != 1))
        .map(|d| d as i64)
        .collect();
    let summed = sum_dims(t, &dims, true)?;
    let target: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    reshape(&summed, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_over_dims_and_to_size() {
        let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        assert_eq!(sum_dims(&t, &[0], false).unwrap().to_vec::<f64>().unwrap(), vec![5.0, 7.0, 9.0]);
        assert_eq!(sum_dims(&t, &[-1], true).unwrap().shape(), vec![2, 1]);
        assert_eq!(sum_to_size(&t, &[3]).unwrap().to_vec::<f64>().unwrap(), vec![5.0, 7.0, 9.0]);
        assert_eq!(sum_to_size(&t, &[2, 1]).unwrap().to_vec::<f64>().unwrap(), vec![6.0, 15.0]);
        let err = sum_dims(&t, &[2], false).unwrap_err();
        assert_eq!(err, Error::index("Dimension out of range (expected to be in range of [-2, 1], but got 2)"));
    }

    #[test]
    fn mean_needs_a_float_tensor() {
        let t = Tensor::from_vec(vec![1i64, 2, 3], &[3]).unwrap();
        assert_eq!(
            mean(&t).unwrap_err().message(),
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"
        );
        assert_eq!(sum(&t).unwrap().to_vec::<i64>().unwrap(), vec![6]);
    }
}
