//! The change feed: every committed revision's changes as this server's listener applied
//! them, for watchers (`GET /api/v1/stream`), with etcd's watch guarantees:
//!
//! - events come in revision order, one per revision, and a revision's changes are never
//!   split over two events (the listener holds them until the revision's commit marker,
//!   see `migrations/*_watch.sql`);
//! - no revision is skipped between two events a watcher receives: where this server
//!   cannot say what changed (it missed notifications, or a watcher fell behind the
//!   broadcast), the watcher gets an explicit `Reset` (refetch everything) instead;
//! - a watcher resuming from a revision gets every revision after it from a bounded ring of
//!   recent ones, or, if that revision is older than the ring holds, a `Reset`.
//!
//! Events are published after their invalidations are applied, so a read made on hearing
//! one sees at least that revision.

use super::keys::Change;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How many recent revisions a watcher can resume from.
pub const RING_CAPACITY: usize = 4096;

/// How many events a watcher may fall behind the live broadcast before it gets a reset.
const BROADCAST_CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// What one committed revision changed (an empty list: nothing a cache holds).
    Changes { revision: u64, changes: Vec<Change> },
    /// What changed up to `revision` is not known here: refetch everything.
    Reset { revision: u64 },
}

impl FeedEvent {
    pub fn revision(&self) -> u64 {
        match self {
            FeedEvent::Changes { revision, .. } | FeedEvent::Reset { revision } => *revision,
        }
    }
}

/// Where a new watcher starts (see [`Feed::watch`]).
pub struct Watch {
    /// The revision the feed is at: a watcher without a resume point starts here.
    pub revision: u64,
    /// The events after the resume point, from the ring (or one reset).
    pub backlog: VecDeque<Arc<FeedEvent>>,
    /// Every event published after `backlog`.
    pub live: broadcast::Receiver<Arc<FeedEvent>>,
}

struct State {
    /// Whether the listener has told the feed where it starts.
    started: bool,
    /// The latest revision published (or started at).
    latest: u64,
    /// The ring holds every revision after this one, up to `latest`.
    complete_after: u64,
    ring: VecDeque<Arc<FeedEvent>>,
    /// The revision whose changes are arriving, until its commit marker.
    collecting: Option<(u64, Vec<Change>)>,
}

pub struct Feed {
    state: Mutex<State>,
    sender: broadcast::Sender<Arc<FeedEvent>>,
    /// Set when the server shuts down: watchers end their streams (at their next
    /// heartbeat at the latest), so a graceful shutdown does not wait on them.
    closed: std::sync::atomic::AtomicBool,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            state: Mutex::new(State {
                started: false,
                latest: 0,
                complete_after: 0,
                ring: VecDeque::new(),
                collecting: None,
            }),
            sender: broadcast::channel(BROADCAST_CAPACITY).0,
            closed: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Feed {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The database's current revision as the listener read it on (re)connecting: the
    /// start of the feed, or, if revisions went by unheard, a reset at it.
    pub(crate) fn observe(&self, revision: u64) {
        let mut state = self.state();
        if !state.started {
            state.started = true;
            state.latest = revision;
            state.complete_after = revision;
        } else if revision > state.latest {
            self.reset(&mut state, revision);
        }
    }

    /// One change of `revision`, held until its commit marker.
    pub(crate) fn collect(&self, revision: u64, change: &Change) {
        let mut state = self.state();
        match &mut state.collecting {
            Some((collecting, changes)) if *collecting == revision => {
                if !changes.contains(change) {
                    changes.push(change.clone());
                }
            }
            _ => {
                // A revision ended without its marker (it cannot, by the schema's triggers):
                // what was collected is all that is known of it.
                if let Some((earlier, changes)) = state.collecting.take() {
                    self.publish(&mut state, earlier, changes);
                }
                state.collecting = Some((revision, vec![change.clone()]));
            }
        }
    }

    /// `revision` committed: its event goes out.
    pub(crate) fn commit(&self, revision: u64) {
        let mut state = self.state();
        let changes = match state.collecting.take() {
            Some((collecting, changes)) if collecting == revision => changes,
            Some((earlier, changes)) => {
                self.publish(&mut state, earlier, changes);
                Vec::new()
            }
            None => Vec::new(),
        };
        self.publish(&mut state, revision, changes);
    }

    fn publish(&self, state: &mut State, revision: u64, changes: Vec<Change>) {
        if !state.started || revision <= state.latest {
            // Before the start point, or heard twice (a reconnect): already accounted for.
            return;
        }
        if revision != state.latest + 1 {
            self.reset(state, revision);
            return;
        }
        self.push(state, FeedEvent::Changes { revision, changes });
    }

    fn reset(&self, state: &mut State, revision: u64) {
        state.collecting = None;
        state.ring.clear();
        state.complete_after = revision;
        self.push(state, FeedEvent::Reset { revision });
    }

    fn push(&self, state: &mut State, event: FeedEvent) {
        let event = Arc::new(event);
        state.latest = event.revision();
        if matches!(*event, FeedEvent::Changes { .. }) {
            state.ring.push_back(event.clone());
            while state.ring.len() > RING_CAPACITY {
                if let Some(dropped) = state.ring.pop_front() {
                    state.complete_after = dropped.revision();
                }
            }
        }
        // Sent under the lock, so a watcher subscribing meanwhile gets it either in its
        // backlog or live, never both and never neither. No receivers is not an error.
        let _ = self.sender.send(event);
    }

    /// A new watcher, resuming after `resume_after` if given.
    pub fn watch(&self, resume_after: Option<u64>) -> Watch {
        let state = self.state();
        let live = self.sender.subscribe();
        let backlog = match resume_after {
            None => VecDeque::new(),
            // Ahead of this server (it heard another one): the live events catch up to it.
            Some(after) if after >= state.latest => VecDeque::new(),
            Some(after) if after >= state.complete_after => state
                .ring
                .iter()
                .filter(|event| event.revision() > after)
                .cloned()
                .collect(),
            Some(_) => VecDeque::from([Arc::new(FeedEvent::Reset {
                revision: state.latest,
            })]),
        };
        Watch {
            revision: state.latest,
            backlog,
            live,
        }
    }

    /// Ends every watcher's stream: the server is shutting down.
    pub fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The revision published last.
    pub fn latest(&self) -> u64 {
        self.state().latest
    }

    /// How many watchers are connected.
    pub fn watchers(&self) -> usize {
        self.sender.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(symbol: &str) -> Change {
        Change::Pair {
            symbol: symbol.into(),
        }
    }

    fn revisions(events: &VecDeque<Arc<FeedEvent>>) -> Vec<u64> {
        events.iter().map(|e| e.revision()).collect()
    }

    #[test]
    fn a_revision_goes_out_whole_at_its_commit_marker() {
        let feed = Feed::default();
        feed.observe(10);
        let mut watch = feed.watch(None);
        feed.collect(11, &pair("BTC/USDT"));
        feed.collect(11, &pair("ETH/USDT"));
        feed.collect(11, &pair("BTC/USDT"));
        assert!(watch.live.try_recv().is_err(), "nothing before the marker");
        feed.commit(11);
        assert_eq!(
            *watch.live.try_recv().unwrap(),
            FeedEvent::Changes {
                revision: 11,
                changes: vec![pair("BTC/USDT"), pair("ETH/USDT")]
            }
        );
    }

    #[test]
    fn resuming_serves_the_ring_and_a_compacted_point_is_an_explicit_reset() {
        let feed = Feed::default();
        feed.observe(0);
        for revision in 1..=(RING_CAPACITY as u64 + 10) {
            feed.collect(revision, &pair("BTC/USDT"));
            feed.commit(revision);
        }
        let latest = RING_CAPACITY as u64 + 10;
        let resumed = feed.watch(Some(latest - 3));
        assert_eq!(
            revisions(&resumed.backlog),
            vec![latest - 2, latest - 1, latest]
        );
        // The oldest revisions were compacted away.
        let compacted = feed.watch(Some(5));
        assert_eq!(*compacted.backlog[0], FeedEvent::Reset { revision: latest });
        assert_eq!(compacted.backlog.len(), 1);
        // The oldest still held: exactly the ring.
        let oldest = feed.watch(Some(10));
        assert_eq!(oldest.backlog.len(), RING_CAPACITY);
        assert!(feed.watch(Some(latest)).backlog.is_empty());
    }

    #[test]
    fn revisions_that_went_by_unheard_are_a_reset_never_a_gap() {
        let feed = Feed::default();
        feed.observe(3);
        let mut watch = feed.watch(Some(3));
        feed.collect(4, &pair("BTC/USDT"));
        feed.commit(4);
        // 5 and 6 were missed; 7 arrives.
        feed.collect(7, &pair("BTC/USDT"));
        feed.commit(7);
        // The listener reconnects and reads revision 9.
        feed.observe(9);
        let got: Vec<FeedEvent> = std::iter::from_fn(|| watch.live.try_recv().ok())
            .map(|e| (*e).clone())
            .collect();
        assert_eq!(
            got,
            vec![
                FeedEvent::Changes {
                    revision: 4,
                    changes: vec![pair("BTC/USDT")]
                },
                FeedEvent::Reset { revision: 7 },
                FeedEvent::Reset { revision: 9 },
            ]
        );
        // Nothing before the reset can be resumed from.
        assert_eq!(
            *feed.watch(Some(4)).backlog[0],
            FeedEvent::Reset { revision: 9 }
        );
        // A revision heard twice (after a reconnect) goes out once.
        feed.collect(9, &pair("BTC/USDT"));
        feed.commit(9);
        assert!(watch.live.try_recv().is_err());
    }
}
