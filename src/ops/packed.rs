//! `torch._pack_padded_sequence`: the padded `T x B x *` (or `B x T x *`) batch's valid steps
//! gathered time-major into `data`, with the int64 `batch_sizes` of each step. One autograd node,
//! PyTorch's `PackPaddedSequenceBackward0` (saves `batch_first`, `input_sym_sizes` and the
//! `batch_sizes` output as `result1`). The Python wrappers in `python/rustgrad/nn/utils/rnn.py`
//! check the lengths tensor and sort the batch for `enforce_sorted=False`.

use super::backward::{backward_fn, input, vals};
use super::gather::index_select;
use super::index_ops::index_add;
use super::{record, reshape, shape_i64};
use crate::autograd::GradModeGuard;
use crate::error::{Error, Result};
use crate::tensor::{Scalar, Tensor};

/// `batch_sizes[t]`: how many of the (decreasing) `lengths` exceed `t`, for `t < lengths[0]`.
fn batch_sizes_of(lengths: &[i64]) -> Vec<i64> {
    let steps = lengths.first().copied().unwrap_or(0).max(0);
    (0..steps).map(|t| lengths.iter().filter(|&&l| l > t).count() as i64).collect()
}

/// The rows of the input, its first two dims flattened (time-major index `t * B + b`, batch-major
/// `b * T + t`), that make up the packed data, step by step. Steps past the padded length `T`
/// are skipped, as PyTorch's slicing clamps them.
fn packed_rows(batch_sizes: &[i64], steps: usize, batch: usize, batch_first: bool) -> Vec<i64> {
    let mut rows = Vec::with_capacity(batch_sizes.iter().sum::<i64>() as usize);
    for (t, &n) in batch_sizes.iter().enumerate().take(steps) {
        for b in 0..n as usize {
            rows.push(if batch_first { b * steps + t } else { t * batch + b } as i64);
        }
    }
    rows
}

/// `_pack_padded_sequence(input, lengths, batch_first)`: `(data, batch_sizes)`, with PyTorch's
/// checks (non-empty input, one length per sequence, lengths positive and decreasing).
pub fn pack_padded_sequence(t: &Tensor, lengths: &[i64], batch_first: bool) -> Result<(Tensor, Tensor)> {
    let shape = t.shape();
    if shape.len() < 2 {
        // PyTorch reads `input.size(1)` (after the transpose for batch_first) first.
        let n = shape.len().max(1) as i64;
        let dim = if batch_first { n } else { 1 };
        return Err(Error::index(format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -n, n - 1)));
    }
    let (steps, batch) = if batch_first { (shape[1], shape[0]) } else { (shape[0], shape[1]) };
    if t.numel() == 0 {
        return Err(Error::runtime("Cannot pack empty tensors."));
    }
    if lengths.len() != batch {
        return Err(Error::runtime(format!(
            "Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={batch})",
            lengths.len()
        )));
    }
    if lengths[batch - 1] <= 0 {
        return Err(Error::runtime(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0",
        ));
    }
    if lengths.windows(2).any(|w| w[1] > w[0]) {
        return Err(Error::runtime(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass \
             `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you \
             do not need ONNX exportability.",
        ));
    }
    let sizes = batch_sizes_of(lengths);
    let rows = packed_rows(&sizes, steps, batch, batch_first);
    let count = rows.len();
    let index = Tensor::from_vec(rows, &[count])?;
    let mut flat_shape = vec![(shape[0] * shape[1]) as i64];
    flat_shape.extend(shape_i64(&shape[2..]));
    let data = {
        let _no_grad = GradModeGuard::new(false);
        index_select(&reshape(t, &flat_shape)?, 0, &index)?
    };
    let n_steps = sizes.len();
    let batch_sizes = Tensor::from_vec(sizes, &[n_steps])?;
    record(&[t], &[&data], || {
        // d pack(x) = the packed gradient's rows added back at the padded positions they came from, zeros elsewhere
        let values = vals![("batch_first", batch_first), ("input_sym_sizes", &shape[..])];
        backward_fn("PackPaddedSequenceBackward0", vec![input("result1", &batch_sizes)], move |_, _, g| {
            let mut full: Vec<usize> = vec![flat_shape[0] as usize];
            full.extend_from_slice(&shape[2..]);
            let grad = index_add(&Tensor::zeros(&full, g[0].dtype()), 0, &index, &g[0], Scalar::Int(1))?;
            Ok(vec![Some(reshape(&grad, &shape_i64(&shape))?)])
        })
        .values(values)
    })?;
    Ok((data, batch_sizes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sizes_count_the_sequences_still_running() {
        assert_eq!(batch_sizes_of(&[5, 3, 3, 1, 1]), vec![5, 3, 3, 1, 1]);
        assert_eq!(batch_sizes_of(&[4, 3, 1]), vec![3, 2, 2, 1]);
        assert_eq!(batch_sizes_of(&[2, 2]), vec![2, 2]);
    }

    #[test]
    fn rows_are_time_major_in_either_layout() {
        // lengths [3, 1]: steps t=0 (both), t=1 and t=2 (first only)
        assert_eq!(packed_rows(&[2, 1, 1], 3, 2, false), vec![0, 1, 2, 4]);
        assert_eq!(packed_rows(&[2, 1, 1], 3, 2, true), vec![0, 3, 1, 2]);
    }

    #[test]
    fn packs_values_and_refuses_bad_lengths() {
        let x = Tensor::from_vec((0..6).map(|v| v as f32).collect::<Vec<_>>(), &[3, 2]).unwrap();
        let (data, sizes) = pack_padded_sequence(&x, &[3, 2], false).unwrap();
        assert_eq!(data.to_vec::<f32>().unwrap(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(sizes.to_vec::<i64>().unwrap(), vec![2, 2, 1]);
        assert!(pack_padded_sequence(&x, &[2, 3], false).is_err());
        assert!(pack_padded_sequence(&x, &[3, 0], false).is_err());
        assert!(pack_padded_sequence(&x, &[3], false).is_err());
    }
}
