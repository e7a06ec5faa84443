//! Who is asking: the console's signed-in user (`CurrentUser`) and the API's token holder
//! (`ApiCaller`). Handlers take them as parameters (see `extract`).

use crate::domain::auth::{Role, Scope, UserView};
use crate::domain::history::{Actor, Source};
use crate::domain::ConfigError;

/// The signed-in user of a console request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub view: UserView,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::new(self.view.name.clone(), Source::Console)
    }

    /// Whether the user's role may act; the refusal says what it needs.
    pub fn require(&self, needed: Role) -> Result<(), ConfigError> {
        if self.view.role.allows(needed) {
            Ok(())
        } else {
            Err(ConfigError::Forbidden(format!(
                "{} is a {}: this needs the {} role",
                self.view.name, self.view.role, needed
            )))
        }
    }
}

/// The caller of an API request: the token's name and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCaller {
    pub name: String,
    pub scope: Scope,
    /// The token was created to read secret settings too.
    pub reads_secrets: bool,
}

impl ApiCaller {
    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone(), Source::Api)
    }
}
