//! `validate`, `export`, `import` and `adopt`.

use super::{fail, plural};
use crate::cli::output::json;
use crate::cli::{Exit, Failure};
use crate::domain::transfer::ConfigDocument;
use crate::service::ConfigService;
use crate::store::adopt::{AdoptOptions, AdoptReport};
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
    print!("{}", render_adopt_report(&report, options));
    Ok(if report.refused() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// An adoption's report as an operator reads it: what breaks the rules, the fixes, the
/// changes. Shared by `botconfig adopt` and the refusal `serve` and `migrate` print.
pub fn render_adopt_report(report: &AdoptReport, options: AdoptOptions) -> String {
    let mut out = String::new();
    let mut section = |title: String, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push_str(&title);
            out.push('\n');
            for line in lines {
                out.push_str(&format!("  {line}\n"));
            }
        }
    };
    if report.tables.is_empty() {
        return "This database holds none of a bot's tables that botconfig did not create: \
                nothing to adopt (`botconfig migrate` creates or updates botconfig's own)\n"
            .into();
    }
    let violations = &report.review.violations;
    section(
        format!(
            "{} in the bot's tables break botconfig's rules; fix {}, then adopt again:",
            plural(violations.len(), "row problem"),
            if violations.len() == 1 { "it" } else { "them" }
        ),
        violations.iter().map(ToString::to_string).collect(),
    );
    let fixes = report
        .review
        .fixes
        .iter()
        .map(ToString::to_string)
        .collect();
    let fixes_title = match (options.fix, report.adopted) {
        (true, true) => "Fixed (meaning kept):",
        (true, false) => "Fixes (meaning kept) adopting applies:",
        (false, _) => "Fixes `--fix` would apply (meaning kept):",
    };
    section(fixes_title.into(), fixes);
    let changes_title = if report.adopted {
        "Adopted, in one transaction:".to_owned()
    } else if report.refused() {
        "Nothing was changed. Once the rows are fixed, adopting will:".to_owned()
    } else {
        "Dry run, nothing was changed. Adopting will, in one transaction:".to_owned()
    };
    section(changes_title, report.changes.clone());
    out
}
