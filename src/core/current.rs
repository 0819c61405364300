//! The workspace a request is for, as its handlers see it.
//!
//! One router serves every workspace. The dispatcher (or, for a sandbox
//! alone, the router itself) puts the request's workspace on it as
//! [`Current`]; a handler asks for the part it needs with [`State`], which
//! reads like axum's own (`State(state): State<softline::State>`) but takes
//! the part from the request instead of from the router. So a workspace is
//! its state alone: making one builds no router, and a request finds its
//! handlers in the same route table whichever workspace it is for.

use std::any::{Any, TypeId};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// Something whose parts handlers take: a workspace's state, by the type
/// of each part (the core, a provider's state, the whole state).
pub trait WorkspaceParts: Send + Sync + 'static {
    /// The part of the type `of`, if there is one.
    fn part(&self, of: TypeId) -> Option<&(dyn Any + Send + Sync)>;
}

/// The request's workspace (a request extension).
#[derive(Clone)]
pub struct Current(pub Arc<dyn WorkspaceParts>);

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Current")
    }
}

impl Current {
    /// The part of type `T`, cloned (each part is one shared handle).
    pub fn part<T: Clone + 'static>(&self) -> Option<T> {
        self.0
            .part(TypeId::of::<T>())
            .and_then(|part| part.downcast_ref::<T>())
            .cloned()
    }
}

/// A layer putting `parts` on every request: a sandbox alone (tests of one
/// workspace, the CLI's sync URL), where nothing dispatches.
pub fn serving(
    parts: Arc<dyn WorkspaceParts>,
) -> tower::util::MapRequestLayer<
    impl FnMut(axum::extract::Request) -> axum::extract::Request + Clone,
> {
    let current = Current(parts);
    tower::util::MapRequestLayer::new(move |mut request: axum::extract::Request| {
        request.extensions_mut().insert(current.clone());
        request
    })
}

/// A part of the request's workspace, extracted like axum's `State`.
#[derive(Debug, Clone, Copy)]
pub struct State<T>(pub T);

/// A handler asked for a part no workspace has, or ran outside one: a bug
/// in how the router was put together, never a client's doing.
#[derive(Debug)]
pub struct NoSuchPart(&'static str);

impl IntoResponse for NoSuchPart {
    fn into_response(self) -> Response {
        tracing::error!(part = self.0, "a handler ran without its workspace's state");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "paysandbox: a handler ran without its workspace's state",
        )
            .into_response()
    }
}

impl<S, T> FromRequestParts<S> for State<T>
where
    S: Send + Sync,
    T: Clone + Send + Sync + 'static,
{
    type Rejection = NoSuchPart;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Current>()
            .and_then(Current::part::<T>)
            .map(State)
            .ok_or(NoSuchPart(std::any::type_name::<T>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two(u32, String);

    impl WorkspaceParts for Two {
        fn part(&self, of: TypeId) -> Option<&(dyn Any + Send + Sync)> {
            if of == TypeId::of::<u32>() {
                Some(&self.0)
            } else if of == TypeId::of::<String>() {
                Some(&self.1)
            } else {
                None
            }
        }
    }

    #[tokio::test]
    async fn a_handler_gets_the_part_of_the_request_s_workspace_by_its_type() {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts
            .extensions
            .insert(Current(Arc::new(Two(7, "seven".into()))));

        let State(number) = State::<u32>::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        let State(text) = State::<String>::from_request_parts(&mut parts, &())
            .await
            .unwrap();
        let missing = State::<i64>::from_request_parts(&mut parts, &()).await;

        assert_eq!((number, text.as_str()), (7, "seven"));
        assert!(missing.is_err());
    }
}
