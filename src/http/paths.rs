//! The paths that more than one part of the program names: the console links to them and
//! the server declares them. A path only its own route names (the API's) is written where
//! that route is declared (`api::routes`).

/// The sign-in page.
pub const LOGIN_PATH: &str = "/login";

/// The sign-in server function: public, like the page.
pub const SIGN_IN_PATH: &str = "/api/sign_in";
/// Signing out of this browser, and of every browser.
pub const SIGN_OUT_PATH: &str = "/api/sign_out";
pub const SIGN_OUT_EVERYWHERE_PATH: &str = "/api/sign_out_everywhere";

/// The bundle (JS, WASM, CSS) and the icon: public.
pub const BUNDLE_PATH: &str = "/pkg/{*file}";
pub const FAVICON_PATH: &str = "/favicon.ico";

/// Health, for load balancers and operators: public.
pub const HEALTH_PATH: &str = "/healthz";

/// Prometheus metrics.
pub const METRICS_PATH: &str = "/metrics";
