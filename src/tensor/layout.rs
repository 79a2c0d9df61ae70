//! Layout: how a tensor's logical elements sit in its storage (shape, strides, offset), and
//! broadcasting between shapes.


use crate::error::{Error, Result};

/// Shape, element strides and storage offset of a tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// Step in elements between neighbours along each dimension (0 for broadcast dimensions).
    pub strides: Vec<usize>,
    /// Index of the first element in the storage.
    pub offset: usize,
}

/// Row-major strides of a shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut step = 1;
    for (stride, &size) in strides.iter_mut().zip(shape).rev() {
        *stride = step;
        step *= size.max(1);
    }
    strides
}

/// Number of elements of a shape.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Number of elements of a shape, or `None` when it does not fit in an int64 (PyTorch's limit).
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |n, &s| n.checked_mul(s)).filter(|&n| n <= i64::MAX as usize)
}

/// PyTorch's refusal of a storage whose byte count does not fit in an int64
/// (`computeStorageNbytes`), before any allocation: `zeros(2**61)` (float32) has a valid element
/// count but 2**63 bytes. `strides` are named when PyTorch's path gives them (`empty_strided`).
pub fn check_storage_nbytes(shape: &[usize], itemsize: usize, strides: Option<&[usize]>) -> Result<()> {
    let fits = checked_numel(shape).and_then(|n| n.checked_mul(itemsize)).is_some_and(|b| b <= i64::MAX as usize);
    if fits {
        return Ok(());
    }
    let strides = strides.map(|s| format!(" and strides={s:?}")).unwrap_or_default();
    Err(Error::runtime(format!("Storage size calculation overflowed with sizes={shape:?}{strides}")))
}

/// The shape two operands broadcast to, or PyTorch's error naming the first mismatching dim.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut out = vec![0; ndim];
    // From the last dimension backwards, as PyTorch checks (and reports the first mismatch met).
    for i in (0..ndim).rev() {
        // Align from the right; a missing dimension counts as 1.
        let da = if i + a.len() >= ndim { a[i + a.len() - ndim] } else { 1 };
        let db = if i + b.len() >= ndim { b[i + b.len() - ndim] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::runtime(format!(
                "The size of tensor a ({da}) must match the size of tensor b ({db}) at non-singleton dimension {i}"
            )));
        };
    }
    Ok(out)
}

/// Formats a shape as PyTorch does inside messages: `[2, 3]`.
pub fn shape_str(shape: &[usize]) -> String {
    format!("{shape:?}")
}

impl Layout {
    /// A row-major layout starting at offset 0.
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// True when elements are laid out row-major without gaps (dims of size 1 may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&size, &stride) in self.shape.iter().zip(&self.strides).rev() {
            if size == 0 {
                return true;
            }
            if size != 1 {
                if stride != expected {
                    return false;
                }
                expected *= size;
            }
        }
        true
    }

    /// The layout viewing this one expanded to `shape` (PyTorch's `expand`): new leading dims and
    /// dims of size 1 get stride 0.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Layout> {
        // Callers (Tensor::expand) report too few sizes with the dtype in the message.
        let extra = shape.len().checked_sub(self.ndim()).ok_or_else(|| {
            Error::runtime(format!("cannot expand shape {} to {}", shape_str(&self.shape), shape_str(shape)))
        })?;
        let mut strides = vec![0; shape.len()];
        for (i, &target) in shape.iter().enumerate().skip(extra) {
            let size = self.shape[i - extra];
            if size == target {
                strides[i] = self.strides[i - extra];
            } else if size != 1 {
                return Err(Error::runtime(format!(
                    "The expanded size of the tensor ({target}) must match the existing size ({size}) at non-singleton dimension {i}.  Target sizes: {}.  Tensor sizes: {}",
                    shape_str(shape),
                    shape_str(&self.shape)
                )));
            }
        }
        Ok(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    /// Calls `f` with the storage offset of every element, in row-major logical order.
    pub fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        let n = self.numel();
        if n == 0 {
            return;
        }
        if self.is_contiguous() {
            (self.offset..self.offset + n).for_each(f);
            return;
        }
        let ndim = self.ndim();
        let inner_size = self.shape[ndim - 1];
        let inner_stride = self.strides[ndim - 1];
        let mut index = vec![0usize; ndim - 1];
        let mut base = self.offset;
        loop {
            let mut off = base;
            for _ in 0..inner_size {
                f(off);
                off += inner_stride;
            }
            // Odometer step over the outer dims.
            let mut d = ndim - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                index[d] += 1;
                base += self.strides[d];
                if index[d] < self.shape[d] {
                    break;
                }
                base -= self.strides[d] * self.shape[d];
                index[d] = 0;
            }
        }
    }

    /// Writes all `numel` elements into `out`'s spare capacity for a layout whose last two dims
    /// are transposed in memory (stride 1 on the second-to-last), one matrix at a time through
    /// the register-tile transpose (a column walk would touch a new cache line per element).
    fn gather_transposed<T: Copy>(&self, data: &[T], out: &mut Vec<T>) {
        let nd = self.ndim();
        let (rows, cols, step) = (self.shape[nd - 2], self.shape[nd - 1], self.strides[nd - 1]);
        let dst = &mut out.spare_capacity_mut()[..self.numel()];
        let mut blocks = dst.chunks_mut(rows * cols);
        let mut matrix = |base: usize| {
            let dst = blocks.next().expect("one block per outer position");
            crate::cpu::transpose::transpose_into(data, base, rows, cols, step, dst);
        };
        if nd == 2 {
            matrix(self.offset);
        } else {
            Layout { shape: self.shape[..nd - 2].to_vec(), strides: self.strides[..nd - 2].to_vec(), offset: self.offset }.for_each_offset(matrix);
        }
    }

    /// Gathers the elements of `data` in logical order into a new contiguous vector.
    pub fn gather<T: Copy + Send + 'static>(&self, data: &[T]) -> Vec<T> {
        if self.is_contiguous() {
            return super::recycle::copied_vec(&data[self.offset..self.offset + self.numel()]);
        }
        let n = self.numel();
        let mut out: Vec<T> = super::recycle::uninit_vec(n);
        if n == 0 {
            return out;
        }
        if self.ndim() == 0 {
            out.push(data[self.offset]);
            return out;
        }
        let nd = self.ndim();
        let (len, step) = (self.shape[nd - 1], self.strides[nd - 1]);
        if nd >= 2 && self.strides[nd - 2] == 1 && step > 1 && self.shape[nd - 2] >= 16 && len >= 16 {
            self.gather_transposed(data, &mut out);
            // SAFETY: gather_transposed writes all n elements.
            unsafe { out.set_len(n) };
            return out;
        }
        // Whole innermost rows at a time: a copy (stride 1), a fill (stride 0, broadcast) or a
        // strided loop, instead of one odometer step per element.
        let outer = Layout { shape: self.shape[..nd - 1].to_vec(), strides: self.strides[..nd - 1].to_vec(), offset: self.offset };
        {
            let mut rows = out.spare_capacity_mut()[..n].chunks_mut(len);
            let mut write = |base: usize| {
                let dst = rows.next().expect("one row per outer position");
                match step {
                    1 => {
                        for (d, &v) in dst.iter_mut().zip(&data[base..base + len]) {
                            d.write(v);
                        }
                    }
                    0 => {
                        let v = data[base];
                        dst.iter_mut().for_each(|d| {
                            d.write(v);
                        });
                    }
                    _ => {
                        let src = &data[base..=base + (len - 1) * step];
                        for (d, v) in dst.iter_mut().zip(src.iter().step_by(step)) {
                            d.write(*v);
                        }
                    }
                }
            };
            if nd == 1 {
                write(self.offset);
            } else {
                outer.for_each_offset(write);
            }
        }
        // SAFETY: the outer positions number n / len, and each wrote one whole row of len.
        unsafe { out.set_len(n) };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_aligns_from_the_right() {
        assert_eq!(broadcast_shapes(&[2, 3], &[3]).unwrap(), vec![2, 3]);
        assert_eq!(broadcast_shapes(&[2, 1], &[1, 4]).unwrap(), vec![2, 4]);
        assert_eq!(broadcast_shapes(&[], &[5]).unwrap(), vec![5]);
        let err = broadcast_shapes(&[2, 3], &[3, 2]).unwrap_err();
        assert_eq!(
            err.message(),
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"
        );
        let err = broadcast_shapes(&[3], &[2]).unwrap_err();
        assert_eq!(
            err.message(),
            "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"
        );
    }

    #[test]
    fn strided_iteration_visits_a_transpose_in_logical_order() {
        // A 2x3 row-major block seen as its 3x2 transpose.
        let t = Layout { shape: vec![3, 2], strides: vec![1, 3], offset: 0 };
        assert!(!t.is_contiguous());
        assert_eq!(t.gather(&[0, 1, 2, 3, 4, 5]), vec![0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn gather_matches_per_element_indexing_for_every_inner_stride() {
        let data: Vec<i64> = (0..2000).collect();
        let cases = [
            Layout { shape: vec![2, 3, 4], strides: vec![40, 1, 3], offset: 5 },
            Layout { shape: vec![2, 3, 4], strides: vec![0, 4, 1], offset: 1 },
            Layout { shape: vec![3, 5], strides: vec![7, 0], offset: 2 },
            Layout { shape: vec![4, 1, 3], strides: vec![9, 1, 2], offset: 0 },
            Layout { shape: vec![7], strides: vec![3], offset: 4 },
            Layout { shape: vec![], strides: vec![], offset: 6 },
            // Transposed last two dims (tiled), with partial tiles and an outer dim.
            Layout { shape: vec![17, 40], strides: vec![1, 17], offset: 0 },
            Layout { shape: vec![2, 33, 3 * 16 + 1], strides: vec![0, 1, 33], offset: 1 },
        ];
        for l in cases {
            let mut want = Vec::new();
            l.for_each_offset(|o| want.push(data[o]));
            assert_eq!(l.gather(&data), want, "{l:?}");
        }
    }

    #[test]
    fn broadcast_layout_repeats_with_zero_stride() {
        let row = Layout::contiguous(&[3]);
        let b = row.broadcast_to(&[2, 3]).unwrap();
        assert_eq!(b.strides, vec![0, 1]);
        assert_eq!(b.gather(&[1, 2, 3]), vec![1, 2, 3, 1, 2, 3]);
        let err = Layout::contiguous(&[2, 3]).broadcast_to(&[3, 3]).unwrap_err();
        assert_eq!(
            err.message(),
            "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 3]"
        );
    }

    #[test]
    fn zero_dim_and_empty_layouts() {
        let scalar = Layout::contiguous(&[]);
        assert_eq!(scalar.numel(), 1);
        assert_eq!(scalar.gather(&[7]), vec![7]);
        assert_eq!(Layout::contiguous(&[0, 3]).gather::<i32>(&[]), Vec::<i32>::new());
    }
}
