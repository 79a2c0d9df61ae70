//! PyO3 bindings: the only code that knows Python. `lib.rs` of the extension `rustgrad._core`.

mod convert;
mod creation;
mod dtype;
mod error;
mod functions;
mod generator;
mod node;
mod numpy_interop;
mod tensor;

use pyo3::prelude::*;

use crate::tensor::DType;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<node::PyNode>()?;
    for dtype in DType::ALL {
        m.add(dtype.name(), dtype::dtype_object(m.py(), dtype)?)?;
    }
    functions::register(m)?;
    creation::register(m)?;
    generator::register(m)?;
    numpy_interop::register(m)?;
    Ok(())
}
