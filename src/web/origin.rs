//! Refusing cross-site posts: a browser sends `Origin` (and
//! `Sec-Fetch-Site`) with every form post, so a page elsewhere cannot reset
//! or arm anything in a sandbox a developer has open. curl, CI scripts and
//! SDKs send neither, so they are unaffected.

use axum::http::{HeaderMap, header};

/// A post that a browser says came from another site.
#[derive(Debug, thiserror::Error)]
#[error("cross-site form posts are refused")]
pub struct CrossSite;

/// Refuses a post that a browser says came from another origin.
pub fn same_origin(headers: &HeaderMap) -> Result<(), CrossSite> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(CrossSite);
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        if origin == "null" || origin_host != host {
            return Err(CrossSite);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_posts_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        headers.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&headers).is_ok());
        headers.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(same_origin(&headers).is_err());
        headers.remove(header::ORIGIN);
        headers.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(same_origin(&headers).is_err());
    }
}
