//! `user add|passwd|disable|enable|list` and `token create|list|revoke`: accounts, on the
//! database directly (an admin's tool, like `migrate`).

use super::fail;
use crate::cli::output::{show, Column};
use crate::cli::{Exit, Failure, TokenCommand, UserCommand};
use crate::domain::auth::{TokenInfo, UserInfo};
use crate::domain::display::{minute, token_cells, TOKEN_COLUMNS};
use crate::service::accounts::AccountService;
use std::io::BufRead;

const USERS: &[Column] = &[
    Column::text("Name"),
    Column::text("Role"),
    Column::text("State"),
    Column::text("Created (UTC)"),
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
                        ]
                    })
                    .collect()
            });
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
        } => {
            let scope = scope.parse().map_err(crate::domain::ConfigError::from)?;
            let token = accounts
                .create_token(
                    &name,
                    scope,
                    expires_days,
                    &crate::domain::history::Actor::cli_user().name,
                )
                .await?;
            println!("created token {name} ({scope}); it is shown once:");
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
