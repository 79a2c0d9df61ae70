//! Custom differentiable ops written in Rust: the Rust counterpart of Python's
//! `rustgrad.autograd.Function`.
//!
//! Implement [`CustomOp`] (a forward over rustgrad tensors, which tensors to save, and a backward
//! giving one gradient per input), then call [`apply`]: the forward runs with grad mode off, and
//! when an input requires grad one node named `<name>Backward` is recorded in the same graph as
//! the built-in ops. Saved tensors go through [`SavedTensor`], so modifying one in place before
//! backward raises PyTorch's version-counter error, and a second backward without `retain_graph`
//! raises the "backward through the graph a second time" error.
//!
//! ```
//! use rustgrad::autograd::{self, BackwardContext, CustomOp, SaveContext};
//! use rustgrad::{ops, Result, Tensor};
//!
//! /// `cube(x) = x³`.
//! struct Cube;
//!
//! impl CustomOp for Cube {
//!     fn name(&self) -> &str {
//!         "Cube"
//!     }
//!     fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
//!         let x = &inputs[0];
//!         Ok(vec![ops::mul(&ops::mul(x, x)?, x)?])
//!     }
//!     fn setup_context(&self, ctx: &mut SaveContext, inputs: &[Tensor], _outputs: &[Tensor]) -> Result<()> {
//!         ctx.save_for_backward(&[&inputs[0]]);
//!         Ok(())
//!     }
//!     fn backward(&self, ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>> {
//!         // d(x³) = 3x² · grad
//!         let x = ctx.saved_tensors()?.remove(0);
//!         let three_x2 = ops::mul(&ops::mul(&x, &x)?, &Tensor::scalar(3.0, x.dtype()))?;
//!         Ok(vec![Some(ops::mul(&grads[0], &three_x2)?)])
//!     }
//! }
//!
//! let x = Tensor::from_vec(vec![2.0f64], &[1])?.with_requires_grad(true)?;
//! let y = Cube.apply(&[x.clone()])?.remove(0);
//! assert_eq!(y.grad_fn().unwrap().unwrap().name(), "CubeBackward");
//! autograd::backward(&[y], vec![None], None, false, None)?;
//! assert_eq!(x.grad().unwrap().to_f64_vec(), vec![12.0]);
//! # Ok::<(), rustgrad::Error>(())
//! ```

use std::borrow::Cow;

use super::arena::NodeRef;
use super::grad_mode::{is_grad_enabled, GradModeGuard};
use super::meta::CreationMeta;
use super::node::{Backward, GradMeta, Node, NodeKind};
use super::saved::{SavedSet, SavedTensor};
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A differentiable op written in Rust. See the [module documentation](self) for an example.
pub trait CustomOp: Send + Sync + 'static {
    /// The op's name; its graph node is called `<name>Backward` (as Python Functions' are).
    fn name(&self) -> &str;

    /// Computes the outputs. Runs with grad mode off: ops used here record nothing.
    fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>>;

    /// Chooses what backward needs (PyTorch's `setup_context`); runs after `forward`, and only
    /// when a node is recorded. The default saves nothing.
    fn setup_context(&self, ctx: &mut SaveContext, inputs: &[Tensor], outputs: &[Tensor]) -> Result<()> {
        let _ = (ctx, inputs, outputs);
        Ok(())
    }

    /// Given one gradient per output (zeros for outputs that received none), returns one gradient
    /// per input (`None`: no gradient). Ops used here are recorded when the caller asked for
    /// `create_graph`, so a backward written with rustgrad ops is itself differentiable.
    fn backward(&self, ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>>;

    /// Runs the op on `inputs`, recording its node: `Cube.apply(&[x])` is [`apply`]`(Cube, &[x])`.
    fn apply(self, inputs: &[Tensor]) -> Result<Vec<Tensor>>
    where
        Self: Sized,
    {
        apply(self, inputs)
    }
}

/// What [`CustomOp::setup_context`] uses to pass tensors and flags to backward.
#[derive(Default)]
pub struct SaveContext {
    saved: Vec<Option<Tensor>>,
    non_differentiable: Vec<Tensor>,
    needs_input_grad: Vec<bool>,
}

impl SaveContext {
    /// Saves tensors for backward (inputs, outputs or intermediates); a later call replaces an
    /// earlier one, as in PyTorch.
    pub fn save_for_backward(&mut self, tensors: &[&Tensor]) {
        self.saved = tensors.iter().map(|t| Some((*t).clone())).collect();
    }

    /// Declares outputs that get no gradient (integer indices, masks...).
    pub fn mark_non_differentiable(&mut self, tensors: &[&Tensor]) {
        self.non_differentiable = tensors.iter().map(|t| (*t).clone()).collect();
    }

    /// True when input `i` requires grad (so its gradient will be asked for).
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.needs_input_grad.get(i).copied().unwrap_or(false)
    }
}

/// What [`CustomOp::backward`] receives: the saved tensors and which inputs need a gradient.
pub struct BackwardContext<'a> {
    node: &'a NodeRef,
    saved: &'a SavedSet,
}

impl BackwardContext<'_> {
    /// The tensors saved by `setup_context`, checked against in-place modification since.
    pub fn saved_tensors(&self) -> Result<Vec<Tensor>> {
        Ok(self.saved.unpack(self.node)?.into_iter().flatten().collect())
    }

    /// True when the gradient of input `i` is needed (others may be returned as `None`).
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.node.needs_input_grad(i)
    }
}

/// The graph node of one [`apply`] call.
struct CustomBackward<Op> {
    op: Op,
    name: String,
    saved: SavedSet,
    num_inputs: usize,
}

impl<Op: CustomOp> Backward for CustomBackward<Op> {
    fn name(&self) -> Cow<'static, str> {
        Cow::Owned(self.name.clone())
    }

    fn apply(&self, node: &NodeRef, grads: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
        let grads = node.materialize_grads(grads);
        let ctx = BackwardContext { node, saved: &self.saved };
        let result = self.op.backward(&ctx, grads)?;
        if result.len() != self.num_inputs {
            return Err(Error::runtime(format!(
                "function {} returned an incorrect number of gradients (expected {}, got {})",
                self.name,
                self.num_inputs,
                result.len()
            )));
        }
        Ok(result)
    }

    fn release_saved(&self) {
        self.saved.release();
    }
}

/// Runs `op` on `inputs` and records its node when grad mode is on and an input requires grad.
/// An input returned unchanged comes back as a new tensor (a view of it, sharing data and version
/// counter) that carries the op's history, as PyTorch's Functions do; modifying an output that is
/// a view in place is refused, as there.
pub fn apply<Op: CustomOp>(op: Op, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let record = is_grad_enabled() && inputs.iter().any(Tensor::requires_grad);
    let outputs = {
        let _guard = GradModeGuard::new(false);
        op.forward(inputs)?
    };
    // An input returned unchanged becomes a view of it; every view among the outputs counts as
    // made inside the op, so modifying it in place (which would bypass `backward`) is refused.
    let outputs: Vec<Tensor> = outputs
        .into_iter()
        .map(|o| {
            let o = if inputs.iter().any(|i| i.same(&o)) {
                let layout = o.layout().clone();
                o.view_with_layout_as(layout, CreationMeta::InCustomFunction)
            } else {
                o
            };
            o.set_view_creation(CreationMeta::InCustomFunction);
            o
        })
        .collect();
    if !record {
        return Ok(outputs);
    }
    let mut ctx = SaveContext { needs_input_grad: inputs.iter().map(Tensor::requires_grad).collect(), ..Default::default() };
    op.setup_context(&mut ctx, inputs, &outputs)?;
    let differentiable =
        outputs.iter().filter(|o| o.dtype().is_float() && !ctx.non_differentiable.iter().any(|t| t.same(o))).count();
    if differentiable > 1 {
        outputs.iter().for_each(|o| o.set_view_creation(CreationMeta::MultipleOutput));
    }
    let saved: Vec<Option<SavedTensor>> = ctx
        .saved
        .iter()
        .map(|t| {
            t.as_ref().map(|t| match outputs.iter().position(|o| o.same(t)) {
                Some(nr) => SavedTensor::output(t, nr),
                None => SavedTensor::input(t),
            })
        })
        .collect();
    let saved = SavedSet::new(saved);
    if saved.holds_inference_tensor() {
        return Err(Error::runtime("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `rustgrad.no_grad()` instead of `rustgrad.inference_mode()`."));
    }
    let name = format!("{}Backward", op.name());
    let next_edges = inputs.iter().map(Tensor::gradient_edge).collect::<Result<_>>()?;
    let input_meta = outputs.iter().map(|o| GradMeta { shape: o.shape(), dtype: o.dtype() }).collect();
    let backward = CustomBackward { op, name, saved, num_inputs: inputs.len() };
    let node = Node::new(NodeKind::Op(Box::new(backward)), next_edges, input_meta);
    for (nr, out) in outputs.iter().enumerate() {
        if !ctx.non_differentiable.iter().any(|t| t.same(out)) {
            out.set_grad_fn(node.clone(), nr);
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autograd::{backward, grad};
    use crate::ops;
    use crate::tensor::DType;

    /// `softsign(x) = x / (1 + |x|)`, saving its input.
    struct Softsign;

    impl CustomOp for Softsign {
        fn name(&self) -> &str {
            "Softsign"
        }
        fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
            let x = &inputs[0];
            let one = Tensor::scalar(1.0, x.dtype());
            Ok(vec![ops::div(x, &ops::add(&one, &ops::abs(x)?)?)?])
        }
        fn setup_context(&self, ctx: &mut SaveContext, inputs: &[Tensor], _outputs: &[Tensor]) -> Result<()> {
            assert!(ctx.needs_input_grad(0));
            ctx.save_for_backward(&[&inputs[0]]);
            Ok(())
        }
        fn backward(&self, ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>> {
            // d softsign = grad / (1 + |x|)²
            let x = ctx.saved_tensors()?.remove(0);
            let d = ops::add(&Tensor::scalar(1.0, x.dtype()), &ops::abs(&x)?)?;
            Ok(vec![Some(ops::div(&grads[0], &ops::mul(&d, &d)?)?)])
        }
    }

    /// Returns its input and a non-differentiable copy; backward returns too many gradients
    /// when asked to.
    struct PassThrough {
        extra_grad: bool,
    }

    impl CustomOp for PassThrough {
        fn name(&self) -> &str {
            "PassThrough"
        }
        fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
            Ok(vec![inputs[0].clone(), ops::clone(&inputs[0])?])
        }
        fn setup_context(&self, ctx: &mut SaveContext, _inputs: &[Tensor], outputs: &[Tensor]) -> Result<()> {
            ctx.mark_non_differentiable(&[&outputs[1]]);
            Ok(())
        }
        fn backward(&self, _ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>> {
            let mut out = vec![Some(grads[0].clone())];
            if self.extra_grad {
                out.push(None);
            }
            Ok(out)
        }
    }

    fn leaf(values: Vec<f64>) -> Tensor {
        let n = values.len();
        Tensor::from_vec(values, &[n]).unwrap().with_requires_grad(true).unwrap()
    }

    #[test]
    fn records_a_named_node_and_matches_finite_differences() {
        let values = vec![-1.5, -0.2, 0.0, 0.7, 3.0];
        let x = leaf(values.clone());
        let y = apply(Softsign, std::slice::from_ref(&x)).unwrap().remove(0);
        assert_eq!(y.grad_fn().unwrap().unwrap().name(), "SoftsignBackward");
        backward(&[ops::sum(&y).unwrap()], vec![None], None, false, None).unwrap();
        let got = x.grad().unwrap().to_f64_vec();
        let f = |v: f64| v / (1.0 + v.abs());
        for (g, v) in got.iter().zip(&values) {
            let eps = 1e-6;
            let numerical = (f(v + eps) - f(v - eps)) / (2.0 * eps);
            assert!((g - numerical).abs() < 1e-6, "{g} vs {numerical}");
        }
    }

    #[test]
    fn double_backward_through_the_formula() {
        let x = leaf(vec![0.5]);
        let y = apply(Softsign, std::slice::from_ref(&x)).unwrap().remove(0);
        let g = grad(&[y], std::slice::from_ref(&x), vec![None], None, true, false, false).unwrap().remove(0).unwrap();
        let gg = grad(&[g], &[x], vec![None], None, false, false, false).unwrap().remove(0).unwrap();
        // d²/dx² x/(1+x) = -2/(1+x)³ for x > 0
        assert!((gg.to_f64_vec()[0] + 2.0 / 1.5f64.powi(3)).abs() < 1e-12);
    }

    #[test]
    fn no_node_without_grad() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
        let y = apply(Softsign, &[x]).unwrap().remove(0);
        assert!(y.grad_fn().unwrap().is_none() && !y.requires_grad());
        let x = leaf(vec![1.0]);
        let _guard = GradModeGuard::new(false);
        assert!(apply(Softsign, &[x]).unwrap()[0].grad_fn().unwrap().is_none());
    }

    #[test]
    fn saved_input_modified_in_place_is_an_error() {
        let x = leaf(vec![1.0, 2.0]);
        let a = ops::mul(&x, &Tensor::scalar(1.0, DType::F64)).unwrap();
        let y = apply(Softsign, std::slice::from_ref(&a)).unwrap().remove(0);
        ops::add_in_place(&a, &Tensor::scalar(1.0, DType::F64)).unwrap();
        let err = backward(&[ops::sum(&y).unwrap()], vec![None], None, false, None).unwrap_err();
        assert!(err.to_string().contains("is at version 1; expected version 0 instead."), "{err}");
    }

    #[test]
    fn second_backward_without_retain_graph_fails() {
        let x = leaf(vec![1.0]);
        let y = ops::sum(&apply(Softsign, &[x]).unwrap()[0]).unwrap();
        backward(std::slice::from_ref(&y), vec![None], None, false, None).unwrap();
        let err = backward(&[y], vec![None], None, false, None).unwrap_err();
        assert!(err.to_string().starts_with("Trying to backward through the graph a second time"), "{err}");
    }

    #[test]
    fn returned_input_is_a_new_tensor_and_non_differentiable_outputs_have_no_history() {
        let x = leaf(vec![1.0, 2.0]);
        let outs = apply(PassThrough { extra_grad: false }, std::slice::from_ref(&x)).unwrap();
        assert!(!outs[0].same(&x));
        assert_eq!(outs[0].grad_fn().unwrap().unwrap().name(), "PassThroughBackward");
        assert!(outs[1].grad_fn().unwrap().is_none());
        backward(&[ops::sum(&outs[0]).unwrap()], vec![None], None, false, None).unwrap();
        assert_eq!(x.grad().unwrap().to_f64_vec(), vec![1.0, 1.0]);
    }

    #[test]
    fn returned_input_is_a_view_that_may_not_be_modified_in_place() {
        let x = ops::mul(&leaf(vec![1.0, 2.0]), &Tensor::scalar(1.0, DType::F64)).unwrap();
        let outs = apply(PassThrough { extra_grad: false }, std::slice::from_ref(&x)).unwrap();
        assert!(outs[0].view_meta().is_some_and(|v| v.base.same(&x)));
        let err = ops::add_in_place(&outs[0], &Tensor::scalar(1.0, DType::F64)).unwrap_err();
        assert!(err.to_string().starts_with("Output 0 of PassThrough is a view and is being modified inplace. This view was created inside a custom Function"), "{err}");
        // The fresh (non-differentiable) output is no view: it may be modified.
        ops::add_in_place(&outs[1], &Tensor::scalar(1.0, DType::F64)).unwrap();
    }

    #[test]
    fn wrong_number_of_gradients_is_an_error() {
        let x = leaf(vec![1.0]);
        let y = apply(PassThrough { extra_grad: true }, &[x]).unwrap().remove(0);
        let err = backward(&[ops::sum(&y).unwrap()], vec![None], None, false, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "function PassThroughBackward returned an incorrect number of gradients (expected 1, got 2)"
        );
    }
}
