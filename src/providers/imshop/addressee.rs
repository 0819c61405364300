//! How a request to paysandbox's IMSHOP side names its workspace: the
//! workspace's own URLs carry `?workspace=NAME` (its `runs_url` and
//! `sync_url`), a run's page its run id, a call with the API key that key.
//! Anything else belongs to `default`.

use axum::http::request::Parts;

use super::MOUNT;
use crate::core::params;
use crate::provider::Addressee;

/// Run ids.
pub const RUN: &str = "imshop.run";
/// API keys.
pub const KEY: &str = "imshop.key";

pub fn of_head(request: &Parts) -> Addressee {
    let named = request
        .uri
        .query()
        .and_then(|query| params::parse_form(query).ok())
        .and_then(|query| query.non_empty("workspace").map(str::to_owned));
    if let Some(name) = named {
        return Addressee::Named(name);
    }
    let path = request.uri.path().strip_prefix(MOUNT).unwrap_or_default();
    if let Some(id) = path
        .strip_prefix("/runs/")
        .and_then(|rest| rest.split('/').next())
    {
        return Addressee::Text(RUN, id.to_owned());
    }
    key_in(&request.headers).map_or(Addressee::Nobody, |key| {
        Addressee::Text(KEY, key.to_owned())
    })
}

/// The API key a request carries: `Authorization: Bearer` or a `key`
/// header, as IMSHOP may send it.
pub fn key_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .or_else(|| headers.get("key").and_then(|v| v.to_str().ok()))
}

/// The API key of a call to a merchant's webhook (the reference merchant's
/// own requests): in the head, else the body's `key` field.
pub fn of_webhook_call(request: &Parts) -> Addressee {
    key_in(&request.headers).map_or(Addressee::InBody, |key| {
        Addressee::Text(KEY, key.to_owned())
    })
}

/// The `key` field of a webhook call's JSON body.
pub fn of_webhook_body(body: &[u8]) -> Addressee {
    #[derive(serde::Deserialize)]
    struct Keyed {
        key: Option<String>,
    }
    serde_json::from_slice::<Keyed>(body)
        .ok()
        .and_then(|keyed| keyed.key)
        .map_or(Addressee::Nobody, |key| Addressee::Text(KEY, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn head(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_workspace_url_names_it_a_run_page_its_run_and_a_key_its_holder() {
        assert_eq!(
            of_head(&head("/imshop/sync?workspace=ci-42", &[])),
            Addressee::Named("ci-42".into())
        );
        assert_eq!(
            of_head(&head("/imshop/runs/run-0123456789ab/final-url", &[])),
            Addressee::Text(RUN, "run-0123456789ab".into())
        );
        assert_eq!(
            of_head(&head("/imshop/sync", &[("authorization", "Bearer k")])),
            Addressee::Text(KEY, "k".into())
        );
        assert_eq!(of_head(&head("/imshop/runs", &[])), Addressee::Nobody);
    }
}
