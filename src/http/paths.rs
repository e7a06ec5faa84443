//! The paths of the server's routes, named once: the server declares its routes with them,
//! and the console, the CLI's messages and the tests link to them.

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

/// The REST API, for bots and tools.
pub mod api {
    pub const PAIRS: &str = "/api/v1/pairs";
    pub const PAIR: &str = "/api/v1/pairs/{symbol}";
    pub const PAIR_CONFIG: &str = "/api/v1/pairs/{symbol}/config";
    pub const PAIR_SHOULD_TRADE: &str = "/api/v1/pairs/{symbol}/should-trade";
    pub const PAIR_RISK: &str = "/api/v1/pairs/{symbol}/risk";
    pub const PAIR_STRATEGY: &str = "/api/v1/pairs/{symbol}/strategies/{strategy}";
    pub const SETTING: &str = "/api/v1/settings/{key}";
    pub const PORTFOLIO: &str = "/api/v1/portfolio";
    pub const VALIDATE: &str = "/api/v1/validate";
    pub const CACHE_STATS: &str = "/api/v1/cache/stats";
    pub const CACHE_WARM: &str = "/api/v1/cache/warm";
    pub const CACHE_CLEAR: &str = "/api/v1/cache/clear";
    pub const CACHE_INVALIDATE: &str = "/api/v1/cache/invalidate";
    /// Any other path under the API: a JSON 404 once the token is checked.
    pub const UNKNOWN: &str = "/api/v1/{*rest}";
}
