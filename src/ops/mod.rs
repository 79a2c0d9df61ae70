//! Differentiable ops. Each op checks its arguments, runs a kernel, and, when grad mode is on and
//! an input requires grad, records a node whose backward formula is written with these same ops
//! (so `create_graph=True` records the backward pass too).

mod activation;
mod backward;
mod binary;
mod creation;
mod compare;
mod einsum;
mod inplace;
mod linalg;
mod linalg_decomp;
mod linalg_eigh;
mod linalg_qr;
mod linalg_svd;
mod cdist;
mod reduce;
mod reduce_minmax;
mod reduce_stats;
mod shape;
mod softmax;
mod unary;
pub(crate) mod view;
mod index;
mod join;
mod gather;
mod nn_core;
mod loss;
mod norm;
mod conv;
mod pool;
mod pad;
mod division;
mod scalar_check;
mod index_ops;
mod inplace_direct;
mod sort;
mod addc;
mod cumulative;
mod view_dtype;
mod view_strided;
pub use view_dtype::view_dtype;
mod nonzero;
mod close;
mod interp;
mod diagonal;
mod stats_mean;
mod search;
mod addmm_family;
mod special;
mod special_more;
mod activation_extra;
mod group_norm;
mod norm_p;
mod upsample;
mod conv_transpose;
mod unary_more;
mod packed;
#[cfg(test)]
mod test_util;

pub use creation::{arange, arange_i64, arange_scalars, eye, linspace, normal_, randint, randperm, uniform_};
pub use binary::{add, add_scaled, div, mul, pow, pow_scalar, rpow_scalar, rsub_scalar, sub, sub_scaled};
#[cfg(feature = "python")]
pub(crate) use binary::{check_bool_operands, result_dtype, Arith};
pub use einsum::einsum;
pub use addc::{addcdiv, addcmul};
pub use linalg::{addmm, bmm, dot, matmul, mm, mv, outer};
pub use cdist::cdist;
pub use linalg_decomp::{linalg_cholesky, linalg_det, linalg_inv, linalg_slogdet, linalg_solve};
pub use linalg_svd::{linalg_pinv, linalg_svd};
pub use linalg_qr::linalg_qr;
pub use linalg_eigh::{linalg_eigh, linalg_solve_triangular};
pub use inplace::{add_in_place, fill_, has_internal_overlap, in_place, in_place_overlapping};
pub use reduce::{mean, mean_dims, sum, sum_dims, sum_to_size};
pub use reduce_minmax::{amax_amin, arg_extreme, extreme_all, extreme_dim, Extreme};
pub use reduce_stats::{all_any, logsumexp, prod, var_std, vector_norm};
pub use softmax::{cumsum, softmax};
pub use shape::{clone, copy_with_history, expand, reshape, to_dtype};
pub use unary::{exp, log, neg, reciprocal};
pub use unary::{abs, atan, ceil, cos, erf, expm1, floor, log1p, round, round_decimals, rsqrt, sigmoid, sign, sin, sqrt, tan, tanh};
pub use activation::{clamp, clamp_tensor, elu, elu_, gelu, hardtanh, leaky_relu, leaky_relu_, relu, silu, softplus, GeluApprox};
pub use compare::{bitwise, bitwise_not, compare, copy_, extremum, logical, logical_not, masked_fill, masked_fill_tensor, where_, where_numbers, Cmp, Extremum, Logic};
pub use compare::{bitshift, bitshift_, bitwise_, Shift};
#[cfg(feature = "python")]
pub(crate) use compare::check_result_castable;
pub use view_strided::{as_strided, as_strided_, squeeze_, t_in_place, transpose_, unfold, unsqueeze_};
pub use view::{
    alias, contiguous, flatten, matrix_transpose, narrow, permute, reverse_dims, select, slice, squeeze, t_, transpose,
    unsqueeze, view, view_strides,
};
pub use index::{
    check_index_put_dtypes, getitem, index, index_put, index_put_is_masked_fill, index_put_positions, setitem, setitem_notices, IndexItem,
    INDEX_PUT_EXPANDED, MASKED_FILL_EXPANDED,
};
pub use join::{cat, chunk, repeat, split, split_with_sizes, stack, unbind};
pub use nn_core::{embedding, native_batch_norm};
pub use gather::{flip, gather, index_select, masked_scatter, masked_select, roll, scatter, scatter_add, triangle, ScatterSource};
pub use loss::{binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, mse_loss, nll_loss, smooth_l1_loss, Reduction};
pub use norm::layer_norm;
pub use conv::{convolution, ConvParams};
pub use pool::{adaptive_avg_pool, adaptive_max_pool, avg_pool, max_pool, PoolParams};
pub use pad::{pad, PadMode};
pub use division::{div_rounding, floor_divide, fmod, remainder, remainder_or_fmod_scalar, rremainder_scalar, Rounding};
pub use crate::cpu::division::DivKind;
pub use scalar_check::{check_scalar_fits, check_value_fits_tensor, full_exact};
pub use index_ops::{check_index_fill_args, fill_diagonal_, index_add, index_copy, index_fill, index_put_accumulate_aliased, put, take, FillValue};
pub use inplace_direct::{arith_, clamp_, copy_into, unary_, InPlaceArith, InPlaceUnary};
pub use sort::{argsort, kthvalue, median_all, median_dim, sort, topk};
pub use cumulative::{cum_extreme, cumprod, rsub};
pub use nonzero::{count_nonzero, nonzero, nonzero_tuple};
pub use close::{equal, isclose};
pub use interp::{atan2, lerp_scalar, lerp_tensor};
pub use diagonal::{diag, diag_embed, diagonal, trace};
pub use stats_mean::var_mean;
pub use search::{bincount, bucketize, histc, searchsorted, unique, unique_dim};
pub use addmm_family::{addmv, baddbmm};
pub use unary_more::{acos, acosh, asin, asinh, atanh, copysign, copysign_scalar, cosh, deg2rad, digamma, fmax, fmin, frac, gcd, heaviside, hypot, lcm, ldexp, lgamma, log10, log2, logaddexp, logaddexp2, polygamma, rad2deg, sgn, signbit, sinh, trunc};
pub use special_more::{frexp, i0, igamma, igammac, mvlgamma, nextafter, special_entr, special_erfcx, special_i0e, special_i1, special_i1e, special_log_ndtr, special_ndtr, special_ndtri, special_xlog1py, special_zeta};
pub use special::{classify, erfc, erfinv, exp2, logit, nan_to_num, sinc, xlogy, xlogy_scalar_other, xlogy_scalar_self, FloatClass};
pub use activation_extra::{
    celu, celu_, glu, hardshrink, hardsigmoid, hardsigmoid_, hardswish, hardswish_, log_sigmoid, mish, mish_, prelu_kernel, selu, selu_, softshrink,
};
pub use group_norm::group_norm;
pub use norm_p::{add_scalar_node, clamp_max, clamp_max_, clamp_max_tensor, clamp_max_tensor_, clamp_min, clamp_min_, clamp_min_tensor, clamp_min_tensor_, norm_p};
pub use conv_transpose::{conv_transpose, ConvTransposeParams};
pub use packed::pack_padded_sequence;
pub use upsample::{upsample, upsample_backward, UpsampleMode, UpsampleSpec};

use crate::autograd::{is_grad_enabled, Backward, GradMeta, Node, NodeKind, NodeRef};
use crate::error::{Error, Result};
use crate::tensor::{Element, Tensor};

/// The elements of `t` in logical order (the caller has matched `T` to its dtype).
pub(crate) fn dense<T: Element>(t: &Tensor) -> Vec<T> {
    let data = t.data_ref();
    let buffer = data.storage.read();
    data.layout.gather(T::slice(&buffer))
}

/// A shape as the i64 sizes `reshape`/`view` take.
pub(crate) fn shape_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

/// Records `make()` as the grad_fn of `outputs` when grad mode is on and an input requires grad.
/// `make` runs only then, so ops save tensors only when a graph is really built.
pub(crate) fn record<B: Backward + 'static>(inputs: &[&Tensor], outputs: &[&Tensor], make: impl FnOnce() -> B) -> Result<()> {
    if !is_grad_enabled() || !inputs.iter().any(|t| t.requires_grad()) {
        return Ok(());
    }
    let backward = make();
    if inputs.iter().chain(outputs).any(|t| t.is_inference()) {
        if let Some(saved) = backward.saved() {
            if saved.holds_inference_tensor() {
                return Err(Error::runtime(INFERENCE_SAVED_MESSAGE));
            }
        }
    }
    let next_edges = inputs.iter().map(|t| t.gradient_edge()).collect::<Result<_>>()?;
    let input_meta = outputs.iter().map(|o| GradMeta { shape: o.shape(), dtype: o.dtype() }).collect();
    let node = Node::new(NodeKind::Op(Box::new(backward)), next_edges, input_meta);
    for (i, out) in outputs.iter().enumerate() {
        out.set_grad_fn(node.clone(), i);
    }
    // Saved-tensor pack hooks run once the node (which holds the inputs' edges) exists.
    if let NodeKind::Op(b) = node.kind() {
        if let Some(saved) = b.saved() {
            saved.apply_pack_hooks(outputs)?;
        }
    }
    Ok(())
}

const INFERENCE_SAVED_MESSAGE: &str = "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `rustgrad.no_grad()` instead of `rustgrad.inference_mode()`.";

/// True when a node being run needs the gradient of its forward input `i`.
pub(crate) fn needs(node: &NodeRef, i: usize) -> bool {
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
