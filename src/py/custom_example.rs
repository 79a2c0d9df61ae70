//! A Rust [`CustomOp`] exposed to Python in a few lines: `rustgrad._core._example_cube(x)` is
//! `x³` with a `CubeBackward` node (the op of `examples/custom_op.rs`).

use pyo3::prelude::*;
use crate::error::catch_alloc_failure;

use super::tensor::{wrap_tensor, PyTensor};
use crate::autograd::{BackwardContext, CustomOp, SaveContext};
use crate::error::Result;
use crate::ops;
use crate::tensor::Tensor;

/// `cube(x) = x³`.
struct Cube;

impl CustomOp for Cube {
    fn name(&self) -> &str {
        "Cube"
    }
    fn forward(&self, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
        let x = &inputs[0];
        Ok(vec![ops::mul(&ops::mul(x, x)?, x)?])
    }
    fn setup_context(&self, ctx: &mut SaveContext, inputs: &[Tensor], _outputs: &[Tensor]) -> Result<()> {
        ctx.save_for_backward(&[&inputs[0]]);
        Ok(())
    }
    fn backward(&self, ctx: &BackwardContext, grads: Vec<Tensor>) -> Result<Vec<Option<Tensor>>> {
        // d(x³) = 3x² · grad
        let x = ctx.saved_tensors()?.remove(0);
        let three_x2 = ops::mul(&ops::mul(&x, &x)?, &Tensor::scalar(3.0, x.dtype()))?;
        Ok(vec![Some(catch_alloc_failure(|| ops::mul(&grads[0], &three_x2))?)])
    }
}

/// `x³`, recorded as one `CubeBackward` node.
#[pyfunction]
pub fn _example_cube<'py>(py: Python<'py>, x: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
    let out = Cube.apply(&[x.get().inner.clone()])?.remove(0);
    wrap_tensor(py, out)
}
