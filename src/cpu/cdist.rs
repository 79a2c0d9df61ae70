//! `cdist`: p-norm distances between the rows of two batches of matrices, `(B, P, M)` and
//! `(B, R, M)` (contiguous, same batch) to `(B, P, R)`. Rows of the output are independent pieces.

use super::reduce_simd::Float;
use super::split::map_pieces;

/// `||a - b||_p` for one pair of rows: p = 0 counts differing coordinates, p = inf takes the
/// largest difference.
fn distance<T: Float>(a: &[T], b: &[T], p: f64) -> T {
    let diffs = a.iter().zip(b).map(|(&x, &y)| (x - y).abs());
    if p == 0.0 {
        T::from_f64(diffs.filter(|d| *d != <T as num_traits::Zero>::zero()).count() as f64)
    } else if p == 1.0 {
        diffs.fold(<T as num_traits::Zero>::zero(), |acc, d| acc + d)
    } else if p == 2.0 {
        diffs.fold(<T as num_traits::Zero>::zero(), |acc, d| acc + d * d).sqrt()
    } else if p.is_infinite() {
        diffs.fold(<T as num_traits::Zero>::zero(), |acc, d| if d > acc || d.is_nan() { d } else { acc })
    } else {
        let p_t = T::from_f64(p);
        diffs.fold(<T as num_traits::Zero>::zero(), |acc, d| acc + d.powf(p_t)).powf(T::from_f64(1.0 / p))
    }
}

/// The `(batch, rows1, rows2)` distances between `x1` (`batch x rows1 x m`) and `x2`
/// (`batch x rows2 x m`).
pub fn cdist<T: Float>(x1: &[T], x2: &[T], batch: usize, rows1: usize, rows2: usize, m: usize, p: f64) -> Vec<T> {
    let rows: Vec<usize> = (0..batch * rows1).collect();
    // One piece per block of output rows of about GRAIN multiply-adds.
    let per_row = (rows2 * m).max(1);
    let block = (super::GRAIN / per_row).max(1);
    let pieces: Vec<&[usize]> = rows.chunks(block).collect();
    let run = |piece: &[usize]| {
        let mut out = Vec::with_capacity(piece.len() * rows2);
        for &r in piece {
            let b = r / rows1.max(1);
            let a = &x1[r * m..(r + 1) * m];
            for j in 0..rows2 {
                let start = (b * rows2 + j) * m;
                out.push(distance(a, &x2[start..start + m], p));
            }
        }
        out
    };
    let parts = if super::parallel(batch * rows1 * rows2 * m) { map_pieces(pieces, run) } else { pieces.into_iter().map(run).collect() };
    parts.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_for_each_p() {
        let x1 = [0.0f64, 0.0, 1.0, 1.0];
        let x2 = [3.0f64, 4.0];
        assert_eq!(cdist(&x1, &x2, 1, 2, 1, 2, 2.0), vec![5.0, 13f64.sqrt()]);
        assert_eq!(cdist(&x1, &x2, 1, 2, 1, 2, 1.0), vec![7.0, 5.0]);
        assert_eq!(cdist(&x1, &x2, 1, 2, 1, 2, f64::INFINITY), vec![4.0, 3.0]);
        assert_eq!(cdist(&x1, &x2, 1, 2, 1, 2, 0.0), vec![2.0, 2.0]);
        let d = cdist(&x1, &x2, 1, 2, 1, 2, 3.0)[0];
        assert!((d - 91f64.powf(1.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn split_and_serial_agree_around_the_grain() {
        // 2 batches x 70 x 65 rows of 9 coordinates: several pieces over GRAIN work.
        let (batch, r1, r2, m) = (2, 70, 65, 9);
        let x1: Vec<f32> = (0..batch * r1 * m).map(|i| (i as f32 * 0.37).sin()).collect();
        let x2: Vec<f32> = (0..batch * r2 * m).map(|i| (i as f32 * 0.11).cos()).collect();
        let serial = cdist(&x1, &x2, batch, r1, r2, m, 2.0);
        let split = crate::cpu::split::with_forced_split(2, || cdist(&x1, &x2, batch, r1, r2, m, 2.0));
        assert_eq!(serial, split);
        let (b, i, j) = (1, 5, 7);
        let direct = distance(&x1[(b * r1 + i) * m..(b * r1 + i + 1) * m], &x2[(b * r2 + j) * m..(b * r2 + j + 1) * m], 2.0);
        assert_eq!(serial[(b * r1 + i) * r2 + j], direct);
    }
}
