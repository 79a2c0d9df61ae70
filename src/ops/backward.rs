//! The one generic backward node used by the built-in ops: a name, the saved tensors, and the
//! formula as a closure over (node, saved, grads).

use std::borrow::Cow;

use crate::autograd::{Backward, NodeRef, SavedSet, SavedTensor, SavedValue};
use crate::error::Result;
use crate::tensor::Tensor;

/// A built-in op's backward: `formula(node, saved, grads)` gives one gradient per forward input.
pub(crate) struct OpBackward<F> {
    name: &'static str,
    saved: Option<SavedSet>,
    formula: F,
}

/// A backward node named `name` saving `saved` (empty: saves nothing, so a second backward
/// through it works, as in PyTorch).
pub(crate) fn backward_fn<F>(name: &'static str, saved: Vec<Option<SavedTensor>>, formula: F) -> OpBackward<F>
where
    F: Fn(&NodeRef, Vec<Option<Tensor>>, Vec<Tensor>) -> Result<Vec<Option<Tensor>>> + Send + Sync,
{
    let saved = if saved.is_empty() { None } else { Some(SavedSet::new(saved)) };
    OpBackward { name, saved, formula }
}

impl<F> Backward for OpBackward<F>
where
    F: Fn(&NodeRef, Vec<Option<Tensor>>, Vec<Tensor>) -> Result<Vec<Option<Tensor>>> + Send + Sync,
{
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name)
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        // As PyTorch's generated nodes: the saved tensors are unpacked (and checked) first; when no
        // gradient arrived at all, no gradient flows on.
        let saved = match &self.saved {
            Some(set) => set.unpack(node)?,
            None => Vec::new(),
        };
        if grads.iter().all(Option::is_none) {
            return Ok(vec![None; node.next_edges.len()]);
        }
        let grads = node.materialize_grads(grads);
        (self.formula)(node, saved, grads)
    }

    fn release_saved(&self) {
        if let Some(set) = &self.saved {
            set.release();
        }
    }

    fn saved(&self) -> Option<&SavedSet> {
        self.saved.as_ref()
    }
}

impl<F> OpBackward<F> {
    /// Records the op's non-tensor arguments PyTorch's node keeps (`_saved_dim`, `_saved_alpha`...),
    /// readable from Python; saving values alone does not make a second backward fail.
    pub(crate) fn values(mut self, values: Vec<(&'static str, SavedValue)>) -> Self {
        let set = self.saved.take().unwrap_or_else(|| SavedSet::new(Vec::new()));
        self.saved = Some(set.with_values(values));
        self
    }
}

/// Saves `t` as input `name` when `condition` holds (else an undefined entry: `None` in the
/// formula, `_saved_<name>` reads None, as PyTorch's unsaved optional operands).
pub(crate) fn save_if(condition: bool, name: &'static str, t: &Tensor) -> Option<SavedTensor> {
    Some(if condition { SavedTensor::input(t).named(name) } else { SavedTensor::undefined(name) })
}

/// Saves input `t` as `name`.
pub(crate) fn input(name: &'static str, t: &Tensor) -> Option<SavedTensor> {
    Some(SavedTensor::input(t).named(name))
}

/// Saves output `nr` of the op, `out`, as `name` (`result`, `result1`...).
pub(crate) fn output(name: &'static str, out: &Tensor, nr: usize) -> Option<SavedTensor> {
    Some(SavedTensor::output(out, nr).named(name))
}

/// A Python number argument as PyTorch's node shows it: an int when it is integral (`alpha=1`),
/// else a float.
pub(crate) fn number(v: f64) -> SavedValue {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        SavedValue::ScalarInt(v as i64)
    } else {
        SavedValue::Float(v)
    }
}

impl From<crate::tensor::Scalar> for SavedValue {
    fn from(v: crate::tensor::Scalar) -> Self {
        match v {
            crate::tensor::Scalar::Int(i) => SavedValue::ScalarInt(i),
            crate::tensor::Scalar::Bool(b) => SavedValue::Bool(b),
            other => SavedValue::Float(other.to_f64()),
        }
    }
}

/// Shorthand for a list of saved values: `vals![("dim", dim), ("keepdim", keepdim)]`.
macro_rules! vals {
    ($(($name:expr, $value:expr)),* $(,)?) => {
        vec![$(($name, $crate::autograd::SavedValue::from($value))),*]
    };
}
pub(crate) use vals;
