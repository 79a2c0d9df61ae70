//! PyO3 bindings: the only code that knows Python. `lib.rs` of the extension `rustgrad._core`.

mod convert;
mod dtype;
mod error;
mod function;
mod functions;
mod hooks;
mod node;
mod optim;
mod tensor;

use pyo3::prelude::*;

use crate::tensor::DType;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<node::PyNode>()?;
    m.add_class::<hooks::RemovableHandle>()?;
    for dtype in [DType::F32, DType::F64, DType::I64, DType::Bool] {
        m.add(dtype.name(), dtype::PyDType(dtype))?;
    }
    functions::register(m)?;
    optim::register(m)?;
    m.add_function(wrap_pyfunction!(function::_function_record, m)?)?;
    m.add_function(wrap_pyfunction!(function::_function_saved_tensors, m)?)?;
    m.add_function(wrap_pyfunction!(function::_delayed_error, m)?)?;
    Ok(())
}
