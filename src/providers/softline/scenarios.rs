//! Softline outcomes that can be forced (see `core::scenarios`).
//!
//! Each id maps to the very value the natural code path produces (a
//! [`Problem`], an [`AuthFailure`], a card outcome), so a forced answer is
//! byte for byte the natural one.

use serde_json::Value;

use super::error::{AuthFailure, Problem};
use crate::core::cards::CardOutcome;
use crate::core::scenarios::{Scenario, json_field};

/// Every authenticated endpoint.
pub const AUTH: &str = "softline.auth";
/// `POST /v1/login_check`.
pub const LOGIN: &str = "softline.login_check";
/// `POST /v1/payment`.
pub const CREATE_PAYMENT: &str = "softline.create_payment";
/// `POST /v1/payment/recurring`.
pub const RECURRING: &str = "softline.recurring";
/// Paying on the hosted form (card form and one-click approve).
pub const PAYMENT: &str = "softline.payment";

/// The field a forced 6010 names.
pub const FORCED_6010_FIELD: &str = "amount";

const AUTHENTICATED: &str = "every authenticated /softline/v1 endpoint";
const CREATE: &str = "POST /softline/v1/payment";
const FORM: &str = "POST /softline/order/status/{order_id}/{hash}/card and /approve";

macro_rules! create_payment {
    ($code:literal, $what:literal) => {
        Scenario {
            id: concat!("softline.create_payment.", $code),
            operation: CREATE_PAYMENT,
            applies_to: CREATE,
            response: concat!("400 ", $code, " ", $what),
        }
    };
}

/// The catalogue; each id is handled by this provider's own code path.
pub const CATALOGUE: &[Scenario] = &[
    Scenario {
        id: "softline.auth.1007",
        operation: AUTH,
        applies_to: AUTHENTICATED,
        response: "401 1007 Your token is invalid.",
    },
    Scenario {
        id: "softline.auth.1008",
        operation: AUTH,
        applies_to: AUTHENTICATED,
        response: "401 1008 Missing token.",
    },
    Scenario {
        id: "softline.auth.1009",
        operation: AUTH,
        applies_to: AUTHENTICATED,
        response: "401 1009 Your token is expired.",
    },
    Scenario {
        id: "softline.login_check.401",
        operation: LOGIN,
        applies_to: "POST /softline/v1/login_check",
        response: "401 Invalid credentials. (even for the right password)",
    },
    create_payment!("110", "JSON is not valid."),
    create_payment!("111", "Invalid data format (Content-type)."),
    create_payment!("6000", "Unable to generate payment (currency not enabled)"),
    create_payment!("6010", "Invalid field value: amount."),
    create_payment!("6020", "Locale not found."),
    create_payment!("6030", "zero-amount payments are not available"),
    create_payment!("6060", "Email field is filled out incorrectly"),
    create_payment!("6080", "This payment method is not available"),
    create_payment!("6090", "not available for this payment amount"),
    create_payment!("6100", "does not support recurring payments"),
    Scenario {
        id: "softline.recurring.declined",
        operation: RECURRING,
        applies_to: "POST /softline/v1/payment/recurring",
        response: "200 {order_id}; the charge fails: order.payment.failed, status stays `not paid`",
    },
    Scenario {
        id: "softline.payment.declined",
        operation: PAYMENT,
        applies_to: FORM,
        response: "the card is declined whatever its number: the form again with the reason, order.payment.failed",
    },
    Scenario {
        id: "softline.payment.insufficient_funds",
        operation: PAYMENT,
        applies_to: FORM,
        response: "declined for insufficient funds whatever the card: the form again with the reason, order.payment.failed",
    },
    Scenario {
        id: "softline.payment.challenge",
        operation: PAYMENT,
        applies_to: FORM,
        response: "303 to the 3-D Secure challenge page whatever the card",
    },
];

/// The 401 a forced `softline.auth.*` answers.
pub fn auth_failure(id: &str) -> Option<AuthFailure> {
    match id {
        "softline.auth.1007" => Some(AuthFailure::Invalid),
        "softline.auth.1008" => Some(AuthFailure::Missing),
        "softline.auth.1009" => Some(AuthFailure::Expired),
        _ => None,
    }
}

/// The problem a forced `softline.create_payment.*` adds.
pub fn create_payment_problem(id: &str) -> Option<Problem> {
    Some(match id.strip_prefix("softline.create_payment.")? {
        "110" => Problem::InvalidJson,
        "111" => Problem::ContentType,
        "6000" => Problem::CurrencyNotEnabled,
        "6010" => Problem::field(FORCED_6010_FIELD),
        "6020" => Problem::LocaleNotFound,
        "6030" => Problem::ZeroAmount,
        "6060" => Problem::Email,
        "6080" => Problem::MethodNotAvailable,
        "6090" => Problem::AmountNotAvailable,
        "6100" => Problem::RecurringNotSupported,
        _ => return None,
    })
}

/// The card outcome a forced `softline.payment.*` imposes.
pub fn card_outcome(id: &str) -> Option<CardOutcome> {
    match id {
        "softline.payment.declined" => Some(CardOutcome::Declined),
        "softline.payment.insufficient_funds" => Some(CardOutcome::InsufficientFunds),
        "softline.payment.challenge" => Some(CardOutcome::Challenge),
        _ => None,
    }
}

/// Field look-up in a raw body that may not be JSON at all.
pub fn fields_of_bytes(body: &[u8]) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| json_field(&v, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_entry_maps_to_an_outcome_of_its_operation() {
        for scenario in CATALOGUE {
            let mapped = match scenario.operation {
                AUTH => auth_failure(scenario.id).is_some(),
                CREATE_PAYMENT => create_payment_problem(scenario.id).is_some(),
                PAYMENT => card_outcome(scenario.id).is_some(),
                LOGIN | RECURRING => true,
                other => panic!("unknown operation {other}"),
            };
            assert!(mapped, "{} has no outcome", scenario.id);
            assert!(
                scenario.id.starts_with(scenario.operation),
                "{}",
                scenario.id
            );
        }
    }

    #[test]
    fn forced_create_payment_codes_are_the_codes_of_their_ids() {
        for scenario in CATALOGUE.iter().filter(|s| s.operation == CREATE_PAYMENT) {
            let problem = create_payment_problem(scenario.id).unwrap();
            assert!(
                scenario.id.ends_with(&format!(".{}", problem.code())),
                "{}",
                scenario.id
            );
        }
    }
}
