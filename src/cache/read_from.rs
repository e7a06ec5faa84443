//! Where a read goes.

/// Where a read goes: the cache, or straight to Postgres when the caller asks for it
/// (`Cache-Control: no-cache`, the original bots' `use_cache=False`). A manager carries
/// it (`ConfigManager::reading_from`), so every read below serves both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadFrom {
    #[default]
    Cache,
    Database,
}
