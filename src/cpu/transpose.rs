//! Copying a transposed matrix into row-major order: `.contiguous()` of a transposed tensor, and
//! the operand of a matrix product that gemm would otherwise pack element by element.
//!
//! Elements are moved as bits, so any 4-byte type goes through the f32 tiles and any 8-byte type
//! through the f64 tiles: 8x8 (4x4) tiles transposed in AVX registers, walked in bands of
//! [`BAND`] output rows so that the output lines being filled stay in cache.

use std::mem::MaybeUninit;

/// Output rows per band: every output line the band writes stays in L2 while its tiles fill it.
const BAND: usize = 64;

/// `dst[i * cols + j] = src[base + i + j * ld]` for `i < rows`, `j < cols`: the row-major copy of
/// a `rows x cols` matrix stored column by column (column `j` is the contiguous run at
/// `base + j * ld`). `dst` holds `rows * cols` elements.
pub fn transpose_into<T: Copy>(src: &[T], base: usize, rows: usize, cols: usize, ld: usize, dst: &mut [MaybeUninit<T>]) {
    assert_eq!(dst.len(), rows * cols, "transpose_into needs rows * cols outputs");
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(base + (rows - 1) + (cols - 1) * ld < src.len(), "transpose_into reads past its source");
    #[cfg(target_arch = "x86_64")]
    if super::reduce_simd::level() != super::reduce_simd::Level::Base {
        let (s, d) = (src.as_ptr().wrapping_add(base), dst.as_mut_ptr());
        // SAFETY: AVX2 is present (the level says so); the tiles read only elements
        // `base + i + j * ld` (checked in bounds above) and write only `dst[i * cols + j]`; T is
        // Copy, so moving its bits as a same-sized float is a copy.
        match std::mem::size_of::<T>() {
            4 => return unsafe { x86::transpose_4byte(s.cast(), rows, cols, ld, d.cast()) },
            8 => return unsafe { x86::transpose_8byte(s.cast(), rows, cols, ld, d.cast()) },
            _ => {}
        }
    }
    scalar(src, base, rows, cols, ld, dst);
}

/// Every element one at a time, in bands of [`BAND`] output rows.
fn scalar<T: Copy>(src: &[T], base: usize, rows: usize, cols: usize, ld: usize, dst: &mut [MaybeUninit<T>]) {
    for i0 in (0..rows).step_by(BAND) {
        let ie = (i0 + BAND).min(rows);
        for j in 0..cols {
            for i in i0..ie {
                dst[i * cols + j].write(src[base + i + j * ld]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// The 8x8 tiles, then the ragged right and bottom edges element by element.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn transpose_4byte(src: *const f32, rows: usize, cols: usize, ld: usize, dst: *mut f32) {
        let (rows8, cols8) = (rows / 8 * 8, cols / 8 * 8);
        for i0 in (0..rows8).step_by(super::BAND) {
            let ie = (i0 + super::BAND).min(rows8);
            for j in (0..cols8).step_by(8) {
                for i in (i0..ie).step_by(8) {
                    tile8(src.add(i + j * ld), ld, dst.add(i * cols + j), cols);
                }
            }
        }
        edges(src, rows, cols, ld, dst, rows8, cols8);
    }

    /// The 4x4 tiles, then the edges.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn transpose_8byte(src: *const f64, rows: usize, cols: usize, ld: usize, dst: *mut f64) {
        let (rows4, cols4) = (rows / 4 * 4, cols / 4 * 4);
        for i0 in (0..rows4).step_by(super::BAND) {
            let ie = (i0 + super::BAND).min(rows4);
            for j in (0..cols4).step_by(4) {
                for i in (i0..ie).step_by(4) {
                    tile4(src.add(i + j * ld), ld, dst.add(i * cols + j), cols);
                }
            }
        }
        edges(src, rows, cols, ld, dst, rows4, cols4);
    }

    /// Rows from `rows_done` on (every column) and columns from `cols_done` on (the other rows).
    unsafe fn edges<T: Copy>(src: *const T, rows: usize, cols: usize, ld: usize, dst: *mut T, rows_done: usize, cols_done: usize) {
        for j in 0..cols {
            for i in rows_done..rows {
                *dst.add(i * cols + j) = *src.add(i + j * ld);
            }
        }
        for j in cols_done..cols {
            for i in 0..rows_done {
                *dst.add(i * cols + j) = *src.add(i + j * ld);
            }
        }
    }

    /// `d[r * ldd + c] = s[c * lds + r]` for r, c < 8.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn tile8(s: *const f32, lds: usize, d: *mut f32, ldd: usize) {
        let r: [__m256; 8] = std::array::from_fn(|c| _mm256_loadu_ps(s.add(c * lds)));
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        let out = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (row, v) in out.into_iter().enumerate() {
            _mm256_storeu_ps(d.add(row * ldd), v);
        }
    }

    /// `d[r * ldd + c] = s[c * lds + r]` for r, c < 4.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn tile4(s: *const f64, lds: usize, d: *mut f64, ldd: usize) {
        let r: [__m256d; 4] = std::array::from_fn(|c| _mm256_loadu_pd(s.add(c * lds)));
        let t0 = _mm256_unpacklo_pd(r[0], r[1]);
        let t1 = _mm256_unpackhi_pd(r[0], r[1]);
        let t2 = _mm256_unpacklo_pd(r[2], r[3]);
        let t3 = _mm256_unpackhi_pd(r[2], r[3]);
        let out = [
            _mm256_permute2f128_pd::<0x20>(t0, t2),
            _mm256_permute2f128_pd::<0x20>(t1, t3),
            _mm256_permute2f128_pd::<0x31>(t0, t2),
            _mm256_permute2f128_pd::<0x31>(t1, t3),
        ];
        for (row, v) in out.into_iter().enumerate() {
            _mm256_storeu_pd(d.add(row * ldd), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Copy + PartialEq + std::fmt::Debug>(make: impl Fn(usize) -> T) {
        for &(rows, cols) in &[(1, 1), (3, 5), (8, 8), (9, 7), (16, 33), (63, 65), (64, 64), (130, 17), (257, 9)] {
            for extra in [0, 3] {
                let (base, ld) = (2, rows + extra);
                let src: Vec<T> = (0..base + cols * ld).map(&make).collect();
                let mut dst = vec![MaybeUninit::new(make(0)); rows * cols];
                transpose_into(&src, base, rows, cols, ld, &mut dst);
                for i in 0..rows {
                    for j in 0..cols {
                        assert_eq!(unsafe { dst[i * cols + j].assume_init() }, src[base + i + j * ld], "{rows}x{cols} ld={ld} at ({i},{j})");
                    }
                }
            }
        }
    }

    #[test]
    fn every_element_lands_in_place_for_4_and_8_byte_and_other_types() {
        check(|k| k as f32 * 0.5 - 3.0);
        check(|k| k as i32 - 7);
        check(|k| k as f64 * 0.25);
        check(|k| k as i64 * 3);
        check(|k| k % 3 == 0);
        check(|k| (k as u16).wrapping_mul(7));
    }
}
