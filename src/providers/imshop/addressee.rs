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
    let key = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .or_else(|| request.headers.get("key").and_then(|v| v.to_str().ok()));
    key.map_or(Addressee::Nobody, |key| {
        Addressee::Text(KEY, key.to_owned())
    })
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
