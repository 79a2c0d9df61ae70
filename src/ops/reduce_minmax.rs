//! Value-selecting reductions: max/min (full, and over a dim with indices), amax/amin, argmax/
//! argmin. NaN wins every comparison (PyTorch propagates it), and ties pick the first index.

use super::backward::{backward_fn, input, output, vals};
use super::reduce::{keepdim_shape, plan_dims};
use super::{mul, needs, record, reshape, wrap_dim};
use crate::autograd::SavedValue;
use crate::cpu::{elementwise, reduce as kernels, reduce_float};
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use crate::{with_dtype, with_float_dtype};

/// Which extreme a reduction selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    /// The largest value.
    Max,
    /// The smallest value.
    Min,
}

impl Extreme {
    fn name(self) -> &'static str {
        match self {
            Extreme::Max => "max",
            Extreme::Min => "min",
        }
    }
}

/// True when `v` should replace `best` (NaN beats everything; ties keep the earlier one).
fn better<T: Element>(which: Extreme, v: T, best: T) -> bool {
    #[allow(clippy::eq_op)]
    let (v_nan, best_nan) = (v != v, best != best);
    if best_nan {
        return false;
    }
    v_nan
        || match which {
            Extreme::Max => v > best,
            Extreme::Min => v < best,
        }
}

/// The (value, index) of the extreme of a non-empty run, deterministic over chunks.
fn select<T: Element>(which: Extreme, run: &[T]) -> (T, usize) {
    let base = run.as_ptr() as usize;
    kernels::chunked(
        run,
        |chunk| {
            // Index of the chunk's first element within the run.
            let start = (chunk.as_ptr() as usize - base) / std::mem::size_of::<T>().max(1);
            let mut best = (chunk[0], start);
            for (i, &v) in chunk.iter().enumerate().skip(1) {
                if better(which, v, best.0) {
                    best = (v, start + i);
                }
            }
            best
        },
        |a, b| if better(which, b.0, a.0) { b } else { a },
    )
}

fn empty_full_error(op: &str) -> Error {
    Error::runtime(format!(
        "{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
    ))
}

fn check_nonempty_dims(op: &str, shape: &[usize], reduce: &[bool]) -> Result<()> {
    match shape.iter().zip(reduce).position(|(&s, &r)| r && s == 0) {
        Some(d) => Err(Error::index(format!("{op}(): Expected reduction dim {d} to have non-zero size."))),
        None => Ok(()),
    }
}

/// Values (and indices) of the extremes over the flagged dims, without recording.
fn select_raw(which: Extreme, t: &Tensor, reduce: &[bool], out_shape: &[usize]) -> Result<(Tensor, Tensor)> {
    let data = t.data();
    let buffer = data.storage.read();
    if data.dtype.is_float() {
        return with_float_dtype!(data.dtype, T => {
            let picked = reduce_float::extreme(T::slice(&buffer), &data.layout, reduce, which == Extreme::Max);
            let values: Vec<T> = picked.iter().map(|p| p.0).collect();
            let indices: Vec<i64> = picked.iter().map(|p| p.1 as i64).collect();
            Ok((Tensor::from_vec(values, out_shape)?, Tensor::from_vec(indices, out_shape)?))
        });
    }
    with_dtype!(data.dtype, T => {
        let picked = kernels::map_runs(T::slice(&buffer), &data.layout, reduce, |run| select(which, run));
        let values: Vec<T> = picked.iter().map(|p| p.0).collect();
        let indices: Vec<i64> = picked.iter().map(|p| p.1 as i64).collect();
        Ok((Tensor::from_vec(values, out_shape)?, Tensor::from_vec(indices, out_shape)?))
    })
}

/// The weights that spread a gradient evenly over the elements equal to the selected value
/// (`(x == result) / count`), as PyTorch's evenly_distribute / amax backward do.
fn tie_weights(x: &Tensor, result_keepdim: &Tensor, reduce: &[bool]) -> Result<Tensor> {
    let shape = x.shape();
    let (dx, dr) = (x.data(), result_keepdim.data());
    let mask = {
        let (bx, br) = (dx.storage.read(), dr.storage.read());
        with_dtype!(dx.dtype, T => {
            #[allow(clippy::eq_op)]
            let values = elementwise::binary(T::slice(&bx), &dx.layout, T::slice(&br), &dr.layout, &shape, |a: T, b: T| {
                if a == b || (a != a && b != b) { 1.0f64 } else { 0.0 }
            });
            Tensor::from_vec(values, &shape)?
        })
    };
    let count = super::reduce::sum_dims_raw(&mask, reduce, &keepdim_shape_usize(&shape, reduce))?;
    let weights = super::binary::arith_raw(super::binary::Arith::Div, &mask, &count)?;
    Ok(super::shape::convert(&weights, x.dtype()))
}

fn keepdim_shape_usize(shape: &[usize], reduce: &[bool]) -> Vec<usize> {
    shape.iter().zip(reduce).map(|(&s, &r)| if r { 1 } else { s }).collect()
}

/// Records the evenly-distributing backward shared by max()/min() and amax/amin.
pub(super) fn record_even(name: &'static str, t: &Tensor, out: &Tensor, reduce: Vec<bool>, values: Vec<(&'static str, SavedValue)>) -> Result<()> {
    record(&[t], &[out], || {
        // d max(t) = grad spread evenly over the elements equal to the result
        let saved = vec![input("self", t), output("result", out, 0)];
        backward_fn(name, saved, move |_, s, g| {
            let (x, result) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            let shape = x.shape();
            let kd = keepdim_shape(&shape, &reduce);
            let weights = tie_weights(x, &reshape(&result.detach(), &kd)?, &reduce)?;
            Ok(vec![Some(mul(&super::expand(&reshape(&g[0], &kd)?, &shape)?, &weights)?)])
        }).values(values)
    })
}

/// `t.max()` / `t.min()`: the extreme of all elements (MaxBackward1 / MinBackward1).
pub fn extreme_all(which: Extreme, t: &Tensor) -> Result<Tensor> {
    if t.numel() == 0 {
        return Err(empty_full_error(which.name()));
    }
    let reduce = vec![true; t.dim()];
    let (out, _) = select_raw(which, t, &reduce, &[])?;
    let name = if which == Extreme::Max { "MaxBackward1" } else { "MinBackward1" };
    record_even(name, t, &out, reduce, vec![])?;
    Ok(out)
}

/// `t.amax(dims)` / `t.amin(dims)` (empty dims: all).
pub fn amax_amin(which: Extreme, t: &Tensor, dims: &[i64], keepdim: bool) -> Result<Tensor> {
    let op = if which == Extreme::Max { "amax" } else { "amin" };
    let shape = t.shape();
    let (reduce, out_shape) = plan_dims(&shape, Some(dims), keepdim)?;
    if dims.is_empty() && t.numel() == 0 {
        return Err(empty_full_error(op));
    }
    check_nonempty_dims(op, &shape, &reduce)?;
    let out = if t.dtype().is_float() {
        // Values only: no index search.
        let data = t.data();
        let buffer = data.storage.read();
        with_float_dtype!(data.dtype, T => {
            Tensor::from_vec(reduce_float::extreme_values(T::slice(&buffer), &data.layout, &reduce, which == Extreme::Max), &out_shape)?
        })
    } else {
        select_raw(which, t, &reduce, &out_shape)?.0
    };
    let name = if which == Extreme::Max { "AmaxBackward0" } else { "AminBackward0" };
    record_even(name, t, &out, reduce, vals![("dim", dims.to_vec()), ("keepdim", keepdim)])?;
    Ok(out)
}

/// `t.max(dim)` / `t.min(dim)`: values and int64 indices (only the values are differentiable).
pub fn extreme_dim(which: Extreme, t: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    let (reduce, out_shape) = plan_dims(&shape, Some(&[dim]), keepdim)?;
    check_nonempty_dims(which.name(), &shape, &reduce)?;
    let (values, indices) = select_raw(which, t, &reduce, &out_shape)?;
    let name = if which == Extreme::Max { "MaxBackward0" } else { "MinBackward0" };
    record(&[t], &[&values], || {
        // d max(t, dim) = grad scattered to the selected indices, zeros elsewhere
        let saved_values = vals![("dim", dim), ("keepdim", keepdim), ("self_sym_sizes", &shape[..])];
        backward_fn(name, vec![input("indices", &indices)], move |_, s, g| {
            let indices = s[0].as_ref().expect("saved");
            let kd = keepdim_shape(&shape, &reduce);
            Ok(vec![Some(scatter_dim(&reshape(&g[0], &kd)?, &reshape(indices, &kd)?, d, &shape)?)])
        }).values(saved_values)
    })?;
    Ok((values, indices))
}

/// `t.argmax(dim)` / `t.argmin(dim)` (no dim: the index into the flattened tensor).
pub fn arg_extreme(which: Extreme, t: &Tensor, dim: Option<i64>, keepdim: bool) -> Result<Tensor> {
    let op = if which == Extreme::Max { "argmax" } else { "argmin" };
    if t.dtype() == DType::Bool {
        return Err(Error::runtime(format!("{op}(): does not support bool input")));
    }
    let shape = t.shape();
    match dim {
        None => {
            if t.numel() == 0 {
                return Err(Error::index(format!("{op}(): Expected reduction dim to be specified for input.numel() == 0.")));
            }
            let out_shape = if keepdim { vec![1; shape.len()] } else { vec![] };
            Ok(select_raw(which, t, &vec![true; shape.len()], &out_shape)?.1)
        }
        Some(dim) => {
            let (reduce, out_shape) = plan_dims(&shape, Some(&[dim]), keepdim)?;
            check_nonempty_dims(op, &shape, &reduce)?;
            Ok(select_raw(which, t, &reduce, &out_shape)?.1)
        }
    }
}

// ----- scatter / gather along one dim (the backward of max(dim), and of each other) -----

/// Sizes before, along and after `dim` (a 0-d shape counts as one element along dim 0).
fn split_at_dim(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (shape[..dim].iter().product(), shape[dim], shape[dim + 1..].iter().product())
}

/// Zeros of `shape` with `src` (keepdim-shaped) written at `indices` along `dim`.
fn scatter_dim(src: &Tensor, indices: &Tensor, dim: usize, shape: &[usize]) -> Result<Tensor> {
    let (outer, size, inner) = split_at_dim(shape, dim);
    let idx = indices.to_vec::<i64>()?;
    let out = with_dtype!(src.dtype(), T => {
        let values = src.to_vec::<T>()?;
        let mut out = vec![T::default(); outer * size * inner];
        for o in 0..outer {
            for i in 0..inner {
                let k = o * inner + i;
                out[(o * size + idx[k] as usize) * inner + i] = values[k];
            }
        }
        Tensor::from_vec(out, shape)?
    });
    let (indices, shape_in) = (indices.clone(), src.shape());
    record(&[src], &[&out], || {
        // d scatter(src) = grad gathered at the indices
        backward_fn("ScatterBackward0", vec![input("index", &indices)], move |node, s, g| {
            let grad = if needs(node, 0) { Some(gather_dim(&g[0], s[0].as_ref().expect("saved"), dim, &shape_in)?) } else { None };
            Ok(vec![grad])
        })
    })?;
    Ok(out)
}

/// The elements of `t` at `indices` along `dim` (keepdim-shaped `out_shape`).
fn gather_dim(t: &Tensor, indices: &Tensor, dim: usize, out_shape: &[usize]) -> Result<Tensor> {
    let shape = t.shape();
    let (outer, size, inner) = split_at_dim(&shape, dim);
    let idx = indices.to_vec::<i64>()?;
    let out = with_dtype!(t.dtype(), T => {
        let values = t.to_vec::<T>()?;
        let picked: Vec<T> = (0..outer * inner)
            .map(|k| values[((k / inner) * size + idx[k] as usize) * inner + k % inner])
            .collect();
        Tensor::from_vec(picked, out_shape)?
    });
    let indices = indices.clone();
    record(&[t], &[&out], || {
        // d gather(t) = grad scattered back to the indices
        backward_fn("GatherBackward0", vec![input("index", &indices)], move |_, s, g| {
            Ok(vec![Some(scatter_dim(&g[0], s[0].as_ref().expect("saved"), dim, &shape)?)])
        })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_over_a_dim_returns_first_index_and_propagates_nan() {
        let t = Tensor::from_vec(vec![1.0f32, 5.0, 5.0, 3.0, f32::NAN, 2.0], &[2, 3]).unwrap();
        let (v, i) = extreme_dim(Extreme::Max, &t, 1, false).unwrap();
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![1, 1]);
        assert!(v.to_vec::<f32>().unwrap()[1].is_nan());
        let (v, i) = extreme_dim(Extreme::Min, &t, 0, true).unwrap();
        assert_eq!(v.shape(), vec![1, 3]);
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![0, 1, 1]);
        assert_eq!(arg_extreme(Extreme::Max, &t, None, false).unwrap().to_vec::<i64>().unwrap(), vec![4]);
    }

    #[test]
    fn empty_inputs_are_rejected_like_pytorch() {
        let e = Tensor::zeros(&[0, 3], DType::F32);
        assert_eq!(extreme_all(Extreme::Max, &e).unwrap_err(), empty_full_error("max"));
        assert_eq!(
            extreme_dim(Extreme::Min, &e, 0, false).unwrap_err(),
            Error::index("min(): Expected reduction dim 0 to have non-zero size.")
        );
        assert_eq!(amax_amin(Extreme::Max, &e, &[1], false).unwrap().shape(), vec![0]);
    }

    #[test]
    fn big_argmax_does_not_depend_on_thread_count() {
        let n = 3 * crate::cpu::GRAIN + 11;
        let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 10007) as f64).collect();
        let t = Tensor::from_vec(v, &[n]).unwrap();
        let many = arg_extreme(Extreme::Max, &t, None, false).unwrap().to_vec::<i64>().unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| arg_extreme(Extreme::Max, &t, None, false).unwrap().to_vec::<i64>().unwrap());
        assert_eq!(many, one);
    }
}
