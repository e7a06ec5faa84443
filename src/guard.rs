//! Which requests the server answers at all, before any page, server function or API
//! handler sees them.
//!
//! - **Host**: only the names the console is meant to be reached by (the listen address,
//!   `localhost`, `127.0.0.1`, `[::1]`, and `BOTCONFIG_ALLOWED_HOSTS`). A page on another
//!   site that rebinds its DNS name to this machine sends its own name and gets 421.
//! - **Origin**: a state-changing request (anything but GET, HEAD, OPTIONS) must say it
//!   comes from this console: its `Origin` header, or when absent its `Referer`, must be
//!   this server's own origin. Browsers always send one of them on a cross-site POST, so a
//!   form on another site gets 403 and changes nothing. Tools (the CLI) send `Origin` too.
//! - **Bearer tokens**: an API request that carries `Authorization: Bearer` is a script's,
//!   not a browser's (browsers never attach it by themselves), so it needs no Origin.
//! - **Headers**: every answer says not to sniff types, frame it, or leak its address in
//!   referrers; pages carry a Content-Security-Policy with this response's nonce (set in
//!   `app::shell`), everything else one that allows nothing.
//! - **JSON**: the REST API's writes require `Content-Type: application/json`, which no
//!   cross-site form can send without a CORS preflight this server never grants.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;

/// The names this server answers to.
#[derive(Debug, Clone)]
pub struct RequestPolicy {
    /// Lower-case `host` or `host:port`; a bare host allows any port.
    allowed_hosts: Arc<Vec<String>>,
    /// The scheme browsers reach the console by: `https` behind TLS, else `http`.
    scheme: &'static str,
}

impl RequestPolicy {
    pub fn new(listen: SocketAddr, extra_hosts: &[String]) -> Self {
        let listen_host = match listen.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let mut allowed: Vec<String> = vec![
            "localhost".into(),
            "127.0.0.1".into(),
            "[::1]".into(),
            listen_host,
        ];
        allowed.extend(
            extra_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        );
        allowed.dedup();
        RequestPolicy {
            allowed_hosts: Arc::new(allowed),
            scheme: "http",
        }
    }

    /// The console is reached over HTTPS (`BOTCONFIG_SECURE_COOKIES`): only an `https`
    /// origin is its own.
    pub fn over_https(mut self, https: bool) -> Self {
        self.scheme = if https { "https" } else { "http" };
        self
    }

    /// Whether `host` (a `Host` header: `name` or `name:port`) is one of ours.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let name = host_name(&host);
        self.allowed_hosts
            .iter()
            .any(|allowed| *allowed == host || allowed == name)
    }
}

/// `name` of `name:port` (`[v6]:port` keeps its brackets).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.split(':').next().unwrap_or(host)
}

/// The origin (`scheme://host[:port]`) of an `Origin` or `Referer` value.
fn origin_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then_some((scheme, authority))
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message, "fields": [] }))).into_response()
}

/// Whether a state-changing request says it comes from this console, reached as `host`
/// by `scheme`.
fn same_origin(headers: &HeaderMap, scheme: &str, host: &str) -> Result<(), String> {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("<unreadable>"));
    let Some(claimed) = claimed else {
        return Err(
            "refused: a request that changes something must carry an Origin (or Referer) header naming this console"
                .into(),
        );
    };
    match origin_of(claimed) {
        Some((claimed_scheme, authority))
            if claimed_scheme.eq_ignore_ascii_case(scheme)
                && authority.eq_ignore_ascii_case(host) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "refused: this request comes from another site ({claimed}), not from the console at {host}"
        )),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The middleware: applies the policy to every request.
pub async fn guard(
    State(policy): State<RequestPolicy>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    let Some(host) = host else {
        return refuse(StatusCode::BAD_REQUEST, "refused: no Host header".into());
    };
    if !policy.allows_host(&host) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!("refused: this server does not answer to the name {host} (see BOTCONFIG_ALLOWED_HOSTS)"),
        );
    }
    let method = request.method();
    if !(method == Method::GET || method == Method::HEAD || method == Method::OPTIONS) {
        let token_bearing = request.uri().path().starts_with("/api/v1/")
            && request.headers().contains_key(header::AUTHORIZATION);
        if let Err(message) = same_origin(request.headers(), policy.scheme, &host).or_else(|e| {
            if token_bearing {
                Ok(())
            } else {
                Err(e)
            }
        }) {
            tracing::warn!(%host, path = %request.uri().path(), "{message}");
            return refuse(StatusCode::FORBIDDEN, message);
        }
        // A DELETE carries no body to type (and no form can send one cross-site).
        let bodiless_delete = method == Method::DELETE
            && request
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|length| length == "0")
            && !request.headers().contains_key(header::TRANSFER_ENCODING);
        if request.uri().path().starts_with("/api/v1/")
            && !bodiless_delete
            && !is_json(request.headers())
        {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "refused: the API's writes take Content-Type: application/json".into(),
            );
        }
    }
    next.run(request).await
}

/// Headers every answer carries. Everything but the bundle and static files is also
/// `no-store`: pages show configuration and one-time tokens that no cache should keep.
pub async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let static_file = path.starts_with("/pkg/") || path == "/favicon.ico";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !static_file && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    // Pages set their own (with the nonce of their inline scripts); nothing else runs code.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RequestPolicy {
        RequestPolicy::new(
            "127.0.0.1:3000".parse().unwrap(),
            &["Console.Example:8443".into(), "ops.example".into()],
        )
    }

    #[test]
    fn hosts_by_name_and_port() {
        let p = policy();
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "console.example:8443",
            "ops.example:1234",
        ] {
            assert!(p.allows_host(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "console.example:9999",
            "127.0.0.1.attacker.example",
            "localhost.attacker.example:3000",
        ] {
            assert!(!p.allows_host(bad), "{bad}");
        }
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut headers = HeaderMap::new();
        let same_origin = |h: &HeaderMap, host: &str| same_origin(h, "http", host);
        assert!(same_origin(&headers, "127.0.0.1:3000").is_err());
        headers.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&headers, "127.0.0.1:3000").is_ok());
        assert!(same_origin(&headers, "localhost:3000").is_err());
        headers.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(same_origin(&headers, "127.0.0.1:3000").is_err());
        headers.remove(header::ORIGIN);
        headers.insert(
            header::REFERER,
            "http://127.0.0.1:3000/system?x=1".parse().unwrap(),
        );
        assert!(same_origin(&headers, "127.0.0.1:3000").is_ok());
        headers.insert(
            header::REFERER,
            "https://evil.example/http://127.0.0.1:3000/"
                .parse()
                .unwrap(),
        );
        assert!(same_origin(&headers, "127.0.0.1:3000").is_err());
    }

    #[test]
    fn origins_must_match_the_scheme_too() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, "https://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&headers, "http", "127.0.0.1:3000").is_err());
        assert!(same_origin(&headers, "https", "127.0.0.1:3000").is_ok());
        headers.insert(header::ORIGIN, "http://127.0.0.1:3000".parse().unwrap());
        assert!(same_origin(&headers, "https", "127.0.0.1:3000").is_err());
    }
}
