//! Anomaly mode's per-node metadata (PyTorch's `AnomalyMetadata`): with anomaly detection on, each
//! node records the traceback of the forward call that created it, and when backward fails inside
//! a node a warning names the node and shows that traceback before the error propagates.
//!
//! The core knows nothing of Python: the bindings register two callbacks ([`set_callbacks`]), one
//! that captures the current (Python) stack and one that emits the warning. Both are called only
//! while anomaly mode is on, so with it off a node costs one relaxed atomic load.
//!
//! Each node also carries a slot for the bindings' per-node data (the Python `metadata` dict), so
//! that data lives as long as the node, not as long as one Python wrapper object.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use super::grad_mode::is_anomaly_enabled;
use super::node::Node;

/// Captures the traceback of the current forward call (`None`: no stack available).
pub type CaptureStack = fn() -> Option<String>;
/// Emits the anomaly warning with the given message.
pub type EmitWarning = fn(&str);

struct Callbacks {
    capture: CaptureStack,
    warn: EmitWarning,
}

static CALLBACKS: OnceLock<Callbacks> = OnceLock::new();

/// Registers the bindings' callbacks (once; later calls are ignored).
pub fn set_callbacks(capture: CaptureStack, warn: EmitWarning) {
    let _ = CALLBACKS.set(Callbacks { capture, warn });
}

/// Anomaly metadata and bindings' data of one node.
#[derive(Default)]
pub struct NodeMetadata {
    /// The forward traceback, recorded at creation when anomaly mode was on.
    traceback: Option<Arc<str>>,
    /// Data the bindings attach to the node (the Python `metadata` dict), created on first use.
    user: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl NodeMetadata {
    /// Metadata for a node being created now: records the traceback if anomaly mode is on.
    pub fn capture() -> Self {
        let traceback = if is_anomaly_enabled() {
            CALLBACKS.get().and_then(|c| (c.capture)()).map(Arc::from)
        } else {
            None
        };
        NodeMetadata { traceback, user: OnceLock::new() }
    }

    /// The forward traceback, if one was recorded.
    pub fn traceback(&self) -> Option<&str> {
        self.traceback.as_deref()
    }

    /// The bindings' data for this node, created by `init` on first access.
    pub fn user_data(&self, init: impl FnOnce() -> Box<dyn Any + Send + Sync>) -> &(dyn Any + Send + Sync) {
        self.user.get_or_init(init).as_ref()
    }
}

/// The warning PyTorch emits when backward fails in `name` (`print_stack` of its anomaly
/// metadata).
pub fn failure_message(name: &str, traceback: Option<&str>) -> String {
    match traceback {
        Some(stack) => format!("Error detected in {name}. Traceback of forward call that caused the error:\n{stack}"),
        None => format!(
            "Error detected in {name}. No forward pass information available. Enable detect anomaly during forward pass for more information."
        ),
    }
}

/// Watches one backward run: the engine says which node it is evaluating; if the run is left
/// with an error (the guard is dropped before [`FailureReport::finish`]) while a node was being
/// evaluated, anomaly mode's warning is emitted for that node.
#[derive(Default)]
pub struct FailureReport {
    current: Option<(String, Option<Arc<str>>)>,
    finished: bool,
}

impl FailureReport {
    /// Notes that `node` is being evaluated (only when anomaly mode is on).
    #[inline]
    pub fn evaluating(&mut self, node: &Node) {
        if is_anomaly_enabled() {
            self.current = Some((node.name().into_owned(), node.metadata.traceback.clone()));
        }
    }

    /// No node is being evaluated any more (errors from here on belong to no node).
    pub fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for FailureReport {
    fn drop(&mut self) {
        if self.finished || !is_anomaly_enabled() {
            return;
        }
        if let (Some((name, traceback)), Some(callbacks)) = (self.current.take(), CALLBACKS.get()) {
            (callbacks.warn)(&failure_message(&name, traceback.as_deref()));
        }
    }
}
