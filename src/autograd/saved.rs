//! Tensors saved for backward: they remember the version they were saved at, and a node's saved
//! set can be released after backward (then any use raises PyTorch's "second time" error).

use std::sync::Arc;

use parking_lot::Mutex;

use super::grad_mode::is_anomaly_enabled;
use super::node::Node;
use crate::error::{Error, Result};
use crate::tensor::{shape_str, Tensor};

const FREED_MESSAGE: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

/// One saved tensor.
#[derive(Clone)]
pub struct SavedTensor {
    /// An input: the tensor itself (with its history, so double backward can flow through it).
    /// An output: an alias without history, re-attached on unpack (holding the output itself
    /// would make a cycle node -> output -> node).
    tensor: Tensor,
    saved_version: u64,
    output_nr: Option<usize>,
}

impl SavedTensor {
    /// Saves an input of the op.
    pub fn input(tensor: &Tensor) -> Self {
        SavedTensor { tensor: tensor.clone(), saved_version: tensor.version(), output_nr: None }
    }

    /// Saves output `output_nr` of the op itself.
    pub fn output(tensor: &Tensor, output_nr: usize) -> Self {
        SavedTensor { tensor: tensor.detach(), saved_version: tensor.version(), output_nr: Some(output_nr) }
    }

    /// The saved tensor, checked against in-place modification since it was saved.
    pub fn unpack(&self, node: &Arc<Node>) -> Result<Tensor> {
        let current = self.tensor.version();
        if current != self.saved_version {
            return Err(self.modified_error(node, current));
        }
        match self.output_nr {
            None => Ok(self.tensor.clone()),
            Some(nr) => {
                let t = self.tensor.alias();
                t.set_grad_fn(node.clone(), nr);
                Ok(t)
            }
        }
    }

    fn modified_error(&self, node: &Arc<Node>, current: u64) -> Error {
        // Name the node that produced the tensor now: for an input that is its current grad_fn
        // (the in-place op that changed it), for an output the saving node itself.
        let producer = match self.output_nr {
            Some(nr) => Some((node.name().into_owned(), nr)),
            None => self.tensor.grad_fn().map(|f| (f.name().into_owned(), self.tensor.output_nr())),
        };
        let which = match producer {
            Some((name, nr)) => format!(", which is output {nr} of {},", strip_backward_suffix(&name)),
            None => String::new(),
        };
        let hint = if is_anomaly_enabled() {
            "Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!"
        } else {
            "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with rustgrad.autograd.set_detect_anomaly(True, check_nan=False)."
        };
        Error::runtime(format!(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [{} {}]{which} is at version {current}; expected version {} instead. {hint}",
            self.tensor.dtype().legacy_type_name(),
            shape_str(&self.tensor.shape()),
            self.saved_version
        ))
    }
}

/// `MulBackward0` -> `Mul`; special nodes keep PyTorch's C++ name.
fn strip_backward_suffix(name: &str) -> String {
    if name == "CopySlices" {
        return "torch::autograd::CopySlices".to_string();
    }
    match name.rfind("Backward") {
        Some(i) => name[..i].to_string(),
        None => name.to_string(),
    }
}

/// The saved tensors of one node (an entry is `None` where the op had no need to save that
/// operand); released after a backward without `retain_graph`.
pub struct SavedSet(Mutex<Option<Vec<Option<SavedTensor>>>>);

impl SavedSet {
    /// Saves `tensors`.
    pub fn new(tensors: Vec<Option<SavedTensor>>) -> Self {
        SavedSet(Mutex::new(Some(tensors)))
    }

    /// Unpacks every saved tensor, or fails if they were released or modified in place.
    pub fn unpack(&self, node: &Arc<Node>) -> Result<Vec<Option<Tensor>>> {
        let saved = self.0.lock().clone().ok_or_else(|| Error::runtime(FREED_MESSAGE))?;
        saved.iter().map(|s| s.as_ref().map(|s| s.unpack(node)).transpose()).collect()
    }

    /// True when one of the saved tensors was made in inference mode (those cannot be saved).
    pub fn holds_inference_tensor(&self) -> bool {
        self.0.lock().iter().flatten().flatten().any(|s| s.tensor.is_inference())
    }

    /// Frees the saved tensors.
    pub fn release(&self) {
        self.0.lock().take();
    }

    /// Adjusts what was saved when the op's result is about to be written into `target` in place
    /// (whose version will then be `new_version`): a saved `target` input becomes `snapshot` (its
    /// old value, with its old history), and saved outputs become `target` itself.
    pub fn retarget_for_in_place(&self, target: &Tensor, snapshot: impl Fn() -> Result<Tensor>, new_version: u64) -> Result<()> {
        let mut guard = self.0.lock();
        let Some(saved) = guard.as_mut() else { return Ok(()) };
        for entry in saved.iter_mut().flatten() {
            if entry.output_nr.is_some() {
                entry.tensor = target.detach();
                entry.saved_version = new_version;
            } else if entry.tensor.same(target) {
                *entry = SavedTensor::input(&snapshot()?);
            }
        }
        Ok(())
    }
}
