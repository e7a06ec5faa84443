//! `GET /api/v1/stream`: the change feed as server-sent events (see `cache::feed` for the
//! guarantees). Every event's `id` is its revision, so a client that reconnects with
//! `Last-Event-ID` (as `EventSource` does by itself) resumes after it.
//!
//! - `start`: the revision the stream starts at (no resume point was given);
//! - `change`: `{"revision": N, "changes": [{"kind": "pair", "symbol": "BTC/USDT"}, ...]}`,
//!   on an unfiltered stream with `"snapshot"`: what `/api/v1/snapshot?pairs=` answers for
//!   the pairs it touched, when it touched only pairs and settings;
//! - `reset`: `{"revision": N}`: what changed up to N is not known here; refetch everything;
//! - `refused`: `{"error": ...}`: the caller's token was revoked or expired; the stream ends.
//!
//! `?pairs=BTC/USDT,ETH/USDT` sends only the changes that touch those pairs (a strategy's
//! definition and "everything" touch every pair), and every reset.

use crate::cache::feed::{FeedEvent, Watch};
use crate::cache::Change;
use crate::domain::pair::Symbol;
use crate::domain::ConfigError;
use crate::http::{Answers, ApiCaller, ApiError};
use crate::service::ConfigService;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often an idle stream says it is alive: a comment line with the feed's revision and
/// how long ago the server last confirmed its cache, e.g.
/// `: heartbeat revision=42 confirmed_ms=180 stale=false`. A client that holds revision 42
/// is thereby confirmed current as of 180 ms before the line was sent; one that holds less
/// missed an event and refetches. Comments carry no id, so `Last-Event-ID` is unaffected.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StreamQuery {
    /// Comma-separated symbols: only the changes that touch them.
    pairs: Option<String>,
}

/// Which changes a watcher is sent.
struct Filter(Option<BTreeSet<Symbol>>);

impl Filter {
    fn parse(pairs: Option<&str>) -> Result<Self, ConfigError> {
        let Some(pairs) = pairs else {
            return Ok(Filter(None));
        };
        let symbols = super::symbols_in(pairs)?;
        if symbols.is_empty() {
            return Err(ConfigError::invalid(
                "pairs",
                "names no pair: give symbols separated by commas, e.g. BTC/USDT,ETH/USDT",
            ));
        }
        Ok(Filter(Some(symbols)))
    }

    fn touches(&self, change: &Change) -> bool {
        let Some(symbols) = &self.0 else {
            return true;
        };
        let named = |symbol: &str| Symbol::parse(symbol).is_ok_and(|s| symbols.contains(&s));
        match change {
            Change::Pair { symbol }
            | Change::PairStrategy { symbol, .. }
            | Change::PairRisk { symbol } => named(symbol),
            Change::Strategy { .. } | Change::Everything => true,
            Change::Setting { .. } | Change::Tokens => false,
        }
    }

    /// The event to send for `event`, if any.
    fn event(&self, event: &FeedEvent) -> Option<Event> {
        match event {
            FeedEvent::Changes { revision, changes } => {
                let changes: Vec<&Change> = changes.iter().filter(|c| self.touches(c)).collect();
                if self.0.is_some() && changes.is_empty() {
                    return None;
                }
                Some(sse(
                    "change",
                    *revision,
                    json!({ "revision": revision, "changes": changes }),
                ))
            }
            FeedEvent::Reset { revision } => {
                Some(sse("reset", *revision, json!({ "revision": revision })))
            }
        }
    }
}

fn sse(name: &str, revision: u64, data: serde_json::Value) -> Event {
    Event::default()
        .event(name)
        .id(revision.to_string())
        .data(data.to_string())
}

/// The resume point a reconnecting client names.
fn last_event_id(headers: &HeaderMap) -> Result<Option<u64>, ConfigError> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    text.parse().map(Some).map_err(|_| {
        ConfigError::invalid(
            "Last-Event-ID",
            format!("must be a revision (a whole number), not {text:?}"),
        )
    })
}

struct Watcher {
    service: ConfigService,
    watch: Watch,
    filter: Filter,
    /// The revision of the last event accounted for: nothing at or before it is sent again.
    after: u64,
    /// The `start` event, until it is sent.
    start: Option<Event>,
    /// The caller's bearer token, checked again at every heartbeat and after every change
    /// to the tokens: a revoked or expired token's stream ends with a `refused` event.
    token: Option<String>,
    /// Set once the `refused` event is sent: the stream ends.
    ended: bool,
    /// Where the partial snapshots a change event carries are kept, and whether this
    /// caller's include secret settings.
    answers: Answers,
    reads_secrets: bool,
}

impl Watcher {
    fn heartbeat(&self) -> Event {
        let health = self.service.listener_health();
        // What this stream has accounted for, not the feed's latest: an event published a
        // moment ago may still be on its way to this watcher.
        let revision = self.after;
        // The server vouches for what it applied; this stream vouches for it only once it
        // has sent all of it.
        let confirmed = health
            .confirmed_millis_ago
            .filter(|_| revision >= health.applied_revision)
            .map_or_else(|| "none".to_owned(), |ms| ms.to_string());
        Event::default().comment(format!(
            "heartbeat revision={revision} confirmed_ms={confirmed} stale={}",
            health.stale
        ))
    }

    /// The `refused` event, if the caller's token no longer grants reading. The grant is
    /// cached (no database work) until the tokens change; an unreachable database keeps
    /// the stream going, as it keeps the token's other reads going.
    async fn refusal(&mut self) -> Option<Event> {
        let token = self.token.as_deref()?;
        match self.service.token_grant(token).await {
            Err(ConfigError::NotFound(_)) => {
                self.ended = true;
                Some(Event::default().event("refused").data(
                    json!({ "error": "this token is unknown, revoked or expired" }).to_string(),
                ))
            }
            _ => None,
        }
    }

    /// An unfiltered change event with what it touched: the partial snapshot of its pairs
    /// (with the settings and the portfolio), so that a client replica applies it without
    /// asking; built once per revision for every watcher. `None` when the change is not
    /// one a partial snapshot covers (a strategy's definition, everything, too many
    /// pairs) or cannot be built now: the plain event goes out, and the client asks.
    async fn with_snapshot(&self, event: &FeedEvent) -> Option<Event> {
        let FeedEvent::Changes { revision, changes } = event else {
            return None;
        };
        if self.filter.0.is_some() {
            return None;
        }
        let mut symbols = BTreeSet::new();
        let mut touched = false;
        for change in changes {
            match change {
                Change::Pair { symbol }
                | Change::PairStrategy { symbol, .. }
                | Change::PairRisk { symbol } => {
                    symbols.insert(Symbol::parse(symbol).ok()?);
                }
                Change::Setting { .. } => touched = true,
                Change::Tokens => {}
                Change::Strategy { .. } | Change::Everything => return None,
            }
        }
        if (symbols.is_empty() && !touched) || symbols.len() > super::snapshot::MAX_PAIRS {
            return None;
        }
        let snapshot =
            super::snapshot::partial(&self.service, &self.answers, self.reads_secrets, &symbols)
                .await
                .ok()?;
        let changes = serde_json::to_string(changes).ok()?;
        let snapshot = std::str::from_utf8(&snapshot).ok()?;
        Some(
            Event::default()
                .event("change")
                .id(revision.to_string())
                .data(format!(
                    r#"{{"revision":{revision},"changes":{changes},"snapshot":{snapshot}}}"#
                )),
        )
    }

    async fn next(&mut self) -> Option<Event> {
        if self.ended || self.service.feed().is_closed() {
            return None;
        }
        if let Some(start) = self.start.take() {
            return Some(start);
        }
        loop {
            let event: Arc<FeedEvent> = if self.watch.backlog.is_empty() {
                let Ok(received) = tokio::time::timeout(HEARTBEAT, self.watch.live.recv()).await
                else {
                    if self.service.feed().is_closed() {
                        return None;
                    }
                    if let Some(refused) = self.refusal().await {
                        return Some(refused);
                    }
                    return Some(self.heartbeat());
                };
                match received {
                    Ok(event) => event,
                    Err(RecvError::Lagged(_)) => {
                        // This watcher fell behind the broadcast: what it missed is not
                        // resent; it is told to refetch, as of the feed's latest revision.
                        let revision = self.service.feed().latest();
                        self.after = revision;
                        return self.filter.event(&FeedEvent::Reset { revision });
                    }
                    Err(RecvError::Closed) => return None,
                }
            } else {
                self.watch.backlog.pop_front().expect("not empty")
            };
            if event.revision() <= self.after {
                continue;
            }
            self.after = event.revision();
            let tokens_changed = matches!(&*event, FeedEvent::Reset { .. })
                || matches!(&*event, FeedEvent::Changes { changes, .. } if changes.contains(&Change::Tokens));
            if tokens_changed {
                if let Some(refused) = self.refusal().await {
                    return Some(refused);
                }
            }
            if let Some(sse) = self.with_snapshot(&event).await {
                return Some(sse);
            }
            if let Some(sse) = self.filter.event(&event) {
                return Some(sse);
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "bots",
    params(("pairs" = Option<String>, Query, description = "Only the changes touching these symbols, comma-separated"), ("Last-Event-ID" = Option<u64>, Header, description = "Resume after this revision")),
    responses((status = 200, description = "Server-sent events: start, change (one per committed revision) and reset; every id is a revision", content_type = "text/event-stream", body = String), (status = 422, description = "A bad pairs filter or Last-Event-ID", body = Object), crate::http::error::Refusals),
    security(("read_token" = []))
)]
pub(super) async fn stream(
    State(service): State<ConfigService>,
    State(answers): State<Answers>,
    Query(query): Query<StreamQuery>,
    caller: ApiCaller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let filter = Filter::parse(query.pairs.as_deref())?;
    let resume = last_event_id(&headers)?;
    let watch = service.feed().watch(resume);
    let start = match resume {
        Some(_) => None,
        None => Some(sse(
            "start",
            watch.revision,
            json!({ "revision": watch.revision }),
        )),
    };
    let after = resume.unwrap_or(watch.revision);
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let watcher = Watcher {
        service,
        watch,
        filter,
        after,
        start,
        token,
        ended: false,
        answers,
        reads_secrets: caller.reads_secrets,
    };
    super::fleet::note_stream_client(&watcher.service, &headers);
    Ok(Sse::new(events(watcher)).into_response())
}

fn events(watcher: Watcher) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(watcher, |mut watcher| async move {
        let event = watcher.next().await?;
        Some((Ok(event), watcher))
    })
}
