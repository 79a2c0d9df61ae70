//! Ops that move elements by index along a dimension: gather, scatter / scatter_add,
//! index_select, masked_select, and the reorderings flip, roll, tril / triu.

use super::backward::{backward_fn, input, save_if, vals};
use super::index::{index, index_put, nonzero};
use super::reduce::sum_to_size;
use super::shape::convert;
use super::{needs, record, wrap_dim};
use crate::cpu::index::{gather_offsets, layout_offsets, mapped_offsets, scatter_offsets};
use crate::error::{Error, Result};
use crate::tensor::{broadcast_shapes, numel, shape_str, DType, Element, Layout, Scalar, Tensor};
use crate::with_dtype;

/// A new tensor of `shape` from the elements of `t` at `offsets` (in its storage).
fn take(t: &Tensor, offsets: &[usize], shape: &[usize]) -> Result<Tensor> {
    let data = t.data();
    with_dtype!(data.dtype, T => {
        let buffer = data.storage.read();
        Tensor::from_vec(gather_offsets(T::slice(&buffer), offsets), shape)
    })
}

/// For each element of `index` (row-major), the offset in `layout` of the element it addresses
/// along `dim` (the other coordinates are the index element's own).
fn dim_offsets(layout: &Layout, index: &Tensor, dim: usize) -> Result<Vec<usize>> {
    let ishape = index.shape();
    let mut walk = Layout { shape: ishape.clone(), strides: layout.strides.clone(), offset: layout.offset };
    if !walk.strides.is_empty() {
        walk.strides[dim] = 0;
    }
    let size = layout.shape.get(dim).copied().unwrap_or(1) as i64;
    let stride = layout.strides.get(dim).copied().unwrap_or(0);
    let idx = index.to_vec::<i64>()?;
    let mut out = Vec::with_capacity(idx.len());
    let mut k = 0;
    let mut bad = None;
    walk.for_each_offset(|o| {
        let i = idx[k];
        k += 1;
        if i < 0 || i >= size {
            bad.get_or_insert(i);
        } else {
            out.push(o + i as usize * stride);
        }
    });
    match bad {
        Some(i) => Err(Error::runtime(format!("index {i} is out of bounds for dimension {dim} with size {size}"))),
        None => Ok(out),
    }
}

fn check_index_dims(op: &str, t: &Tensor, index: &Tensor) -> Result<()> {
    if index.dtype() != DType::I64 {
        return Err(Error::runtime(format!("{op}(): Expected dtype int32/int64 for index")));
    }
    if index.dim().max(1) != t.dim().max(1) {
        return Err(Error::runtime("Index tensor must have the same number of dimensions as input tensor"));
    }
    Ok(())
}

/// `t.gather(dim, index)` (GatherBackward0, saves the index).
pub fn gather(t: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    check_index_dims("gather", t, index)?;
    let d = wrap_dim(dim, t.dim())?;
    let (ts, is) = (t.shape(), index.shape());
    for k in (0..is.len()).filter(|&k| k != d) {
        if is[k] > ts[k] {
            return Err(Error::runtime(format!(
                "Size does not match at dimension {k} expected index {} to be no larger than self {} apart from dimension {d}",
                shape_str(&is),
                shape_str(&ts)
            )));
        }
    }
    let offsets = dim_offsets(&t.data().layout, index, d)?;
    let out = take(t, &offsets, &is)?;
    record(&[t], &[&out], || {
        // d gather(t) = zeros of t's shape scatter-added with grad at the index
        let saved = vec![input("self", t), input("index", index)];
        backward_fn("GatherBackward0", saved, move |_, s, g| {
            let index = s[1].as_ref().expect("saved");
            let zeros = Tensor::zeros(&ts, g[0].dtype());
            Ok(vec![Some(scatter_add(&zeros, d as i64, index, &g[0])?)])
        })
        .values(vals![("dim", d), ("sparse_grad", false)])
    })?;
    Ok(out)
}

/// What scatter writes: a source tensor or one value.
#[derive(Clone)]
pub enum ScatterSource {
    /// `scatter(dim, index, src)`: `src`'s elements at the index's positions.
    Tensor(Tensor),
    /// `scatter(dim, index, value)`.
    Value(Scalar),
}

/// Out-of-place scatter (`accumulate`: scatter_add) without recording.
fn scatter_raw(t: &Tensor, d: usize, index: &Tensor, src: &ScatterSource, accumulate: bool) -> Result<Tensor> {
    let (ts, is) = (t.shape(), index.shape());
    if let ScatterSource::Tensor(s) = src {
        if s.dtype() != t.dtype() {
            // PyTorch's shared scatter check names `scatter()` for scatter_add too.
            return Err(Error::runtime("scatter(): Expected self.dtype to be equal to src.dtype"));
        }
        let ss = s.shape();
        let fits = (0..is.len()).all(|k| is[k] <= ss.get(k).copied().unwrap_or(1) && (k == d || is[k] <= ts[k]));
        if !fits {
            return Err(Error::runtime(format!(
                "Expected index {} to be smaller than self {} apart from dimension {d} and to be smaller size than src {}",
                shape_str(&is),
                shape_str(&ts),
                shape_str(&ss)
            )));
        }
    } else if (0..is.len()).any(|k| k != d && is[k] > ts[k]) {
        return Err(Error::runtime(format!(
            "Expected index {} to be smaller than self {} apart from dimension {d}",
            shape_str(&is),
            shape_str(&ts)
        )));
    }
    let out = Tensor::from_buffer(t.contiguous_buffer(), &ts)?;
    let out_data = out.data();
    let offsets = dim_offsets(&out_data.layout, index, d)?;
    let values = match src {
        ScatterSource::Tensor(s) => {
            let sl = s.data().layout;
            let part = Layout { shape: is.clone(), strides: sl.strides.clone(), offset: sl.offset };
            take(s, &layout_offsets(&part), &is)?
        }
        ScatterSource::Value(v) => super::full_exact(&is, *v, t.dtype()),
    };
    with_dtype!(out_data.dtype, T => {
        let v = values.to_vec::<T>()?;
        let mut buffer = out_data.storage.write();
        scatter_offsets(T::slice_mut(&mut buffer), &offsets, &v, accumulate);
    });
    Ok(out)
}

/// `t.scatter(dim, index, src_or_value)` (ScatterBackward0 / ScatterBackward1, save the index).
pub fn scatter(t: &Tensor, dim: i64, index: &Tensor, src: &ScatterSource) -> Result<Tensor> {
    check_index_dims("scatter", t, index)?;
    let d = wrap_dim(dim, t.dim())?;
    let out = scatter_raw(t, d, index, src, false)?;
    match src {
        ScatterSource::Tensor(s) => record(&[t, s], &[&out], || {
            // d scatter(t, src) = grad with the scattered places zeroed, grad.gather(index)
            backward_fn("ScatterBackward0", vec![input("index", index)], move |node, s, g| {
                let index = s[0].as_ref().expect("saved");
                let zero = ScatterSource::Value(Scalar::Float(0.0));
                let grad_t = if needs(node, 0) { Some(scatter(&g[0], d as i64, index, &zero)?) } else { None };
                let grad_s = if needs(node, 1) { Some(gather(&g[0], d as i64, index)?) } else { None };
                Ok(vec![grad_t, grad_s])
            })
            .values(vals![("dim", d)])
        }),
        ScatterSource::Value(_) => record(&[t], &[&out], || {
            // d scatter(t, value) = grad with the scattered places zeroed
            backward_fn("ScatterBackward1", vec![input("index", index)], move |_, s, g| {
                let zero = ScatterSource::Value(Scalar::Float(0.0));
                Ok(vec![Some(scatter(&g[0], d as i64, s[0].as_ref().expect("saved"), &zero)?)])
            })
            .values(vals![("dim", d)])
        }),
    }?;
    Ok(out)
}

/// `t.scatter_add(dim, index, src)` (ScatterAddBackward0; saves the index only for src's grad).
pub fn scatter_add(t: &Tensor, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
    check_index_dims("scatter_add", t, index)?;
    let d = wrap_dim(dim, t.dim())?;
    let out = scatter_raw(t, d, index, &ScatterSource::Tensor(src.clone()), true)?;
    record(&[t, src], &[&out], || {
        // d scatter_add(t, src) = grad, grad.gather(index)
        backward_fn("ScatterAddBackward0", vec![save_if(src.requires_grad(), "index", index)], move |node, s, g| {
            let grad_s = if needs(node, 1) { Some(gather(&g[0], d as i64, s[0].as_ref().expect("saved"))?) } else { None };
            Ok(vec![Some(g[0].clone()), grad_s])
        })
        .values(vals![("dim", d)])
    })?;
    Ok(out)
}

/// `t.index_select(dim, index)` (IndexSelectBackward0, saves the index).
pub fn index_select(t: &Tensor, dim: i64, index: &Tensor) -> Result<Tensor> {
    if index.dim() > 1 {
        return Err(Error::index("index_select(): Index is supposed to be a vector"));
    }
    if index.dtype() != DType::I64 {
        return Err(Error::runtime("index_select(): Expected dtype int32 or int64 for index"));
    }
    let data = t.data();
    let d = wrap_dim(dim, data.layout.ndim())?;
    let size = data.layout.shape.get(d).copied().unwrap_or(1);
    let idx = index.to_vec::<i64>()?;
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i as usize >= size) {
        return Err(Error::runtime(format!("INDICES element is out of DATA bounds, id={bad} axis_dim={size}")));
    }
    let mut layout = data.layout.clone();
    if layout.shape.is_empty() {
        layout = Layout { shape: vec![1], strides: vec![1], offset: layout.offset };
    }
    let mut maps: Vec<Vec<usize>> = layout.shape.iter().map(|&s| (0..s).collect()).collect();
    maps[d] = idx.iter().map(|&i| i as usize).collect();
    let mut shape = layout.shape.clone();
    shape[d] = idx.len();
    if data.layout.ndim() == 0 {
        shape = if index.dim() == 0 { vec![] } else { vec![idx.len()] };
    }
    let out = take(t, &mapped_offsets(&layout, &maps), &shape)?;
    record(&[t], &[&out], || {
        // d index_select(t) = zeros of t's shape with grad added at the index along dim
        let input_shape = data.layout.shape.clone();
        let values = vals![("dim", d), ("self_sym_sizes", &input_shape[..])];
        backward_fn("IndexSelectBackward0", vec![input("index", index)], move |_, s, g| {
            let index = s[0].as_ref().expect("saved");
            let mut indices: Vec<Option<Tensor>> = vec![None; input_shape.len()];
            let zeros = Tensor::zeros(&input_shape, g[0].dtype());
            if input_shape.is_empty() {
                return Ok(vec![Some(sum_to_size(&g[0], &[])?)]);
            }
            indices[d] = Some(super::view::reshape(index, &[-1])?);
            let grad = super::view::reshape(&g[0], &g_shape(&input_shape, d, index.numel()))?;
            Ok(vec![Some(index_put(&zeros, &indices, &grad, true)?)])
        })
        .values(values)
    })?;
    Ok(out)
}

fn g_shape(input_shape: &[usize], d: usize, n: usize) -> Vec<i64> {
    let mut s: Vec<i64> = input_shape.iter().map(|&x| x as i64).collect();
    s[d] = n as i64;
    s
}

/// `t.masked_select(mask)` (MaskedSelectBackward0, saves the mask): the elements where the
/// broadcast mask is true, as a 1-d tensor.
pub fn masked_select(t: &Tensor, mask: &Tensor) -> Result<Tensor> {
    if mask.dtype() != DType::Bool {
        return Err(Error::runtime("masked_select: expected BoolTensor for mask"));
    }
    let shape = broadcast_shapes(&t.shape(), &mask.shape())?;
    let expanded = |x: &Tensor| -> Result<Tensor> { Ok(x.view_with_layout(x.data().layout.broadcast_to(&shape)?)) };
    let coords = nonzero(&convert(&expanded(mask)?, DType::Bool));
    let indices: Vec<Option<Tensor>> = coords.into_iter().map(Some).collect();
    let out = {
        let _no_grad = crate::autograd::GradModeGuard::new(false);
        if shape.is_empty() {
            let keep = mask.item_f64()? != 0.0;
            let offsets: Vec<usize> = if keep { vec![t.data().layout.offset] } else { vec![] };
            take(t, &offsets, &[keep as usize])?
        } else {
            index(&expanded(t)?, &indices)?
        }
    };
    record(&[t], &[&out], || {
        // d masked_select(t) = grad put back where the mask is true, summed to t's shape
        let input_shape = t.shape();
        backward_fn("MaskedSelectBackward0", vec![input("mask", mask), input("self", t)], move |_, s, g| {
            let mask = s[0].as_ref().expect("saved");
            let full = mask.view_with_layout(mask.data().layout.broadcast_to(&shape)?);
            let zeros = Tensor::zeros(&shape, g[0].dtype());
            let put = if shape.is_empty() {
                super::view::reshape(&g[0], &[])?
            } else {
                let indices: Vec<Option<Tensor>> = nonzero(&convert(&full, DType::Bool)).into_iter().map(Some).collect();
                index_put(&zeros, &indices, &g[0], true)?
            };
            Ok(vec![Some(sum_to_size(&put, &input_shape)?)])
        })
    })?;
    Ok(out)
}

/// `t.masked_scatter(mask, source)`: `t` broadcast with `mask`, its elements where the mask is
/// true replaced in row-major order by `source`'s first elements (MaskedScatterBackward0).
pub fn masked_scatter(t: &Tensor, mask: &Tensor, source: &Tensor) -> Result<Tensor> {
    if t.dtype() != source.dtype() {
        return Err(Error::runtime(format!(
            "masked_scatter: expected self and source to have same dtypes but got{} and {}",
            t.dtype().scalar_type_name(),
            source.dtype().scalar_type_name()
        )));
    }
    if mask.dtype() != DType::Bool {
        return Err(Error::runtime(format!(
            "masked_scatter_ only supports boolean masks, but got mask with dtype {}",
            mask.dtype().scalar_type_name()
        )));
    }
    let shape = broadcast_shapes(&mask.shape(), &t.shape())?; // PyTorch's expand_outplace(mask, self)
    let flat_mask = super::shape::expand(mask, &shape)?.to_vec::<bool>()?;
    let positions: Vec<usize> = flat_mask.iter().enumerate().filter(|(_, &m)| m).map(|(i, _)| i).collect();
    if source.numel() < positions.len() {
        return Err(Error::runtime("Number of elements of source < number of ones in mask"));
    }
    let out = {
        let base = super::shape::expand(t, &shape)?;
        let out = Tensor::from_buffer(base.contiguous_buffer(), &shape)?;
        let (src, dst) = (source.data(), out.data());
        with_dtype!(dst.dtype, T => {
            let values: Vec<T> = src.layout.gather(T::slice(&src.storage.read()));
            let mut buffer = dst.storage.write();
            let slots = T::slice_mut(&mut buffer);
            for (&p, &v) in positions.iter().zip(&values) {
                slots[p] = v;
            }
        });
        out
    };
    record(&[t, source], &[&out], || {
        // d masked_scatter = grad with masked entries zeroed; for source: grad[mask], zero-padded to source's size
        let source_shape = source.shape();
        let values = vals![("source_sym_sizes", &source_shape[..])];
        backward_fn("MaskedScatterBackward0", vec![input("mask", mask)], move |node, s, g| {
            let mask = s[0].as_ref().expect("saved");
            let grad_self = if needs(node, 0) { Some(super::masked_fill(&g[0], mask, Scalar::Float(0.0))?) } else { None };
            let grad_source = if needs(node, 1) {
                let selected = masked_select(&g[0], mask)?;
                let missing = numel(&source_shape) - selected.numel();
                let padded = if missing > 0 {
                    super::join::cat(&[selected, Tensor::zeros(&[missing], g[0].dtype())], 0)?
                } else {
                    selected
                };
                Some(super::view::reshape(&padded, &source_shape.iter().map(|&d| d as i64).collect::<Vec<_>>())?)
            } else {
                None
            };
            Ok(vec![grad_self, grad_source])
        })
        .values(values)
    })?;
    Ok(out)
}

/// `t.flip(dims)` (FlipBackward0).
pub fn flip(t: &Tensor, dims: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let ndim = data.layout.ndim();
    let mut flipped = vec![false; ndim];
    for &dim in dims {
        let d = wrap_dim(dim, ndim)?;
        if ndim > 0 && std::mem::replace(&mut flipped[d], true) {
            return Err(Error::runtime(format!("dim {d} appears multiple times in the list of dims")));
        }
    }
    let maps: Vec<Vec<usize>> = data
        .layout
        .shape
        .iter()
        .zip(&flipped)
        .map(|(&s, &f)| if f { (0..s).rev().collect() } else { (0..s).collect() })
        .collect();
    let out = take(t, &mapped_offsets(&data.layout, &maps), &data.layout.shape)?;
    let dims = dims.to_vec();
    record(&[t], &[&out], || {
        // d flip(t) = grad flipped back
        let values = vals![("dims", dims.clone())];
        backward_fn("FlipBackward0", vec![], move |_, _, g| Ok(vec![Some(flip(&g[0], &dims)?)])).values(values)
    })?;
    Ok(out)
}

/// `t.roll(shifts, dims)` (RollBackward0); without dims the flattened tensor is rolled.
pub fn roll(t: &Tensor, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
    let data = t.data();
    let out = if dims.is_empty() {
        if shifts.len() != 1 {
            return Err(Error::runtime(format!("shifts and dimensions must align. shifts: {}, dims:0", shifts.len())));
        }
        let n = data.layout.numel();
        let flat = layout_offsets(&data.layout);
        let s = if n == 0 { 0 } else { shifts[0].rem_euclid(n as i64) as usize };
        let offsets: Vec<usize> = (0..n).map(|j| flat[(j + n - s) % n]).collect();
        take(t, &offsets, &data.layout.shape)?
    } else {
        if shifts.len() != dims.len() {
            return Err(Error::runtime(format!(
                "shifts and dimensions must align. shifts: {}, dims:{}",
                shifts.len(),
                dims.len()
            )));
        }
        let mut maps: Vec<Vec<usize>> = data.layout.shape.iter().map(|&s| (0..s).collect()).collect();
        for (&shift, &dim) in shifts.iter().zip(dims) {
            let d = wrap_dim(dim, data.layout.ndim())?;
            let n = data.layout.shape[d];
            if n > 0 {
                let s = shift.rem_euclid(n as i64) as usize;
                maps[d] = maps[d].iter().map(|&j| maps[d][(j + n - s) % n]).collect();
            }
        }
        take(t, &mapped_offsets(&data.layout, &maps), &data.layout.shape)?
    };
    let (back, dims) = (shifts.iter().map(|&s| -s).collect::<Vec<_>>(), dims.to_vec());
    record(&[t], &[&out], || {
        // d roll(t, s) = roll(grad, -s)
        let values = vals![("dims", dims.clone()), ("shifts", back.iter().map(|s| -s).collect::<Vec<i64>>())];
        backward_fn("RollBackward0", vec![], move |_, _, g| Ok(vec![Some(roll(&g[0], &back, &dims)?)])).values(values)
    })?;
    Ok(out)
}

/// `t.tril(k)` / `t.triu(k)`: zeros above / below the k-th diagonal of the last two dims.
pub fn triangle(t: &Tensor, k: i64, lower: bool) -> Result<Tensor> {
    let name = if lower { "tril" } else { "triu" };
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(Error::runtime(format!("{name}: input tensor must have at least 2 dimensions")));
    }
    let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let out = with_dtype!(t.dtype(), T => {
        let mut values = t.to_vec::<T>()?;
        for (i, v) in values.iter_mut().enumerate() {
            let (r, c) = (((i / cols.max(1)) % rows.max(1)) as i64, (i % cols.max(1)) as i64);
            let keep = if lower { c - r <= k } else { c - r >= k };
            if !keep {
                *v = T::default();
            }
        }
        Tensor::from_vec(values, &shape)?
    });
    record(&[t], &[&out], || {
        // d tril(t) = tril(grad) (triu alike)
        let node = if lower { "TrilBackward0" } else { "TriuBackward0" };
        backward_fn(node, vec![], move |_, _, g| Ok(vec![Some(triangle(&g[0], k, lower)?)])).values(vals![("diagonal", k)])
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Tensor {
        Tensor::from_vec((0..n).map(|v| v as f64).collect::<Vec<_>>(), shape).unwrap()
    }
    fn ints(v: &[i64], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn masked_scatter_fills_true_positions_in_order_from_a_strided_source() {
        let mask = Tensor::from_vec(vec![true, false, true], &[3]).unwrap();
        // the source is a transposed view: its elements are read in logical order
        let source = crate::ops::view::transpose(&arange(6, &[2, 3]), 0, 1).unwrap();
        let out = masked_scatter(&Tensor::zeros(&[2, 3], DType::F64), &mask, &source).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![0.0, 0.0, 3.0, 1.0, 0.0, 4.0]);
        let err = masked_scatter(&Tensor::zeros(&[2, 3], DType::F64), &mask, &arange(3, &[3])).unwrap_err();
        assert_eq!(err.message(), "Number of elements of source < number of ones in mask");
    }

    #[test]
    fn gather_and_scatter_are_inverse_on_a_permutation() {
        let a = arange(6, &[2, 3]);
        let idx = ints(&[2, 0, 1, 1, 2, 0], &[2, 3]);
        let g = gather(&a, 1, &idx).unwrap();
        assert_eq!(g.to_vec::<f64>().unwrap(), vec![2.0, 0.0, 1.0, 4.0, 5.0, 3.0]);
        let back = scatter(&Tensor::zeros(&[2, 3], DType::F64), 1, &idx, &ScatterSource::Tensor(g)).unwrap();
        assert_eq!(back.to_vec::<f64>().unwrap(), a.to_vec::<f64>().unwrap());
        let err = gather(&a, 1, &ints(&[0, 5], &[2, 1])).unwrap_err();
        assert_eq!(err.message(), "index 5 is out of bounds for dimension 1 with size 3");
    }

    #[test]
    fn flip_roll_and_triangles() {
        let a = arange(6, &[2, 3]);
        assert_eq!(flip(&a, &[1]).unwrap().to_vec::<f64>().unwrap(), vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
        assert_eq!(roll(&a, &[1], &[]).unwrap().to_vec::<f64>().unwrap(), vec![5.0, 0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(roll(&a, &[-1], &[1]).unwrap().to_vec::<f64>().unwrap(), vec![1.0, 2.0, 0.0, 4.0, 5.0, 3.0]);
        assert_eq!(triangle(&a, 0, true).unwrap().to_vec::<f64>().unwrap(), vec![0.0, 0.0, 0.0, 3.0, 4.0, 0.0]);
        assert_eq!(triangle(&a, 1, false).unwrap().to_vec::<f64>().unwrap(), vec![0.0, 1.0, 2.0, 0.0, 0.0, 5.0]);
    }

    #[test]
    fn index_select_checks_bounds() {
        let a = arange(6, &[2, 3]);
        let out = index_select(&a, 1, &ints(&[2, 2, 0], &[3])).unwrap();
        assert_eq!(out.to_vec::<f64>().unwrap(), vec![2.0, 2.0, 0.0, 5.0, 5.0, 3.0]);
        let err = index_select(&a, 1, &ints(&[3], &[1])).unwrap_err();
        assert_eq!(err.message(), "INDICES element is out of DATA bounds, id=3 axis_dim=3");
    }
}
