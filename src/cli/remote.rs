//! Talking to a running botconfig server's API (`BOTCONFIG_SERVER`).

use super::Failure;
use serde::de::DeserializeOwned;

fn unreachable(server: &str, error: impl std::fmt::Display) -> Failure {
    Failure {
        code: super::Exit::Failure,
        message: format!(
            "no botconfig server answers at {server} ({error}); start one with `bash scripts/run.sh` or `botconfig serve`, or set BOTCONFIG_SERVER"
        ),
    }
}

fn answer<T: DeserializeOwned>(
    server: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, Failure> {
    let mut response = result.map_err(|e| unreachable(server, e))?;
    let status = response.status();
    let body: serde_json::Value = response.body_mut().read_json().map_err(|e| Failure {
        code: super::Exit::Failure,
        message: format!("the server at {server} sent an unreadable answer: {e}"),
    })?;
    if !status.is_success() {
        let message = body
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("request failed")
            .to_owned();
        return Err(Failure {
            code: if status.is_client_error() {
                super::Exit::BadInput
            } else {
                super::Exit::Failure
            },
            message,
        });
    }
    serde_json::from_value(body).map_err(|e| Failure {
        code: super::Exit::Failure,
        message: format!("the server at {server} sent an unexpected answer: {e}"),
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into()
}

pub fn get<T: DeserializeOwned>(server: &str, path: &str) -> Result<T, Failure> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    answer(server, agent().get(&url).call())
}

pub fn post<T: DeserializeOwned>(
    server: &str,
    path: &str,
    body: serde_json::Value,
) -> Result<T, Failure> {
    let origin = server.trim_end_matches('/');
    let url = format!("{origin}{path}");
    // The server refuses writes that do not name it as their origin (see `guard`).
    answer(
        server,
        agent().post(&url).header("Origin", origin).send_json(body),
    )
}
