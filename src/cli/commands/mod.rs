//! What each command does, by family: `cache` (the running server's cache, through its
//! API, and the benchmark), `list`, `edit` and `transfer` (validate, export, import).
//! Local commands go through the service layer over the database, so a running server
//! hears every write.

mod accounts;
mod cache;
mod edit;
mod history;
mod list;
mod transfer;

pub use transfer::render_adopt_report;

use super::{Cli, Command, Exit, Failure};
use crate::cache::ConfigManager;
use crate::service::ConfigService;
use crate::settings::Settings;

pub async fn dispatch(cli: Cli) -> Result<Exit, Failure> {
    let settings = cli.settings;
    let reason = cli.reason.unwrap_or_default();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::server::serve(&settings)
            .await
            .map(|_| Exit::Success)
            .map_err(Failure::from),
        Command::Migrate => {
            crate::server::open_database(&settings).await?;
            println!(
                "database {} is up to date",
                crate::store::redact_url(&settings.database_url)
            );
            Ok(Exit::Success)
        }
        Command::Adopt { dry_run, fix } => {
            transfer::adopt(
                &settings,
                crate::store::adopt::AdoptOptions { fix, dry_run },
            )
            .await
        }
        Command::User { command } => {
            accounts::user(&service(&settings, &reason).await?.accounts(), command).await
        }
        Command::Db { command } => {
            accounts::db(&service(&settings, &reason).await?.accounts(), command).await
        }
        Command::Token { command } => {
            accounts::token(&service(&settings, &reason).await?.accounts(), command).await
        }
        Command::Fleet {
            behind_warning,
            silent_warning,
            json,
        } => {
            list::fleet(
                &service(&settings, &reason).await?,
                behind_warning,
                silent_warning,
                json,
            )
            .await
        }
        Command::History(args) => history::history(&service(&settings, &reason).await?, args).await,
        Command::Rollback(args) => {
            history::rollback(&service(&settings, &reason).await?, args).await
        }
        Command::Cache { action } => cache::run(&settings, action).await,
        Command::List { what, json } => {
            list::run(&service(&settings, &reason).await?, what, json).await
        }
        Command::AddPair(args) => edit::add_pair(&service(&settings, &reason).await?, args).await,
        Command::UpdateStrategy(args) => {
            edit::update_strategy(&service(&settings, &reason).await?, args).await
        }
        Command::UpdateRisk(args) => {
            edit::update_risk(&service(&settings, &reason).await?, args).await
        }
        Command::SetConfig(args) => {
            edit::set_config(&service(&settings, &reason).await?, args).await
        }
        Command::Pause(args) => {
            edit::pause(&service(&settings, &reason).await?, args, &reason).await
        }
        Command::Bulk(args) => edit::bulk(&service(&settings, &reason).await?, args, &reason).await,
        Command::Copy(args) => edit::copy(&service(&settings, &reason).await?, args).await,
        Command::Resume { symbol } => {
            edit::resume(&service(&settings, &reason).await?, &symbol, &reason).await
        }
        Command::ShouldTrade { symbol, json } => {
            edit::should_trade(&service(&settings, &reason).await?, &symbol, json).await
        }
        Command::Validate { json: as_json } => {
            transfer::validate(&service(&settings, &reason).await?, as_json).await
        }
        Command::Export { file } => {
            transfer::export(&service(&settings, &reason).await?, file).await
        }
        Command::Import { file, dry_run } => {
            transfer::import(&service(&settings, &reason).await?, &file, dry_run).await
        }
    }
}

pub(super) fn fail(code: Exit, message: impl ToString) -> Failure {
    Failure {
        code,
        message: message.to_string(),
    }
}

pub(super) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The service over the configured database (created and migrated if needed), with a
/// manager of its own: its writes reach running servers through the database's notifications.
async fn service(settings: &Settings, reason: &str) -> Result<ConfigService, Failure> {
    let pool = crate::server::open_database(settings).await?;
    Ok(
        ConfigService::new(ConfigManager::new(pool, settings.cache()))
            .acting_as(super::operator().with_reason(reason)),
    )
}
