//! The OpenAPI document, written when it is first asked for instead of at
//! start-up.
//!
//! Every route is declared once, with utoipa-axum's `routes!`, so the
//! document and the router cannot drift apart. But building a handler's
//! operation (its schemas, examples, the deep copies utoipa makes of them
//! for each method and each `nest`) was most of what start-up did: 46% of
//! its processor time and two thirds of its page faults, 3.3 MiB of
//! resident memory for a document most runs never fetch (BENCHMARKS.md).
//!
//! So [`routes!`] (used everywhere instead of utoipa-axum's) registers each
//! handler with an empty operation unless a document is being written
//! ([`documenting`]), and [`LazyDocument`] writes the document on its first
//! request by running the same route declarations again with the
//! operations in, keeping the document and dropping that second router.

use std::cell::Cell;
use std::sync::{Arc, LazyLock};

use utoipa::openapi::OpenApi;

thread_local! {
    /// Whether the routes declared on this thread now are for the document.
    static DOCUMENTING: Cell<bool> = const { Cell::new(false) };
}

/// Whether [`routes!`] should build each handler's operation (a document is
/// being written on this thread).
pub fn documenting() -> bool {
    DOCUMENTING.with(Cell::get)
}

/// Runs `declare` with every handler's operation built (see [`routes!`]).
/// Declaring routes is synchronous, so the flag is one thread's, set and
/// cleared around the call, and a panic inside clears it as well.
pub fn with_operations<T>(declare: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            DOCUMENTING.with(|flag| flag.set(self.0));
        }
    }
    let _reset = Reset(DOCUMENTING.with(|flag| flag.replace(true)));
    declare()
}

/// The OpenAPI document, written by `write` on the first
/// [`get`](Self::get) and kept (`write`, and what it holds, dropped then).
pub struct LazyDocument(LazyLock<Arc<OpenApi>, Box<dyn FnOnce() -> Arc<OpenApi> + Send>>);

impl LazyDocument {
    pub fn new(write: impl FnOnce() -> OpenApi + Send + 'static) -> Self {
        Self(LazyLock::new(Box::new(move || {
            Arc::new(with_operations(write))
        })))
    }

    /// The document (written now if this is the first call).
    pub fn get(&self) -> Arc<OpenApi> {
        Arc::clone(&self.0)
    }
}

impl std::fmt::Debug for LazyDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyDocument").finish_non_exhaustive()
    }
}

/// utoipa-axum's `routes!`, with each handler's operation built only when
/// a document is being written ([`documenting`]). Otherwise each handler is
/// routed at its documented path and methods (`utoipa::Path`'s `path()` and
/// `methods()`, which build nothing) with an empty operation: the router
/// is the same, the document is not written.
///
/// Handlers are named by plain paths (`admin::metrics`), taken as idents so
/// utoipa-axum's `@path` arm can reach the `__path_<handler>` type beside
/// each (an arm of its own macro, pinned with its version in Cargo.toml).
macro_rules! routes {
    ( $( $($part:ident)::+ ),+ $(,)? ) => {
        if $crate::openapi::documenting() {
            ::utoipa_axum::routes!( $( $($part)::+ ),+ )
        } else {
            #[allow(unused_imports)]
            use ::utoipa_axum::PathItemExt as _;
            let mut paths = ::utoipa::openapi::path::Paths::new();
            let mut method_router = ::axum::routing::MethodRouter::new();
            $(
                let path: String = ::utoipa_axum::routes!( @path [path()] of $($part)::+ );
                let methods = ::utoipa_axum::routes!( @path [methods()] of $($part)::+ );
                method_router = methods.iter().fold(method_router, |router, method| {
                    router.on(method.to_method_filter(), $($part)::+)
                });
                paths.add_path_operation(
                    &path,
                    methods,
                    ::utoipa::openapi::path::Operation::new(),
                );
            )+
            (Vec::new(), paths, method_router)
        }
    };
}
pub(crate) use routes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_built_only_inside_with_operations_and_the_flag_is_restored() {
        assert!(!documenting());

        let inside = with_operations(documenting);
        let nested = with_operations(|| with_operations(documenting) && documenting());

        assert!(inside && nested);
        assert!(!documenting());
    }

    #[test]
    fn a_panic_while_documenting_leaves_the_flag_cleared() {
        let panicked = std::panic::catch_unwind(|| with_operations(|| panic!("declared badly")));

        assert!(panicked.is_err());
        assert!(!documenting());
    }

    #[test]
    fn a_lazy_document_is_written_once() {
        let writes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&writes);
        let document = LazyDocument::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            assert!(documenting(), "written with the operations in");
            OpenApi::default()
        });

        assert_eq!(
            writes.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "not before asked"
        );
        let (first, second) = (document.get(), document.get());

        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(writes.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
