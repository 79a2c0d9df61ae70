//! The one generic backward node used by the built-in ops: a name, the saved tensors, and the
//! formula as a closure over (node, saved, grads).

use std::borrow::Cow;
use crate::autograd::{Backward, NodeRef, SavedSet, SavedTensor};
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
        let grads = node.materialize_grads(grads);
        let saved = match &self.saved {
            Some(set) => set.unpack(node)?,
            None => Vec::new(),
        };
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

/// Saves `t` as an input when `condition` holds.
pub(crate) fn save_if(condition: bool, t: &Tensor) -> Option<SavedTensor> {
    condition.then(|| SavedTensor::input(t))
}
