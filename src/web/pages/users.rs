//! `/users` (admins): who may sign in, with which role; add a user, disable or enable one,
//! end all of a user's sessions.

use crate::domain::auth::{Role, SignInAttempt, UserInfo};
use crate::domain::display::{minute, Column};
use crate::domain::ConfigError;
use crate::web::components::PageTitle;
use crate::web::components::{Loaded, SaveOutcome, TableHead};
use leptos::prelude::*;

#[server]
pub async fn list_users() -> Result<Vec<UserInfo>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move { service.accounts().users().await },
    )
    .await
}

/// Adds a user with a password the admin passes on to them.
#[server]
pub async fn add_user(name: String, role: String, password: String) -> Result<String, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move {
            let role: Role = role.parse()?;
            let name = name.trim().to_owned();
            service.accounts().add_user(&name, role, &password).await?;
            Ok(format!("Added {name} ({role})."))
        },
    )
    .await
}

/// Disables (signing them out everywhere) or enables a user; an admin cannot disable
/// themselves, so an installation always keeps someone who can sign in.
#[server]
pub async fn set_user_disabled(name: String, disabled: bool) -> Result<String, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move {
            let me = crate::web::current_user()?;
            if disabled && me.view.name == name {
                return Err(ConfigError::invalid("name", "you cannot disable yourself"));
            }
            service.accounts().set_disabled(&name, disabled).await?;
            Ok(if disabled {
                format!("Disabled {name}; their sessions have ended.")
            } else {
                format!("Enabled {name}.")
            })
        },
    )
    .await
}

/// Lifts a user's sign-in lock: their failed sign-ins so far no longer count.
#[server]
pub async fn unlock_user(name: String) -> Result<String, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move {
            service.accounts().unlock(&name).await?;
            Ok(format!("Unlocked {name}."))
        },
    )
    .await
}

/// The latest sign-in attempts, for admins.
#[server]
pub async fn list_sign_ins() -> Result<Vec<SignInAttempt>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move { service.accounts().sign_in_attempts(None, 50).await },
    )
    .await
}

const SIGN_IN_COLUMNS: &[Column] = &[
    Column::text("When (UTC)"),
    Column::text("Account"),
    Column::text("From"),
    Column::text("Outcome"),
];

/// A server function's sentence, as the outcome note shows it.
#[allow(clippy::ptr_arg, reason = "SaveOutcome takes fn(&T) and T is String")]
fn said(message: &String) -> String {
    message.clone()
}

const USER_COLUMNS: &[Column] = &[
    Column::text("Name"),
    Column::text("Role"),
    Column::text("State"),
    Column::text("Created (UTC)"),
    Column::text("Sign-in"),
    Column::text("Action"),
];

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let toggle = ServerAction::<SetUserDisabled>::new();
    let unlock = ServerAction::<UnlockUser>::new();
    let users = Resource::new(
        move || {
            (
                add.version().get(),
                toggle.version().get(),
                unlock.version().get(),
            )
        },
        |_| list_users(),
    );
    let sign_ins = Resource::new(move || unlock.version().get(), |_| list_sign_ins());
    view! {
        <PageTitle text="Users"/>
        <h1>"Users"</h1>
        <SaveOutcome value=add.value() success=said/>
        <SaveOutcome value=toggle.value() success=said/>
        <SaveOutcome value=unlock.value() success=said/>
        <ActionForm action=add attr:class="form-grid" attr:aria-label="Add a user">
            <div class="field">
                <label for="user-name">"User name"</label>
                <input id="user-name" name="name" type="text" autocomplete="off" required/>
            </div>
            <div class="field">
                <label for="user-role">"Role"</label>
                <select id="user-role" name="role">
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="user-password">"Password"</label>
                <input id="user-password" name="password" type="password" autocomplete="new-password" required/>
                <small class="help">{format!("At least {} characters", crate::domain::auth::MIN_PASSWORD_LENGTH)}</small>
            </div>
            <div class="actions"><button type="submit">"Add user"</button></div>
        </ActionForm>
        <Loaded resource=users loading="Loading users…" show={move |list: Vec<UserInfo>| view! { <UserTable users=list toggle unlock/> }}/>
        <h2>"Sign-ins"</h2>
        <Loaded resource=sign_ins loading="Loading sign-ins…" show={move |list: Vec<SignInAttempt>| view! { <SignInTable attempts=list/> }}/>
    }
}

#[component]
fn UserTable(
    users: Vec<UserInfo>,
    toggle: ServerAction<SetUserDisabled>,
    unlock: ServerAction<UnlockUser>,
) -> impl IntoView {
    let rows = users
        .into_iter()
        .map(|u| {
            let name = u.name.clone();
            let (label, disable) = if u.disabled {
                ("Enable", false)
            } else {
                ("Disable", true)
            };
            view! {
                <tr>
                    <td>{u.name.clone()}</td>
                    <td>{u.role.as_str()}</td>
                    <td>{if u.disabled { "disabled" } else { "active" }}</td>
                    <td>{minute(Some(u.created_at))}</td>
                    <td>{u.locked_until.map_or_else(|| "open".to_owned(), |at| format!("locked until {}", minute(Some(at))))}</td>
                    <td>
                        {u.locked_until.is_some().then(|| {
                            let name = name.clone();
                            view! {
                                <ActionForm action=unlock>
                                    <input type="hidden" name="name" value=name.clone()/>
                                    <button type="submit" aria-label=format!("Unlock {name}")>"Unlock"</button>
                                </ActionForm>
                            }
                        })}
                        <ActionForm action=toggle>
                            <input type="hidden" name="name" value=name.clone()/>
                            <input type="hidden" name="disabled" value=disable.to_string()/>
                            <button type="submit" aria-label=format!("{label} {name}")>{label}</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! { <table><TableHead columns=USER_COLUMNS/><tbody>{rows}</tbody></table> }
}

#[component]
fn SignInTable(attempts: Vec<SignInAttempt>) -> impl IntoView {
    let rows = attempts
        .into_iter()
        .map(|a| {
            view! {
                <tr>
                    <td>{a.attempted_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                    <td>{a.account}</td>
                    <td>{a.address}</td>
                    <td>{a.outcome}</td>
                </tr>
            }
        })
        .collect_view();
    view! { <table><TableHead columns=SIGN_IN_COLUMNS/><tbody>{rows}</tbody></table> }
}
