//! Differentiable ops. Each op checks its arguments, runs a kernel, and, when grad mode is on and
//! an input requires grad, records a node whose backward formula is written with these same ops
//! (so `create_graph=True` records the backward pass too).

mod backward;
mod binary;
mod einsum;
mod inplace;
mod linalg;
mod reduce;
mod reduce_minmax;
mod reduce_stats;
mod shape;
mod softmax;
mod unary;

pub use binary::{add, add_scaled, div, mul, pow, pow_scalar, rpow_scalar, rsub_scalar, sub, sub_scaled};
pub use einsum::einsum;
pub use linalg::{addmm, bmm, dot, matmul, mm, mv, outer};
pub use inplace::{add_in_place, fill_, in_place};
pub use reduce::{mean, mean_dims, sum, sum_dims, sum_to_size};
pub use reduce_minmax::{amax_amin, arg_extreme, extreme_all, extreme_dim, Extreme};
pub use reduce_stats::{all_any, logsumexp, prod, var_std, vector_norm};
pub use softmax::{cumsum, softmax};
pub use shape::{clone, copy_with_history, expand, reshape, to_dtype};
pub use unary::{exp, log, neg, reciprocal};

use std::sync::Arc;

use crate::autograd::{is_grad_enabled, Backward, GradMeta, Node, NodeKind};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Records `make()` as the grad_fn of `outputs` when grad mode is on and an input requires grad.
/// `make` runs only then, so ops save tensors only when a graph is really built.
pub(crate) fn record<B: Backward + 'static>(inputs: &[&Tensor], outputs: &[&Tensor], make: impl FnOnce() -> B) {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
        return;
    }
    let next_edges = inputs.iter().map(|t| t.gradient_edge()).collect();
    let input_meta = outputs.iter().map(|o| GradMeta { shape: o.shape(), dtype: o.dtype() }).collect();
    let node = Node::new(NodeKind::Op(Box::new(make())), next_edges, input_meta);
    for (i, out) in outputs.iter().enumerate() {
        out.set_grad_fn(node.clone(), i);
    }
}

/// True when a node being run needs the gradient of its forward input `i`.
pub(crate) fn needs(node: &Arc<Node>, i: usize) -> bool {
    node.needs_input_grad(i)
}

/// Wraps a dimension index (negative counts from the end), with PyTorch's IndexError.
pub fn wrap_dim(dim: i64, ndim: usize) -> Result<usize> {
    // A 0-d tensor accepts dims as if it had one dimension.
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        return Err(Error::index(format!(
            "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
            -n,
            n - 1
        )));
    }
    Ok(if dim < 0 { (dim + n) as usize } else { dim as usize })
}
