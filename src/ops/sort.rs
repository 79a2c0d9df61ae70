//! Ordering ops along one dim: sort / argsort, topk, kthvalue and median. Values are
//! differentiable (the gradient goes back to the positions the indices name); indices are int64.
//! NaN orders above every number, as in PyTorch.

use super::backward::{backward_fn, input, vals};
use super::gather::{scatter, ScatterSource};
use super::{record, unsqueeze, wrap_dim};
use crate::cpu::sort as kernels;
use crate::error::{Error, Result};
use crate::tensor::{DType, Element, Tensor};
use crate::with_dtype;

/// What is computed on each lane.
#[derive(Clone, Copy)]
enum Lane {
    Sort { descending: bool },
    Topk { k: usize, largest: bool, sorted: bool },
    Kth(usize),
    Median,
}

/// Runs `op` on every lane of `t` along `d` with output lanes of `out_len`, giving (values,
/// indices) shaped as `t` with `out_len` at `d` (or without `d` when `drop_dim`).
fn lanes(t: &Tensor, d: usize, out_len: usize, drop_dim: bool, op: Lane) -> Result<(Tensor, Tensor)> {
    let data = t.data();
    let buffer = data.storage.read();
    let mut shape = data.layout.shape.clone();
    if !shape.is_empty() {
        if drop_dim {
            shape.remove(d);
        } else {
            shape[d] = out_len;
        }
    }
    with_dtype!(data.dtype, T => {
        let (values, indices) = kernels::map_lanes_indexed(T::slice(&buffer), &data.layout, d, out_len, |lane, o, i, s| match op {
            Lane::Sort { descending } => kernels::sort_lane(lane, o, i, s, descending),
            Lane::Topk { k, largest, sorted } => kernels::topk_lane(lane, o, i, s, k, largest, sorted),
            Lane::Kth(k) => (o[0], i[0]) = kernels::kth_lane(lane, s, k),
            Lane::Median => (o[0], i[0]) = kernels::median_lane(lane, s),
        });
        Ok((Tensor::from_vec(values, &shape)?, Tensor::from_vec(indices, &shape)?))
    })
}

/// The size along `d` (a 0-d tensor counts as one element along dim 0).
fn size_at(shape: &[usize], d: usize) -> usize {
    shape.get(d).copied().unwrap_or(1)
}

/// Zeros of `shape` with `grad` written where `indices` point along `d` (PyTorch's
/// value_selecting_reduction_backward); `keepdim = false` puts the reduced dim back first.
fn scatter_back(grad: &Tensor, indices: &Tensor, d: usize, shape: &[usize], keepdim: bool) -> Result<Tensor> {
    if shape.is_empty() {
        return Ok(grad.clone());
    }
    let (grad, indices) = if keepdim { (grad.clone(), indices.clone()) } else { (unsqueeze(grad, d as i64)?, unsqueeze(indices, d as i64)?) };
    scatter(&Tensor::zeros(shape, grad.dtype()), d as i64, &indices, &ScatterSource::Tensor(grad))
}

/// Records `name` for a value-selecting op whose `indices` name the source of each value.
fn record_selection(name: &'static str, t: &Tensor, values: &Tensor, indices: &Tensor, d: usize, keepdim: Option<bool>, saved_dim: i64) -> Result<()> {
    let shape = t.shape();
    record(&[t], &[values], || {
        // d select(t) = zeros with grad scattered to the selected indices along dim
        let mut saved_values = vals![("dim", saved_dim)];
        if let Some(k) = keepdim {
            saved_values.extend(vals![("keepdim", k)]);
        }
        saved_values.extend(vals![("self_sym_sizes", &shape[..])]);
        let keep = keepdim.unwrap_or(true);
        backward_fn(name, vec![input("indices", indices)], move |_, s, g| {
            Ok(vec![Some(scatter_back(&g[0], s[0].as_ref().expect("saved"), d, &shape, keep)?)])
        })
        .values(saved_values)
    })
}

/// `t.sort(dim, descending, stable=...)`: values and the indices that sort each lane (always
/// stable). An explicit `stable` records SortBackward1 (PyTorch's `sort.stable` overload).
pub fn sort(t: &Tensor, dim: i64, descending: bool, stable: Option<bool>) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, t.dim())?;
    let len = size_at(&t.shape(), d);
    let (values, indices) = lanes(t, d, len, false, Lane::Sort { descending })?;
    let name = if stable.is_some() { "SortBackward1" } else { "SortBackward0" };
    record_selection(name, t, &values, &indices, d, None, dim)?;
    Ok((values, indices))
}

/// `t.argsort(dim, descending, stable)`: the indices of [`sort`] (not differentiable).
pub fn argsort(t: &Tensor, dim: i64, descending: bool) -> Result<Tensor> {
    let d = wrap_dim(dim, t.dim())?;
    let len = size_at(&t.shape(), d);
    Ok(lanes(t, d, len, false, Lane::Sort { descending })?.1)
}

/// `t.topk(k, dim, largest, sorted)` (TopkBackward0).
pub fn topk(t: &Tensor, k: i64, dim: i64, largest: bool, sorted: bool) -> Result<(Tensor, Tensor)> {
    let d = wrap_dim(dim, t.dim())?;
    let len = size_at(&t.shape(), d);
    if k < 0 || k as usize > len {
        return Err(Error::runtime("selected index k out of range"));
    }
    if t.dtype() == DType::Bool {
        return Err(Error::runtime("topk does not support bool dtypes on CPU"));
    }
    // A 0-d input gives its element back even for k = 0, as PyTorch's does.
    let k = if t.dim() == 0 { 1 } else { k as usize };
    let (values, indices) = lanes(t, d, k, false, Lane::Topk { k, largest, sorted })?;
    record_selection("TopkBackward0", t, &values, &indices, d, None, dim)?;
    Ok((values, indices))
}

fn check_nonempty_dim(op: &str, shape: &[usize], d: usize) -> Result<()> {
    if shape.get(d) == Some(&0) {
        return Err(Error::index(format!("{op}(): Expected reduction dim {d} to have non-zero size.")));
    }
    Ok(())
}

fn refuse_bool(t: &Tensor, kernel: &str) -> Result<()> {
    if t.dtype() == DType::Bool {
        return Err(Error::not_implemented(format!("\"{kernel}\" not implemented for 'Bool'")));
    }
    Ok(())
}

/// `t.kthvalue(k, dim, keepdim)`: the k-th smallest element of each lane (KthvalueBackward0).
pub fn kthvalue(t: &Tensor, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    check_nonempty_dim("kthvalue", &shape, d)?;
    let len = size_at(&shape, d);
    if k < 1 || k as usize > len {
        return Err(Error::runtime(format!("kthvalue(): selected number k out of range for dimension {d}")));
    }
    refuse_bool(t, "kthvalue_cpu")?;
    let k = k as usize;
    let (values, indices) = lanes(t, d, 1, !keepdim, Lane::Kth(k))?;
    record_selection("KthvalueBackward0", t, &values, &indices, d, Some(keepdim), dim)?;
    Ok((values, indices))
}

/// `t.median(dim, keepdim)`: the lower median of each lane, or its first NaN (MedianBackward1).
pub fn median_dim(t: &Tensor, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
    let shape = t.shape();
    let d = wrap_dim(dim, shape.len())?;
    check_nonempty_dim("median", &shape, d)?;
    refuse_bool(t, "median_out")?;
    let (values, indices) = lanes(t, d, 1, !keepdim, Lane::Median)?;
    record_selection("MedianBackward1", t, &values, &indices, d, Some(keepdim), dim)?;
    Ok((values, indices))
}

/// The median of no elements: NaN, cast to integers as x86 converts it (the integer indefinite
/// value: the type's minimum for int32/int64, 0 once truncated to uint8), as PyTorch gives.
fn empty_median<T: Element>() -> T {
    match T::DTYPE {
        DType::I64 => T::from_i64(i64::MIN),
        DType::I32 => T::from_i64(i32::MIN as i64),
        d if d.is_float() => T::from_f64(f64::NAN),
        _ => T::default(),
    }
}

/// `t.median()`: the lower median of all elements, NaN when one is NaN (and for an empty tensor);
/// MedianBackward0 spreads the gradient over the elements equal to the result.
pub fn median_all(t: &Tensor) -> Result<Tensor> {
    refuse_bool(t, "median_cpu")?;
    let data = t.data();
    let buffer = data.storage.read();
    let out = with_dtype!(data.dtype, T => {
        let all = data.layout.gather(T::slice(&buffer));
        let value = if all.is_empty() { empty_median::<T>() } else { kernels::median_lane(&all, &mut Vec::new()).0 };
        Tensor::from_vec(vec![value], &[])?
    });
    super::reduce_minmax::record_even("MedianBackward0", t, &out, vec![true; t.dim()], vec![])?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_topk_kthvalue_median_along_a_dim() {
        let t = Tensor::from_vec(vec![3.0f32, 1.0, f32::NAN, 1.0, 2.0, 2.0, 0.0, -1.0], &[2, 4]).unwrap();
        let (v, i) = sort(&t, -1, false, None).unwrap();
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![1, 3, 0, 2, 3, 2, 0, 1]);
        assert!(v.to_vec::<f32>().unwrap()[3].is_nan());
        assert_eq!(argsort(&t, 1, true).unwrap().to_vec::<i64>().unwrap(), vec![2, 0, 1, 3, 0, 1, 2, 3]);
        let (v, _) = topk(&t, 2, 1, false, true).unwrap();
        assert_eq!(v.to_vec::<f32>().unwrap(), vec![1.0, 1.0, -1.0, 0.0]);
        let (v, i) = median_dim(&t, 1, false).unwrap();
        assert!(v.to_vec::<f32>().unwrap()[0].is_nan());
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![2, 2]);
        let (v, i) = kthvalue(&t, 2, 0, true).unwrap();
        assert_eq!(v.shape(), vec![1, 4]);
        assert_eq!(i.shape(), vec![1, 4]);
        assert!(median_all(&t).unwrap().to_vec::<f32>().unwrap()[0].is_nan());
        let ints = Tensor::from_vec(vec![4i64, 1, 3, 2], &[4]).unwrap();
        assert_eq!(median_all(&ints).unwrap().to_vec::<i64>().unwrap(), vec![2]);
    }

    #[test]
    fn out_of_range_arguments_give_pytorchs_errors() {
        let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]).unwrap();
        assert_eq!(topk(&t, 4, 0, true, true).unwrap_err(), Error::runtime("selected index k out of range"));
        assert_eq!(
            kthvalue(&t, 0, -1, false).unwrap_err(),
            Error::runtime("kthvalue(): selected number k out of range for dimension 0")
        );
        assert_eq!(
            sort(&t, 1, false, None).unwrap_err(),
            Error::index("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        );
        let b = Tensor::from_vec(vec![true, false], &[2]).unwrap();
        assert_eq!(topk(&b, 1, 0, true, true).unwrap_err(), Error::runtime("topk does not support bool dtypes on CPU"));
        assert_eq!(median_all(&b).unwrap_err(), Error::not_implemented("\"median_cpu\" not implemented for 'Bool'"));
        let e = Tensor::zeros(&[0, 3], DType::F32);
        assert_eq!(median_dim(&e, 0, false).unwrap_err(), Error::index("median(): Expected reduction dim 0 to have non-zero size."));
        assert_eq!(median_dim(&e, 1, false).unwrap().0.shape(), vec![0]);
    }
}
