//! Grad mode and inference mode: thread-local flags (a new thread starts with grad enabled), and
//! anomaly mode: one process-global flag, as in PyTorch.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
    static INFERENCE_MODE: Cell<bool> = const { Cell::new(false) };
}

static ANOMALY_ENABLED: AtomicBool = AtomicBool::new(false);
static ANOMALY_CHECK_NAN: AtomicBool = AtomicBool::new(true);

/// True when ops record the graph on this thread.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Turns graph recording on or off for this thread.
pub fn set_grad_enabled(enabled: bool) {
    GRAD_ENABLED.with(|g| g.set(enabled));
}

/// True inside `inference_mode` on this thread.
pub fn is_inference_mode_enabled() -> bool {
    INFERENCE_MODE.with(Cell::get)
}

/// Sets the inference-mode flag of this thread (callers also turn grad mode off, as PyTorch does).
pub fn set_inference_mode(enabled: bool) {
    INFERENCE_MODE.with(|g| g.set(enabled));
}

/// True when anomaly detection is on (any thread).
pub fn is_anomaly_enabled() -> bool {
    ANOMALY_ENABLED.load(Ordering::Relaxed)
}

/// True when anomaly detection also checks backward outputs for NaN.
pub fn is_anomaly_check_nan_enabled() -> bool {
    ANOMALY_CHECK_NAN.load(Ordering::Relaxed)
}

/// Turns anomaly detection on or off for the whole process.
pub fn set_anomaly_enabled(enabled: bool, check_nan: bool) {
    ANOMALY_ENABLED.store(enabled, Ordering::Relaxed);
    ANOMALY_CHECK_NAN.store(check_nan, Ordering::Relaxed);
}

/// Sets grad mode for a scope and restores the previous mode when dropped, also on error paths.
pub struct GradModeGuard {
    previous: bool,
}

impl GradModeGuard {
    /// Enters a scope with grad mode `enabled`.
    pub fn new(enabled: bool) -> Self {
        let previous = is_grad_enabled();
        set_grad_enabled(enabled);
        GradModeGuard { previous }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_restores_and_threads_start_enabled() {
        {
            let _g = GradModeGuard::new(false);
            assert!(!is_grad_enabled());
            let other = std::thread::spawn(is_grad_enabled).join().unwrap();
            assert!(other, "a new thread starts with grad enabled");
        }
        assert!(is_grad_enabled());
    }
}
