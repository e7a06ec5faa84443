//! `/system`: the global settings, grouped by category, each input typed by its setting.

use crate::domain::auth::Role;
use crate::domain::forms::SettingsForm;
use crate::domain::system::{choices, parse_setting, Category, SystemSetting, ValueType};
use crate::domain::ConfigError;
use crate::web::auth::Can;
use crate::web::components::confirm::{last_input, questions_of, ConfirmDialog, SubmitButton};
use crate::web::components::form_warnings::FormWarnings;
use crate::web::components::PageTitle;
use crate::web::components::{
    reload_after_save, submission_errors, Field, Loaded, SaveError, SaveOutcome, ToggleField,
};
use leptos::prelude::*;

#[server]
pub async fn list_settings() -> Result<Vec<SystemSetting>, ConfigError> {
    crate::web::as_role(Role::Viewer, move |service| async move {
        service.settings().await
    })
    .await
}

/// Saves one category's settings in one transaction; switching paper trading off only
/// once `confirm`ed.
#[server]
pub async fn save_settings(
    form: SettingsForm,
    #[server(default)] confirm: bool,
) -> Result<Vec<SystemSetting>, ConfigError> {
    crate::web::as_role(Role::Editor, move |service| async move {
        // Input that does not parse is refused by the save itself, with every field's error.
        let parses = form.parse(&service.settings().await?).is_ok();
        let paper = form.values.get("paper_trading").filter(|_| parses);
        let parsed = paper.map(|v| crate::domain::number::parse_bool("paper_trading", v));
        if let Some(Ok(on)) = parsed {
            let proposal = crate::service::Proposal::PaperTrading(on);
            service.ask_first(&proposal, confirm).await?;
        }
        service.save_settings(&form).await
    })
    .await
}

/// Makes an existing setting secret (admins): its value is hidden from then on, and its
/// earlier values leave the history.
#[server]
pub async fn make_setting_secret(key: String) -> Result<String, ConfigError> {
    crate::web::as_role(Role::Admin, move |service| async move {
        service.make_setting_secret(&key).await.map(|s| s.key)
    })
    .await
}

#[component]
pub fn SystemPage() -> impl IntoView {
    let make_secret = ServerAction::<MakeSettingSecret>::new();
    let made_secret = reload_after_save(make_secret.value());
    // Each group saves and reloads by itself: a save in one never discards what was typed
    // in another.
    let settings = Resource::new(move || made_secret.get(), |_| list_settings());
    view! {
        <PageTitle text="System settings"/>
        <h1>"System"</h1>
        <FormWarnings/>
        <SaveOutcome value=make_secret.value() success=made_secret_message/>
        <Loaded resource=settings loading="Loading settings…" show=move |list| view! { <SettingsGroups list make_secret/> }/>
    }
}

/// Every category's settings, and the Secrets card.
#[component]
fn SettingsGroups(
    list: Vec<SystemSetting>,
    make_secret: ServerAction<MakeSettingSecret>,
) -> impl IntoView {
    view! {
        {Category::ALL
            .into_iter()
            .map(|category| {
                let group: Vec<SystemSetting> = list.iter().filter(|s| s.category == category).cloned().collect();
                view! { <SettingsGroup category settings=group/> }
            })
            .collect_view()}
        <MakeSecretForm settings=list.clone() action=make_secret/>
    }
}

#[allow(clippy::ptr_arg, reason = "SaveOutcome takes fn(&T)")]
fn made_secret_message(key: &String) -> String {
    format!("{key} is a secret now; its earlier values were removed from the history.")
}

/// For admins: turn a setting that holds a key or a token into a secret.
#[component]
fn MakeSecretForm(
    settings: Vec<SystemSetting>,
    action: ServerAction<MakeSettingSecret>,
) -> impl IntoView {
    let plain: Vec<String> = settings
        .into_iter()
        .filter(|s| !s.is_secret && s.value_type == ValueType::String)
        .map(|s| s.key)
        .collect();
    crate::web::auth::allowed(Role::Admin).then(move || view! {
            <section class="card" aria-labelledby="make-secret-title">
                <h2 id="make-secret-title">"Secrets"</h2>
                <ActionForm action attr:class="form-grid" attr:aria-label="Make a setting secret">
                    <div class="field">
                        <label for="secret-key">"Setting to keep secret"</label>
                        <select id="secret-key" name="key">
                            {plain.into_iter().map(|k| { let label = k.clone(); view! { <option value=k>{label}</option> } }).collect_view()}
                        </select>
                        <small class="help">"Its value is then never shown, exported or recorded, and its earlier values leave the history."</small>
                    </div>
                    <div class="actions"><button type="submit">"Make secret"</button></div>
                </ActionForm>
            </section>
    })
}

/// One category's form. It saves by itself, shows what it stored, and on a conflict
/// reloads its own settings and lists what was typed, so nothing typed is lost unseen.
#[component]
fn SettingsGroup(category: Category, settings: Vec<SystemSetting>) -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let errors = submission_errors(save.value());
    let shown = RwSignal::new(settings);
    let typed = last_input(save);
    let saved_note = RwSignal::new(None::<String>);
    let unsaved = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            let before = shown.get_untracked();
            saved_note.set(Some(saved_count(&before, &saved)));
            crate::web::components::form_warnings::config_changed();
            unsaved.set(Vec::new());
            shown.update(|list| {
                for setting in list.iter_mut() {
                    if let Some(new) = saved.iter().find(|s| s.key == setting.key) {
                        *setting = new.clone();
                    }
                }
            });
        }
        Some(Err(ConfigError::Conflict(_))) => {
            saved_note.set(None);
            let before = shown.get_untracked();
            let form = typed.get_untracked().map(|input| input.form);
            unsaved.set(form.map_or_else(Vec::new, |form| typed_changes(&before, &form)));
            leptos::task::spawn_local(async move {
                if let Ok(all) = list_settings().await {
                    shown.set(all.into_iter().filter(|s| s.category == category).collect());
                }
            });
        }
        _ => saved_note.set(None),
    });
    let title_id = format!("settings-{}", category.as_str());
    let labelled_by = title_id.clone();
    let outcome = move || match (save.value().get(), saved_note.get()) {
        (Some(Ok(_)), Some(note)) => {
            Some(view! { <p class="note ok" role="status">{note}</p> }.into_any())
        }
        (Some(Err(_)), _) => {
            let typed = unsaved.get();
            Some(view! {
                {(!typed.is_empty()).then(|| view! {
                    <div class="note unsaved">
                        "What you typed, not saved (the form shows the stored values now):"
                        <ul>{typed.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
                    </div>
                })}
            }.into_any())
        }
        _ => None,
    };
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{category.title()}</h2>
            <ActionForm action=save attr:class="form-grid" attr:aria-label=format!("{} settings", category.title())>
                <input type="hidden" name="form[category]" value=category.as_str()/>
                {move || shown.get().into_iter().map(|s| setting_input(s, errors)).collect_view()}
                <Can role=Role::Editor>
                    <div class="actions">
                        <SubmitButton pending=save.pending() label=format!("Save {}", category.title().to_lowercase()) busy="Saving…"/>
                    </div>
                </Can>
                <SaveError value=save.value()/>
                {outcome}
                <ConfirmDialog questions=questions_of(save.value()) confirm_label="Save anyway".into()/>
            </ActionForm>
        </section>
    }
}

/// "Saved 1 setting.", counting the values that changed.
fn saved_count(before: &[SystemSetting], saved: &[SystemSetting]) -> String {
    let changed = saved
        .iter()
        .filter(|new| {
            before
                .iter()
                .find(|old| old.key == new.key)
                .is_none_or(|old| {
                    old.value != new.value || (old.is_secret && old.version != new.version)
                })
        })
        .count();
    match changed {
        0 => "Saved: no value had changed.".to_owned(),
        1 => "Saved 1 setting.".to_owned(),
        n => format!("Saved {n} settings."),
    }
}

/// What the operator typed that differs from what the form showed, by label, secrets
/// never repeated.
fn typed_changes(shown: &[SystemSetting], form: &SettingsForm) -> Vec<String> {
    shown
        .iter()
        .filter(|s| !s.is_secret)
        .filter_map(|s| {
            let typed = form.values.get(&s.key)?.trim();
            (typed != s.value.to_string()).then(|| format!("{}: {typed}", s.label()))
        })
        .collect()
}

fn setting_input(setting: SystemSetting, errors: Signal<crate::domain::FieldErrors>) -> AnyView {
    let key = setting.key.clone();
    let name = format!("form[values][{key}]");
    let id = format!("field-{key}");
    let help = format!("{key} — {}", setting.description);
    let version = view! { <input type="hidden" name=format!("form[versions][{key}]") value=setting.version/> };
    if setting.is_secret {
        // The value never reaches the browser: the field starts empty and replaces it only
        // when something is typed.
        let summary = setting.secret_summary();
        return view! {
            <div class="field">
                {version}
                <label for=id.clone()>{setting.label()}</label>
                <input id=id name=name type="password" autocomplete="new-password" value="" placeholder=summary.clone()/>
                <small class="help">{format!("{key} — a secret, {summary}; type a new value to replace it")}</small>
            </div>
        }
        .into_any();
    }
    match (setting.value_type, choices(&key)) {
        (ValueType::Boolean, _) => view! {
            {version}
            <ToggleField name key=key.clone() label=setting.label() on=setting.value.as_bool().unwrap_or(false) help/>
        }
        .into_any(),
        (_, Some(options)) => {
            let current = setting.value.to_string();
            view! {
                <div class="field">
                    {version}
                    <label for=id.clone()>{setting.label()}</label>
                    <select id=id name=name>
                        {options
                            .iter()
                            .map(|o| view! { <option value=*o selected=*o == current>{*o}</option> })
                            .collect_view()}
                    </select>
                    <small class="help">{help}</small>
                </div>
            }
            .into_any()
        }
        (value_type, None) => {
            let check_key = key.clone();
            // The setting's rule, when it has one, states its bounds in the markup too.
            let rule = crate::domain::fields::setting::rule(&key);
            let inputmode = match (rule, value_type) {
                (Some(rule), _) => rule.inputmode(),
                (None, ValueType::Integer) => "numeric",
                (None, ValueType::Float) => "decimal",
                _ => "text",
            };
            let bounds = rule.map(|rule| rule.bounds());
            view! {
                {version}
                <Field
                    name
                    key=key.clone()
                    label=setting.label()
                    value=setting.value.to_string()
                    check=Callback::new(move |v: String| parse_setting(&check_key, value_type, &v).err().map(|e| e.message))
                    help
                    inputmode
                    bounds
                    server_errors=errors
                />
            }
            .into_any()
        }
    }
}
