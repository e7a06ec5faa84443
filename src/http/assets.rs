//! The console's static files (the WASM bundle, its JS and CSS, the favicon), served from
//! memory: read once at start, with the brotli and gzip copies `cargo leptos build
//! --release --precompress` writes beside each file, picked by `Accept-Encoding`.
//!
//! With `hash-files` (a release build), every file under `/pkg/` has its content's hash
//! in its name, so it is `immutable` for a year; anything else is revalidated with its
//! `ETag`.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One file: its bytes as they are and as precompressed, if they were.
struct Asset {
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
    content_type: &'static str,
    cache_control: &'static str,
    etag: String,
}

/// Every static file, by its URL path.
#[derive(Clone, Default)]
pub struct Assets(Arc<HashMap<String, Asset>>);

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "public, no-cache";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "ico" => "image/x-icon",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

impl Assets {
    /// The files under `site_root`: `pkg/` (the bundle, hashed names when `hashed`) and
    /// the top-level files (the favicon). A missing site (a test, no build yet) is empty.
    pub fn load(site_root: &Path, pkg_dir: &str, hashed: bool) -> Assets {
        let mut files = HashMap::new();
        let mut add = |dir: &Path, prefix: &str, cache_control: &'static str| {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if !path.is_file() || name.ends_with(".br") || name.ends_with(".gz") {
                    continue;
                }
                let Ok(identity) = std::fs::read(&path) else {
                    continue;
                };
                let sibling = |ext: &str| {
                    std::fs::read(format!("{}.{ext}", path.display()))
                        .ok()
                        .filter(|copy| copy.len() < identity.len())
                        .map(Bytes::from)
                };
                let digest = crate::store::accounts::digest_bytes(&identity);
                let url = format!("{prefix}/{name}");
                files.insert(
                    url.clone(),
                    Asset {
                        brotli: sibling("br"),
                        gzip: sibling("gz"),
                        identity: Bytes::from(identity),
                        content_type: content_type(&url),
                        cache_control,
                        etag: format!("\"{}\"", &digest[..32]),
                    },
                );
            }
        };
        let pkg_cache = if hashed { IMMUTABLE } else { REVALIDATE };
        add(&site_root.join(pkg_dir), &format!("/{pkg_dir}"), pkg_cache);
        add(site_root, "", REVALIDATE);
        if files.is_empty() {
            tracing::debug!(site = %site_root.display(), "no static files to serve");
        }
        Assets(Arc::new(files))
    }

    /// The response for `path`: the encoding the client prefers of those there are, `304`
    /// for a tag it already has, 404 for a file there is not.
    pub fn respond(&self, path: &str, headers: &HeaderMap) -> Response {
        let Some(asset) = self.0.get(path) else {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        };
        let accepted = accepted_encodings(headers);
        let (body, encoding) = match (&asset.brotli, &asset.gzip) {
            (Some(br), _) if accepted.brotli => (br.clone(), Some("br")),
            (_, Some(gz)) if accepted.gzip => (gz.clone(), Some("gzip")),
            _ => (asset.identity.clone(), None),
        };
        let etag = match encoding {
            Some(encoding) => format!("{}-{encoding}\"", asset.etag.trim_end_matches('"')),
            None => asset.etag.clone(),
        };
        let not_modified = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Response::new(Body::from(body))
        };
        let out = response.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        out.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(asset.cache_control),
        );
        out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            out.insert(header::ETAG, etag);
        }
        if let Some(encoding) = encoding {
            out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }

    /// How many files, and their bytes as sent uncompressed.
    #[cfg(test)]
    fn census(&self) -> (usize, usize) {
        (
            self.0.len(),
            self.0.values().map(|a| a.identity.len()).sum(),
        )
    }
}

pub(super) struct Accepted {
    pub(super) brotli: bool,
    pub(super) gzip: bool,
}

/// Which of brotli and gzip `Accept-Encoding` allows (a `q=0` refuses one).
pub(super) fn accepted_encodings(headers: &HeaderMap) -> Accepted {
    let mut accepted = Accepted {
        brotli: false,
        gzip: false,
    };
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        for item in value.to_str().unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            match name {
                "br" => accepted.brotli = !refused,
                "gzip" => accepted.gzip = !refused,
                "*" if !refused => {
                    accepted.brotli = true;
                    accepted.gzip = true;
                }
                _ => {}
            }
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/app.abc.wasm"), vec![7u8; 4000]).unwrap();
        std::fs::write(dir.path().join("pkg/app.abc.wasm.br"), b"brotli").unwrap();
        std::fs::write(dir.path().join("pkg/app.abc.wasm.gz"), b"gzipped").unwrap();
        std::fs::write(dir.path().join("pkg/app.abc.css"), b"body{}").unwrap();
        std::fs::write(dir.path().join("favicon.ico"), b"icon").unwrap();
        dir
    }

    fn get(assets: &Assets, path: &str, accept: &str) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        assets.respond(path, &headers)
    }

    #[test]
    fn the_preferred_precompressed_copy_is_sent_and_hashed_files_are_immutable() {
        let dir = site();
        let assets = Assets::load(dir.path(), "pkg", true);
        assert_eq!(assets.census().0, 3);
        let br = get(&assets, "/pkg/app.abc.wasm", "gzip, deflate, br");
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(br.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(br.headers()[header::VARY], "accept-encoding");
        let gz = get(&assets, "/pkg/app.abc.wasm", "gzip, br;q=0");
        assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
        let plain = get(&assets, "/pkg/app.abc.wasm", "identity");
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_ne!(plain.headers()[header::ETAG], br.headers()[header::ETAG]);
        // No copy beside it: sent as it is.
        let css = get(&assets, "/pkg/app.abc.css", "br");
        assert!(css.headers().get(header::CONTENT_ENCODING).is_none());
        let icon = get(&assets, "/favicon.ico", "br");
        assert_eq!(icon.headers()[header::CACHE_CONTROL], REVALIDATE);
        assert_eq!(
            get(&assets, "/pkg/nothing.js", "br").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&assets, "/pkg/app.abc.wasm.br", "br").status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn a_tag_the_client_has_answers_304() {
        let dir = site();
        let assets = Assets::load(dir.path(), "pkg", false);
        let first = get(&assets, "/pkg/app.abc.wasm", "br");
        assert_eq!(first.headers()[header::CACHE_CONTROL], REVALIDATE);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
        headers.insert(header::IF_NONE_MATCH, first.headers()[header::ETAG].clone());
        assert_eq!(
            assets.respond("/pkg/app.abc.wasm", &headers).status(),
            StatusCode::NOT_MODIFIED
        );
    }
}
