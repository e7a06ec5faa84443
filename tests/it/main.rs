//! Every integration test, in one binary: the config manager against Postgres (`cache`),
//! the schema (`schema`), the services (`service`), the real `botconfig` binary (`cli`),
//! the HTTP surface in-process (`http`) and injected faults (`faults`).
#![cfg(feature = "ssr")]

mod helpers;
mod proxy;

mod cache;
mod cli;
mod faults;
mod http;
mod schema;
mod service;
