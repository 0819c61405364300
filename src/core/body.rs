//! A provider request's body as its handler takes it.
//!
//! The journal reads every provider request's body before the handler
//! runs (bounded, in the provider's envelope when refused: see
//! `http::middleware::read_body`) and hands it on whole, as one frame.
//! axum's `Bytes` extractor would read it again through a length limit
//! and a collecting buffer (three allocations and a boxed body for bytes
//! already in hand); [`RequestBody`] takes the frame as it is.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

/// The whole body of a request.
#[derive(Debug, Clone)]
pub struct RequestBody(pub Bytes);

impl std::ops::Deref for RequestBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A body that failed on its way: only one not read by the journal first
/// (a test calling a router directly), answered as axum answers it.
#[derive(Debug)]
pub struct BodyFailed(axum::Error);

impl IntoResponse for BodyFailed {
    fn into_response(self) -> Response {
        (
            axum::http::StatusCode::BAD_REQUEST,
            format!("Failed to read the request body: {}", self.0),
        )
            .into_response()
    }
}

impl<S: Send + Sync> FromRequest<S> for RequestBody {
    type Rejection = BodyFailed;

    async fn from_request(request: Request, _: &S) -> Result<Self, BodyFailed> {
        read_whole(request.into_body()).await.map(RequestBody)
    }
}

/// Every frame of `body` as one `Bytes`: the first frame itself when it is
/// the only one (always, behind the journal).
async fn read_whole(mut body: Body) -> Result<Bytes, BodyFailed> {
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(BodyFailed)?.into_data() else {
            continue; // trailers
        };
        match (&first, &mut more) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::with_capacity(head.len() + data.len());
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match more {
        Some(joined) => joined.freeze(),
        None => first.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_frame_is_taken_as_it_is() {
        let sent = Bytes::from_static(b"{\"amount\": \"1.00\"}");

        let read = read_whole(Body::from(sent.clone())).await.unwrap();

        assert_eq!(read, sent);
        assert_eq!(read.as_ptr(), sent.as_ptr(), "not copied");
    }

    #[tokio::test]
    async fn several_frames_are_joined_in_order() {
        let chunks = ["{\"a\"", ": 1", "}"].map(|c| Ok::<_, std::io::Error>(Bytes::from(c)));
        let body = Body::from_stream(futures_util::stream::iter(chunks));

        let read = read_whole(body).await.unwrap();

        assert_eq!(read, Bytes::from_static(b"{\"a\": 1}"));
    }
}
