//! Matrix-product methods of `rustgrad.Tensor` (`@`, matmul, mm, bmm, mv, dot, outer, addmm) and
//! the module function `einsum`.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PySequence, PyTuple};

use super::convert::{scalar, type_name};
use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;
use crate::tensor::Tensor;

type BinaryOp = fn(&Tensor, &Tensor) -> crate::Result<Tensor>;

/// A tensor argument of a product, with PyTorch's TypeError for anything else.
fn tensor_arg(op: &str, name: &str, position: usize, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    obj.cast::<PyTensor>().map(|t| t.get().inner.clone()).map_err(|_| {
        PyTypeError::new_err(format!("{op}(): argument '{name}' (position {position}) must be Tensor, not {}", type_name(obj)))
    })
}

/// Multiply-adds of `a @ b` (matmul/mm/bmm/mv/dot shapes, broadcast batches included): the
/// product's cost, which grows faster than its operands' sizes.
fn product_flops(a: &Tensor, b: &Tensor) -> usize {
    let (sa, sb) = (a.shape(), b.shape());
    let m = if sa.len() >= 2 { sa[sa.len() - 2] } else { 1 };
    let n = if sb.len() >= 2 { sb[sb.len() - 1] } else { 1 };
    a.numel().saturating_mul(n).max(b.numel().saturating_mul(m))
}

/// Runs a product with the GIL released when its flops (not its operands' element counts) are
/// many, so two Python threads multiplying 64x256 @ 256x256 really run in parallel.
fn product<'py>(py: Python<'py>, a: Tensor, b: Tensor, op: BinaryOp) -> PyResult<Bound<'py, PyAny>> {
    let work = product_flops(&a, &b);
    wrap_tensor(py, maybe_detach(py, work, move || op(&a, &b))?)
}

/// An outer product: one multiply per output element.
fn outer_product<'py>(py: Python<'py>, a: Tensor, b: Tensor) -> PyResult<Bound<'py, PyAny>> {
    let work = a.numel().saturating_mul(b.numel());
    wrap_tensor(py, maybe_detach(py, work, move || ops::outer(&a, &b))?)
}

fn number(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    scalar(obj).map(|s| s.to_f64()).ok_or_else(|| PyTypeError::new_err(format!("expected a number, got {}", type_name(obj))))
}

#[pymethods]
impl PyTensor {
    fn __matmul__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let Ok(other) = other.cast::<PyTensor>() else { return Ok(py.NotImplemented().into_bound(py)) };
        product(py, self.inner.clone(), other.get().inner.clone(), ops::matmul)
    }

    fn __rmatmul__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let Ok(other) = other.cast::<PyTensor>() else { return Ok(py.NotImplemented().into_bound(py)) };
        product(py, other.get().inner.clone(), self.inner.clone(), ops::matmul)
    }

    /// Matrix product with broadcasting (`self @ other`).
    fn matmul<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        product(py, self.inner.clone(), tensor_arg("matmul", "other", 1, other)?, ops::matmul)
    }

    /// Product of two matrices.
    fn mm<'py>(&self, py: Python<'py>, mat2: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        product(py, self.inner.clone(), tensor_arg("mm", "mat2", 1, mat2)?, ops::mm)
    }

    /// Batched product of two 3-d tensors.
    fn bmm<'py>(&self, py: Python<'py>, mat2: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        product(py, self.inner.clone(), tensor_arg("bmm", "mat2", 1, mat2)?, ops::bmm)
    }

    /// Matrix-vector product.
    fn mv<'py>(&self, py: Python<'py>, vec: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        product(py, self.inner.clone(), tensor_arg("mv", "vec", 1, vec)?, ops::mv)
    }

    /// Inner product of two vectors.
    fn dot<'py>(&self, py: Python<'py>, tensor: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        product(py, self.inner.clone(), tensor_arg("dot", "tensor", 1, tensor)?, ops::dot)
    }

    /// Outer product of two vectors.
    fn outer<'py>(&self, py: Python<'py>, vec2: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        outer_product(py, self.inner.clone(), tensor_arg("outer", "vec2", 1, vec2)?)
    }

    /// Outer product of two vectors (old name of `outer`).
    fn ger<'py>(&self, py: Python<'py>, vec2: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        outer_product(py, self.inner.clone(), tensor_arg("ger", "vec2", 1, vec2)?)
    }

    /// `beta * self + alpha * (mat1 @ mat2)`.
    #[pyo3(signature = (mat1, mat2, *, beta=None, alpha=None))]
    fn addmm<'py>(
        &self,
        py: Python<'py>,
        mat1: &Bound<'py, PyAny>,
        mat2: &Bound<'py, PyAny>,
        beta: Option<&Bound<'py, PyAny>>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let m1 = tensor_arg("addmm", "mat1", 1, mat1)?;
        let m2 = tensor_arg("addmm", "mat2", 2, mat2)?;
        let beta = beta.map(number).transpose()?.unwrap_or(1.0);
        let alpha = alpha.map(number).transpose()?.unwrap_or(1.0);
        let input = self.inner.clone();
        let work = product_flops(&m1, &m2).max(input.numel());
        wrap_tensor(py, maybe_detach(py, work, move || ops::addmm(&input, &m1, &m2, beta, alpha))?)
    }
}

/// `rustgrad.einsum(equation, *operands)` (operands may also come as one list).
#[pyfunction]
#[pyo3(signature = (equation, *operands))]
fn einsum<'py>(py: Python<'py>, equation: &str, operands: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    let items: Vec<Bound<'py, PyAny>> = if operands.len() == 1 && operands.get_item(0)?.cast::<PyTensor>().is_err() {
        let seq = operands.get_item(0)?;
        let seq = seq.cast::<PySequence>().map_err(|_| PyTypeError::new_err("einsum(): operands must be tensors"))?;
        (0..seq.len()?).map(|i| seq.get_item(i)).collect::<PyResult<_>>()?
    } else {
        operands.iter().collect()
    };
    let tensors: Vec<Tensor> = items
        .iter()
        .enumerate()
        .map(|(i, o)| tensor_arg("einsum", "operands", i + 1, o))
        .collect::<PyResult<_>>()?;
    let equation = equation.to_string();
    // An einsum contracts up to every operand's elements against each other: bounded by the product.
    let work = tensors.iter().map(Tensor::numel).fold(1usize, usize::saturating_mul);
    wrap_tensor(py, maybe_detach(py, work, move || ops::einsum(&equation, &tensors))?)
}

/// Adds this file's module functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(einsum, m)?)?;
    Ok(())
}
