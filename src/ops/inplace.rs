//! In-place ops. An in-place op computes its result out of place (recording its node as usual),
//! then writes the values into the target's storage, bumps the version counter, and makes the
//! node the target's history. Computing first means a failing op leaves the target untouched, and
//! `x.add_(x)` never reads and writes one buffer at once.

use super::backward::backward_fn;
use super::shape::{clone, convert};
use super::record;
use crate::autograd::{is_grad_enabled, NodeKind};
use crate::cpu::elementwise::scatter_into;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, DType, Element, Scalar, Tensor};
use crate::with_dtype;

/// Runs `compute(target)` and stores its result into `target` in place.
pub fn in_place(target: &Tensor, compute: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<()> {
    if is_grad_enabled() && target.is_leaf() && target.requires_grad() {
        return Err(Error::runtime("a leaf Variable that requires grad is being used in an in-place operation."));
    }
    let result = compute(target)?;
    let (rs, ts) = (result.shape(), target.shape());
    if rs != ts {
        return Err(Error::runtime(format!(
            "output with shape {} doesn't match the broadcast shape {}",
            shape_str(&ts),
            shape_str(&rs)
        )));
    }
    let (rd, td) = (result.dtype(), target.dtype());
    if (rd.is_float() && !td.is_float()) || (rd != DType::Bool && td == DType::Bool) {
        return Err(Error::runtime(format!(
            "result type {} can't be cast to the desired output type {}",
            rd.scalar_type_name(),
            td.scalar_type_name()
        )));
    }
    let node = result.grad_fn();
    if let Some(node) = &node {
        if let NodeKind::Op(backward) = node.kind() {
            if let Some(saved) = backward.saved() {
                saved.retarget_for_in_place(target, || clone(target), target.version() + 1)?;
            }
        }
    }
    write_values(target, &convert(&result, td));
    target.version_counter().bump();
    if let Some(node) = node {
        target.set_grad_fn(node, 0);
    }
    Ok(())
}

/// Copies the elements of `values` (same shape and dtype) into `target`'s storage.
fn write_values(target: &Tensor, values: &Tensor) {
    let source = values.contiguous_buffer();
    let data = target.data();
    let mut buffer = data.storage.write();
    with_dtype!(data.dtype, T => scatter_into(T::slice_mut(&mut buffer), &data.layout, T::slice(&source)));
}

/// `target += grad` without autograd checks (the engine accumulating into an existing `.grad`).
pub fn add_in_place(target: &Tensor, grad: &Tensor) -> Result<()> {
    in_place(target, |t| super::add(t, grad))
}

/// `target.fill_(value)` (`zero_()` is `fill_(0)` named `ZeroBackward0`).
pub fn fill_(target: &Tensor, value: Scalar, node_name: &'static str) -> Result<()> {
    in_place(target, |t| {
        let out = Tensor::full(&t.shape(), value.to_f64(), t.dtype());
        record(&[t], &[&out], || {
            // d fill(t) = 0
            backward_fn(node_name, vec![], |_, _, g| Ok(vec![Some(Tensor::zeros(&g[0].shape(), g[0].dtype()))]))
        });
        Ok(out)
    })
}
