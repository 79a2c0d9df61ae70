//! PyO3 bindings: the only code that knows Python. `lib.rs` of the extension `rustgrad._core`.

mod convert;
mod dtype;
mod error;
mod functions;
mod node;
mod tensor;
mod tensor_linalg;
mod tensor_reduce;

use pyo3::prelude::*;

use crate::tensor::DType;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<node::PyNode>()?;
    for dtype in [DType::F32, DType::F64, DType::I64, DType::Bool] {
        m.add(dtype.name(), dtype::PyDType(dtype))?;
    }
    functions::register(m)?;
    tensor_linalg::register(m)?;
    Ok(())
}
