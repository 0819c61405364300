//! IMSHOP outcomes that can be forced (see `core::scenarios`).
//!
//! paysandbox's IMSHOP side serves one endpoint merchants call, the sync
//! URL; its refusal can be forced so a merchant can test how its sender
//! handles `{"success": false}`.

use crate::core::scenarios::Scenario;

/// The operation of `POST /imshop/sync`.
pub const SYNC: &str = "imshop.sync";

/// The catalogue; each id is handled by this provider's own code path.
pub const CATALOGUE: &[Scenario] = &[Scenario {
    id: "imshop.sync.unknown_payment",
    operation: SYNC,
    applies_to: "POST /imshop/sync",
    response: "200 {\"success\": false, \"error\": \"unknown payment: ...\"}, as for a payment no run knows (the report does not reach the run)",
}];
