//! Every integration test, in one binary: adopting a bot's database (`adopt`), the config manager against Postgres (`cache`),
//! the schema (`schema`), the services (`service`), the real `botconfig` binary (`cli`),
//! the HTTP surface in-process (`http`) and injected faults (`faults`).
#![cfg(feature = "ssr")]

mod helpers;
mod proxy;

mod adopt;
mod api;
mod auth;
mod bulk;
mod cache;
mod cli;
mod confirm;
mod copy;
mod faults;
mod fleet;
mod hardening;
mod history;
mod http;
mod pause;
mod reads;
mod schema;
mod secrets;
mod service;
mod stream;
