//! Following the server: the event stream, each event applied, and the fleet reports.

use crate::http::{HttpError, Response};
use crate::replica::{
    load_snapshot, Change, Failure, Inner, HEARTBEAT_PREFIX, LIBRARY, STREAM_READ_TIMEOUT,
};
use crate::state::Snapshot;
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

impl Inner {
    pub(crate) fn follow(&self) {
        let mut backoff = Duration::from_millis(50);
        let mut need_snapshot = false;
        let mut first = true;
        while !self.closing.load(Ordering::Relaxed) {
            if !first {
                self.counters.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            first = false;
            let outcome = (|| -> Result<(), Failure> {
                if need_snapshot {
                    self.reload()?;
                    need_snapshot = false;
                }
                let headers = [
                    ("Last-Event-ID", self.state.load().revision.to_string()),
                    ("X-Botconfig-Client", self.client_header()),
                    ("Accept", "text/event-stream".to_owned()),
                ];
                let response = self.endpoint.stream(&headers, STREAM_READ_TIMEOUT)?;
                self.connected.store(true, Ordering::Relaxed);
                backoff = Duration::from_millis(50);
                need_snapshot = self.read_events(response)?;
                Ok(())
            })();
            match outcome {
                Ok(()) => {}
                Err(Failure::Refused(reason)) => {
                    self.stop(reason);
                    return;
                }
                Err(Failure::Retry(_)) => {
                    self.connected.store(false, Ordering::Relaxed);
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    /// Applies events until the stream asks for a snapshot (returns true) or breaks.
    pub(crate) fn read_events(&self, response: Response) -> Result<bool, Failure> {
        let mut reader = BufReader::new(response);
        let (mut kind, mut data) = (String::from("message"), String::new());
        let mut line = String::new();
        loop {
            if self.closing.load(Ordering::Relaxed) {
                return Ok(false);
            }
            line.clear();
            let read = reader
                .read_line(&mut line)
                .map_err(|e| Failure::Retry(format!("the stream broke: {e}")))?;
            if read == 0 {
                return Err(Failure::Retry("the stream ended".into()));
            }
            let text = line.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if !data.is_empty() {
                    let snapshot_needed = self.on_event(&kind, &data)?;
                    if snapshot_needed {
                        return Ok(true);
                    }
                }
                kind = "message".into();
                data.clear();
            } else if let Some(comment) = text.strip_prefix(':') {
                if self.on_comment(comment.trim(), Instant::now()) {
                    return Ok(true);
                }
            } else {
                let (field, value) = text.split_once(':').unwrap_or((text, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => kind = value.to_owned(),
                    "data" => {
                        if !data.is_empty() {
                            data.push('\n');
                        }
                        data.push_str(value);
                    }
                    _ => {}
                }
            }
        }
    }

    /// A heartbeat: confirms the replica, or reveals a gap (returns true).
    pub(crate) fn on_comment(&self, text: &str, received: Instant) -> bool {
        let Some(fields) = text.strip_prefix(HEARTBEAT_PREFIX) else {
            return false;
        };
        let field = |name: &str| {
            fields
                .split_whitespace()
                .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
        };
        let Some(revision) = field("revision").and_then(|r| r.parse::<u64>().ok()) else {
            return false;
        };
        if revision > self.state.load().revision {
            self.counters.gaps.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        if field("stale") == Some("false") {
            if let Some(ms) = field("confirmed_ms").and_then(|m| m.parse::<u64>().ok()) {
                if let Some(at) = received.checked_sub(Duration::from_millis(ms)) {
                    self.confirm(at);
                }
            }
        }
        false
    }

    /// One event; returns whether a snapshot is needed.
    pub(crate) fn on_event(&self, kind: &str, data: &str) -> Result<bool, Failure> {
        match kind {
            "change" => self.on_change(data),
            "reset" => {
                self.counters.resets.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            "refused" => Err(Failure::Refused(format!(
                "the server ended the stream: {data}"
            ))),
            _ => Ok(false),
        }
    }

    pub(crate) fn on_change(&self, data: &str) -> Result<bool, Failure> {
        #[derive(Deserialize)]
        struct Event {
            revision: u64,
            #[serde(default)]
            changes: Vec<Change>,
            /// What the revision touched, as `/api/v1/snapshot?pairs=` answers it.
            #[serde(default)]
            snapshot: Option<Box<serde_json::value::RawValue>>,
        }
        let received = Instant::now();
        let event: Event = serde_json::from_str(data)
            .map_err(|e| Failure::Retry(format!("a change event that does not parse: {e}")))?;
        let current = self.state.load_full();
        if event.revision <= current.revision {
            return Ok(false);
        }
        if event.revision != current.revision + 1 {
            self.counters.gaps.fetch_add(1, Ordering::Relaxed);
            return Ok(true);
        }
        let mut symbols = Vec::new();
        let mut touched = false;
        for change in &event.changes {
            match change.kind.as_str() {
                "pair" | "pair_strategy" | "pair_risk" => match change.symbol.as_deref() {
                    Some(symbol) if symbol.contains('/') && !symbol.contains('*') => {
                        symbols.push(symbol.to_owned());
                        touched = true;
                    }
                    _ => return self.reload_at_least(event.revision, &event.changes),
                },
                "setting" => touched = true,
                "tokens" => {}
                // A strategy's definition, everything, or a kind not known here.
                _ => return self.reload_at_least(event.revision, &event.changes),
            }
        }
        self.counters.events.fetch_add(1, Ordering::Relaxed);
        if !touched {
            let mut next = (*current).clone();
            next.revision = event.revision;
            self.install(next, Some(received), &event.changes);
            return Ok(false);
        }
        // What this revision touched: those pairs, the settings and the portfolio (built
        // once by the server for every replica applying it). The server sends it with the
        // event; a server that does not is asked.
        symbols.sort();
        symbols.dedup();
        let body = match &event.snapshot {
            Some(snapshot) => snapshot.get().as_bytes().to_vec(),
            None => {
                let path = format!(
                    "/api/v1/snapshot?pairs={}",
                    symbols.join(",").replace('/', "%2F")
                );
                let timeout = self.options.request_timeout;
                let (status, body) = self.endpoint.request("GET", &path, None, timeout)?;
                if status != 200 {
                    return Err(Failure::Retry(format!("{path} answered {status}")));
                }
                body
            }
        };
        let (partial, stale) = Snapshot::parse(&body).map_err(Failure::Retry)?;
        let mut pairs = current.pairs.clone();
        for symbol in &symbols {
            match partial.pairs.get(symbol) {
                Some(config) => pairs.insert(symbol.clone(), config.clone()),
                None => pairs.remove(symbol),
            };
        }
        let next = Snapshot::build(event.revision, pairs, partial.settings, partial.portfolio);
        self.install(next, (!stale).then_some(received), &event.changes);
        Ok(false)
    }

    /// Reloads everything; the content includes `revision` (the server applies a change
    /// before it publishes it), so the stream resumes after it.
    pub(crate) fn reload_at_least(
        &self,
        revision: u64,
        changes: &[Change],
    ) -> Result<bool, Failure> {
        let asked = Instant::now();
        let (mut snapshot, stale) = load_snapshot(&self.endpoint, self.options.request_timeout)?;
        self.counters.snapshots.fetch_add(1, Ordering::Relaxed);
        self.counters.events.fetch_add(1, Ordering::Relaxed);
        snapshot.revision = snapshot.revision.max(revision);
        self.install(snapshot, (!stale).then_some(asked), changes);
        Ok(false)
    }

    pub(crate) fn report(&self) {
        loop {
            std::thread::sleep(self.options.report_interval);
            if self.closing.load(Ordering::Relaxed) {
                return;
            }
            let age = self.age();
            let body = serde_json::json!({
                "instance": self.instance,
                "name": self.options.name.chars().take(200).collect::<String>(),
                "host": self.host.chars().take(200).collect::<String>(),
                "library": LIBRARY,
                "revision": self.state.load().revision,
                "confirmed_age_ms": (age != Duration::MAX).then_some(age.as_millis() as u64),
                "stale": age > self.options.max_staleness,
            });
            let sent = self.endpoint.request(
                "POST",
                "/api/v1/fleet/heartbeat",
                Some(body.to_string().as_bytes()),
                self.options.request_timeout,
            );
            if let Err(HttpError::Refused(reason)) = sent {
                self.stop(reason);
                return;
            }
        }
    }
}
