//! Triangular solves over row-major float64 buffers (LAPACK's `trtrs` without its singularity
//! check: a zero diagonal gives infinities/NaNs, as PyTorch's `linalg.solve_triangular`).

/// Solves `A X = B` in place in `b` (`n x rhs`) for the `n x n` triangular `a` (only the `upper`
/// or lower triangle is read; `unit`: its diagonal is taken as ones).
pub fn solve_triangular(a: &[f64], b: &mut [f64], n: usize, rhs: usize, upper: bool, unit: bool) {
    // BLAS trsm's column order: each solved unknown (divided by its diagonal) is eliminated from
    // the rows still to solve, skipping zero unknowns; so a zero diagonal spreads inf/NaN exactly
    // as PyTorch's (inf * 0 = NaN in the rows above/below).
    for c in 0..rhs {
        let order: Box<dyn Iterator<Item = usize>> = if upper { Box::new((0..n).rev()) } else { Box::new(0..n) };
        for k in order {
            if b[k * rhs + c] == 0.0 {
                continue;
            }
            if !unit {
                b[k * rhs + c] /= a[k * n + k];
            }
            let x = b[k * rhs + c];
            let rest: Box<dyn Iterator<Item = usize>> = if upper { Box::new(0..k) } else { Box::new(k + 1..n) };
            for i in rest {
                b[i * rhs + c] -= x * a[i * n + k];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_lower_and_unit_solves() {
        // upper [[2, 1], [0, 4]] x = [5, 8] -> x = [1.5, 2]
        let mut b = [5.0, 8.0];
        solve_triangular(&[2.0, 1.0, 99.0, 4.0], &mut b, 2, 1, true, false);
        assert_eq!(b, [1.5, 2.0]);
        // lower unit [[1, 0], [3, 1]] x = [1, 5] -> x = [1, 2]
        let mut b = [1.0, 5.0];
        solve_triangular(&[7.0, 99.0, 3.0, 7.0], &mut b, 2, 1, false, true);
        assert_eq!(b, [1.0, 2.0]);
    }
}
