//! A differentiable op written in Rust: `cube(x) = x³`, as a [`CustomOp`].
//!
//! The op gives a forward over rustgrad tensors, says what backward needs (`setup_context`), and
//! a backward formula. `Cube.apply(&[x])` runs the forward with grad mode off and records one
//! node, `CubeBackward`, in the same graph as the built-in ops: `backward`, `autograd::grad`,
//! higher-order gradients (`create_graph`), the saved-tensor version check and
//! `retain_graph` all work on it as on any op.
//!
//! Run with `cargo run --example custom_op`.

use rustgrad::autograd::{backward, grad, BackwardContext, CustomOp, SaveContext};
use rustgrad::{ops, Result, Tensor};

/// `cube(x) = x³`.
struct Cube;

impl CustomOp for Cube {
    fn name(&self) -> &str {
        "Cube" // the node is named "CubeBackward"
    }

    fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let x = &inputs[0];
        Ok(vec![ops::mul(&ops::mul(x, x)?, x)?])
    }

    fn setup_context(&self, ctx: &mut SaveContext, inputs: &[Tensor], _outputs: &[Tensor]) -> Result<()> {
        ctx.save_for_backward(&[&inputs[0]]); // version-checked when backward unpacks it
        Ok(())
    }

    fn backward(&self, ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>> {
        // d(x³) = 3x² · grad, written with rustgrad ops so that it is differentiable itself
        let x = ctx.saved_tensors()?.remove(0);
        let three_x2 = ops::mul(&ops::mul(&x, &x)?, &Tensor::scalar(3.0, x.dtype()))?;
        Ok(vec![Some(ops::mul(&grads[0], &three_x2)?)])
    }
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f64, 2.0, -3.0], &[3])?.with_requires_grad(true)?;
    let y = Cube.apply(&[x.clone()])?.remove(0);
    println!("y = {:?}, grad_fn = {}", y.to_f64_vec(), y.grad_fn()?.expect("recorded").name());

    // First derivative with a graph, then the second derivative through CubeBackward's formula.
    let loss = ops::sum(&y)?;
    let g = grad(&[loss], &[x.clone()], vec![None], None, true, false, false)?.remove(0).expect("used");
    println!("dy/dx = {:?}", g.to_f64_vec()); // 3x²
    backward(&[ops::sum(&g)?], vec![None], None, false, None)?;
    println!("d²y/dx² = {:?}", x.grad().expect("accumulated").to_f64_vec()); // 6x

    assert_eq!(g.to_f64_vec(), vec![3.0, 12.0, 27.0]);
    assert_eq!(x.grad().unwrap().to_f64_vec(), vec![6.0, 12.0, -18.0]);
    Ok(())
}
