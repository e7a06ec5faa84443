//! The paths that more than one part of the program names: the sign-in page links to its
//! server function, access lets both through without a session, and pages redirect there.

/// The sign-in page.
pub const LOGIN_PATH: &str = "/login";

/// The sign-in server function: public, like the page.
pub const SIGN_IN_PATH: &str = "/api/sign_in";
