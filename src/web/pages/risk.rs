//! `/risk`: every pair's risk settings side by side.

use crate::domain::risk::RiskConfig;
use crate::domain::ConfigError;
use crate::web::components::Loaded;
use leptos::prelude::*;

#[server]
pub async fn list_risk() -> Result<Vec<RiskConfig>, ConfigError> {
    crate::web::answer(async move { crate::web::service()?.all_risk().await }.await)
}

#[component]
pub fn RiskOverviewPage() -> impl IntoView {
    let risks = Resource::new(|| (), |_| list_risk());
    view! {
        <h1>"Risk"</h1>
        <Loaded resource=risks loading="Loading risk settings…" show={|list: Vec<RiskConfig>| view! {
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"Pair"</th>
                                    <th scope="col" class="num">"Stop loss"</th>
                                    <th scope="col" class="num">"Take profit"</th>
                                    <th scope="col" class="num">"Max daily trades"</th>
                                    <th scope="col" class="num">"Max daily loss"</th>
                                    <th scope="col">"Trailing stop"</th>
                                    <th scope="col" class="num">"Max drawdown"</th>
                                    <th scope="col">"Position sizing"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let s = r.settings;
                                    view! {
                                        <tr>
                                            <th scope="row"><a href=format!("/pairs/{}/risk", r.symbol)>{r.symbol.to_string()}</a></th>
                                            <td class="num">{format!("{}%", s.stop_loss_percent)}</td>
                                            <td class="num">{format!("{}%", s.take_profit_percent)}</td>
                                            <td class="num">{s.max_daily_trades}</td>
                                            <td class="num">{format!("{}%", s.max_daily_loss_percent)}</td>
                                            <td>{if s.trailing_stop_enabled { format!("on, {}%", s.trailing_stop_percent) } else { "off".to_owned() }}</td>
                                            <td class="num">{format!("{}%", s.max_drawdown_percent)}</td>
                                            <td>{s.position_sizing_method.to_string()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }}/>
    }
}
