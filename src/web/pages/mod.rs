//! One module per page, each with the server functions it calls; what pages share lives
//! in `web::components`, so no page imports another.

pub mod benchmark;
pub mod dashboard;
pub mod fleet;
pub mod history;
pub mod pair;
pub mod pair_risk;
pub mod pair_strategies;
pub mod pairs;
pub mod risk;
pub mod strategies;
pub mod system;
pub mod tokens;
pub mod users;
