//! IntellectMoney outcomes that can be forced (see `core::scenarios`).

use crate::core::scenarios::Scenario;

/// The catalogue; each id is handled by this provider's own code path.
pub const CATALOGUE: &[Scenario] = &[];
