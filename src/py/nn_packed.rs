//! The private binding behind `rustgrad.nn.utils.rnn.pack_padded_sequence` (the lengths tensor
//! is checked and the batch sorted in `python/rustgrad/nn/utils/rnn.py`).

use pyo3::prelude::*;

use super::tensor::{maybe_detach, wrap_tensor, PyTensor};
use crate::ops;

/// `_pack_padded_sequence(input, lengths, batch_first)`: `(data, batch_sizes)`.
#[pyfunction]
fn _pack_padded_sequence<'py>(
    py: Python<'py>,
    input: PyRef<'py, PyTensor>,
    lengths: Vec<i64>,
    batch_first: bool,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let t = input.inner.clone();
    let work = t.numel();
    let (data, batch_sizes) = maybe_detach(py, work, move || ops::pack_padded_sequence(&t, &lengths, batch_first))?;
    Ok((wrap_tensor(py, data)?, wrap_tensor(py, batch_sizes)?))
}

/// Adds this file's functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_pack_padded_sequence, m)?)?;
    Ok(())
}
