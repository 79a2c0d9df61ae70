//! Matrix products. Float types go to the `gemm` crate, which reads strided operands directly (a
//! transposed matrix needs no copy) and runs on rayon above [`PARALLEL_FLOPS`]; int64 uses a plain
//! loop. Each output element sums its `k` products in an order fixed by the matrix sizes alone
//! (gemm splits work over rows and columns, never over `k`), so results do not depend on the
//! number of threads.

use std::mem::MaybeUninit;

use gemm::Parallelism;
use rayon::prelude::*;

use crate::tensor::Element;

/// Multiply-adds (m*n*k) above which one product runs on all rayon threads. gemm's rayon split
/// costs about 20 us of hand-offs and wake-ups per product here: 128x256x10 (0.33M) took 33 us on
/// two threads against 12 us on one, 128x256x256 (8.4M) 96 us against 152 us; the break-even is
/// near 2M (about 40 us of work on one thread).
pub const PARALLEL_FLOPS: usize = 128 * 128 * 128;

/// Multiply-adds up to which a product is split into two column halves of one thread each (on
/// the kernel team) instead of gemm's own rayon split (see `product`): twice 128x256x784, the
/// largest product of an MLP step of batch 128.
pub const TEAM_FLOPS: usize = 2 * 128 * 256 * 784;

/// Rows of the left operand from which a right operand read transposed is first copied
/// row-major (see `product`): below, the copy costs more than gemm's packing loses.
pub const TRANSPOSE_B_MIN_ROWS: usize = 32;

/// One operand of a (batched) product: matrix `i` of the batch has element `(r, c)` at
/// `offset + i*batch_stride + r*row_stride + c*col_stride`.
#[derive(Clone, Copy, Debug)]
pub struct MatView<'a, T> {
    /// The storage.
    pub data: &'a [T],
    /// Index of element (0, 0) of the first matrix.
    pub offset: usize,
    /// Step between matrices of the batch.
    pub batch_stride: usize,
    /// Step between rows.
    pub row_stride: usize,
    /// Step between columns.
    pub col_stride: usize,
}

impl<T: Copy> MatView<'_, T> {
    fn at(&self, b: usize, r: usize, c: usize) -> T {
        self.data[self.offset + b * self.batch_stride + r * self.row_stride + c * self.col_stride]
    }

    /// The largest storage index the batch touches (None when a dimension is empty).
    fn last_index(&self, batch: usize, rows: usize, cols: usize) -> Option<usize> {
        if batch == 0 || rows == 0 || cols == 0 {
            return None;
        }
        Some(self.offset + (batch - 1) * self.batch_stride + (rows - 1) * self.row_stride + (cols - 1) * self.col_stride)
    }
}

/// Element types with a matrix-product kernel.
pub trait MatmulElement: Element {
    /// `dst (m x n, row-major) = a (m x k) @ b (k x n)` for matrix `index` of both views. Writes
    /// every element of `dst` without reading it (the output buffer is never zero-filled first).
    #[allow(clippy::too_many_arguments)]
    fn product(dst: &mut [MaybeUninit<Self>], a: &MatView<'_, Self>, b: &MatView<'_, Self>, index: usize, m: usize, k: usize, n: usize, threads: bool);
}

macro_rules! gemm_element {
    ($t:ty) => {
        impl MatmulElement for $t {
            fn product(dst: &mut [MaybeUninit<Self>], a: &MatView<'_, Self>, b: &MatView<'_, Self>, index: usize, m: usize, k: usize, n: usize, threads: bool) {
                debug_assert_eq!(dst.len(), m * n);
                if m == 0 || n == 0 {
                    return;
                }
                if k == 0 {
                    dst.fill(MaybeUninit::new(0.0));
                    return;
                }
                let a_start = a.offset + index * a.batch_stride;
                let mut b_start = b.offset + index * b.batch_stride;
                let (mut b_data, mut b_rs, mut b_cs) = (b.data, b.row_stride, b.col_stride);
                // gemm packs a right operand read transposed (column-major, as `x @ W.t()` in
                // nn.Linear) element by element: 128x256x256 took 202 us against 152 us row-major
                // (one thread). Its row-major copy costs k*n moves through register tiles, paid
                // back many times over once m reaches a few tens of rows.
                let row_major_b;
                if b_rs == 1 && b_cs != 1 && k > 1 && n > 1 && m >= TRANSPOSE_B_MIN_ROWS {
                    let mut copy = crate::tensor::recycle::uninit_vec::<$t>(k * n);
                    crate::cpu::transpose::transpose_into(b.data, b_start, k, n, b_cs, &mut copy.spare_capacity_mut()[..k * n]);
                    // SAFETY: transpose_into wrote all k*n elements.
                    unsafe { copy.set_len(k * n) };
                    row_major_b = copy;
                    (b_data, b_start, b_rs, b_cs) = (&row_major_b[..], 0, n, 1);
                }
                // Columns [c0, c0 + cols) of the product (dst keeps row stride n), as addresses so
                // the two halves below can run on two rayon threads.
                let (dst_addr, a_addr, b_addr) = (dst.as_mut_ptr() as usize, a.data.as_ptr() as usize, b_data.as_ptr() as usize);
                let (a_rs, a_cs) = (a.row_stride, a.col_stride);
                let columns = move |c0: usize, cols: usize, parallelism: Parallelism| {
                    // SAFETY: `batched` checked that every index the views address is inside their
                    // slices; `dst` holds exactly m*n elements written row-major (row stride n) and
                    // each call writes only its own columns. With read_dst = false gemm stores
                    // `beta * a@b` into every element without loading it (alpha is ignored), so
                    // uninitialised memory is never read.
                    unsafe {
                        gemm::gemm(
                            m,
                            cols,
                            k,
                            (dst_addr as *mut $t).add(c0),
                            1,
                            n as isize,
                            false,
                            (a_addr as *const $t).add(a_start),
                            a_cs as isize,
                            a_rs as isize,
                            (b_addr as *const $t).add(b_start + c0 * b_cs),
                            b_cs as isize,
                            b_rs as isize,
                            0.0,
                            1.0,
                            false,
                            false,
                            false,
                            parallelism,
                        );
                    }
                };
                // Mid-sized products (an MLP step's) go in two column halves, one per thread of
                // the kernel team (the caller and a spinning helper): gemm's own rayon split
                // costs two wake-ups per product, 128x256x256 took 337 us on two threads against
                // 199 us on one. The split depends on the sizes only (the halves run one after
                // the other without a team), so results do not depend on the thread count.
                let work = m * n * k;
                if (PARALLEL_FLOPS..=TEAM_FLOPS).contains(&work) && n >= 32 {
                    let half = (n / 2 + 15) & !15;
                    let halves = |i: usize| if i == 0 { columns(0, half, Parallelism::None) } else { columns(half, n - half, Parallelism::None) };
                    if !(threads && super::team::run(2, &halves)) {
                        halves(0);
                        halves(1);
                    }
                    return;
                }
                if threads && work >= PARALLEL_FLOPS {
                    // Inside rustgrad's pool, so gemm's rayon parallelism follows set_num_threads.
                    return super::install(|| columns(0, n, Parallelism::Rayon(0)));
                }
                columns(0, n, Parallelism::None);
            }
        }
    };
}

gemm_element!(f32);
gemm_element!(f64);

impl MatmulElement for i64 {
    fn product(dst: &mut [MaybeUninit<Self>], a: &MatView<'_, Self>, b: &MatView<'_, Self>, index: usize, m: usize, k: usize, n: usize, _threads: bool) {
        // i-p-j order: the inner loop walks a row of b and of dst.
        dst.fill(MaybeUninit::new(0));
        // SAFETY: every element was just initialised; MaybeUninit<i64> has i64's layout.
        let dst = unsafe { &mut *(dst as *mut [MaybeUninit<i64>] as *mut [i64]) };
        for i in 0..m {
            let row = &mut dst[i * n..(i + 1) * n];
            for p in 0..k {
                let x = a.at(index, i, p);
                for (j, out) in row.iter_mut().enumerate() {
                    *out = out.wrapping_add(x.wrapping_mul(b.at(index, p, j)));
                }
            }
        }
    }
}

/// `batch` products `a[i] (m x k) @ b[i] (k x n)`, returned contiguous as `batch x m x n`.
pub fn batched<T: MatmulElement>(a: &MatView<'_, T>, b: &MatView<'_, T>, batch: usize, m: usize, k: usize, n: usize) -> Vec<T> {
    if let Some(last) = a.last_index(batch, m, k) {
        assert!(last < a.data.len(), "matmul operand a out of bounds");
    }
    if let Some(last) = b.last_index(batch, k, n) {
        assert!(last < b.data.len(), "matmul operand b out of bounds");
    }
    let total = batch * m * n;
    let mut out = crate::tensor::recycle::uninit_vec::<T>(total);
    let size = m * n;
    if size == 0 {
        return out;
    }
    // Every product writes all of its m*n elements, so the buffer is filled below, then its length set.
    let spare = &mut out.spare_capacity_mut()[..total];
    // Many small products: one per rayon task. Few big ones: each product uses the threads.
    let small = m * n * k < PARALLEL_FLOPS;
    let many_small = small && batch > 1 && batch * m * n * k >= PARALLEL_FLOPS;
    // Work with nothing to split, or a one-thread pool, runs on the calling thread: hopping to the
    // pool's worker would cost a wake-up per product and serialise the products of several Python
    // threads on that one worker (PyTorch with set_num_threads(1) also computes on the caller).
    if (small && !many_small) || super::threads() == 1 {
        for (i, dst) in spare.chunks_mut(size).enumerate() {
            T::product(dst, a, b, i, m, k, n, false);
        }
        // SAFETY: the products initialised all `total` elements.
        unsafe { out.set_len(total) };
        return out;
    }
    if many_small {
        super::install(|| spare.par_chunks_mut(size).enumerate().for_each(|(i, dst)| T::product(dst, a, b, i, m, k, n, false)));
    } else {
        // On the calling thread: each product splits itself (the team or the pool, by size).
        for (i, dst) in spare.chunks_mut(size).enumerate() {
            T::product(dst, a, b, i, m, k, n, true);
        }
    }
    // SAFETY: the products initialised all `total` elements.
    unsafe { out.set_len(total) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        out
    }

    fn view<T>(data: &[T], rows: usize, cols: usize) -> MatView<'_, T> {
        MatView { data, offset: 0, batch_stride: rows * cols, row_stride: cols, col_stride: 1 }
    }

    #[test]
    fn float_products_match_a_naive_loop_at_odd_sizes() {
        for &(m, k, n) in &[(1, 1, 1), (3, 5, 7), (17, 9, 33), (65, 31, 67), (8, 0, 3)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| ((i * 13) % 7) as f64 - 3.0).collect();
            let got = batched(&view(&a, m, k), &view(&b, k, n), 1, m, k, n);
            assert_eq!(got, naive(&a, &b, m, k, n), "{m}x{k}x{n}");
        }
    }

    #[test]
    fn transposed_operand_is_read_through_strides() {
        // b stored as its transpose (n x k row-major) and read with swapped strides.
        let (m, k, n) = (4, 3, 5);
        let a: Vec<f32> = (0..m * k).map(|i| i as f32).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| (i % 4) as f32).collect();
        let b: Vec<f64> = (0..k * n).map(|i| bt[(i % n) * k + i / n] as f64).collect();
        let bv = MatView { data: &bt[..], offset: 0, batch_stride: 0, row_stride: 1, col_stride: k };
        let got = batched(&view(&a, m, k), &bv, 1, m, k, n);
        let a64: Vec<f64> = a.iter().map(|&x| x as f64).collect();
        let want: Vec<f32> = naive(&a64, &b, m, k, n).into_iter().map(|x| x as f32).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn transposed_operand_copied_row_major_gives_the_exact_product() {
        // Integer-valued floats: every order of summation gives the exact result. Rows around
        // TRANSPOSE_B_MIN_ROWS take both paths; a batch with an offset exercises b_start.
        for &(batch, m, k, n) in &[(1, TRANSPOSE_B_MIN_ROWS - 1, 9, 33), (1, TRANSPOSE_B_MIN_ROWS, 9, 33), (2, 64, 31, 17), (1, 40, 1, 5), (1, 40, 7, 1)] {
            let a: Vec<f32> = (0..batch * m * k).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
            let offset = 3;
            let bt: Vec<f32> = (0..offset + batch * n * k).map(|i| ((i * 13) % 7) as f32 - 3.0).collect();
            let bv = MatView { data: &bt[..], offset, batch_stride: n * k, row_stride: 1, col_stride: k };
            let got = batched(&view(&a, m, k), &bv, batch, m, k, n);
            for i in 0..batch {
                let ai: Vec<f64> = a[i * m * k..(i + 1) * m * k].iter().map(|&x| x as f64).collect();
                let b: Vec<f64> = (0..k * n).map(|e| bt[offset + i * n * k + (e % n) * k + e / n] as f64).collect();
                let want: Vec<f32> = naive(&ai, &b, m, k, n).into_iter().map(|x| x as f32).collect();
                assert_eq!(&got[i * m * n..(i + 1) * m * n], &want[..], "{batch}x{m}x{k}x{n}");
            }
        }
    }

    #[test]
    fn int_batches_with_a_broadcast_operand() {
        let (batch, m, k, n) = (3, 2, 3, 2);
        let a: Vec<i64> = (0..(batch * m * k) as i64).collect();
        let b: Vec<i64> = vec![1, 0, 0, 1, 1, 1];
        let bv = MatView { data: &b[..], offset: 0, batch_stride: 0, row_stride: n, col_stride: 1 };
        let got = batched(&view(&a, m, k), &bv, batch, m, k, n);
        for i in 0..batch {
            let ai: Vec<f64> = a[i * m * k..(i + 1) * m * k].iter().map(|&x| x as f64).collect();
            let bf: Vec<f64> = b.iter().map(|&x| x as f64).collect();
            let want: Vec<i64> = naive(&ai, &bf, m, k, n).into_iter().map(|x| x as i64).collect();
            assert_eq!(&got[i * m * n..(i + 1) * m * n], &want[..]);
        }
    }

    #[test]
    fn output_buffer_is_overwritten_not_accumulated() {
        // A recycled buffer full of NaN must not leak into the product (gemm never reads dst).
        let (m, k, n) = (192, 3, 197);
        crate::tensor::recycle::give(vec![f64::NAN; m * n]);
        let a: Vec<f64> = (0..m * k).map(|i| (i % 5) as f64).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i % 3) as f64 - 1.0).collect();
        let got = batched(&view(&a, m, k), &view(&b, k, n), 1, m, k, n);
        assert_eq!(got, naive(&a, &b, m, k, n));
        crate::tensor::recycle::give(vec![f64::NAN; m * n]);
        assert!(batched(&view(&a, m, 0), &view(&b, 0, n), 1, m, 0, n).iter().all(|&x| x == 0.0));
    }

    #[test]
    fn transposed_b_products_match_across_thread_counts() {
        // b read through a column stride (the serial-below-a-size path) at odd sizes, small and large.
        for &(m, k, n) in &[(33, 17, 65), (130, 257, 129), (129, 300, 257)] {
            let a: Vec<f64> = (0..m * k).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
            let bt: Vec<f64> = (0..n * k).map(|i| ((i * 13) % 7) as f64 - 3.0).collect();
            let b: Vec<f64> = (0..k * n).map(|i| bt[(i % n) * k + i / n]).collect();
            let bv = MatView { data: &bt[..], offset: 0, batch_stride: 0, row_stride: 1, col_stride: k };
            let want = naive(&a, &b, m, k, n);
            assert_eq!(batched(&view(&a, m, k), &bv, 1, m, k, n), want, "{m}x{k}x{n}");
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            assert_eq!(pool.install(|| batched(&view(&a, m, k), &bv, 1, m, k, n)), want);
        }
    }

    #[test]
    fn big_products_do_not_depend_on_thread_count() {
        let (m, k, n) = (130, 257, 129);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 1000) as f32 * 1e-3).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 104729) % 997) as f32 * 1e-3).collect();
        let many = batched(&view(&a, m, k), &view(&b, k, n), 1, m, k, n);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| batched(&view(&a, m, k), &view(&b, k, n), 1, m, k, n));
        assert!(many.iter().zip(&one).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
