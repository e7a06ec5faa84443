//! The `botconfig` command line: one binary that serves, migrates, and (in later commands)
//! operates the cache and the configuration.

use crate::settings::Settings;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "botconfig",
    version,
    about = "Cached trading-bot configuration over Postgres"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the admin console and the API (the default).
    Serve,
    /// Create the database if it is missing and apply pending migrations.
    Migrate,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses the command line and runs it; the exit code says how it went.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => crate::server::serve(&cli.settings)
            .await
            .map_err(|e| e.to_string()),
        Command::Migrate => crate::server::open_database(&cli.settings)
            .await
            .map(|_| {
                println!(
                    "database {} is up to date",
                    crate::store::redact_url(&cli.settings.database_url)
                )
            })
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
