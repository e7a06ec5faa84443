//! The fields of a pair's settings, shared by the add form and the edit form.

use super::{Field, RuleField};
use crate::domain::pair::PairForm;
use crate::domain::FieldErrors;
use leptos::prelude::*;

/// The symbol field of the add form.
#[component]
pub fn SymbolField(value: String, errors: Signal<FieldErrors>) -> impl IntoView {
    view! {
        <Field
            name="form[symbol]".into()
            key="symbol".into()
            label="Symbol".into()
            value
            check=Callback::new(|v: String| crate::domain::pair::Symbol::parse(&v).err().map(|e| e.message))
            help="BASE/QUOTE in capitals, e.g. SOL/USDT".into()
            server_errors=errors
        />
    }
}

/// Every settings field of a pair, from the domain's rule table.
#[component]
pub fn PairSettingsFields(form: PairForm, errors: Signal<FieldErrors>) -> impl IntoView {
    crate::domain::fields::pair::FIELDS
        .into_iter()
        .map(|rule| view! { <RuleField rule value=form.value_of(rule.name).to_owned() errors/> })
        .collect_view()
}
