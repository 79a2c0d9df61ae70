//! PyO3 bindings: the only code that knows Python. `lib.rs` of the extension `rustgrad._core`.

mod argparse;
mod convert;
mod creation;
mod custom_example;
mod dtype;
mod error;
mod function;
mod inplace_composed;
mod functions;
mod hooks;
mod invalid_args;
mod generator;
mod node;
mod numpy_interop;
mod optim;
mod saved_hooks;
mod tensor;
mod tensor_elementwise;
mod tensor_bitwise;
mod tensor_alpha;
mod tensor_index;
mod tensor_index_ops;
mod tensor_view;
mod tensor_view_strided;
mod tensor_linalg;
mod tensor_linalg_decomp;
mod tensor_linalg_svd;
mod tensor_reduce;
mod tensor_division;
mod nn_core;
mod nn_ops;
mod nn_pad;
mod nn_packed;
mod tensor_sort;
mod tensor_new;
mod tensor_addc;
mod signatures;
mod data_errors;
mod default_dtype;
mod tensor_nonzero;
mod tensor_close;
mod tensor_interp;
mod tensor_diagonal;
mod tensor_stats_mean;
mod tensor_search;
mod tensor_addmm_family;
mod nn_extra;
mod tensor_device;
mod tensor_unary_more;
mod tensor_special_more;

use pyo3::prelude::*;

use crate::tensor::DType;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<node::PyNode>()?;
    node::register_anomaly_callbacks();
    m.add_class::<hooks::RemovableHandle>()?;
    for dtype in DType::ALL {
        m.add(dtype.name(), dtype::dtype_object(m.py(), dtype)?)?;
    }
    functions::register(m)?;
    creation::register(m)?;
    generator::register(m)?;
    numpy_interop::register(m)?;
    optim::register(m)?;
    m.add_function(wrap_pyfunction!(argparse::_arg_error, m)?)?;
    m.add_function(wrap_pyfunction!(argparse::_arg_bind, m)?)?;
    m.add_function(wrap_pyfunction!(function::_function_record, m)?)?;
    m.add_function(wrap_pyfunction!(function::_function_saved_tensors, m)?)?;
    m.add_function(wrap_pyfunction!(function::_delayed_error, m)?)?;
    m.add_function(wrap_pyfunction!(inplace_composed::_in_place_from, m)?)?;
    m.add_function(wrap_pyfunction!(custom_example::_example_cube, m)?)?;
    tensor_elementwise::register(m)?;
    tensor_view::register(m)?;
    tensor_linalg::register(m)?;
    tensor_linalg_decomp::register(m)?;
    tensor_linalg_svd::register(m)?;
    nn_core::register(m)?;
    nn_ops::register(m)?;
    nn_pad::register(m)?;
    nn_packed::register(m)?;
    saved_hooks::register(m)?;
    tensor_sort::register(m)?;
    tensor_addc::register(m)?;
    default_dtype::register(m)?;
    tensor_stats_mean::register(m)?;
    tensor_search::register(m)?;
    nn_extra::register(m)?;
    tensor_special_more::register(m)?;
    Ok(())
}
