//! What the console, the API and the access checks share about HTTP: the paths of the
//! routes the others name (compiled for the browser too), and which status each error
//! kind answers with.

pub mod paths;
#[cfg(feature = "ssr")]
pub mod status;

#[cfg(feature = "ssr")]
pub use status::status_of;
