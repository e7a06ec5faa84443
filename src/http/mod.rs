//! The HTTP edge: the paths of the routes (compiled for the browser too, so the console
//! links to what the server serves), and, on the server, the one state, who is asking,
//! what each route requires, the routes built from groups that carry it, and how errors
//! answer.

#[cfg(feature = "ssr")]
pub mod answer;
#[cfg(feature = "ssr")]
pub mod assets;
#[cfg(feature = "ssr")]
pub mod caller;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
mod extract;
#[cfg(feature = "ssr")]
pub mod metrics;
pub mod paths;
#[cfg(feature = "ssr")]
pub mod require;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
mod tokens;
#[cfg(feature = "ssr")]
pub use tokens::VerifiedTokens;

#[cfg(feature = "ssr")]
pub use answer::{Answer, Answers, Marking};
#[cfg(feature = "ssr")]
pub use caller::{ApiCaller, CurrentUser};
#[cfg(feature = "ssr")]
pub use error::{status_of, ApiError};
#[cfg(feature = "ssr")]
pub use require::Requirement;
#[cfg(feature = "ssr")]
pub use routes::{Group, RouteInfo, Routes};
#[cfg(feature = "ssr")]
pub use state::{AccessPolicy, AppState};
