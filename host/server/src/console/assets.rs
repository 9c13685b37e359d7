//! `GET /assets/{file}`: the console's stylesheet, script and icon, embedded in the binary (no Node
//! toolchain builds them; they are the files in `host/server/console/`). Their URLs carry the version, so
//! a browser may keep them for a day without ever using an old one after an upgrade.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::AppState;

/// The stylesheet's URL.
pub const STYLE_URL: &str = concat!("/assets/console.css?v=", env!("CARGO_PKG_VERSION"));
/// The script's URL.
pub const SCRIPT_URL: &str = concat!("/assets/console.js?v=", env!("CARGO_PKG_VERSION"));
/// The icon's URL.
pub const ICON_URL: &str = concat!("/assets/icon.svg?v=", env!("CARGO_PKG_VERSION"));

/// Every embedded asset: name, content type, bytes.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../console/console.js"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_bytes!("../../console/icon.svg"),
    ),
];

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        None => super::page::problem(
            StatusCode::NOT_FOUND,
            &format!(
                "the console has no asset `{}`",
                file.chars().take(100).collect::<String>()
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    /// Issue 17's budget: the console's assets add at most 300 KB to the binary.
    const BUDGET_BYTES: usize = 300 * 1000;

    #[test]
    fn the_embedded_assets_stay_within_their_budget() {
        let total: usize = super::ASSETS.iter().map(|(_, _, bytes)| bytes.len()).sum();
        println!("console assets: {total} bytes embedded");
        assert!(
            total <= BUDGET_BYTES,
            "{total} bytes of assets; the budget is {BUDGET_BYTES}"
        );
    }
}
