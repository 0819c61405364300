//! The mobile app's web view: opens `paymentUrl`, follows each redirect
//! itself, matches every URL it is sent to against `successRegex` and
//! `failureRegex` (the first match closes the screen, as in the app), and
//! fills paysandbox's hosted pages as a person would for the wanted outcome.
//!
//! Pages it knows (by the contract's `data-testid`s): the card form
//! (`card-form`), the 3-D Secure challenge (`challenge-form`), one-click
//! `approve`/`decline` buttons (PayLate, SBP), and auto-submitting forms
//! whose fields are all hidden (IntellectMoney's `Form3DS`). Any other page
//! before the buyer did anything is a foreign gateway: a person has to finish
//! it in a browser.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use regex::Regex;
use reqwest::Url;
use scraper::{ElementRef, Html, Selector};

use super::checks::Hop;
use super::options::Outcome;
use crate::core::cards::{CardOutcome, CardsFixture};
use crate::core::http_client::{HttpClient, OutboundRequest, OutboundResponse};

/// Which regex matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Success,
    Failure,
}

impl Which {
    pub fn field(self) -> &'static str {
        match self {
            Self::Success => "successRegex",
            Self::Failure => "failureRegex",
        }
    }
}

/// The merchant's two regexes, each `None` when it did not compile.
#[derive(Debug, Clone, Default)]
pub struct Regexes {
    pub success: Option<Regex>,
    pub failure: Option<Regex>,
}

impl Regexes {
    /// The regex `url` matches, success first. Like the app, a regex is
    /// searched for anywhere in the URL (`payment/(.+)/success` matches
    /// `https://gw/payment/1/success?x=1`).
    pub fn matching(&self, url: &str) -> Option<Which> {
        if self.success.as_ref().is_some_and(|r| r.is_match(url)) {
            Some(Which::Success)
        } else if self.failure.as_ref().is_some_and(|r| r.is_match(url)) {
            Some(Which::Failure)
        } else {
            None
        }
    }
}

/// How the web view's trip ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// A URL matched a regex: the app closes the screen.
    Matched { which: Which, url: String },
    /// No regex matched and the buyer has nothing more to do here (a
    /// decline shown on the form, a page after paying): they leave.
    Left { url: String, reason: String },
    /// A page the web view cannot fill: a person must finish it.
    NeedsBrowser { url: String },
    /// The page could not be shown (error status, not a page, a loop).
    Broken { url: String, reason: String },
}

/// The end of a trip and every navigation on the way.
#[derive(Debug)]
pub struct Trip {
    pub end: End,
    pub hops: Vec<Hop>,
}

/// One call to report to the journal.
pub struct Navigation<'a> {
    pub request: &'a OutboundRequest,
    pub result: &'a Result<OutboundResponse, crate::core::http_client::OutboundError>,
}

/// The web view of one payment.
pub struct WebView<'a> {
    pub client: &'a HttpClient,
    pub cards: &'a CardsFixture,
    pub outcome: Outcome,
    pub regexes: &'a Regexes,
    pub timeout: Duration,
    pub max_hops: usize,
    /// `MM/YY` of a card that has not expired by the sandbox clock.
    pub expiry: String,
    /// The `returnUrl` sent in `create`: the app's own deep link, which
    /// closes the screen when the page sends the buyer there.
    pub return_url: &'a str,
    /// Called after every request (the engine journals it).
    pub on_navigation: &'a (dyn Fn(Navigation<'_>) + Send + Sync),
}

/// What the web view is about to send.
struct Request {
    method: reqwest::Method,
    url: Url,
    form: Option<String>,
    note: String,
}

/// What the buyer last did on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Did {
    Nothing,
    Card,
    Challenge,
    Button,
    AutoSubmit,
}

impl WebView<'_> {
    /// Opens `payment_url` and goes on until a regex matches or the buyer
    /// can do no more.
    pub async fn open(&self, payment_url: Url) -> Trip {
        let mut hops = Vec::new();
        let mut cookies = Cookies::default();
        let mut did = Did::Nothing;
        let mut next = Request {
            method: reqwest::Method::GET,
            url: payment_url,
            form: None,
            note: String::new(),
        };
        for _ in 0..self.max_hops {
            let current = next.url.clone();
            let outbound = self.outbound(&next, &cookies);
            let started = Instant::now();
            let result = self.client.send(outbound.clone()).await;
            (self.on_navigation)(Navigation {
                request: &outbound,
                result: &result,
            });
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut hop = Hop {
                method: next.method.to_string(),
                url: current.to_string(),
                status: None,
                note: next.note.clone(),
                elapsed_ms,
            };
            let response = match result {
                Ok(response) => response,
                Err(err) => {
                    hop.note = join_note(&hop.note, &format!("no answer: {err}"));
                    hops.push(hop);
                    return Trip {
                        end: End::Broken {
                            url: current.to_string(),
                            reason: format!("the page did not load: {err}"),
                        },
                        hops,
                    };
                }
            };
            hop.status = Some(response.status);
            cookies.store(&current, &response);

            if (300..400).contains(&response.status) {
                let Some(target) = response
                    .header("location")
                    .and_then(|location| current.join(location).ok())
                else {
                    hop.note = join_note(&hop.note, "redirect without a usable Location");
                    hops.push(hop);
                    return broken(
                        hops,
                        &current,
                        "a redirect without a usable Location header",
                    );
                };
                hop.note = join_note(&hop.note, &format!("redirect to {target}"));
                if let Some(which) = self.regexes.matching(target.as_str()) {
                    hops.push(hop);
                    return matched(hops, which, &target);
                }
                if let Some(reason) = self.deep_link(&target) {
                    hop.note = join_note(&hop.note, &reason);
                    hops.push(hop);
                    return left(hops, &target, &reason);
                }
                hops.push(hop);
                // 307 and 308 repeat the request; every other redirect is
                // followed with GET, as browsers do.
                let repeat = matches!(response.status, 307 | 308);
                next = Request {
                    method: if repeat {
                        next.method
                    } else {
                        reqwest::Method::GET
                    },
                    url: target,
                    form: if repeat { next.form } else { None },
                    note: String::new(),
                };
                continue;
            }
            if response.status >= 400 {
                hop.note = join_note(&hop.note, "error page");
                hops.push(hop);
                return broken(
                    hops,
                    &current,
                    &format!("the page answered {}", response.status),
                );
            }
            if !is_html(&response) {
                hop.note = join_note(&hop.note, "not an HTML page");
                hops.push(hop);
                let reason = format!(
                    "the page is {}, not HTML",
                    response
                        .header("content-type")
                        .unwrap_or("without a Content-Type")
                );
                return if did == Did::Nothing {
                    broken(hops, &current, &reason)
                } else {
                    left(hops, &current, &reason)
                };
            }

            let page = Page::read(&response.text(), &current);
            let (form, what, now_did) = match page {
                Page::Card { form, error } => {
                    if did == Did::Card {
                        hops.push(hop);
                        let reason = match error {
                            Some(error) => format!("the form showed: {error}"),
                            None => "the card form was shown again".to_owned(),
                        };
                        return left(hops, &current, &reason);
                    }
                    let (number, card) = self.card();
                    let mut form = form;
                    form.set("card_number", &number);
                    form.set("expiry", &self.expiry);
                    form.set("cvc", "123");
                    form.set("cardholder", "IMSHOP SANDBOX");
                    (
                        form,
                        format!("card form filled with the {card} card {number}"),
                        Did::Card,
                    )
                }
                Page::Challenge { form, error } => {
                    if did == Did::Challenge {
                        hops.push(hop);
                        let reason = match error {
                            Some(error) => format!("the challenge page showed: {error}"),
                            None => "the challenge page was shown again".to_owned(),
                        };
                        return left(hops, &current, &reason);
                    }
                    let code = match self.outcome {
                        Outcome::Success => self.cards.challenge_code.clone(),
                        Outcome::Failure => wrong_code(&self.cards.challenge_code),
                    };
                    let mut form = form;
                    form.set("code", &code);
                    (
                        form,
                        format!("3-D Secure code {code} entered"),
                        Did::Challenge,
                    )
                }
                Page::Buttons { approve, decline } => {
                    let (wanted, name) = match self.outcome {
                        Outcome::Success => (approve, "approve"),
                        Outcome::Failure => (decline, "decline"),
                    };
                    match wanted {
                        Some(form) if did != Did::Button => {
                            (form, format!("{name} button pressed"), Did::Button)
                        }
                        _ => {
                            hops.push(hop);
                            return left(
                                hops,
                                &current,
                                &format!("no {name} button left to press"),
                            );
                        }
                    }
                }
                Page::AutoSubmit { form } => (
                    form,
                    "auto-submitting form posted".to_owned(),
                    Did::AutoSubmit,
                ),
                Page::Other { error } => {
                    if did == Did::Nothing {
                        hop.note = join_note(&hop.note, "a page the web view cannot fill");
                        hops.push(hop);
                        return Trip {
                            end: End::NeedsBrowser {
                                url: current.to_string(),
                            },
                            hops,
                        };
                    }
                    hops.push(hop);
                    let reason = match error {
                        Some(error) => format!("the page showed: {error}"),
                        None => "no regex matched and the page offers nothing to do".to_owned(),
                    };
                    return left(hops, &current, &reason);
                }
            };
            hop.note = join_note(&hop.note, &what);
            hops.push(hop);
            did = now_did;
            let submitted = form.submission();
            if let Some(which) = self.regexes.matching(submitted.url.as_str()) {
                return matched(hops, which, &submitted.url);
            }
            if let Some(reason) = self.deep_link(&submitted.url) {
                if let Some(last) = hops.last_mut() {
                    last.note = join_note(&last.note, &reason);
                }
                return left(hops, &submitted.url, &reason);
            }
            next = submitted;
        }
        let url = next.url.to_string();
        Trip {
            end: End::Broken {
                url,
                reason: format!("more than {} navigations (a redirect loop?)", self.max_hops),
            },
            hops,
        }
    }

    /// Why going to `url` closes the screen instead of loading a page: it
    /// is the `returnUrl` paysandbox sent (the app's own deep link for a
    /// cancelled payment), or a link of another scheme than http(s), which
    /// a web view hands to the app rather than load. Either way the buyer
    /// has left the payment page, and the app goes on to `capture`.
    fn deep_link(&self, url: &Url) -> Option<String> {
        let is_return_url = url.as_str() == self.return_url
            || Url::parse(self.return_url).is_ok_and(|return_url| return_url == *url);
        if is_return_url {
            Some(
                "the page sent the buyer to returnUrl, the app's own deep link for a cancelled payment: the screen closes"
                    .to_owned(),
            )
        } else if !matches!(url.scheme(), "http" | "https") {
            Some(format!(
                "a {}: link is no web page but a deep link the app catches: the screen closes",
                url.scheme()
            ))
        } else {
            None
        }
    }

    /// The card number for the wanted outcome, and what kind it is.
    fn card(&self) -> (String, &'static str) {
        match self.outcome {
            Outcome::Success => (
                self.cards
                    .number_for(CardOutcome::Approved)
                    .unwrap_or_else(|| "4111111111111111".to_owned()),
                "approved",
            ),
            Outcome::Failure => (
                self.cards
                    .number_for(CardOutcome::Declined)
                    .unwrap_or_else(|| "4000000000000002".to_owned()),
                "declined",
            ),
        }
    }

    fn outbound(&self, request: &Request, cookies: &Cookies) -> OutboundRequest {
        let mut outbound = match &request.form {
            Some(body) => OutboundRequest::post(
                request.url.to_string(),
                "application/x-www-form-urlencoded",
                body.clone(),
            ),
            None => OutboundRequest::get(request.url.to_string()),
        };
        outbound.method = request.method.clone();
        outbound = outbound
            .header("accept", "text/html,application/xhtml+xml")
            .timeout(self.timeout);
        if let Some(cookie) = cookies.header_for(&request.url) {
            outbound = outbound.header("cookie", cookie);
        }
        outbound
    }
}

fn join_note(note: &str, more: &str) -> String {
    if note.is_empty() {
        more.to_owned()
    } else {
        format!("{note}; {more}")
    }
}

fn matched(hops: Vec<Hop>, which: Which, url: &Url) -> Trip {
    Trip {
        end: End::Matched {
            which,
            url: url.to_string(),
        },
        hops,
    }
}

fn left(mut hops: Vec<Hop>, url: &Url, reason: &str) -> Trip {
    if let Some(last) = hops.last_mut().filter(|h| h.note.is_empty()) {
        last.note = format!("the buyer leaves: {reason}");
    }
    Trip {
        end: End::Left {
            url: url.to_string(),
            reason: reason.to_owned(),
        },
        hops,
    }
}

fn broken(hops: Vec<Hop>, url: &Url, reason: &str) -> Trip {
    Trip {
        end: End::Broken {
            url: url.to_string(),
            reason: reason.to_owned(),
        },
        hops,
    }
}

/// A code that is not the approving one (any other code declines).
fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "111111".to_owned()
    } else {
        "000000".to_owned()
    }
}

fn is_html(response: &OutboundResponse) -> bool {
    match response.header("content-type") {
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html")
        }
        None => response.text().trim_start().starts_with('<'),
    }
}

/// An HTML form as the web view will submit it.
#[derive(Debug, Clone)]
struct Form {
    method: reqwest::Method,
    action: Url,
    fields: Vec<(String, String)>,
}

impl Form {
    /// Reads `form` on a page at `page_url`: its action resolved against the
    /// page, every successful control with its current value (hidden
    /// inputs included), and `button`'s name and value when it has one.
    fn read(form: ElementRef<'_>, page_url: &Url, button: Option<ElementRef<'_>>) -> Self {
        let action = form
            .attr("action")
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .and_then(|a| page_url.join(a).ok())
            .unwrap_or_else(|| page_url.clone());
        let method = match form.attr("method").map(str::to_ascii_lowercase).as_deref() {
            Some("post") => reqwest::Method::POST,
            _ => reqwest::Method::GET,
        };
        let mut fields = Vec::new();
        for control in form.select(selector("input, select, textarea")) {
            let Some(name) = control.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            if control.attr("disabled").is_some() {
                continue;
            }
            let value = match control.value().name() {
                "select" => selected_option(control),
                "textarea" => Some(control.text().collect()),
                _ => input_value(control),
            };
            if let Some(value) = value {
                fields.push((name.to_owned(), value));
            }
        }
        if let Some(name) = button
            .and_then(|b| b.attr("name"))
            .filter(|n| !n.is_empty())
        {
            let value = button.and_then(|b| b.attr("value")).unwrap_or("");
            fields.push((name.to_owned(), value.to_owned()));
        }
        Self {
            method,
            action,
            fields,
        }
    }

    /// Sets a field, replacing its value or adding it.
    fn set(&mut self, name: &str, value: &str) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_owned(),
            None => self.fields.push((name.to_owned(), value.to_owned())),
        }
    }

    fn submission(self) -> Request {
        let encoded = serde_urlencoded::to_string(&self.fields).unwrap_or_default();
        if self.method == reqwest::Method::POST {
            Request {
                method: self.method,
                url: self.action,
                form: Some(encoded),
                note: String::new(),
            }
        } else {
            let mut url = self.action;
            url.set_query(if encoded.is_empty() {
                None
            } else {
                Some(&encoded)
            });
            Request {
                method: self.method,
                url,
                form: None,
                note: String::new(),
            }
        }
    }
}

/// The value an input contributes, or `None` when it contributes nothing
/// (buttons, unchecked boxes, files).
fn input_value(input: ElementRef<'_>) -> Option<String> {
    let kind = input.attr("type").unwrap_or("text").to_ascii_lowercase();
    match kind.as_str() {
        "submit" | "button" | "image" | "reset" | "file" => None,
        "checkbox" | "radio" => input
            .attr("checked")
            .map(|_| input.attr("value").unwrap_or("on").to_owned()),
        _ => Some(input.attr("value").unwrap_or("").to_owned()),
    }
}

fn selected_option(select: ElementRef<'_>) -> Option<String> {
    let options: Vec<ElementRef<'_>> = select.select(selector("option")).collect();
    let chosen = options
        .iter()
        .find(|o| o.attr("selected").is_some())
        .or_else(|| options.first())?;
    Some(chosen.attr("value").map_or_else(
        || chosen.text().collect::<String>().trim().to_owned(),
        str::to_owned,
    ))
}

/// What a page offers the buyer.
#[derive(Debug)]
enum Page {
    Card {
        form: Form,
        error: Option<String>,
    },
    Challenge {
        form: Form,
        error: Option<String>,
    },
    Buttons {
        approve: Option<Form>,
        decline: Option<Form>,
    },
    AutoSubmit {
        form: Form,
    },
    Other {
        error: Option<String>,
    },
}

impl Page {
    /// Reads a page. Parsing happens here, synchronously: the parsed
    /// document is not `Send` and must not live across an `.await`.
    fn read(html: &str, url: &Url) -> Self {
        let document = Html::parse_document(html);
        let error = document
            .select(selector("[data-testid=\"error\"]"))
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .find(|text| !text.is_empty());
        if let Some(form) = document
            .select(selector("form[data-testid=\"card-form\"]"))
            .next()
        {
            return Self::Card {
                form: Form::read(form, url, None),
                error,
            };
        }
        if let Some(form) = document
            .select(selector("form[data-testid=\"challenge-form\"]"))
            .next()
        {
            return Self::Challenge {
                form: Form::read(form, url, None),
                error,
            };
        }
        let button = |testid: &str| {
            let css = format!("[data-testid=\"{testid}\"]");
            let found = Selector::parse(&css).ok()?;
            let button = document.select(&found).next()?;
            let form = button
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|e| e.value().name() == "form")?;
            Some(Form::read(form, url, Some(button)))
        };
        let (approve, decline) = (button("approve"), button("decline"));
        if approve.is_some() || decline.is_some() {
            return Self::Buttons { approve, decline };
        }
        let forms: Vec<ElementRef<'_>> = document.select(selector("form")).collect();
        if let [form] = forms.as_slice()
            && only_hidden_fields(*form)
        {
            return Self::AutoSubmit {
                form: Form::read(*form, url, None),
            };
        }
        Self::Other { error }
    }
}

/// True when a form asks the buyer nothing: every input is hidden (a
/// visible submit button is the no-JavaScript fallback of an
/// auto-submitting form).
fn only_hidden_fields(form: ElementRef<'_>) -> bool {
    form.select(selector("input, select, textarea"))
        .all(|control| {
            control.value().name() == "input"
                && matches!(
                    control.attr("type").map(str::to_ascii_lowercase).as_deref(),
                    Some("hidden" | "submit")
                )
        })
}

/// A compiled selector; the texts are constants of this file.
fn selector(css: &'static str) -> &'static Selector {
    use std::sync::{LazyLock, Mutex};
    static CACHE: LazyLock<Mutex<HashMap<&'static str, &'static Selector>>> =
        LazyLock::new(Mutex::default);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.entry(css).or_insert_with(|| {
        Box::leak(Box::new(
            Selector::parse(css).expect("the selectors of this file are valid CSS"),
        ))
    })
}

/// The cookies a gateway set, per host: enough for a session cookie or a
/// CSRF token; paths and expiry are ignored (a trip lasts seconds).
#[derive(Debug, Default)]
struct Cookies(HashMap<String, Vec<(String, String)>>);

impl Cookies {
    fn store(&mut self, url: &Url, response: &OutboundResponse) {
        let Some(host) = url.host_str() else { return };
        for (name, value) in &response.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let Some((cookie_name, cookie_value)) = value
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            let jar = self.0.entry(host.to_owned()).or_default();
            jar.retain(|(n, _)| n != cookie_name.trim());
            jar.push((
                cookie_name.trim().to_owned(),
                cookie_value.trim().to_owned(),
            ));
        }
    }

    fn header_for(&self, url: &Url) -> Option<String> {
        let jar = self.0.get(url.host_str()?)?;
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

#[cfg(test)]
mod tests;
