//! `user add|passwd|disable|enable|list` and `token create|list|revoke`: accounts, on the
//! database directly (an admin's tool, like `migrate`).

use super::fail;
use crate::cli::output::{show, Column};
use crate::cli::{DbCommand, Exit, Failure, TokenCommand, UserCommand};
use crate::domain::auth::{SignInAttempt, TokenInfo, UserInfo};
use crate::domain::display::{minute, token_cells, TOKEN_COLUMNS};
use crate::service::accounts::AccountService;
use std::io::BufRead;

const USERS: &[Column] = &[
    Column::text("Name"),
    Column::text("Role"),
    Column::text("State"),
    Column::text("Created (UTC)"),
    Column::text("Sign-in locked until (UTC)"),
];

const SIGN_INS: &[Column] = &[
    Column::text("When (UTC)"),
    Column::text("Account"),
    Column::text("From"),
    Column::text("Outcome"),
];

/// The new password: one line from standard input with `--password-stdin`, otherwise a
/// generated one, printed once.
fn new_password(from_stdin: bool) -> Result<(String, bool), Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| fail(Exit::Failure, format!("cannot read the password: {e}")))?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(|e| fail(Exit::Failure, e))?;
        Ok((bytes.iter().map(|b| format!("{b:02x}")).collect(), true))
    }
}

pub async fn user(accounts: &AccountService, command: UserCommand) -> Result<Exit, Failure> {
    match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            let role = role.parse().map_err(crate::domain::ConfigError::from)?;
            let (password, generated) = new_password(password_stdin)?;
            accounts.add_user(&name, role, &password).await?;
            println!("added {name} ({role})");
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let (password, generated) = new_password(password_stdin)?;
            accounts.set_password(&name, &password).await?;
            println!("changed the password of {name}; they are signed out everywhere");
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
        UserCommand::Disable { name } => {
            accounts.set_disabled(&name, true).await?;
            println!("disabled {name}; they are signed out everywhere");
        }
        UserCommand::Enable { name } => {
            accounts.set_disabled(&name, false).await?;
            println!("enabled {name}");
        }
        UserCommand::List { json } => {
            let users = accounts.users().await?;
            return show(&users, json, USERS, |users: &Vec<UserInfo>| {
                users
                    .iter()
                    .map(|u| {
                        vec![
                            u.name.clone(),
                            u.role.to_string(),
                            if u.disabled { "disabled" } else { "active" }.into(),
                            minute(Some(u.created_at)),
                            minute(u.locked_until),
                        ]
                    })
                    .collect()
            });
        }
        UserCommand::Unlock { name } => {
            accounts.unlock(&name).await?;
            println!("unlocked {name}: their failed sign-ins so far no longer count");
        }
        UserCommand::SignIns { name, limit, json } => {
            let attempts = accounts.sign_in_attempts(name.as_deref(), limit).await?;
            return show(
                &attempts,
                json,
                SIGN_INS,
                |attempts: &Vec<SignInAttempt>| {
                    attempts
                        .iter()
                        .map(|a| {
                            vec![
                                a.attempted_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                                a.account.clone(),
                                a.address.clone(),
                                a.outcome.clone(),
                            ]
                        })
                        .collect()
                },
            );
        }
    }
    Ok(Exit::Success)
}

/// `db bot-role NAME`: the role bots log in as.
pub async fn db(accounts: &AccountService, command: DbCommand) -> Result<Exit, Failure> {
    match command {
        DbCommand::BotRole {
            name,
            password_stdin,
        } => {
            let (password, generated) = new_password(password_stdin)?;
            let created = accounts.bot_role(&name, &password).await?;
            println!(
                "{} role {name}: it may read and write the five configuration tables, nothing else; \
                 its changes are recorded as sql:{name}",
                if created { "created" } else { "updated" }
            );
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
    }
    Ok(Exit::Success)
}

pub async fn token(accounts: &AccountService, command: TokenCommand) -> Result<Exit, Failure> {
    match command {
        TokenCommand::Create {
            name,
            scope,
            expires_days,
            secrets,
        } => {
            let scope = scope.parse().map_err(crate::domain::ConfigError::from)?;
            let token = accounts
                .create_token_with(
                    &name,
                    scope,
                    expires_days,
                    secrets,
                    &crate::cli::operator().name,
                )
                .await?;
            let reads = if secrets { ", reads secrets" } else { "" };
            println!("created token {name} ({scope}{reads}); it is shown once:");
            println!("{token}");
        }
        TokenCommand::List { json } => {
            let tokens = accounts.tokens().await?;
            return show(&tokens, json, TOKEN_COLUMNS, |tokens: &Vec<TokenInfo>| {
                tokens.iter().map(token_cells).collect()
            });
        }
        TokenCommand::Revoke { name } => {
            accounts.revoke_token(&name).await?;
            println!("revoked token {name}");
        }
    }
    Ok(Exit::Success)
}
