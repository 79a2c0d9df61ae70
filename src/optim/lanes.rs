//! Runs an update kernel over several equally long buffers at once, split into matching chunks on
//! rayon workers above [`GRAIN`]: each chunk of the parameter travels with the same chunk of its
//! gradient and state, so one pass reads and writes everything.

use crate::cpu::GRAIN;

/// A bundle of equally long slices that can be cut at one index into two bundles.
pub trait Lanes: Send + Sized {
    /// Cuts every slice at `mid`.
    fn split_at(self, mid: usize) -> (Self, Self);
}

impl<T: Send> Lanes for &mut [T] {
    fn split_at(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
}

impl<T: Sync> Lanes for &[T] {
    fn split_at(self, mid: usize) -> (Self, Self) {
        <[T]>::split_at(self, mid)
    }
}

/// An optional buffer (`max_exp_avg_sq` without amsgrad) splits into two absent halves.
impl<L: Lanes> Lanes for Option<L> {
    fn split_at(self, mid: usize) -> (Self, Self) {
        match self {
            Some(l) => {
                let (a, b) = l.split_at(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        }
    }
}

macro_rules! tuple_lanes {
    ($($name:ident),+) => {
        impl<$($name: Lanes),+> Lanes for ($($name,)+) {
            #[allow(non_snake_case)]
            fn split_at(self, mid: usize) -> (Self, Self) {
                let ($($name,)+) = self;
                $(let $name = $name.split_at(mid);)+
                (($($name.0,)+), ($($name.1,)+))
            }
        }
    };
}

tuple_lanes!(A, B);
tuple_lanes!(A, B, C);
tuple_lanes!(A, B, C, D);
tuple_lanes!(A, B, C, D, E);
tuple_lanes!(A, B, C, D, E, F);

/// `f` over `lanes` cut into chunks of [`GRAIN`] elements, split over the calling thread and the
/// kernel team like the elementwise kernels ([`crate::cpu::split`]), or directly on the calling
/// thread when the bundle is too short to split: no hand-off per small parameter, and no rayon
/// worker competing for a core with the team's helper.
pub fn run_lanes<L: Lanes>(len: usize, lanes: L, f: &(impl Fn(L) + Sync)) {
    if !crate::cpu::parallel(len) {
        f(lanes);
        return;
    }
    let mut pieces = Vec::with_capacity(len.div_ceil(GRAIN));
    let (mut rest, mut left) = (lanes, len);
    while left > GRAIN {
        let (piece, tail) = rest.split_at(GRAIN);
        pieces.push(piece);
        (rest, left) = (tail, left - GRAIN);
    }
    pieces.push(rest);
    crate::cpu::split::for_pieces(pieces, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_is_visited_once_around_the_grain() {
        // Split over two threads whatever the cost, and on the calling thread alone.
        for threads in [2, 1] {
            crate::cpu::split::with_forced_split(threads, || {
                for n in [0, 1, 63, GRAIN - 1, GRAIN, GRAIN + 1, 3 * GRAIN + 17] {
                    let mut a = vec![0u32; n];
                    let b: Vec<u32> = (0..n as u32).collect();
                    let mut c: Option<&mut [u32]> = None;
                    run_lanes(n, (&mut a[..], &b[..], c.take()), &|(a, b, c): (&mut [u32], &[u32], Option<&mut [u32]>)| {
                        assert!(c.is_none());
                        assert!(threads == 1 || a.len() <= GRAIN, "a chunk longer than the grain");
                        for (x, y) in a.iter_mut().zip(b) {
                            *x += y + 1;
                        }
                    });
                    assert!(a.iter().enumerate().all(|(i, &v)| v == i as u32 + 1), "n = {n}, {threads} threads");
                }
            });
        }
    }
}
