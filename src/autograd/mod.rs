//! Reverse-mode automatic differentiation: per-tensor metadata, graph nodes, saved tensors, grad
//! mode, and the engine behind `backward()` and `autograd.grad()`.

pub mod anomaly;
mod arena;
pub mod custom;
mod engine;
mod grad_mode;
mod hooks;
mod meta;
mod node;
mod saved;
mod view;

pub use custom::{BackwardContext, CustomOp, SaveContext};
pub use engine::{accumulate_grad, Delivery, RunOptions};
pub use grad_mode::{
    is_anomaly_check_nan_enabled, is_anomaly_enabled, is_grad_enabled, is_inference_mode_enabled,
    set_anomaly_enabled, set_grad_enabled, set_inference_mode, GradModeGuard,
};
pub use hooks::{NodePostHook, NodePreHook, PostAccumulateHook, Registered, TensorHook};
pub use meta::{AutogradMeta, CreationMeta, ViewMeta};
pub use node::{Backward, Edge, GradMeta, Node, NodeKind};
pub use saved::{pop_saved_tensors_hooks, push_saved_tensors_hooks, PackedTensor, SavedAttr, SavedSet, SavedTensor, SavedTensorHooks, SavedValue};
pub use arena::{capacity as node_arena_capacity, NodeRef, WeakNodeRef};
pub use engine::{current_graph_task, GraphTask};
pub(crate) use view::{fill_layout, read_region, scratch, view_rebase_error, write_values, AsStridedBackward};

use crate::error::{Error, Result};
use crate::ops;
use crate::tensor::{shape_str, Tensor};

/// Checks or creates the gradient of each output (`None`: ones, allowed for one-element outputs).
fn output_grads(outputs: &[Tensor], grads: Vec<Option<Tensor>>) -> Result<Vec<Tensor>> {
    if grads.len() != outputs.len() {
        return Err(Error::runtime(format!("got {} tensors and {} gradients", outputs.len(), grads.len())));
    }
    outputs
        .iter()
        .zip(grads)
        .enumerate()
        .map(|(i, (out, grad))| match grad {
            None => {
                if out.numel() != 1 {
                    return Err(Error::runtime("grad can be implicitly created only for scalar outputs"));
                }
                Ok(Tensor::ones(&out.shape(), out.dtype()))
            }
            Some(g) => {
                let (gs, os) = (g.shape(), out.shape());
                if gs != os {
                    return Err(Error::runtime(format!(
                        "Mismatch in shape: grad_output[{i}] has a shape of rustgrad.Size({}) and output[{i}] has a shape of rustgrad.Size({}).",
                        shape_str(&gs),
                        shape_str(&os)
                    )));
                }
                if g.dtype() != out.dtype() {
                    ops::to_dtype(&g, out.dtype())
                } else {
                    Ok(g)
                }
            }
        })
        .collect()
}

/// `rustgrad.autograd.backward`: accumulates gradients of `tensors` into the leaves' `.grad` (or
/// only into `inputs` when given). `retain_graph` defaults to `create_graph`.
pub fn backward(
    tensors: &[Tensor],
    grad_tensors: Vec<Option<Tensor>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<Vec<Tensor>>,
) -> Result<()> {
    let delivery = match inputs {
        None => Delivery::AccumulateAll,
        Some(inputs) => {
            if inputs.is_empty() {
                return Err(Error::runtime("`inputs` argument to `backward()` cannot be empty."));
            }
            if inputs.iter().any(|t| !t.requires_grad()) {
                return Err(Error::runtime("can't retain_grad on Tensor that has requires_grad=False"));
            }
            Delivery::AccumulateInto(inputs)
        }
    };
    engine::root_edges(tensors)?;
    let grads = output_grads(tensors, grad_tensors)?;
    let options = RunOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    engine::run_backward(tensors, grads, &delivery, &options)?;
    Ok(())
}

/// `rustgrad.autograd.grad`: the gradients of `outputs` with respect to `inputs`, without touching
/// any `.grad`. Unreached inputs are an error unless `allow_unused` (then `None`, or zeros with
/// `materialize_grads`).
pub fn grad(
    outputs: &[Tensor],
    inputs: &[Tensor],
    grad_outputs: Vec<Option<Tensor>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
    materialize_grads: bool,
) -> Result<Vec<Option<Tensor>>> {
    if inputs.iter().any(|t| !t.requires_grad()) {
        return Err(Error::runtime("One of the differentiated Tensors does not require grad"));
    }
    engine::root_edges(outputs)?;
    let grads = output_grads(outputs, grad_outputs)?;
    let options = RunOptions { retain_graph: retain_graph.unwrap_or(create_graph), create_graph };
    let captured = engine::run_backward(outputs, grads, &Delivery::Capture(inputs.to_vec()), &options)?;
    captured
        .into_iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (g, input))| match g {
            Some(g) => Ok(Some(g)),
            None if materialize_grads => Ok(Some(Tensor::zeros(&input.shape(), input.dtype()))),
            None if allow_unused => Ok(None),
            None => Err(Error::runtime(format!(
                "The differentiated Tensor at index {i} appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
            ))),
        })
        .collect()
}
