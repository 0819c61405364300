//! The card flow's middle step: the payment page in the app's web view.
//! Opens `paymentUrl` in the [`WebView`] (journaling every navigation),
//! hands a page the run cannot fill to a person through the [`Browser`],
//! and judges where it ended: `payment_page_driven`, `redirect_matched`.

use std::sync::Arc;

use super::Browser;
use super::flows::{Position, Recorder};
use crate::providers::imshop::checks::{Check, CheckName, CheckStatus, Evidence, Hop, counted};
use crate::providers::imshop::options::{Outcome, WebViewMode};
use crate::providers::imshop::report::BrowserWait;
use crate::providers::imshop::webview::{End, Navigation, Regexes, WebView, Which};

impl Recorder<'_> {
    /// Opens the payment page, hands it to a person when the run cannot
    /// drive it, and judges where it ended. False when the flow cannot go
    /// on (the page broke, or nobody finished it).
    pub(super) async fn web_view(
        &mut self,
        at: &Position<'_>,
        payment_url: reqwest::Url,
        regexes: &Regexes,
        browser: &dyn Browser,
    ) -> bool {
        let step = at.step("web_view");
        let (end, mut hops) = if self.options.web_view == WebViewMode::Browser {
            let url = payment_url.to_string();
            (End::NeedsBrowser { url }, Vec::new())
        } else {
            self.drive(at, payment_url, regexes).await
        };

        // A page the run cannot fill: a person may finish it.
        let mut by_person = false;
        let end = match end {
            End::NeedsBrowser { url } => {
                self.progress(
                    at.scope,
                    &format!("web_view: {url} needs a person in a browser"),
                );
                let Some(final_url) = browser.finish(at.flow, &url).await else {
                    self.unfinished_page.get_or_insert(BrowserWait {
                        flow: at.flow,
                        url: url.clone(),
                    });
                    let hops: Arc<[Hop]> = hops.into();
                    self.push(step.check(
                        CheckName::PaymentPageDriven,
                        CheckStatus::Failed,
                        format!(
                            "{url} is not a paysandbox page: finish it in a browser (needs_browser)"
                        ),
                        Evidence::hops(&hops),
                    ));
                    return false;
                };
                by_person = true;
                hops.push(Hop {
                    method: "BROWSER".to_owned(),
                    url: final_url.clone(),
                    status: None,
                    note: format!("a person finished {url} in a browser and ended here"),
                    elapsed_ms: 0.0,
                });
                match regexes.matching(&final_url) {
                    Some(which) => End::Matched {
                        which,
                        url: final_url,
                    },
                    None => End::Left {
                        url: final_url,
                        reason: "the browser ended on a URL no regex matches".to_owned(),
                    },
                }
            }
            other => other,
        };
        let hops: Arc<[Hop]> = hops.into();
        let check =
            |name, status, message| step.check(name, status, message, Evidence::hops(&hops));
        if let End::Broken { url, reason } = &end {
            self.push(check(
                CheckName::PaymentPageDriven,
                CheckStatus::Failed,
                format!("{url}: {reason}"),
            ));
            return false;
        }
        let driven = if by_person {
            "finished by a person in a browser".to_owned()
        } else {
            format!("completed in {}", counted(hops.len(), "navigation"))
        };
        let redirect = redirect_matched(&end, self.options.outcome);
        let checks: [Check; 2] = [
            check(CheckName::PaymentPageDriven, CheckStatus::Passed, driven),
            check(CheckName::RedirectMatched, redirect.0, redirect.1),
        ];
        for check in checks {
            self.push(check);
        }
        true
    }

    /// Lets the web view go through the page, each navigation journaled
    /// under the run, the order and the payment.
    async fn drive(
        &self,
        at: &Position<'_>,
        payment_url: reqwest::Url,
        regexes: &Regexes,
    ) -> (End, Vec<Hop>) {
        let engine = self.engine;
        self.progress(at.scope, &format!("web_view: opening {payment_url}"));
        let filing = at.filing(self.run_id, "web_view");
        let on_navigation = move |nav: Navigation<'_>| {
            let elapsed = nav.result.as_ref().ok().map(|response| response.elapsed);
            engine.journal(nav.request, nav.result, elapsed, &filing);
        };
        let view = WebView {
            client: &engine.client,
            cards: &engine.core.cards,
            outcome: self.options.outcome,
            regexes,
            timeout: self.options.timeout,
            max_hops: engine.fixture.max_web_view_hops,
            expiry: engine.card_expiry(),
            return_url: &engine.fixture.return_url,
            on_navigation: &on_navigation,
        };
        let trip = view.open(payment_url).await;
        (trip.end, trip.hops)
    }
}

/// The `redirect_matched` verdict on where a driven page ended: the regex
/// the wanted outcome expects, or (for a decline) no regex at all, since
/// the buyer then leaves the screen.
fn redirect_matched(end: &End, outcome: Outcome) -> (CheckStatus, String) {
    match (end, outcome) {
        (
            End::Matched {
                which: Which::Success,
                url,
            },
            Outcome::Success,
        ) => (CheckStatus::Passed, format!("{url} matched successRegex")),
        (
            End::Matched {
                which: Which::Failure,
                url,
            },
            Outcome::Failure,
        ) => (CheckStatus::Passed, format!("{url} matched failureRegex")),
        (End::Left { url, reason }, Outcome::Failure) => (
            CheckStatus::Passed,
            format!(
                "no regex matched and the buyer leaves at {url} ({reason}), as in the app; capture must say not captured"
            ),
        ),
        (End::Matched { which, url }, _) => (
            CheckStatus::Failed,
            format!(
                "{url} matched {}, but a {} payment must end on {}",
                which.field(),
                outcome.as_str(),
                expected_regex(outcome)
            ),
        ),
        (End::Left { url, reason }, _) => (
            CheckStatus::Failed,
            format!(
                "no URL matched {}; the web view stopped at {url} ({reason})",
                expected_regex(outcome)
            ),
        ),
        // Broken and NeedsBrowser are handled before; keep the match total
        // without a panic.
        (End::Broken { .. } | End::NeedsBrowser { .. }, _) => (
            CheckStatus::Failed,
            "the web view ended without a result".to_owned(),
        ),
    }
}

fn expected_regex(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "successRegex",
        Outcome::Failure => "failureRegex (or no regex: the buyer leaves)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(which: Which) -> End {
        End::Matched {
            which,
            url: "https://shop.example/orders/1/paid".to_owned(),
        }
    }

    fn left() -> End {
        End::Left {
            url: "https://gw.example/form".to_owned(),
            reason: "the form shows a decline".to_owned(),
        }
    }

    #[test]
    fn a_paid_order_that_reaches_the_success_regex_passes() {
        let verdict = redirect_matched(&matched(Which::Success), Outcome::Success);

        assert_eq!(
            verdict,
            (
                CheckStatus::Passed,
                "https://shop.example/orders/1/paid matched successRegex".to_owned()
            )
        );
    }

    #[test]
    fn a_decline_the_buyer_leaves_without_a_match_passes() {
        let verdict = redirect_matched(&left(), Outcome::Failure);

        assert_eq!(verdict.0, CheckStatus::Passed);
        assert_eq!(
            verdict.1,
            "no regex matched and the buyer leaves at https://gw.example/form (the form shows a decline), as in the app; capture must say not captured"
        );
    }

    #[test]
    fn a_paid_order_that_ends_on_the_failure_regex_fails() {
        let verdict = redirect_matched(&matched(Which::Failure), Outcome::Success);

        assert_eq!(
            verdict,
            (
                CheckStatus::Failed,
                "https://shop.example/orders/1/paid matched failureRegex, but a success payment must end on successRegex".to_owned()
            )
        );
    }

    #[test]
    fn a_paid_order_that_matches_nothing_fails() {
        let verdict = redirect_matched(&left(), Outcome::Success);

        assert_eq!(
            verdict,
            (
                CheckStatus::Failed,
                "no URL matched successRegex; the web view stopped at https://gw.example/form (the form shows a decline)".to_owned()
            )
        );
    }
}
