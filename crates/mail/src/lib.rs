//! Mail as a protocol, apart from what Frontdesk does with it: an inbound message read into
//! plain facts ([`inbound`]) and the Message-IDs we make and recognise ([`threading`]). This
//! crate knows nothing of tickets, users or storage; the binary decides what a message becomes.
//! The fuzz target (`fuzz/`) builds against this crate alone.

pub mod inbound;
pub mod threading;

/// The value of the `X-Loop` header on every mail we send: a message that carries it back is
/// our own, and is never taken in again.
pub const X_LOOP: &str = "frontdesk";
