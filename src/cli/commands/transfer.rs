//! `validate`, `export`, `import` and `adopt`.

use super::{fail, plural};
use crate::cli::output::json;
use crate::cli::{Exit, Failure};
use crate::domain::transfer::ConfigDocument;
use crate::service::ConfigService;
use std::path::{Path, PathBuf};

/// Errors and warnings; exit code 1 when there are errors.
pub async fn validate(service: &ConfigService, as_json: bool) -> Result<Exit, Failure> {
    let report = service.validate().await?;
    if as_json {
        json(&report)?;
    } else {
        for e in &report.errors {
            println!("error: {e}");
        }
        for w in &report.warnings {
            println!("warning: {w}");
        }
        if report.errors.is_empty() && report.warnings.is_empty() {
            println!("the configuration is valid");
        }
    }
    Ok(if report.is_valid() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// The whole configuration as JSON, to `file` or standard output.
pub async fn export(service: &ConfigService, file: Option<PathBuf>) -> Result<Exit, Failure> {
    let doc = service.export().await?;
    let text = serde_json::to_string_pretty(&doc).map_err(|e| fail(Exit::Failure, e))?;
    match file {
        Some(path) => {
            std::fs::write(&path, text + "\n").map_err(|e| {
                fail(
                    Exit::Failure,
                    format!("cannot write {}: {e}", path.display()),
                )
            })?;
            eprintln!(
                "exported {} settings and {} pairs to {}",
                doc.settings.len(),
                doc.pairs.len(),
                path.display()
            );
        }
        None => println!("{text}"),
    }
    Ok(Exit::Success)
}

/// Applies (or with `dry_run` only shows) a document written by `export`.
pub async fn import(service: &ConfigService, file: &Path, dry_run: bool) -> Result<Exit, Failure> {
    let too_large = std::fs::metadata(file)
        .is_ok_and(|m| m.len() > crate::domain::transfer::MAX_DOCUMENT_BYTES as u64);
    if too_large {
        return Err(fail(
            Exit::BadInput,
            format!(
                "{} is larger than the {} MiB a document may be",
                file.display(),
                crate::domain::transfer::MAX_DOCUMENT_BYTES >> 20
            ),
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        fail(
            Exit::BadInput,
            format!("cannot read {}: {e}", file.display()),
        )
    })?;
    let doc: ConfigDocument = crate::domain::transfer::parse(&text).map_err(|e| {
        fail(
            Exit::BadInput,
            format!("{} is not a botconfig document: {e}", file.display()),
        )
    })?;
    let changes = service.import(&doc, dry_run).await?;
    for line in &changes {
        println!("{line}");
    }
    let verb = if dry_run { "would change" } else { "changed" };
    let changed = changes
        .iter()
        .filter(|line| !line.ends_with(crate::domain::transfer::LEFT_AS_IT_IS))
        .count();
    println!(
        "{} {verb}{}",
        plural(changed, "value"),
        if dry_run {
            " (dry run: nothing saved)"
        } else {
            ""
        }
    );
    Ok(Exit::Success)
}

/// Adopts a bot's database, or lists the rows that keep it from being adopted (exit 1).
pub async fn adopt(
    settings: &crate::settings::Settings,
    options: crate::store::adopt::AdoptOptions,
) -> Result<Exit, Failure> {
    let report = crate::server::adopt_database(settings, options).await?;
    print!("{}", report.render(options));
    Ok(if report.refused() {
        Exit::Failure
    } else {
        Exit::Success
    })
}
