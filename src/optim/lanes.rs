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

/// Calls `f` on chunks of `lanes` (each `len` long) that together cover every element once:
/// the whole bundle on the calling thread below [`GRAIN`], else halves on rayon workers down to
/// chunks of at most [`GRAIN`] elements (cut at multiples of 64 so SIMD loops stay aligned).
pub fn par_lanes<L: Lanes>(len: usize, lanes: L, f: &(impl Fn(L) + Sync)) {
    if len <= GRAIN {
        f(lanes);
        return;
    }
    let mid = (len / 2 + 63) & !63;
    let (left, right) = lanes.split_at(mid);
    rayon::join(|| par_lanes(mid, left, f), || par_lanes(len - mid, right, f));
}

/// [`par_lanes`] inside the kernel pool (so `set_num_threads` applies), or directly on the calling
/// thread when the bundle is too short to split: no wake-up of a pool worker per small parameter,
/// and the steps of several Python threads do not queue on that worker.
pub fn run_lanes<L: Lanes>(len: usize, lanes: L, f: &(impl Fn(L) + Sync)) {
    if !crate::cpu::parallel(len) {
        f(lanes);
    } else {
        crate::cpu::install(|| par_lanes(len, lanes, f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_is_visited_once_around_the_grain() {
        for n in [0, 1, 63, GRAIN - 1, GRAIN, GRAIN + 1, 3 * GRAIN + 17] {
            let mut a = vec![0u32; n];
            let b: Vec<u32> = (0..n as u32).collect();
            let mut c: Option<&mut [u32]> = None;
            par_lanes(n, (&mut a[..], &b[..], c.take()), &|(a, b, c): (&mut [u32], &[u32], Option<&mut [u32]>)| {
                assert!(c.is_none());
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y + 1;
                }
            });
            assert!(a.iter().enumerate().all(|(i, &v)| v == i as u32 + 1), "n = {n}");
        }
    }
}
