//! Copies, casts and shape changes: clone, dtype conversion, expand, reshape.

use super::backward::{backward_fn, vals};
use super::record;
use super::reduce::sum_to_size;
use crate::cpu::elementwise;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, DType, Element, Tensor};
use crate::with_dtype;

fn cast_kernel<S: Element, D: Element>(t: &Tensor) -> Result<Tensor> {
    let data = t.data();
    let buffer = data.storage.read();
    let values = elementwise::unary(S::slice(&buffer), &data.layout, |x: S| x.cast::<D>());
    Tensor::from_vec(values, &data.layout.shape)
}

/// `t` as `dtype`, without recording; returns `t` itself when the dtype already matches.
pub(crate) fn convert(t: &Tensor, dtype: DType) -> Tensor {
    if t.dtype() == dtype {
        return t.clone();
    }
    with_dtype!(t.dtype(), S => with_dtype!(dtype, D => cast_kernel::<S, D>(t).expect("same shape")))
}

/// `t.to(dtype)`: a copy in another dtype (the tensor itself when the dtype matches).
pub fn to_dtype(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.dtype() == dtype {
        return Ok(t.clone());
    }
    let out = convert(t, dtype);
    let source = t.dtype();
    record(&[t], &[&out], || {
        // d to(t) = grad.to(original dtype)
        backward_fn("ToCopyBackward0", vec![], move |_, _, g| Ok(vec![Some(to_dtype(&g[0], source)?)]))
    })?;
    Ok(out)
}

/// A contiguous copy of `t`'s elements, not recorded.
fn copy_raw(t: &Tensor) -> Result<Tensor> {
    Tensor::from_buffer(t.contiguous_buffer(), &t.shape())
}

/// `t.clone()`.
pub fn clone(t: &Tensor) -> Result<Tensor> {
    let out = copy_raw(t)?;
    record(&[t], &[&out], || {
        // d clone(t) = grad
        backward_fn("CloneBackward0", vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// The copy AccumulateGrad makes of a first gradient under `create_graph` (PyTorch's
/// `new_empty_strided(...).copy_(grad)`, whose node is `CopyBackwards`).
pub fn copy_with_history(t: &Tensor) -> Result<Tensor> {
    let out = copy_raw(t)?;
    record(&[t], &[&out], || {
        // d copy(t) = grad
        backward_fn("CopyBackwards", vec![], |_, _, g| Ok(vec![Some(g[0].clone())]))
    })?;
    Ok(out)
}

/// `t.expand(shape)`: a view repeating size-1 dims with stride 0.
pub fn expand(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let data = t.data();
    if shape.len() < data.layout.ndim() {
        return Err(Error::runtime(format!(
            "expand({}{{{}}}, size={}): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
            data.dtype.legacy_type_name(),
            shape_str(&data.layout.shape),
            shape_str(shape),
            shape.len(),
            data.layout.ndim()
        )));
    }
    let layout = data.layout.broadcast_to(shape)?;
    if crate::tensor::checked_numel(shape).is_none() {
        return Err(Error::runtime("numel: integer multiplication overflow"));
    }
    let out = t.view_with_layout(layout);
    let input_shape = data.layout.shape.clone();
    record(&[t], &[&out], || {
        // d expand(t) = grad summed back to t's shape
        { let saved_values = vals![("self_sym_sizes", &input_shape[..])]; backward_fn("ExpandBackward0", vec![], move |_, _, g| Ok(vec![Some(sum_to_size(&g[0], &input_shape)?)])).values(saved_values) }
    })?;
    Ok(out)
}

/// `t.reshape(shape)`: a view when the strides allow one, a copy otherwise (see `view.rs`).
pub fn reshape(t: &Tensor, requested: &[i64]) -> Result<Tensor> {
    super::view::reshape(t, requested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::view::infer_size as infer_shape;

    #[test]
    fn reshape_infers_and_rejects() {
        assert_eq!(infer_shape(&[-1, 2], 6).unwrap(), vec![3, 2]);
        assert_eq!(infer_shape(&[4], 6).unwrap_err().message(), "shape '[4]' is invalid for input of size 6");
        assert!(infer_shape(&[-1, -1], 6).is_err());
    }

    #[test]
    fn expand_rejects_incompatible_sizes() {
        let t = Tensor::ones(&[2, 3], DType::F32);
        let err = expand(&t, &[3, 3]).unwrap_err();
        assert!(err.message().starts_with("The expanded size of the tensor (3) must match the existing size (2)"));
        assert_eq!(expand(&t, &[4, 2, 3]).unwrap().shape(), vec![4, 2, 3]);
    }
}
