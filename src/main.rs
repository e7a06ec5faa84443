#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    botconfig::cli::run().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser side starts from `botconfig::hydrate` in lib.rs.
}
