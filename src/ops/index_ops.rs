//! Index ops that write along a dimension (`index_fill`, `index_copy`, `index_add`) or into the
//! flattened tensor (`put`, `take`), `fill_diagonal_`, and `index_put_(accumulate=True)` on a
//! target whose elements share memory. Checks and messages follow PyTorch's
//! `TensorAdvancedIndexing.cpp` in its order; backward formulas are derivatives.yaml's.

use super::backward::{backward_fn, input, save_if, vals};
use super::gather::index_select;
use super::index::index_put;
use super::shape::{expand, to_dtype};
use super::{check_scalar_fits, needs, record, wrap_dim};
use crate::cpu::index::{gather_offsets, layout_offsets, mapped_offsets, scatter_offsets};
use crate::cpu::index_ops::{accumulate_aliased, add_scaled_offsets, fill_offsets, wrap_flat};
use crate::error::{Error, Result};
use crate::tensor::{shape_str, DType, Element, Layout, Scalar, Tensor};
use crate::with_dtype;

/// What `index_fill` writes: a number, or a 0-d tensor (whose gradient is then computed).
#[derive(Clone)]
pub enum FillValue {
    /// `index_fill(dim, index, 2.0)` (IndexFillBackward0).
    Number(Scalar),
    /// `index_fill(dim, index, tensor(2.0))` (IndexFillBackward1).
    Tensor(Tensor),
}

/// A row-major copy of `t` (the out-of-place result the ops then write into).
fn fresh_copy(t: &Tensor) -> Result<Tensor> {
    Tensor::from_buffer(t.contiguous_buffer(), &t.shape())
}

/// The index's values as i64 (int32 indices are widened).
fn index_values(index: &Tensor) -> Result<Vec<i64>> {
    if index.dtype() == DType::I64 {
        index.to_vec::<i64>()
    } else {
        to_dtype(index, DType::I64)?.to_vec::<i64>()
    }
}

/// A 0-d tensor's layout seen as one dimension of size 1 (PyTorch's `unsqueeze(-1)` of a 0-d
/// self in these ops).
fn at_least_1d(layout: &Layout) -> Layout {
    if layout.shape.is_empty() {
        Layout { shape: vec![1], strides: vec![1], offset: layout.offset }
    } else {
        layout.clone()
    }
}

/// Storage offsets of `out[.., index[k], ..]` along `d` for every position of a tensor shaped as
/// `layout` with dim `d` replaced by the index, in row-major order (so the k-th slice of a source
/// lines up with `index[k]`).
fn along_dim_offsets(layout: &Layout, d: usize, index: &[usize]) -> Vec<usize> {
    let layout = at_least_1d(layout);
    let mut maps: Vec<Vec<usize>> = layout.shape.iter().map(|&s| (0..s).collect()).collect();
    maps[d] = index.to_vec();
    mapped_offsets(&layout, &maps)
}

/// The number an `index_fill` value stands for (a 0-d tensor's item).
fn fill_number(value: &FillValue) -> Result<Scalar> {
    Ok(match value {
        FillValue::Number(s) => *s,
        FillValue::Tensor(v) => {
            let x = v.item_f64()?;
            match v.dtype() {
                DType::Bool => Scalar::Bool(x != 0.0),
                DType::U8 | DType::I32 | DType::I64 => Scalar::Int(with_dtype!(v.dtype(), T => v.to_vec::<T>()?[0].to_i64())),
                _ => Scalar::Float(x),
            }
        }
    })
}

/// The checks `index_fill_` makes before it looks at `self` (a value tensor of one element and
/// 0 dims, an int64 index): where PyTorch errors before its expanded-tensor warning.
pub fn check_index_fill_args(index: &Tensor, value: &FillValue) -> Result<()> {
    if let FillValue::Tensor(v) = value {
        if v.dim() != 0 {
            return Err(Error::runtime(format!(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                v.dim()
            )));
        }
    }
    if index.dtype() != DType::I64 {
        return Err(Error::index("index_fill_(): Expected dtype int64 for index."));
    }
    Ok(())
}

/// `t.index_fill(dim, index, value)`: the slices of `t` at `index` along `dim` set to `value`
/// (negative indices count from the end). IndexFillBackward0 for a number, IndexFillBackward1 for
/// a 0-d tensor value; both save `dim` and the index.
pub fn index_fill(t: &Tensor, dim: i64, index: &Tensor, value: &FillValue) -> Result<Tensor> {
    check_index_fill_args(index, value)?;
    let d = wrap_dim(dim, t.dim())?;
    if index.dim() > 1 {
        return Err(Error::runtime("Index has to be a vector/scalar"));
    }
    let number = fill_number(value)?;
    check_scalar_fits(number, t.dtype())?;
    let size = t.shape().get(d).copied().unwrap_or(1);
    let n = size as i64;
    let raw = index.to_vec::<i64>()?;
    let mut wrapped = Vec::with_capacity(raw.len());
    for &i in &raw {
        if i < -n || i >= n {
            return Err(Error::index(format!("index {i} is out of bounds for dimension {d} with size {size}")));
        }
        wrapped.push((if i < 0 { i + n } else { i }) as usize);
    }
    let out = fresh_copy(t)?;
    {
        let data = out.data();
        let offsets = along_dim_offsets(&data.layout, d, &wrapped);
        let mut buffer = data.storage.write();
        with_dtype!(data.dtype, T => {
            let v = match number {
                Scalar::Float(f) => T::from_f64(f),
                Scalar::Int(i) => T::from_i64(i),
                Scalar::Bool(b) => T::from_i64(b as i64),
            };
            fill_offsets(T::slice_mut(&mut buffer), &offsets, v);
        });
    }
    let values = vals![("dim", d)];
    match value {
        FillValue::Number(_) => record(&[t], &[&out], || {
            // d index_fill(t, value) = grad with the filled slices zeroed
            backward_fn("IndexFillBackward0", vec![input("index", index)], move |_, s, g| {
                let zero = FillValue::Number(Scalar::Int(0));
                Ok(vec![Some(index_fill(&g[0], d as i64, s[0].as_ref().expect("saved"), &zero)?)])
            })
            .values(values)
        })?,
        FillValue::Tensor(v) => record(&[t, v], &[&out], || {
            // d index_fill(t, v) = grad with the filled slices zeroed, grad.index_select(dim, unique(index)).sum()
            backward_fn("IndexFillBackward1", vec![input("index", index)], move |node, s, g| {
                let index = s[0].as_ref().expect("saved");
                let grad_t = if needs(node, 0) {
                    Some(index_fill(&g[0], d as i64, index, &FillValue::Number(Scalar::Int(0)))?)
                } else {
                    None
                };
                let grad_v = if needs(node, 1) {
                    let mut unique = index.to_vec::<i64>()?;
                    unique.sort_unstable();
                    unique.dedup();
                    let n = unique.len();
                    Some(super::sum(&index_select(&g[0], d as i64, &Tensor::from_vec(unique, &[n])?)?)?)
                } else {
                    None
                };
                Ok(vec![grad_t, grad_v])
            })
            .values(values)
        })?,
    }
    Ok(out)
}

/// Sizes without dim `d` as PyTorch's `operator<<` of a vector prints them (`2 4`).
fn sliced_sizes(shape: &[usize], d: usize) -> Vec<usize> {
    let mut s = shape.to_vec();
    if !s.is_empty() {
        s.remove(d.min(s.len() - 1));
    }
    s
}

fn spaced(sizes: &[usize]) -> String {
    sizes.iter().map(usize::to_string).collect::<Vec<_>>().join(" ")
}

/// The gradient of `source` in `index_copy` / `index_add`: `grad.index_select(dim, index)`
/// shaped as the source (a 0-d source takes the single selected element).
fn source_grad(grad: &Tensor, d: usize, index: &Tensor, source_shape: &[usize]) -> Result<Tensor> {
    let index = if index.dtype() == DType::I64 { index.clone() } else { to_dtype(index, DType::I64)? };
    if source_shape.is_empty() {
        let flat = super::view::reshape(&index, &[])?;
        return super::sum_to_size(&index_select(grad, d as i64, &flat)?, &[]);
    }
    expand(&index_select(grad, d as i64, &index)?, source_shape)
}

/// `t.index_copy(dim, index, source)`: `source`'s k-th slice along `dim` copied to slice
/// `index[k]` of `t` (the last copy wins on duplicates). IndexCopyBackward0 saves `dim`, the
/// index and (when it requires grad) the source.
pub fn index_copy(t: &Tensor, dim: i64, index: &Tensor, source: &Tensor) -> Result<Tensor> {
    let d = wrap_dim(dim, t.dim())?;
    if index.dim() >= 2 {
        return Err(Error::index(format!("index_copy_(): Index should have dimension 1 or 0 (got {})", index.dim())));
    }
    let count = index.numel();
    if source.dim() == 0 && count != 1 {
        return Err(Error::index(format!("index_copy_(): When source is scalar, index should have one element (got {count})")));
    } else if source.dim() != t.dim() && source.dim() != 0 && t.dim() != 0 {
        return Err(Error::index(format!(
            "index_copy_(): When source and destination are not scalars, their dimensionality must match. Source dimensionality ({}), destination dimensionality ({})",
            source.dim(),
            t.dim()
        )));
    }
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!(
            "index_copy_(): Expected a long tensor for index, but got {}",
            index.dtype().scalar_type_name()
        )));
    }
    if t.dtype() != source.dtype() {
        return Err(Error::runtime(format!(
            "index_copy_(): self and source expected to have the same dtype, but got (self) {} and (source) {}",
            t.dtype().scalar_type_name(),
            source.dtype().scalar_type_name()
        )));
    }
    let (ts, ss) = (t.shape(), source.shape());
    let (self_slice, source_slice) = (sliced_sizes(&ts, d), sliced_sizes(&ss, d));
    if self_slice != source_slice {
        return Err(Error::runtime(format!(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: {} at dimension {d} and source slice shape: {} at dimension 0.",
            spaced(&self_slice),
            spaced(&source_slice)
        )));
    }
    if source.dim() != 0 && count != ss[d] {
        return Err(Error::index(format!(
            "index_copy_(): Number of indices ({count}) should be equal to source.size(dim) ({})",
            ss[d]
        )));
    }
    let size = ts.get(d).copied().unwrap_or(1);
    let raw = index.to_vec::<i64>()?;
    if let Some(&bad) = raw.iter().find(|&&i| i < 0 || i as usize >= size) {
        return Err(Error::index(format!("index_copy_(): index {bad} is out of bounds for dimension {d} with size {size}")));
    }
    let positions: Vec<usize> = raw.iter().map(|&i| i as usize).collect();
    let out = fresh_copy(t)?;
    write_along_dim(&out, d, &positions, source, None)?;
    record(&[t, source], &[&out], || {
        // d index_copy(t, src) = grad with the copied slices zeroed, grad.index_select(dim, index) shaped as src
        let source_shape = ss.clone();
        let saved = vec![input("index", index), save_if(source.requires_grad(), "source", source)];
        backward_fn("IndexCopyBackward0", saved, move |node, s, g| {
            let index = s[0].as_ref().expect("saved");
            let grad_t = if needs(node, 0) {
                Some(index_fill(&g[0], d as i64, index, &FillValue::Number(Scalar::Int(0)))?)
            } else {
                None
            };
            let grad_s = if needs(node, 1) { Some(source_grad(&g[0], d, index, &source_shape)?) } else { None };
            Ok(vec![grad_t, grad_s])
        })
        .values(vals![("dim", d), ("source_dim", source.dim())])
    })?;
    Ok(out)
}

/// Writes (`alpha` None) or adds `alpha *` the source's slices at `positions` along `d` of `out`
/// (a fresh contiguous tensor).
fn write_along_dim(out: &Tensor, d: usize, positions: &[usize], source: &Tensor, alpha: Option<Scalar>) -> Result<()> {
    let data = out.data();
    let offsets = along_dim_offsets(&data.layout, d, positions);
    with_dtype!(data.dtype, T => {
        let values: Vec<T> = source.to_vec::<T>()?;
        let mut buffer = data.storage.write();
        let dst = T::slice_mut(&mut buffer);
        match alpha {
            None => scatter_offsets(dst, &offsets, &values, false),
            Some(a) => {
                let a = match a {
                    Scalar::Float(f) => T::from_f64(f),
                    Scalar::Int(i) => T::from_i64(i),
                    Scalar::Bool(b) => T::from_i64(b as i64),
                };
                add_scaled_offsets(dst, &offsets, &values, a);
            }
        }
    });
    Ok(())
}

/// `t.index_add(dim, index, source, alpha=alpha)`: `alpha * source`'s k-th slice along `dim`
/// added to slice `index[k]` of `t` (int32 or int64 index). IndexAddBackward0 saves `alpha`,
/// `dim`, and the index and source when the source requires grad.
pub fn index_add(t: &Tensor, dim: i64, index: &Tensor, source: &Tensor, alpha: Scalar) -> Result<Tensor> {
    let d = wrap_dim(dim, t.dim())?;
    let count = index.numel();
    if index.dim() > 1 {
        return Err(Error::index(format!(
            "index_add_(): Index is supposed to be a vector, but got dim: {} with type: {} and size: {}",
            index.dim(),
            index.dtype().scalar_type_name(),
            shape_str(&index.shape())
        )));
    }
    if !matches!(index.dtype(), DType::I64 | DType::I32) {
        return Err(Error::runtime(format!(
            "index_add_(): Expected dtype int32/int64 for index but got: {}",
            index.dtype().scalar_type_name()
        )));
    }
    if t.dtype() != source.dtype() {
        return Err(Error::runtime(format!(
            "index_add_(): self ({}) and source ({}) must have the same scalar type",
            t.dtype().scalar_type_name(),
            source.dtype().scalar_type_name()
        )));
    }
    if d != 0 && d >= source.dim() {
        return Err(Error::runtime(format!(
            "index_add_(): Indexing dim {d} is out of bounds of the source tensor with dim {}",
            source.dim()
        )));
    }
    let (ts, ss) = (t.shape(), source.shape());
    let expected = if source.dim() == 0 { 1 } else { ss[d] };
    if count != expected {
        if source.dim() == 0 {
            return Err(Error::index("Dimension specified as 0 but tensor has no dimensions"));
        }
        return Err(Error::runtime(format!(
            "index_add_(): Number of indices ({count}) should be equal to source.size(dim): ({}), for dim: {d}",
            ss[d]
        )));
    }
    let (mut self_sizes, mut source_sizes) = (ts.clone(), ss.clone());
    if source.dim() != 0 && t.dim() != 0 {
        self_sizes.remove(d);
        source_sizes.remove(d);
    }
    if self_sizes != source_sizes {
        return Err(Error::runtime(format!(
            "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = {} source.shape = {}",
            shape_str(&ts),
            shape_str(&ss)
        )));
    }
    check_scalar_fits(alpha, t.dtype())?;
    let raw = index_values(index)?;
    let size = ts.get(d).copied().unwrap_or(1);
    if t.dim() > 1 && (count == 0 || t.numel() == 0) {
        // PyTorch returns before reading the index.
    } else if let Some(&bad) = raw.iter().find(|&&i| i < 0 || i as usize >= size) {
        // Along the first or last dim of a tensor of 2+ dims, with alpha 1 and an int64 index,
        // PyTorch hands the work to scatter_add_, whose error this is.
        let scatter = t.dim() > 1 && (d == 0 || d == t.dim() - 1) && alpha.to_f64() == 1.0 && index.dtype() == DType::I64;
        return Err(if scatter {
            Error::runtime(format!("index {bad} is out of bounds for dimension {d} with size {size}"))
        } else {
            Error::index("index out of range in self")
        });
    }
    let positions: Vec<usize> = raw.iter().map(|&i| i as usize).collect();
    let out = fresh_copy(t)?;
    if !(t.dim() > 1 && (count == 0 || t.numel() == 0)) {
        write_along_dim(&out, d, &positions, source, Some(alpha))?;
    }
    record(&[t, source], &[&out], || {
        // d index_add(t, src, alpha) = grad, alpha * grad.index_select(dim, index) shaped as src
        let source_shape = ss.clone();
        let wanted = source.requires_grad();
        let saved = vec![save_if(wanted, "index", index), save_if(wanted, "source", source)];
        backward_fn("IndexAddBackward0", saved, move |node, s, g| {
            let grad_s = if needs(node, 1) {
                let selected = source_grad(&g[0], d, s[0].as_ref().expect("saved"), &source_shape)?;
                Some(if alpha.to_f64() == 1.0 { selected } else { super::mul(&selected, &alpha.to_tensor())? })
            } else {
                None
            };
            Ok(vec![needs(node, 0).then(|| g[0].clone()), grad_s])
        })
        .values(vals![("alpha", alpha), ("dim", d), ("source_dim", source.dim())])
    })?;
    Ok(out)
}

/// `put_`'s and `take`'s refusal of an index out of `-n..n`.
fn flat_out_of_range(i: i64, n: usize) -> Error {
    Error::index(format!("out of range: tried to access index {i} on a tensor of {n} elements."))
}

/// `t.put(index, source, accumulate)`: `source`'s elements written (or added) at the flat,
/// row-major positions `index` of `t`. PutBackward0 saves `accumulate`, the index and (when it
/// requires grad) the source.
pub fn put(t: &Tensor, index: &Tensor, source: &Tensor, accumulate: bool) -> Result<Tensor> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!("put_(): Expected a long tensor for index, but got {}", index.dtype().scalar_type_name())));
    }
    if t.dtype() != source.dtype() {
        return Err(Error::runtime(format!(
            "put_(): self and source expected to have the same dtype, but got self.dtype = {} and source.dtype = {}",
            t.dtype().scalar_type_name(),
            source.dtype().scalar_type_name()
        )));
    }
    if source.numel() != index.numel() {
        return Err(Error::index(format!(
            "put_(): Expected source and index to have the same number of elements, but got source.numel() = {}, index.numel() = {}",
            source.numel(),
            index.numel()
        )));
    }
    let n = t.numel();
    if n == 0 && index.numel() != 0 {
        return Err(Error::index("put_(): Tried to put elements into an empty tensor"));
    }
    let positions = wrap_flat(&index.to_vec::<i64>()?, n).map_err(|i| flat_out_of_range(i, n))?;
    let out = fresh_copy(t)?;
    {
        let data = out.data();
        with_dtype!(data.dtype, T => {
            let values: Vec<T> = source.to_vec::<T>()?;
            let mut buffer = data.storage.write();
            scatter_offsets(T::slice_mut(&mut buffer), &positions, &values, accumulate);
        });
    }
    record(&[t, source], &[&out], || {
        // d put(t, src) = grad (accumulate) or grad with the written places zeroed, grad.take(index) shaped as src
        let source_shape = source.shape();
        let saved = vec![input("index", index), save_if(source.requires_grad(), "source", source)];
        backward_fn("PutBackward0", saved, move |node, s, g| {
            let index = s[0].as_ref().expect("saved");
            let grad_t = if !needs(node, 0) {
                None
            } else if accumulate {
                Some(g[0].clone())
            } else {
                Some(put(&g[0], index, &Tensor::zeros(&source_shape, g[0].dtype()), false)?)
            };
            let grad_s = if needs(node, 1) {
                Some(super::reshape(&take(&g[0], index)?, &super::shape_i64(&source_shape))?)
            } else {
                None
            };
            Ok(vec![grad_t, grad_s])
        })
        .values(vals![("accumulate", accumulate)])
    })?;
    Ok(out)
}

/// `t.take(index)`: the elements of `t` at the flat, row-major positions `index`, shaped as the
/// index (TakeBackward0, saves self and the index).
pub fn take(t: &Tensor, index: &Tensor) -> Result<Tensor> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!("take(): Expected a long tensor for index, but got {}", index.dtype().scalar_type_name())));
    }
    let n = t.numel();
    if n == 0 && index.numel() != 0 {
        return Err(Error::index("take(): tried to take from an empty tensor"));
    }
    let positions = wrap_flat(&index.to_vec::<i64>()?, n).map_err(|i| flat_out_of_range(i, n))?;
    let data = t.data();
    let flat = layout_offsets(&data.layout);
    let offsets: Vec<usize> = positions.iter().map(|&p| flat[p]).collect();
    let out = with_dtype!(data.dtype, T => {
        let buffer = data.storage.read();
        Tensor::from_vec(gather_offsets(T::slice(&buffer), &offsets), &index.shape())?
    });
    record(&[t], &[&out], || {
        // d take(t) = zeros of t's shape with grad added at the flat index
        backward_fn("TakeBackward0", vec![input("self", t), input("index", index)], move |_, s, g| {
            let (t, index) = (s[0].as_ref().expect("saved"), s[1].as_ref().expect("saved"));
            Ok(vec![Some(put(&Tensor::zeros(&t.shape(), g[0].dtype()), index, &g[0], true)?)])
        })
    })?;
    Ok(out)
}

/// `t.fill_diagonal_(value, wrap)` in place, as PyTorch builds it: the main diagonal (all
/// coordinates equal) is an `as_strided` view filled with `fill_`; with `wrap`, a tall matrix
/// gets the diagonal restarted every `width + 1` rows. The base's history becomes CopySlices.
pub fn fill_diagonal_(t: &Tensor, value: Scalar, wrap: bool) -> Result<()> {
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(Error::runtime("dimensions must larger than 1"));
    }
    let (height, width) = (shape[0], shape[1]);
    if shape.len() > 2 && shape.iter().any(|&s| s != height) {
        return Err(Error::runtime("all dimensions of input must be of equal length"));
    }
    let layout = t.data().layout;
    let stride: usize = layout.strides.iter().sum();
    let size = height.min(width);
    let main = super::view_strided::as_strided_layout(t, Layout { shape: vec![size], strides: vec![stride], offset: layout.offset }, "AsStridedBackward0")?;
    super::fill_(&main, value, "FillBackward2")?;
    if wrap && shape.len() == 2 && height > width + 1 {
        let step = width + 1;
        let wrap_size = (t.numel() + step - 1) / step - size;
        let offset = layout.offset + layout.strides[0] * (width + 1);
        let rest = super::view_strided::as_strided_layout(t, Layout { shape: vec![wrap_size], strides: vec![stride], offset }, "AsStridedBackward0")?;
        super::fill_(&rest, value, "FillBackward2")?;
    }
    Ok(())
}

/// The out-of-place value of `t.index_put_(indices, values, accumulate=True)` when elements of
/// `t` share memory (an expanded tensor): every value is added once to the memory location it
/// lands on, so all aliases of a location show the same sum (PyTorch's kernel adds into storage).
/// Recorded as IndexPutBackward0, as `index_put`.
pub fn index_put_accumulate_aliased(t: &Tensor, indices: &[Option<Tensor>], values: &Tensor) -> Result<Tensor> {
    let out = index_put(t, indices, values, true)?;
    let data = t.data();
    let (shape, write_offsets) = super::index::advanced_offsets(&data.layout, indices)?;
    let element_offsets = layout_offsets(&data.layout);
    let values = super::shape::convert(values, data.dtype);
    let vlayout = values.data().layout.broadcast_to(&shape)?;
    let out_data = out.data();
    with_dtype!(data.dtype, T => {
        let v: Vec<T> = {
            let vdata = values.data();
            let buffer = vdata.storage.read();
            vlayout.gather(T::slice(&buffer))
        };
        let current: Vec<T> = t.to_vec::<T>()?;
        let summed = accumulate_aliased(&current, &element_offsets, &write_offsets, &v);
        let mut buffer = out_data.storage.write();
        T::slice_mut(&mut buffer).copy_from_slice(&summed);
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{arange, ints};

    #[test]
    fn index_fill_wraps_negative_indices_and_checks_bounds() {
        let out = index_fill(&arange(6, &[2, 3]), -1, &ints(&[0, -1]), &FillValue::Number(Scalar::Float(-1.0))).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![-1.0, 1.0, -1.0, -1.0, 4.0, -1.0]);
        let err = index_fill(&arange(6, &[2, 3]), 1, &ints(&[3]), &FillValue::Number(Scalar::Int(0))).unwrap_err();
        assert_eq!(err, Error::index("index 3 is out of bounds for dimension 1 with size 3"));
        let scalar = index_fill(&Tensor::scalar(5.0, DType::F64), 0, &ints(&[0]), &FillValue::Number(Scalar::Int(2))).unwrap();
        assert_eq!(scalar.to_vec::<f64>().unwrap(), vec![2.0]);
    }

    #[test]
    fn index_copy_and_index_add_along_a_middle_dim() {
        let t = Tensor::zeros(&[2, 3, 2], DType::F64);
        let src = arange(8, &[2, 2, 2]);
        let copied = index_copy(&t, 1, &ints(&[2, 0]), &src).unwrap();
        assert_eq!(copied.to_vec::<f64>().unwrap(), vec![2.0, 3.0, 0.0, 0.0, 0.0, 1.0, 6.0, 7.0, 0.0, 0.0, 4.0, 5.0]);
        let added = index_add(&t, 1, &ints(&[1, 1]), &src, Scalar::Int(2)).unwrap();
        assert_eq!(added.to_vec::<f64>().unwrap(), vec![0.0, 0.0, 4.0, 8.0, 0.0, 0.0, 0.0, 0.0, 20.0, 24.0, 0.0, 0.0]);
        let err = index_add(&t, 1, &ints(&[3, 0]), &src, Scalar::Int(1)).unwrap_err();
        assert_eq!(err, Error::index("index out of range in self"));
        let err = index_add(&t, 0, &ints(&[2, 0]), &arange(12, &[2, 3, 2]), Scalar::Int(1)).unwrap_err();
        assert_eq!(err, Error::runtime("index 2 is out of bounds for dimension 0 with size 2"));
    }

    #[test]
    fn put_and_take_use_row_major_positions_of_strided_tensors() {
        let t = super::super::view::transpose(&arange(6, &[2, 3]), 0, 1).unwrap(); // [[0,3],[1,4],[2,5]]
        assert_eq!(take(&t, &ints(&[1, -1, 2])).unwrap().to_vec::<f64>().unwrap(), vec![3.0, 5.0, 1.0]);
        let put_out = put(&t, &ints(&[0, 0, 5]), &arange(3, &[3]), true).unwrap();
        assert_eq!(put_out.to_vec::<f64>().unwrap(), vec![1.0, 3.0, 1.0, 4.0, 2.0, 7.0]);
        assert_eq!(take(&t, &ints(&[6])).unwrap_err(), Error::index("out of range: tried to access index 6 on a tensor of 6 elements."));
    }

    #[test]
    fn fill_diagonal_wraps_tall_matrices() {
        let t = Tensor::zeros(&[5, 2], DType::F64);
        fill_diagonal_(&t, Scalar::Int(1), true).unwrap();
        assert_eq!(t.to_vec::<f64>().unwrap(), vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        let cube = Tensor::zeros(&[2, 2, 2], DType::F64);
        fill_diagonal_(&cube, Scalar::Int(3), false).unwrap();
        assert_eq!(cube.to_vec::<f64>().unwrap(), vec![3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0]);
    }
}
