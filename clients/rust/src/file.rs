//! The last-known-good snapshot file: written atomically after each applied revision, read
//! at start when the server cannot be reached.

use crate::replica::Inner;
use crate::state::Snapshot;
use serde::Deserialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The snapshot file: the server's snapshot body as it was last applied, and when it was
/// last confirmed.
#[derive(serde::Serialize, Deserialize)]
struct FileDocument {
    format: u32,
    /// Milliseconds since the epoch; none: never confirmed.
    confirmed_at_ms: Option<u64>,
    revision: u64,
    body: serde_json::Value,
}

pub(crate) fn read_file(path: &std::path::Path) -> Option<(Snapshot, Option<Duration>)> {
    let text = std::fs::read(path).ok()?;
    let document: FileDocument = serde_json::from_slice(&text).ok()?;
    let (mut snapshot, _) = Snapshot::parse(document.body.to_string().as_bytes()).ok()?;
    snapshot.revision = document.revision;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis() as u64;
    let age = document
        .confirmed_at_ms
        .map(|at| Duration::from_millis(now_ms.saturating_sub(at)));
    Some((snapshot, age))
}

impl Inner {
    /// Keeps the last known good configuration on disk, atomically (write, then rename).
    pub(crate) fn write_file(&self) {
        let Some(path) = self.options.snapshot_path.as_deref() else {
            return;
        };
        let state = self.state.load();
        let age = self.age();
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let document = FileDocument {
            format: 1,
            confirmed_at_ms: (age != Duration::MAX)
                .then(|| now_ms.saturating_sub(age.as_millis() as u64)),
            revision: state.revision,
            body: snapshot_json(&state),
        };
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let written = serde_json::to_vec(&document)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, path));
        if let Err(e) = written {
            eprintln!(
                "botconfig: cannot write the snapshot file {}: {e}",
                path.display()
            );
        }
    }
}

/// A snapshot as the server's snapshot body, for the file.
fn snapshot_json(snapshot: &Snapshot) -> serde_json::Value {
    use crate::state::Setting;
    let mut system = serde_json::Map::new();
    let mut types = serde_json::Map::new();
    for (key, setting) in &snapshot.settings {
        let (value, value_type) = match setting {
            Setting::Boolean(b) => (serde_json::json!(b), "boolean"),
            Setting::Integer(i) => (serde_json::json!(i), "integer"),
            Setting::Decimal(d) => (
                serde_json::from_str(&d.to_string()).unwrap_or(serde_json::Value::Null),
                "float",
            ),
            Setting::Text(s) => (serde_json::json!(s), "string"),
            Setting::Json(j) => (j.clone(), "json"),
        };
        system.insert(key.clone(), value);
        types.insert(key.clone(), serde_json::json!(value_type));
    }
    serde_json::json!({
        "revision": snapshot.revision,
        "pairs": snapshot.pairs,
        "system": system,
        "setting_types": types,
        "portfolio": snapshot.portfolio,
    })
}
