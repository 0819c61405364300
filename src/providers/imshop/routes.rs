//! The runs API: `POST /imshop/runs` starts a run in the background,
//! `GET /imshop/runs[/{id}]` shows runs as JSON or, for a browser, HTML,
//! and `POST /imshop/runs/{id}/final-url` finishes a payment page a person
//! completed in a browser.

use crate::core::body::RequestBody;
use crate::core::current::State;
use axum::Extension;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

use super::checks::Tally;
use super::error::{AnswerView, ImshopError, ImshopPath};
use super::options::{Flow, OptionsError, Outcome, RunOptions, RunRequest};
use super::pages;
use super::report::RunStatus;
use super::runs::RunViewSchema;
use crate::core::journal::JournalObjects;
use crate::web::Nav;

/// True when the client asks for a page rather than JSON.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// The start form of the runs page: every field optional text.
#[derive(Debug, Default, Deserialize)]
struct RunForm {
    webhook: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    flow: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    timeout_ms: String,
    #[serde(default)]
    web_view: String,
    #[serde(default)]
    methods: String,
    #[serde(default)]
    deliveries: String,
    #[serde(default)]
    orders: String,
    #[serde(default)]
    key_placement: String,
}

impl RunForm {
    fn into_request(self) -> Result<RunRequest, String> {
        fn choice<T: serde::de::DeserializeOwned>(
            name: &str,
            text: &str,
        ) -> Result<Option<T>, String> {
            if text.is_empty() {
                return Ok(None);
            }
            serde_json::from_value(serde_json::Value::String(text.to_owned()))
                .map(Some)
                .map_err(|_| format!("{name}: {text:?} is not one of the choices"))
        }
        let timeout_ms = match self.timeout_ms.trim() {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| format!("timeout_ms: {text:?} is not a number"))?,
            ),
        };
        Ok(RunRequest {
            webhook: self.webhook,
            key: Some(self.key).filter(|k| !k.is_empty()),
            flow: choice("flow", &self.flow)?,
            outcome: choice("outcome", &self.outcome)?,
            timeout_ms,
            web_view: choice("web_view", &self.web_view)?,
            methods: Some(self.methods).filter(|u| !u.trim().is_empty()),
            deliveries: Some(self.deliveries).filter(|u| !u.trim().is_empty()),
            orders: Some(self.orders).filter(|u| !u.trim().is_empty()),
            key_placement: choice("key_placement", &self.key_placement)?,
            ..RunRequest::default()
        })
    }
}

/// Reads a JSON body with the path of a bad field in the message.
fn read_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ImshopError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        ImshopError::BadRequest(if matches!(path.as_str(), "." | "?" | "") {
            format!("invalid body: {inner}")
        } else {
            format!("invalid body at {path}: {inner}")
        })
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RunCreated {
    id: String,
    status: &'static str,
    /// Where the run is shown.
    url: String,
}

/// `POST /imshop/runs`: starts a run (JSON `RunRequest`, or the runs
/// page's form) and answers 201 with its id and `Location`.
#[utoipa::path(
    post, path = "/runs", tag = "imshop",
    request_body = RunRequest,
    responses(
        (status = 201, description = "The run started; `Location` shows it", body = RunCreated),
        (status = 303, description = "From the runs page's form: to the run's page"),
        (status = 400, description = "`{\"success\": false, \"error\"}`: the options are invalid", body = AnswerView, example = json!(ImshopError::BadRequest(OptionsError::NoWebhook.to_string()).example())),
        (status = 503, description = "Every run slot holds a run in progress", body = AnswerView),
    )
)]
// Plays IMSHOP.IO: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
async fn create_run(
    State(state): State<super::State>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Response, ImshopError> {
    let from_form = is_form(&headers);
    let request = if from_form {
        serde_urlencoded::from_bytes::<RunForm>(&body)
            .map_err(|e| ImshopError::BadRequest(format!("invalid form: {e}")))?
            .into_request()
            .map_err(ImshopError::BadRequest)?
    } else {
        read_json::<RunRequest>(&body)?
    };
    let options = RunOptions::parse(request, &state.fixture)
        .map_err(|e| ImshopError::BadRequest(e.to_string()))?;
    let record = state
        .runs
        .start(&state.engine, options)
        .map_err(ImshopError::Busy)?;
    let location = format!("/imshop/runs/{}", record.id);
    let objects = Extension(JournalObjects::one(&record.id));
    if from_form {
        return Ok((objects, Redirect::to(&location)).into_response());
    }
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location.clone())],
        objects,
        axum::Json(RunCreated {
            id: record.id.clone(),
            status: record.status().as_str(),
            url: state.core.public_url.join(&location),
        }),
    )
        .into_response())
}

/// `GET /imshop/runs`: every run kept, newest first (JSON, or the runs
/// page with a form to start one).
#[utoipa::path(
    get, path = "/runs", tag = "imshop",
    responses((status = 200, description = "Every run kept, newest first, or HTML when the client asks for text/html", content(
        (RunList = "application/json"),
        ("text/html"),
    )))
)]
// Plays IMSHOP.IO: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
async fn list_runs(State(state): State<super::State>, nav: Nav, headers: HeaderMap) -> Response {
    let runs = state.runs.list();
    if wants_html(&headers) {
        return pages::runs_page(&state, nav, &runs).into_response();
    }
    let runs = runs
        .iter()
        .map(|run| RunListed {
            id: run.id.clone(),
            status: run.status(),
            webhook: run
                .options
                .webhook
                .as_ref()
                .map_or_else(String::new, |u| u.to_string()),
            flows: run.options.flows.clone(),
            outcome: run.options.outcome,
            started_at: run.started_at.format(&Rfc3339).unwrap_or_default(),
            summary: run.tally(),
            url: state
                .core
                .public_url
                .join(&format!("/imshop/runs/{}", run.id)),
        })
        .collect();
    axum::Json(RunList { runs }).into_response()
}

/// The runs kept, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RunList {
    runs: Vec<RunListed>,
}

/// A run as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RunListed {
    id: String,
    status: RunStatus,
    /// The payments webhook called (empty: the checkout webhooks only).
    webhook: String,
    flows: Vec<Flow>,
    outcome: Outcome,
    /// RFC 3339.
    started_at: String,
    summary: Tally,
    /// Where the run is shown.
    url: String,
}

/// `GET /imshop/runs/{id}`: the run's report (so far), as JSON or HTML.
#[utoipa::path(
    get, path = "/runs/{id}", tag = "imshop",
    params(("id" = String, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run: status, checks with evidence, `needs_browser`, progress", content(
            (RunViewSchema = "application/json"),
            ("text/html"),
        )),
        (status = 404, description = "No such run", body = AnswerView, example = json!(ImshopError::NotFound(no_run("1")).example())),
    )
)]
// Plays IMSHOP.IO: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
async fn get_run(
    State(state): State<super::State>,
    ImshopPath(id): ImshopPath<String>,
    nav: Nav,
    headers: HeaderMap,
) -> Result<Response, ImshopError> {
    let record = state
        .runs
        .get(&id)
        .ok_or_else(|| ImshopError::NotFound(no_run(&id)))?;
    let objects = Extension(JournalObjects::one(&record.id));
    if wants_html(&headers) {
        return Ok((objects, pages::run_page(&state, nav, &record)).into_response());
    }
    Ok((objects, axum::Json(record.view())).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FinalUrl {
    /// The URL the browser ended on after finishing the payment page.
    url: String,
}

/// `POST /imshop/runs/{id}/final-url {"url"}`: a person finished the
/// payment page in a browser; the run matches the URL against the regexes
/// and goes on.
#[utoipa::path(
    post, path = "/runs/{id}/final-url", tag = "imshop",
    params(("id" = String, Path, description = "Run id")),
    request_body = FinalUrl,
    responses(
        (status = 202, description = "The run goes on", body = FinalUrlAccepted),
        (status = 303, description = "From the run page's form: back to the run page"),
        (status = 400, description = "Not an absolute URL", body = AnswerView, example = json!(ImshopError::BadRequest(not_absolute("ok")).example())),
        (status = 404, description = "No such run", body = AnswerView, example = json!(ImshopError::NotFound(no_run("1")).example())),
        (status = 409, description = "The run is not waiting for a browser", body = AnswerView),
    )
)]
// Plays IMSHOP.IO: https://docs.imshop.io/dopolnitelnye-integracii/korzina-oformlenie-zakaza/ekvairing-cherez-webhook/sozdanie-platezha-po-karte
async fn submit_final_url(
    State(state): State<super::State>,
    ImshopPath(id): ImshopPath<String>,
    headers: HeaderMap,
    RequestBody(body): RequestBody,
) -> Result<Response, ImshopError> {
    let from_form = is_form(&headers);
    let FinalUrl { url } = if from_form {
        serde_urlencoded::from_bytes(&body)
            .map_err(|e| ImshopError::BadRequest(format!("invalid form: {e}")))?
    } else {
        read_json(&body)?
    };
    let url = url.trim().to_owned();
    // Any absolute URL: the app's own deep link (`imshop://…`) is a
    // legitimate place to end.
    if reqwest::Url::parse(&url).is_err() {
        return Err(ImshopError::BadRequest(not_absolute(&url)));
    }
    let record = state
        .runs
        .get(&id)
        .ok_or_else(|| ImshopError::NotFound(no_run(&id)))?;
    record
        .submit_final_url(url)
        .map_err(ImshopError::Conflict)?;
    let objects = Extension(JournalObjects::one(&record.id));
    if from_form {
        return Ok((objects, Redirect::to(&format!("/imshop/runs/{id}"))).into_response());
    }
    Ok((
        StatusCode::ACCEPTED,
        objects,
        axum::Json(FinalUrlAccepted {
            success: true,
            id: record.id.clone(),
        }),
    )
        .into_response())
}

/// The final URL taken.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct FinalUrlAccepted {
    /// Always `true`.
    success: bool,
    /// The run's id.
    id: String,
}

fn no_run(id: &str) -> String {
    format!("no run {id}")
}

fn not_absolute(url: &str) -> String {
    format!("url {url:?} is not an absolute URL")
}

/// The runs API's routes.
pub fn router() -> utoipa_axum::router::OpenApiRouter {
    use crate::openapi::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(super::sync::sync_payment))
        .routes(routes!(create_run, list_runs))
        .routes(routes!(get_run))
        .routes(routes!(submit_final_url))
}
