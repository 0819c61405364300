//! The dashboard's forms: each changes state through the same core method
//! as the JSON control plane, then redirects back with a notice.
//!
//! They refuse cross-site posts: a browser sends `Origin` (and
//! `Sec-Fetch-Site`) with every form post, so a page elsewhere cannot reset
//! or arm anything in a sandbox a developer has open.

use crate::core::current::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::core::Core;
use crate::core::error::AdminPath;
use crate::core::faults::{Direction, FaultSpec, Latency};
use crate::core::scenarios::Arm;
use crate::core::snapshot::SnapshotError;
use crate::http::snapshots;
use crate::state::AppState;
use crate::web::origin::{CrossSite, same_origin};

/// Why a dashboard action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// 403: the form was posted from another site.
    #[error("cross-site form posts are refused")]
    CrossSite,
    /// 400: the form's values are not usable.
    #[error("{0}")]
    Invalid(String),
    /// 404: what the form acts on is not there (a snapshot deleted since
    /// the page was shown).
    #[error("{0}")]
    NotFound(String),
    /// 409: the action collides with what is there (a snapshot name
    /// taken, a restore that would make an id ambiguous).
    #[error("{0}")]
    Conflict(String),
}

impl IntoResponse for ActionError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::CrossSite => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
        };
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.to_string(),
        )
            .into_response()
    }
}

/// `Form` whose rejections (wrong content type, a value of the wrong type)
/// are the dashboard's own 400 rather than axum's plain-text answer.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Form), rejection(ActionError))]
pub struct ActionForm<T>(pub T);

impl From<CrossSite> for ActionError {
    fn from(_: CrossSite) -> Self {
        Self::CrossSite
    }
}

/// The control plane's statuses for the same refusals.
impl From<SnapshotError> for ActionError {
    fn from(error: SnapshotError) -> Self {
        let message = error.to_string();
        match error {
            SnapshotError::NotFound(_) => Self::NotFound(message),
            SnapshotError::Exists(_) | SnapshotError::Conflict(_) => Self::Conflict(message),
            SnapshotError::BadName(_) | SnapshotError::Malformed(_) | SnapshotError::Newer(_) => {
                Self::Invalid(message)
            }
        }
    }
}

impl From<axum::extract::rejection::FormRejection> for ActionError {
    fn from(rejection: axum::extract::rejection::FormRejection) -> Self {
        Self::Invalid(rejection.body_text())
    }
}

/// Back to `back` (a local path only: never an open redirect) with a notice.
fn back_to(back: Option<&str>, fallback: &str, notice: &str) -> Redirect {
    let path = back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        // A control character (CR, LF) cannot be in a `Location` header:
        // axum would answer a plain-text 500.
        .filter(|b| !b.chars().any(char::is_control))
        .unwrap_or(fallback);
    let (path, _) = path.split_once('?').unwrap_or((path, ""));
    let query = serde_urlencoded::to_string([("done", notice)]).unwrap_or_default();
    Redirect::to(&format!("{path}?{query}"))
}

#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `POST /actions/reset`.
pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<Back>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    state.reset().await;
    Ok(back_to(
        form.back.as_deref(),
        "/",
        "Sandbox reset: everything forgotten, clock at real time.",
    ))
}

#[derive(Debug, Deserialize)]
pub struct ClockForm {
    seconds: String,
    back: Option<String>,
}

/// `POST /actions/clock`: accepts `90`, `90s`, `15m`, `24h`, `90d`.
pub async fn advance_clock(
    State(state): State<AppState>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<ClockForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let seconds = parse_span(&form.seconds).ok_or_else(|| {
        ActionError::Invalid(format!(
            "{:?} is not a time span: use seconds or a number with s, m, h or d",
            form.seconds
        ))
    })?;
    state.advance_clock(time::Duration::seconds(seconds));
    Ok(back_to(
        form.back.as_deref(),
        "/",
        &format!("Clock moved by {seconds} s."),
    ))
}

/// Seconds in `90`, `90s`, `15m`, `24h` or `90d` (at most about 100 years).
fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c.to_ascii_lowercase()),
        _ => (text, 's'),
    };
    let number: i64 = number.trim().parse().ok()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    number
        .checked_mul(factor)
        // `unsigned_abs`: the absolute value of i64::MIN overflows.
        .filter(|s| s.unsigned_abs() <= 100 * 366 * 86_400)
}

#[derive(Debug, Deserialize)]
pub struct ArmForm {
    id: String,
    times: Option<String>,
    match_field: Option<String>,
    match_value: Option<String>,
    back: Option<String>,
}

/// `POST /actions/scenarios`: arm one outcome of the catalogue.
pub async fn arm_scenario(
    State(core): State<Core>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<ArmForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let times = match form.times.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(t) => t
            .parse()
            .map_err(|_| ActionError::Invalid(format!("times {t:?} is not a number")))?,
    };
    let mut matches = std::collections::BTreeMap::new();
    if let (Some(field), Some(value)) = (form.match_field, form.match_value)
        && !field.trim().is_empty()
    {
        matches.insert(field.trim().to_owned(), value);
    }
    let armed = core
        .scenarios
        .arm(Arm {
            id: form.id,
            times,
            matches,
        })
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(back_to(
        form.back.as_deref(),
        "/scenarios",
        &format!(
            "Armed {} for the next {} request(s).",
            armed.arm.id, armed.remaining
        ),
    ))
}

/// `POST /actions/scenarios/{handle}/disarm`.
pub async fn disarm_scenario(
    State(core): State<Core>,
    headers: HeaderMap,
    AdminPath(handle): AdminPath<u64>,
    ActionForm(form): ActionForm<Back>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let done = if core.scenarios.disarm(handle) {
        "Disarmed."
    } else {
        "Already gone."
    };
    Ok(back_to(form.back.as_deref(), "/scenarios", done))
}

#[derive(Debug, Deserialize)]
pub struct FaultForm {
    provider: String,
    direction: Option<String>,
    path: Option<String>,
    method: Option<String>,
    latency_ms: Option<String>,
    status: Option<String>,
    drop: Option<String>,
    times: Option<String>,
    probability: Option<String>,
    bad_signature: Option<String>,
    back: Option<String>,
}

fn blank_to_none(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn parse_field<T: std::str::FromStr>(
    name: &str,
    value: Option<String>,
) -> Result<Option<T>, ActionError> {
    blank_to_none(value)
        .map(|v| {
            v.parse()
                .map_err(|_| ActionError::Invalid(format!("{name} {v:?} is not a number")))
        })
        .transpose()
}

/// `POST /actions/faults`: the same fault `POST /__sandbox/faults` takes, as
/// a form (`latency_ms` as `300` or `100-500`).
pub async fn add_fault(
    State(core): State<Core>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<FaultForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let latency_ms = match blank_to_none(form.latency_ms) {
        None => None,
        Some(text) => Some(match text.split_once('-') {
            Some((a, b)) => Latency::Range([
                a.trim()
                    .parse()
                    .map_err(|_| ActionError::Invalid(format!("latency {text:?}")))?,
                b.trim()
                    .parse()
                    .map_err(|_| ActionError::Invalid(format!("latency {text:?}")))?,
            ]),
            None => Latency::Fixed(
                text.parse()
                    .map_err(|_| ActionError::Invalid(format!("latency {text:?}")))?,
            ),
        }),
    };
    let spec = FaultSpec {
        provider: form.provider,
        direction: match form.direction.as_deref() {
            Some("outbound") => Direction::Outbound,
            _ => Direction::Inbound,
        },
        path: blank_to_none(form.path),
        method: blank_to_none(form.method),
        latency_ms,
        status: parse_field("status", form.status)?,
        drop: form.drop.is_some_and(|d| d == "on" || d == "true"),
        bad_signature: form.bad_signature.is_some_and(|d| d == "on" || d == "true"),
        times: parse_field("times", form.times)?,
        probability: parse_field("probability", form.probability)?,
    };
    let fault = core
        .faults
        .add(spec)
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(back_to(
        form.back.as_deref(),
        "/faults",
        &format!("Fault {} active.", fault.handle),
    ))
}

/// `POST /actions/faults/{handle}/remove`.
pub async fn remove_fault(
    State(core): State<Core>,
    headers: HeaderMap,
    AdminPath(handle): AdminPath<u64>,
    ActionForm(form): ActionForm<Back>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let done = if core.faults.remove(handle) {
        "Fault removed."
    } else {
        "Already gone."
    };
    Ok(back_to(form.back.as_deref(), "/faults", done))
}

#[derive(Debug, Deserialize)]
pub struct RedeliverForm {
    bad_signature: Option<String>,
    back: Option<String>,
}

/// `POST /actions/webhooks/{id}/redeliver` (with `bad_signature=true`: a
/// deliberately wrong signature on that attempt).
pub async fn redeliver(
    State(core): State<Core>,
    headers: HeaderMap,
    AdminPath(id): AdminPath<u64>,
    ActionForm(form): ActionForm<RedeliverForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let bad_signature = form.bad_signature.as_deref() == Some("true");
    core.outbox
        .redeliver(id, bad_signature)
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let done = if bad_signature {
        format!("Delivery {id} queued for another attempt, with a wrong signature.")
    } else {
        format!("Delivery {id} queued for another attempt.")
    };
    Ok(back_to(form.back.as_deref(), "/webhooks", &done))
}

#[derive(Debug, Deserialize)]
pub struct TakeSnapshotForm {
    name: Option<String>,
    back: Option<String>,
}

/// `POST /actions/snapshots`: the workspace kept under `name`, or under the
/// first free `snapshot-N` when it is blank (as `POST /__sandbox/snapshots`).
pub async fn take_snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<TakeSnapshotForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let document = snapshots::take(&state, blank_to_none(form.name)).await?;
    let holds = super::snapshots::holds(&document.object_counts());
    Ok(back_to(
        form.back.as_deref(),
        "/snapshots",
        &format!("Snapshot {} taken: {holds}.", document.name),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ImportSnapshotForm {
    name: String,
    document: String,
    back: Option<String>,
}

/// `POST /actions/snapshots/import`: a pasted document kept under `name`
/// (as `PUT /__sandbox/snapshots/{name}`, which takes larger ones).
pub async fn import_snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    ActionForm(form): ActionForm<ImportSnapshotForm>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let (document, replaced) =
        snapshots::import(&state, form.name.trim(), form.document.as_bytes())?;
    let verb = if replaced { "replaced" } else { "imported" };
    let holds = super::snapshots::holds(&document.object_counts());
    Ok(back_to(
        form.back.as_deref(),
        "/snapshots",
        &format!("Snapshot {} {verb}: {holds}.", document.name),
    ))
}

/// `POST /actions/snapshots/{name}/restore`.
pub async fn restore_snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminPath(name): AdminPath<String>,
    ActionForm(form): ActionForm<Back>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let document = snapshots::restore(&state, &name).await?;
    Ok(back_to(
        form.back.as_deref(),
        "/snapshots",
        &format!(
            "Snapshot {name} restored: the workspace is as it was at {}.",
            crate::web::format_time(document.taken_at)
        ),
    ))
}

/// `POST /actions/snapshots/{name}/delete`.
pub async fn delete_snapshot(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminPath(name): AdminPath<String>,
    ActionForm(form): ActionForm<Back>,
) -> Result<Redirect, ActionError> {
    same_origin(&headers)?;
    let done = if state.core.snapshots.remove(&name) {
        format!("Snapshot {name} deleted.")
    } else {
        "Already gone.".to_owned()
    };
    Ok(back_to(form.back.as_deref(), "/snapshots", &done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_take_a_unit() {
        assert_eq!(parse_span("90"), Some(90));
        assert_eq!(parse_span("15m"), Some(900));
        assert_eq!(parse_span("24h"), Some(86_400));
        assert_eq!(parse_span("90d"), Some(7_776_000));
        assert_eq!(parse_span("-1h"), Some(-3600));
        assert_eq!(parse_span("1w"), None);
        assert_eq!(parse_span("soon"), None);
    }

    #[test]
    fn back_only_goes_to_local_paths() {
        let location = |back| {
            back_to(back, "/", "x")
                .into_response()
                .headers()
                .get(header::LOCATION)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(location(Some("/faults")), "/faults?done=x");
        assert_eq!(location(Some("//evil.example/")), "/?done=x");
        assert_eq!(location(Some("https://evil.example/")), "/?done=x");
    }
}
