//! `/tokens` (admins): API tokens for bots and scripts. A new token is shown once, here;
//! only its hash is kept. Revoking one refuses it from the next request on.

use crate::domain::auth::{Scope, TokenInfo};
use crate::domain::display::{token_cells, Column, TOKEN_COLUMNS};
use crate::domain::ConfigError;
use crate::web::components::PageTitle;
use crate::web::components::{ErrorNote, Loaded, TableHead};
use leptos::prelude::*;

#[server]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move { service.accounts().tokens().await },
    )
    .await
}

/// Creates a token and returns it: the only time anyone sees it.
#[server]
pub async fn create_token(
    name: String,
    scope: String,
    expires_days: String,
    reads_secrets: String,
) -> Result<(String, String), ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move {
            let user = crate::web::current_user()?;
            let scope: Scope = scope.parse()?;
            let expires = match expires_days.trim() {
                "" => None,
                days => Some(days.parse::<u32>().map_err(|_| {
                    ConfigError::invalid("expires_days", "must be a whole number of days")
                })?),
            };
            let reads_secrets = match reads_secrets.as_str() {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ConfigError::invalid(
                        "reads_secrets",
                        "must be true or false",
                    ))
                }
            };
            let token = service
                .accounts()
                .create_token_with(name.trim(), scope, expires, reads_secrets, &user.view.name)
                .await?;
            // Shown once: no cache, proxy or back button may keep a copy.
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.insert_header(
                    axum::http::header::CACHE_CONTROL,
                    axum::http::HeaderValue::from_static("no-store"),
                );
            }
            tracing::info!(token = %name.trim(), %scope, by = %user.view.name, "token created");
            Ok((name.trim().to_owned(), token))
        },
    )
    .await
}

#[server]
pub async fn revoke_token(name: String) -> Result<String, ConfigError> {
    crate::web::as_role(
        crate::domain::auth::Role::Admin,
        move |service| async move {
            service.accounts().revoke_token(&name).await?;
            Ok(name)
        },
    )
    .await
}

/// The shared token columns, and the revoke button's.
const TOKEN_COLUMNS_WITH_ACTION: &[Column] = &[
    TOKEN_COLUMNS[0],
    TOKEN_COLUMNS[1],
    TOKEN_COLUMNS[2],
    TOKEN_COLUMNS[3],
    TOKEN_COLUMNS[4],
    TOKEN_COLUMNS[5],
    TOKEN_COLUMNS[6],
    Column::text("Action"),
];

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let created = move || {
        create.value().get().map(|result| match result {
            Ok((name, token)) => view! {
                <div class="note ok" role="status">
                    "Created token " <strong>{name}</strong> ". Copy it now: it is shown only once. "
                    <code aria-label="The new token">{token.clone()}</code>
                    " "
                    <CopyButton text=token/>
                </div>
            }
            .into_any(),
            Err(error) => view! { <ErrorNote error/> }.into_any(),
        })
    };
    let revoked = move || {
        revoke.value().get().map(|result| match result {
            Ok(name) => {
                view! { <p class="note ok" role="status">{format!("Revoked token {name}.")}</p> }
                    .into_any()
            }
            Err(error) => view! { <ErrorNote error/> }.into_any(),
        })
    };
    view! {
        <PageTitle text="Tokens"/>
        <h1>"API tokens"</h1>
        <p>"Bots, scripts and the CLI send a token as " <code>"Authorization: Bearer …"</code>
           ": read allows every GET, write also edits, warm and invalidate, admin also clear."</p>
        {created}
        {revoked}
        <ActionForm action=create attr:class="form-grid" attr:aria-label="Create a token">
            <div class="field">
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" type="text" placeholder="deploy-bot" required/>
            </div>
            <div class="field">
                <label for="token-scope">"Scope"</label>
                <select id="token-scope" name="scope">
                    {Scope::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="token-expires">"Expires in (days)"</label>
                <input id="token-expires" name="expires_days" type="text" inputmode="numeric" placeholder="never"/>
            </div>
            <div class="field">
                <label for="token-secrets">"Reads secret settings"</label>
                <select id="token-secrets" name="reads_secrets">
                    <option value="false">"No"</option>
                    <option value="true">"Yes"</option>
                </select>
            </div>
            <div class="actions"><button type="submit">"Create token"</button></div>
        </ActionForm>
        <Loaded resource=tokens loading="Loading tokens…" show={move |list: Vec<TokenInfo>| view! { <TokenTable tokens=list revoke/> }}/>
    }
}

/// Puts `text` on the clipboard, and says whether that worked.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| copy_to_clipboard(text.clone(), copied);
    view! {
        <button type="button" on:click=copy>"Copy token"</button>
        <span aria-live="polite">
            {move || copied.get().map(|done| match done {
                true => " Copied.",
                false => " The browser refused: select the token and copy it.",
            })}
        </span>
    }
}

fn copy_to_clipboard(text: String, done: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let promise = window().navigator().clipboard().write_text(&text);
        let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done.set(Some(copied));
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, done);
}

#[component]
fn TokenTable(tokens: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    // Revoked and expired tokens stay listed for the record, hidden until asked for.
    let show_ended = RwSignal::new(false);
    let ended = tokens.iter().filter(|t| t.state() != "live").count();
    let rows = tokens
        .into_iter()
        .map(|t| {
            let live = t.state() == "live";
            let name = t.name.clone();
            let cells = token_cells(&t)
                .into_iter()
                .map(|cell| view! { <td>{cell}</td> })
                .collect_view();
            view! {
                <tr hidden=move || !live && !show_ended.get()>
                    {cells}
                    <td>
                        {live.then(|| view! {
                            <ActionForm action=revoke>
                                <input type="hidden" name="name" value=name.clone()/>
                                <button type="submit" aria-label=format!("Revoke {name}")>"Revoke"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let on_toggle = move |ev: leptos::ev::Event| show_ended.set(event_target_checked(&ev));
    view! {
        <div class="field inline">
            <input id="show-ended-tokens" type="checkbox" prop:checked=show_ended on:change=on_toggle/>
            <label for="show-ended-tokens">{format!("Show revoked and expired tokens ({ended})")}</label>
        </div>
        <div class="table-scroll">
            <table><TableHead columns=TOKEN_COLUMNS_WITH_ACTION/><tbody>{rows}</tbody></table>
        </div>
    }
}
