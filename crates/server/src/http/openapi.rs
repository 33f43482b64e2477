//! The OpenAPI document, built with utoipa from the same endpoint table the router serves.

use axum::response::Response;
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder};

use super::{endpoints, ok};

fn method(m: &axum::http::Method) -> HttpMethod {
    match *m {
        axum::http::Method::POST => HttpMethod::Post,
        axum::http::Method::PUT => HttpMethod::Put,
        axum::http::Method::DELETE => HttpMethod::Delete,
        axum::http::Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut paths = PathsBuilder::new();
    for e in endpoints() {
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .tag(e.tag)
            .operation_id(Some(format!("{} {}", e.method, e.path)))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("Success")
                    .content("application/json", ContentBuilder::new().build()),
            )
            .response("401", ResponseBuilder::new().description("Couldn't authenticate you"))
            .response("403", ResponseBuilder::new().description("Forbidden"))
            .response("404", ResponseBuilder::new().description("RecordNotFound"))
            .response("422", ResponseBuilder::new().description("RecordInvalid, with details per field"))
            .response("429", ResponseBuilder::new().description("Rate limited; see Retry-After"));
        for seg in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            op = op
                .parameter(ParameterBuilder::new().name(name).parameter_in(ParameterIn::Path).required(Required::True));
        }
        if matches!(e.method, axum::http::Method::POST | axum::http::Method::PUT) {
            op = op.request_body(Some(
                RequestBodyBuilder::new().content("application/json", ContentBuilder::new().build()).build(),
            ));
        }
        paths = paths.path(e.path, PathItem::new(method(&e.method), op.build()));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Frontdesk API (Zendesk Support API v2 compatible)")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .build()
}

pub async fn serve() -> Response {
    let doc = serde_json::to_value(document()).unwrap_or(Value::Null);
    ok(doc)
}
