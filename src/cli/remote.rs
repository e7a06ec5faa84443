//! Talking to a running botconfig server's API (`BOTCONFIG_SERVER`), with the API token
//! `BOTCONFIG_TOKEN`.

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
        let mut message = body
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("request failed")
            .to_owned();
        let refused = status.as_u16() == 401 || status.as_u16() == 403;
        if status.as_u16() == 401 {
            message.push_str(" — set BOTCONFIG_TOKEN to a token from `botconfig token create NAME --scope write`");
        }
        return Err(Failure {
            code: if status.is_client_error() && !refused {
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

/// A running server and the token to show it.
#[derive(Debug, Clone)]
pub struct Remote {
    pub server: String,
    pub token: Option<String>,
}

impl Remote {
    fn authorization(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {}", t.trim()))
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let url = format!("{}{path}", self.server.trim_end_matches('/'));
        let mut request = agent().get(&url);
        if let Some(value) = self.authorization() {
            request = request.header("Authorization", value);
        }
        answer(&self.server, request.call())
    }

    pub fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, Failure> {
        let origin = self.server.trim_end_matches('/');
        let url = format!("{origin}{path}");
        // Without a token, the server refuses writes that do not name it as their origin.
        let mut request = agent().post(&url).header("Origin", origin);
        if let Some(value) = self.authorization() {
            request = request.header("Authorization", value);
        }
        answer(&self.server, request.send_json(body))
    }
}
