//! Bot-facing answers: serialised once per revision, marked stale without re-parsing, and
//! conditional.
//!
//! An answer's JSON is built once and kept with the invalidation epoch at which its build
//! began; while the epoch is unchanged (no invalidation since, here or heard from another
//! instance) and the cache is fresh, every request for it writes those bytes. Its `ETag`
//! is a digest of the bytes, so servers agree on it and an unrelated revision keeps it;
//! `If-None-Match` with it answers `304` with no body. A stale answer (the server cannot
//! vouch for it) is built from the same bytes with `"stale": true`, is never kept, never
//! carries an `ETag` and never answers `304`: its staleness is never hidden.

use crate::domain::ConfigError;
use crate::service::{ConfigService, ReadFrom};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The header that carries a stale answer's age, in whole seconds.
pub const STALE_HEADER: &str = "x-botconfig-stale";

/// How a body says whether it is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marking {
    /// An object that gets `"stale": false`, or `"stale": true` and `"stale_seconds"`.
    InBody,
    /// An object whose keys mean something else (symbols): the header only.
    HeaderOnly,
}

/// One built answer.
pub struct Answer {
    /// The JSON as serialised, without a staleness field.
    body: Bytes,
    /// What a fresh request gets: `body` marked current.
    fresh: Bytes,
    etag: HeaderValue,
    marking: Marking,
    built_at: Instant,
    /// When what it says stops being true by the clock alone (a pause ends): not kept past it.
    valid_until: Option<chrono::DateTime<chrono::Utc>>,
    /// `fresh` gzipped, made on the first request that accepts it (once per revision),
    /// when it is large enough to be worth it; with its own tag.
    gzipped: std::sync::OnceLock<Option<(Bytes, HeaderValue)>>,
}

/// Answers smaller than this are sent as they are.
const COMPRESS_ABOVE: usize = 1024;

impl Answer {
    pub fn new(value: &impl serde::Serialize, marking: Marking) -> Result<Self, ConfigError> {
        let body = serde_json::to_vec(value).map_err(|e| ConfigError::Internal(e.to_string()))?;
        let fresh = match marking {
            Marking::InBody => with_fields(&body, r#""stale":false"#),
            Marking::HeaderOnly => body.clone(),
        };
        let digest = crate::store::accounts::digest_bytes(&fresh);
        let etag = HeaderValue::from_str(&format!("\"{}\"", &digest[..32]))
            .map_err(|e| ConfigError::Internal(e.to_string()))?;
        Ok(Answer {
            body: Bytes::from(body),
            fresh: Bytes::from(fresh),
            etag,
            marking,
            built_at: Instant::now(),
            valid_until: None,
            gzipped: std::sync::OnceLock::new(),
        })
    }

    /// The same answer, kept no later than `until` (`None`: no such limit).
    pub fn valid_until(mut self, until: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        self.valid_until = until;
        self
    }

    fn holds(&self, ttl: Duration) -> bool {
        self.built_at.elapsed() < ttl
            && self
                .valid_until
                .is_none_or(|until| chrono::Utc::now() < until)
    }

    fn gzipped(&self) -> Option<&(Bytes, HeaderValue)> {
        self.gzipped
            .get_or_init(|| {
                use std::io::Write;
                if self.fresh.len() < COMPRESS_ABOVE {
                    return None;
                }
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(&self.fresh).ok()?;
                let bytes = encoder.finish().ok()?;
                let tag = self.etag.to_str().ok()?.trim_end_matches('"');
                let etag = HeaderValue::from_str(&format!("{tag}-gzip\"")).ok()?;
                Some((Bytes::from(bytes), etag))
            })
            .as_ref()
    }

    /// The body as a fresh or stale request gets it (see `respond`).
    pub fn body(&self, staleness: Option<Duration>) -> Bytes {
        match (staleness, self.marking) {
            (None, _) => self.fresh.clone(),
            (Some(age), Marking::InBody) => Bytes::from(with_fields(
                &self.body,
                &format!(
                    r#""stale":true,"stale_seconds":{}"#,
                    age.as_secs_f64().ceil() as u64
                ),
            )),
            (Some(_), Marking::HeaderOnly) => self.body.clone(),
        }
    }

    /// The response to a request with `conditions`, `staleness` being the server's now.
    pub fn respond(&self, conditions: &Conditions, staleness: Option<Duration>) -> Response {
        let Some(age) = staleness else {
            let gzipped = conditions.gzip.then(|| self.gzipped()).flatten();
            let etag = gzipped.map_or(&self.etag, |(_, etag)| etag);
            if conditions.none_match(&self.etag) || conditions.none_match(etag) {
                return (
                    StatusCode::NOT_MODIFIED,
                    [
                        (header::ETAG, etag.clone()),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                        (header::VARY, HeaderValue::from_static("accept-encoding")),
                    ],
                )
                    .into_response();
            }
            return match gzipped {
                Some((bytes, etag)) => {
                    let mut response = json_response(bytes.clone(), Some(etag));
                    response
                        .headers_mut()
                        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                    response
                }
                None => json_response(self.fresh.clone(), Some(&self.etag)),
            };
        };
        let seconds = age.as_secs_f64().ceil() as u64;
        let mut response = json_response(self.body(Some(age)), None);
        response
            .headers_mut()
            .insert(STALE_HEADER, HeaderValue::from(seconds));
        response
    }
}

/// A JSON object's bytes with `fields` added last, without parsing it again.
fn with_fields(object: &[u8], fields: &str) -> Vec<u8> {
    debug_assert!(object.starts_with(b"{") && object.ends_with(b"}"));
    let inner = &object[1..object.len().saturating_sub(1)];
    let mut out = Vec::with_capacity(object.len() + fields.len() + 1);
    out.push(b'{');
    out.extend_from_slice(inner);
    if !inner.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(fields.as_bytes());
    out.push(b'}');
    out
}

fn json_response(body: Bytes, etag: Option<&HeaderValue>) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // No cache in between keeps an answer (it may hold secret settings); a bot that kept
    // it itself revalidates with the tag.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag.clone());
    }
    response
}

/// What a bot-facing read asks of its answer: where it reads from, and the tags it has.
/// Taken from the request's headers without copying the rest of them.
pub struct Conditions {
    from: ReadFrom,
    if_none_match: Vec<HeaderValue>,
    /// Whether the client takes gzip (large answers are sent so).
    gzip: bool,
}

impl Conditions {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Conditions {
            from: read_from(headers),
            gzip: super::assets::accepted_encodings(headers).gzip,
            if_none_match: headers
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .cloned()
                .collect(),
        }
    }

    /// Whether `If-None-Match` names `etag` (or `*`); weak comparison, as RFC 9110 asks.
    fn none_match(&self, etag: &HeaderValue) -> bool {
        let ours = etag.as_bytes();
        self.if_none_match
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == ours)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Conditions {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Conditions::from_headers(&parts.headers))
    }
}

/// Answers built at one invalidation epoch, by what they answer (a path, say).
#[derive(Clone, Default)]
pub struct Answers(Arc<RwLock<Built>>, Arc<Building>);

/// One build at a time per answer: when every stream watcher and every bot asks for the
/// same answer just after a change, one builds it and the others take it, instead of each
/// loading it again. Striped by the key's hash, so the locks are bounded.
struct Building([tokio::sync::Mutex<()>; BUILD_STRIPES]);

const BUILD_STRIPES: usize = 64;

impl Default for Building {
    fn default() -> Self {
        Building(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl Building {
    fn stripe(&self, key: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        &self.0[hasher.finish() as usize % BUILD_STRIPES]
    }
}

#[derive(Default)]
struct Built {
    epoch: u64,
    answers: HashMap<Box<str>, Arc<Answer>>,
}

/// The most answers kept: past it the oldest epoch's are dropped wholesale.
const MAX_ANSWERS: usize = 16_384;

impl Answers {
    fn get(&self, key: &str, epoch: u64, ttl: Duration) -> Option<Arc<Answer>> {
        let built = self.0.read().unwrap_or_else(|e| e.into_inner());
        if built.epoch != epoch {
            return None;
        }
        let answer = built.answers.get(key)?;
        answer.holds(ttl).then(|| answer.clone())
    }

    fn keep(&self, key: &str, epoch: u64, answer: Arc<Answer>) {
        let mut built = self.0.write().unwrap_or_else(|e| e.into_inner());
        if epoch < built.epoch {
            return;
        }
        if epoch > built.epoch || built.answers.len() >= MAX_ANSWERS {
            built.epoch = epoch;
            built.answers.clear();
        }
        built.answers.insert(key.into(), answer);
    }

    /// The answer under `key`: the bytes built at the current epoch if the cache is fresh,
    /// or built now by `build` (from the cache, or from the database for a request that
    /// says `Cache-Control: no-cache`).
    pub async fn answer<F, Fut>(
        &self,
        service: &ConfigService,
        key: &str,
        conditions: &Conditions,
        build: F,
    ) -> Result<Response, ConfigError>
    where
        F: FnOnce(ReadFrom) -> Fut,
        Fut: std::future::Future<Output = Result<Answer, ConfigError>>,
    {
        let (answer, staleness) = self.built(service, key, conditions.from, build).await?;
        Ok(answer.respond(conditions, staleness))
    }

    /// The answer under `key` (kept, or built now), and the server's staleness with it.
    pub async fn built<F, Fut>(
        &self,
        service: &ConfigService,
        key: &str,
        from: ReadFrom,
        build: F,
    ) -> Result<(Arc<Answer>, Option<Duration>), ConfigError>
    where
        F: FnOnce(ReadFrom) -> Fut,
        Fut: std::future::Future<Output = Result<Answer, ConfigError>>,
    {
        let ttl = service.cache_ttl();
        let kept = || {
            (from == ReadFrom::Cache && service.staleness().is_none())
                .then(|| self.get(key, service.cache_epoch(), ttl))
                .flatten()
        };
        if let Some(answer) = kept() {
            return Ok((answer, None));
        }
        // Only an answer that will be kept is worth waiting for: a read from the database,
        // or one made while the server is stale, builds at once (serialized, each would wait
        // on the one before it through an outage).
        let shareable = from == ReadFrom::Cache && service.staleness().is_none();
        let _building = match shareable {
            true => Some(self.1.stripe(key).lock().await),
            false => None,
        };
        // Built by whoever held the lock before.
        if let Some(answer) = kept() {
            return Ok((answer, None));
        }
        let epoch = service.cache_epoch();
        let answer = Arc::new(build(from).await?);
        let staleness = service.staleness();
        if from == ReadFrom::Cache && staleness.is_none() {
            self.keep(key, epoch, answer.clone());
        }
        Ok((answer, staleness))
    }
}

/// Where a bot-facing read goes: `Cache-Control: no-cache` (the original bots'
/// `use_cache=False`) reads from Postgres; anything else from the cache.
pub fn read_from(headers: &HeaderMap) -> ReadFrom {
    let no_cache = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-cache"));
    if no_cache {
        ReadFrom::Database
    } else {
        ReadFrom::Cache
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_fields_are_added_to_the_serialised_object() {
        assert_eq!(
            with_fields(br#"{"a":1}"#, r#""stale":false"#),
            br#"{"a":1,"stale":false}"#
        );
        assert_eq!(
            with_fields(b"{}", r#""stale":false"#),
            br#"{"stale":false}"#
        );
    }

    /// A service over a database it never connects to: the cache alone answers.
    fn offline_service() -> (ConfigService, crate::cache::ConfigManager) {
        let pool = sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap();
        let manager = crate::cache::ConfigManager::new(pool, Default::default());
        (ConfigService::new(manager.clone()), manager)
    }

    #[tokio::test]
    async fn an_answer_is_serialised_once_per_invalidation_epoch() {
        let (service, manager) = offline_service();
        let answers = Answers::default();
        let built = std::sync::atomic::AtomicU64::new(0);
        let read = |headers: HeaderMap| {
            let (answers, service, built) = (&answers, &service, &built);
            async move {
                let response = answers
                    .answer(
                        service,
                        "portfolio",
                        &Conditions::from_headers(&headers),
                        |_| async {
                            let n = built.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            Answer::new(&serde_json::json!({ "build": n }), Marking::InBody)
                        },
                    )
                    .await
                    .unwrap();
                let body = axum::body::to_bytes(response.into_body(), 1024)
                    .await
                    .unwrap();
                String::from_utf8(body.to_vec()).unwrap()
            }
        };
        for _ in 0..100 {
            assert_eq!(read(HeaderMap::new()).await, r#"{"build":0,"stale":false}"#);
        }
        manager.apply_change(&crate::cache::Change::Tokens).await;
        assert_eq!(read(HeaderMap::new()).await, r#"{"build":1,"stale":false}"#);
        assert_eq!(read(HeaderMap::new()).await, r#"{"build":1,"stale":false}"#);
        // A read that asks for the database is built for itself and never kept.
        let mut no_cache = HeaderMap::new();
        no_cache.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        assert_eq!(read(no_cache).await, r#"{"build":2,"stale":false}"#);
        assert_eq!(read(HeaderMap::new()).await, r#"{"build":1,"stale":false}"#);
    }

    #[test]
    fn a_stale_answer_says_so_and_is_never_a_304() {
        let answer = Answer::new(&serde_json::json!({"a": 1}), Marking::InBody).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, answer.etag.clone());
        let conditions = Conditions::from_headers(&headers);
        assert_eq!(
            answer.respond(&conditions, None).status(),
            StatusCode::NOT_MODIFIED
        );
        let stale = answer.respond(&conditions, Some(Duration::from_millis(7200)));
        assert_eq!(stale.status(), StatusCode::OK);
        assert_eq!(stale.headers()[STALE_HEADER], "8");
        assert!(stale.headers().get(header::ETAG).is_none());
        assert_eq!(stale.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn a_large_answer_goes_gzipped_to_a_client_that_takes_it() {
        use std::io::Read;
        let large: Vec<u32> = (0..2000).collect();
        let answer = Answer::new(&serde_json::json!({ "values": large }), Marking::InBody).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let conditions = Conditions::from_headers(&headers);
        let response = answer.respond(&conditions, None);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        let etag = response.headers()[header::ETAG].clone();
        assert_ne!(etag, answer.etag);
        let body = futures::executor::block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .unwrap();
        assert!(body.len() < answer.fresh.len() / 2);
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, answer.fresh);
        // Its tag revalidates; a client without gzip gets the bytes as they are.
        headers.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            answer
                .respond(&Conditions::from_headers(&headers), None)
                .status(),
            StatusCode::NOT_MODIFIED
        );
        let plain = answer.respond(&Conditions::from_headers(&HeaderMap::new()), None);
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        // A small answer is not worth it.
        let small = Answer::new(&serde_json::json!({"a": 1}), Marking::InBody).unwrap();
        assert!(small
            .respond(&conditions, None)
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_none());
    }

    #[test]
    fn if_none_match_matches_strong_weak_listed_and_any() {
        let etag = HeaderValue::from_static("\"abc\"");
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            Conditions::from_headers(&headers).none_match(&etag)
        };
        assert!(with("\"abc\""));
        assert!(with("W/\"abc\""));
        assert!(with("\"x\", \"abc\""));
        assert!(with("*"));
        assert!(!with("\"abd\""));
        assert!(!with("abc"));
        assert!(!Conditions::from_headers(&HeaderMap::new()).none_match(&etag));
    }
}
