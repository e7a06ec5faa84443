//! Starting the server: reach Postgres (creating the database and migrating), build the
//! config manager once, and serve the console and the API.

use crate::api;
use crate::cache::ConfigManager;
use crate::guard::{guard, RequestPolicy};
use crate::http::{AccessPolicy, AppState, RouteInfo, Routes};
use crate::service::ConfigService;
use crate::settings::Settings;
use crate::store::{self, redact_url};
use axum::Router;
use leptos::prelude::*;
use sqlx::PgPool;
use std::time::Duration;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Why the program could not start, in one line an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot reach Postgres at {url}: {cause}")]
    Database { url: String, cause: String },
    #[error("cannot apply migrations to {url}: {cause}")]
    Migrate { url: String, cause: String },
    #[error("cannot listen on {addr}: {cause}")]
    Listen { addr: String, cause: String },
    /// A bot's tables whose rows break botconfig's rules: nothing was changed. The report
    /// says which rows, for the edge that prints it.
    #[error("{url} holds a bot's configuration tables ({}) that botconfig did not create, and cannot adopt them yet", report.tables.join(", "))]
    Unadoptable {
        url: String,
        report: Box<store::adopt::AdoptReport>,
    },
    #[error("{0}")]
    Other(String),
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = inner.source();
    }
    message
}

/// Creates the database if needed, connects and migrates.
pub async fn open_database(settings: &Settings) -> Result<PgPool, StartupError> {
    let url = redact_url(&settings.database_url);
    let unreachable = |e: store::StoreError| StartupError::Database {
        url: url.clone(),
        cause: root_cause(&e),
    };
    let database = settings.database();
    store::ensure_database(&database)
        .await
        .map_err(unreachable)?;
    let pool = store::connect(&database).await.map_err(unreachable)?;
    // A bot's own database: adopt it (every row kept) when its rows follow botconfig's
    // rules; otherwise change nothing and list what breaks them.
    if !store::unmanaged_tables(&pool)
        .await
        .map_err(unreachable)?
        .is_empty()
    {
        let options = store::adopt::AdoptOptions::default();
        let report =
            store::adopt::adopt(&pool, options)
                .await
                .map_err(|e| StartupError::Migrate {
                    url: url.clone(),
                    cause: root_cause(&e),
                })?;
        if report.refused() {
            return Err(StartupError::Unadoptable {
                url: url.clone(),
                report: Box::new(report),
            });
        }
        for change in &report.changes {
            tracing::info!(database = %url, "adopted the bot's database: {change}");
        }
    }
    store::migrate(&pool)
        .await
        .map_err(|e| StartupError::Migrate {
            url: url.clone(),
            cause: root_cause(&e),
        })?;
    Ok(pool)
}

/// Adopts the bot's database the settings name (see `store::adopt`).
pub async fn adopt_database(
    settings: &Settings,
    options: store::adopt::AdoptOptions,
) -> Result<store::adopt::AdoptReport, StartupError> {
    let url = redact_url(&settings.database_url);
    let pool = store::connect(&settings.database())
        .await
        .map_err(|e| StartupError::Database {
            url: url.clone(),
            cause: root_cause(&e),
        })?;
    let report = store::adopt::adopt(&pool, options).await;
    pool.close().await;
    report.map_err(|e| StartupError::Migrate {
        url,
        cause: root_cause(&e),
    })
}

/// Drops expired sessions now and then, so the table does not grow without bound.
fn spawn_session_sweeper(accounts: crate::service::accounts::AccountService) {
    tokio::spawn(async move {
        let store = accounts.session_store();
        let mut ticker = tokio::time::interval(Duration::from_secs(600));
        loop {
            ticker.tick().await;
            if let Err(error) = store.delete_expired().await {
                tracing::warn!(%error, "dropping expired sessions failed");
            }
        }
    });
}

/// How often a server reports itself to the fleet.
const FLEET_REPORT_INTERVAL: Duration = Duration::from_secs(2);

/// Reports this server to the fleet now and then: its applied revision and freshness.
fn spawn_fleet_reporter(service: ConfigService, listen: String) {
    let instance = format!(
        "server-{}-{}-{}",
        crate::service::fleet::host_name(),
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FLEET_REPORT_INTERVAL);
        loop {
            ticker.tick().await;
            let report = service.own_report(&instance, &listen);
            let kind = crate::domain::fleet::ReaderKind::Server;
            if let Err(error) = service.report_reader(kind, &report).await {
                tracing::debug!(%error, "reporting to the fleet failed");
            }
        }
    });
}

/// Serves until interrupted.
pub async fn serve(settings: &Settings) -> Result<(), StartupError> {
    let pool = open_database(settings).await?;
    let manager = ConfigManager::new(pool, settings.cache());
    let _listener = manager
        .listen()
        .await
        .map_err(|e| StartupError::Other(e.to_string()))?;
    if manager.settings().warm_on_start {
        match manager.warm().await {
            Ok(report) => tracing::info!("{}", report.summary()),
            // The console can still show what is wrong; reads load on demand.
            Err(error) => tracing::warn!(%error, "warming on start failed"),
        }
    }
    let warm_interval = manager.settings().warm_interval;
    if !warm_interval.is_zero() {
        let manager = manager.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(warm_interval);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(error) = manager.warm().await {
                    tracing::warn!(%error, "background warm failed");
                }
            }
        });
    }
    let service = ConfigService::new(manager);
    match service
        .accounts()
        .ensure_first_admin(settings.admin_password.as_deref())
        .await
    {
        Ok(Some(password)) => {
            // Shown once, here: only its argon2id hash is kept.
            println!(
                "created the first admin: user \"{}\", password \"{password}\" (shown once; change it with `botconfig user passwd {}`)",
                crate::service::accounts::FIRST_ADMIN,
                crate::service::accounts::FIRST_ADMIN
            );
        }
        Ok(None) => {}
        Err(error) => {
            return Err(StartupError::Other(format!(
                "cannot create the first admin: {error}"
            )))
        }
    }
    spawn_session_sweeper(service.accounts());
    spawn_fleet_reporter(service.clone(), settings.listen.to_string());
    let streams = service.clone();
    let app = router(
        service,
        leptos_options(settings)?,
        request_policy(settings),
        settings.access(),
    );
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| StartupError::Listen {
            addr: settings.listen.to_string(),
            cause: e.to_string(),
        })?;
    tracing::info!("botconfig console at http://{}", settings.listen);
    println!("botconfig console at http://{}", settings.listen);
    // Without TCP_NODELAY a small write (an event, a short answer) can wait for the peer's
    // delayed ACK: tens of milliseconds on a stream that is otherwise idle.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Event streams never end by themselves: end them, or shutdown waits on bots.
        streams.feed().close();
    })
    .await
    .map_err(|e| StartupError::Other(e.to_string()))
}

/// The Leptos options (bundle name, site root) for serving on the settings' address.
pub fn leptos_options(settings: &Settings) -> Result<LeptosOptions, StartupError> {
    let conf = get_configuration(None)
        .map_err(|e| StartupError::Other(format!("cannot read the Leptos configuration: {e}")))?;
    let mut options = conf.leptos_options;
    options.site_addr = settings.listen;
    Ok(options)
}

/// The names and origins the server answers to (see `guard`).
pub fn request_policy(settings: &Settings) -> RequestPolicy {
    RequestPolicy::new(settings.listen, &settings.allowed_hosts).over_https(settings.secure_cookies)
}

/// The whole HTTP surface: console pages, server functions, API, health, static files,
/// each route with its requirement, behind the request guard.
pub fn router(
    service: ConfigService,
    leptos_options: LeptosOptions,
    policy: RequestPolicy,
    access: AccessPolicy,
) -> Router {
    let (router, _) = routes(service, leptos_options, policy, access);
    router
}

/// The router `router` serves, and the table of its routes with what each requires.
pub fn routes(
    service: ConfigService,
    leptos_options: LeptosOptions,
    policy: RequestPolicy,
    access: AccessPolicy,
) -> (Router, Vec<RouteInfo>) {
    let sessions = SessionManagerLayer::new(service.accounts().session_store())
        .with_name("botconfig_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(access.secure_cookies)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(access.session_idle.as_secs() as i64),
        ));
    let state = AppState::new(service, access, leptos_options);
    crate::http::metrics::handle();
    let (router, table) = crate::web::routes::routes(api::routes(Routes::new(state))).finish();
    // Innermost, on the routes alone: each request is counted under the route it matched.
    let router = router.route_layer(axum::middleware::from_fn(crate::http::metrics::track));
    // Layers run outside in: trace, the request guard (host, origin), security headers,
    // sessions; then each route's own requirement.
    let router = router
        .layer(sessions)
        .layer(axum::middleware::from_fn(crate::guard::security_headers))
        .layer(axum::middleware::from_fn_with_state(policy, guard))
        .layer(TraceLayer::new_for_http());
    (router, table)
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
    // Give in-flight requests a moment; axum waits for them anyway.
    tokio::time::sleep(Duration::from_millis(10)).await;
}
