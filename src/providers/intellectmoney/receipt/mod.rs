//! `MerchantReceipt`: the 54-FZ fiscal receipt a shop may attach to
//! CreateInvoice, as the official PHP SDK models it
//! (`IntellectMoney/intellectmoney-sdk-php`, `src/structs/common/receipt/`).
//!
//! The SDK sends it as one parameter holding JSON text
//! (`json_encode($this->_merchantReceipt->toArray())` in
//! `CreateInvoiceDataModel::toArray`), with its members in lowerCamelCase:
//! `{inn, group, skipAmountCheck, content: {type, customerContact,
//! agentType?, positions: [{quantity, price, tax, text, paymentSubjectType?,
//! paymentMethodType?, supplierInn?}], checkClose?: {payments: [{type,
//! amount}], taxationSystem}}}`. Every enumeration travels as its number.
//!
//! The SDK checks types only and turns an unknown number into 0 ("Empty");
//! IntellectMoney publishes no error codes for a receipt. The sandbox refuses
//! a defect with the codes it uses for any parameter (2 missing, 3 invalid)
//! and names the member by its path, `MerchantReceipt.content.positions[1].price`
//! (indices from 0, as in the JSON array), one fault at a time like every
//! other refusal. What the sandbox decided where the SDK is silent is marked
//! "sandbox" below and in `docs/intellectmoney.md`.

use serde_json::{Map, Value};

use crate::core::money::Amount;

/// The parameter's name, the root of every path.
const ROOT: &str = "MerchantReceipt";

/// 54-FZ tag 1030 (the position's name) holds at most 128 characters
/// (sandbox: the SDK sets no limit).
const MAX_TEXT: usize = 128;

/// A refused receipt, naming the member at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// A member the SDK requires (`Contracts::keyRequired`) is absent.
    #[error("Не передан обязательный параметр {0}")]
    Missing(String),
    #[error("Неверное значение параметра {field}: {reason}")]
    Invalid { field: String, reason: String },
}

impl ReceiptError {
    fn invalid(field: &Path, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.0.clone(),
            reason: reason.into(),
        }
    }

    /// The member's path, for `ErrorSourceParam`.
    pub fn field(&self) -> &str {
        match self {
            Self::Missing(field) | Self::Invalid { field, .. } => field,
        }
    }
}

type Result<T> = std::result::Result<T, ReceiptError>;

/// A value of one of the SDK's enumerations: the number sent and the SDK's
/// name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub value: u8,
    pub name: &'static str,
}

/// An SDK enumeration without its 0 "Empty"/"Unknown" member: that is what
/// the SDK's `BaseEnum::fromMixed` silently substitutes for a number it does
/// not know, so the sandbox refuses it to surface the typo (sandbox).
type Table = &'static [(u8, &'static str)];

/// `ReceiptDocType.php`.
pub const DOC_TYPES: Table = &[(1, "In"), (2, "InReturn"), (3, "Out"), (4, "OutReturn")];

/// `ReceiptVatRate.php`.
pub const VAT_RATES: Table = &[
    (1, "Vat20"),
    (2, "Vat10"),
    (3, "Vat120"),
    (4, "Vat110"),
    (5, "Vat0"),
    (6, "None"),
];

/// `PaymentSubjectType.php` (there is no 28 or 29).
pub const PAYMENT_SUBJECTS: Table = &[
    (1, "Product"),
    (2, "Excisable"),
    (3, "Job"),
    (4, "Service"),
    (5, "GamblingBet"),
    (6, "GamblingGain"),
    (7, "LotteryTicket"),
    (8, "LotteryWinnings"),
    (9, "Rid"),
    (10, "Payment"),
    (11, "AgentComission"),
    (12, "Composite"),
    (13, "Other"),
    (14, "PropertyRight"),
    (15, "NonOperatingGain"),
    (16, "InsurancePremium"),
    (17, "SalesTax"),
    (18, "ResortFee"),
    (19, "Pledge"),
    (20, "Expense"),
    (21, "PensionInsuranceIndividualEntrepreneurs"),
    (22, "PensionInsurance"),
    (23, "MedicalInsuranceIndividualEntrepreneurs"),
    (24, "MedicalInsurance"),
    (25, "SocialInsurance"),
    (26, "CasinoPayment"),
    (27, "DisbursementOfFunds"),
    (30, "ATNM"),
    (31, "ATM"),
    (32, "TNM"),
    (33, "TM"),
];

/// `PaymentMethodType.php`.
pub const PAYMENT_METHODS: Table = &[
    (1, "Prepay"),
    (2, "PartialPrepay"),
    (3, "Advance"),
    (4, "Full"),
    (5, "PartialAndCredit"),
    (6, "CreditTransfer"),
    (7, "CreditPayment"),
];

/// `TaxationSystem.php` (its 0 is "Common", a real system; 255 "Unknown"
/// is left out like the other enumerations' unknowns).
pub const TAXATION_SYSTEMS: Table = &[
    (0, "Common"),
    (1, "Simplified"),
    (2, "SimplifiedMinusOutlay"),
    (4, "UnifiedAgrocultural"),
    (5, "Patent"),
];

/// `ReceiptPaymentType.php`.
pub const PAYMENT_TYPES: Table = &[
    (1, "Cash"),
    (2, "Electronic"),
    (14, "Advance"),
    (15, "Credit"),
    (16, "Other"),
];

/// A checked receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The supplier's INN; the SDK sends `""` when the shop sets none.
    pub inn: Option<String>,
    /// The cash-register group; `""` in the SDK by default.
    pub group: Option<String>,
    pub skip_amount_check: bool,
    /// `content.type`, `ReceiptDocType`.
    pub doc_type: Code,
    pub customer_contact: String,
    pub agent_type: Option<i64>,
    pub positions: Vec<Position>,
    pub check_close: Option<CheckClose>,
}

/// One line of the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub text: String,
    pub quantity: Quantity,
    /// The unit price after discounts (`CashboxReceiptPosition::$_price`).
    pub price: Amount,
    /// `ReceiptVatRate`.
    pub tax: Code,
    pub payment_subject_type: Option<Code>,
    pub payment_method_type: Option<Code>,
    pub supplier_inn: Option<String>,
}

/// `content.checkClose`: how the receipt was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckClose {
    pub taxation_system: Code,
    pub payments: Vec<(Code, Amount)>,
}

/// A quantity in thousandths: the SDK's float, kept exact to three decimals
/// (sandbox: 54-FZ registers print quantities to three decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u64);

impl Quantity {
    pub const fn from_thousandths(thousandths: u64) -> Self {
        Self(thousandths)
    }

    /// `"2"`, `"0.5"`, `"1.25"`: a positive number with at most three decimals.
    fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let fraction = fraction.trim_end_matches('0');
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 3 {
            return None;
        }
        let scale = 10u64.pow(3 - fraction.len() as u32);
        let fraction: u64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        let value = whole
            .parse::<u64>()
            .ok()?
            .checked_mul(1000)?
            .checked_add(fraction * scale)?;
        (value > 0).then_some(Self(value))
    }
}

/// Without trailing zeros: `2`, `0.5`, `1.25`.
impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, fraction) = (self.0 / 1000, self.0 % 1000);
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let fraction = format!("{fraction:03}");
            write!(f, "{whole}.{}", fraction.trim_end_matches('0'))
        }
    }
}

impl Position {
    /// Quantity × price, rounded half up to the kopeck (54-FZ tag 1043), or
    /// `None` past `u64`.
    pub fn amount(&self) -> Option<Amount> {
        let product = u128::from(self.quantity.0) * u128::from(self.price.minor());
        u64::try_from((product + 500) / 1000)
            .ok()
            .map(Amount::from_minor)
    }
}

impl Receipt {
    /// Reads the parameter's JSON text and checks it against the invoice's
    /// `amount`.
    pub fn parse(text: &str, amount: Amount) -> Result<Self> {
        let root = Path(ROOT.to_owned());
        let value: Value = serde_json::from_str(text)
            .map_err(|_| ReceiptError::invalid(&root, "чек — JSON-объект в тексте параметра"))?;
        let object = as_object(&value, &root)?;
        let inn = inn(object, &root, "inn")?;
        let group = optional_text(object, &root, "group")?;
        let skip_amount_check = match member(object, "skipAmountCheck") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ReceiptError::invalid(
                    &root.at("skipAmountCheck"),
                    "true или false",
                ));
            }
        };
        let content_path = root.at("content");
        let content = as_object(required(object, &root, "content")?, &content_path)?;
        let receipt = Self::content(content, &content_path, inn, group, skip_amount_check)?;
        if !skip_amount_check {
            receipt.check_total(amount, &content_path.at("positions"))?;
        }
        Ok(receipt)
    }

    fn content(
        content: &Map<String, Value>,
        path: &Path,
        inn: Option<String>,
        group: Option<String>,
        skip_amount_check: bool,
    ) -> Result<Self> {
        let doc_type = code(
            required(content, path, "type")?,
            &path.at("type"),
            DOC_TYPES,
        )?;
        let customer_contact = match required(content, path, "customerContact")? {
            Value::String(s) if !s.trim().is_empty() => s.clone(),
            _ => {
                return Err(ReceiptError::invalid(
                    &path.at("customerContact"),
                    "телефон или e-mail покупателя",
                ));
            }
        };
        let agent_type = match member(content, "agentType") {
            None => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| ReceiptError::invalid(&path.at("agentType"), "целое число"))?,
            ),
        };
        let positions_path = path.at("positions");
        let positions = match required(content, path, "positions")? {
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| position(item, &positions_path.index(i)))
                .collect::<Result<Vec<_>>>()?,
            Value::Array(_) => {
                return Err(ReceiptError::invalid(
                    &positions_path,
                    "в чеке нужна хотя бы одна позиция",
                ));
            }
            _ => return Err(ReceiptError::invalid(&positions_path, "массив позиций")),
        };
        let check_close = member(content, "checkClose")
            .map(|v| check_close(v, &path.at("checkClose")))
            .transpose()?;
        Ok(Self {
            inn,
            group,
            skip_amount_check,
            doc_type,
            customer_contact,
            agent_type,
            positions,
            check_close,
        })
    }

    /// The sum of the positions, or `None` past `u64`.
    pub fn total(&self) -> Option<Amount> {
        self.positions.iter().try_fold(Amount::ZERO, |sum, p| {
            sum.minor()
                .checked_add(p.amount()?.minor())
                .map(Amount::from_minor)
        })
    }

    fn check_total(&self, amount: Amount, path: &Path) -> Result<()> {
        match self.total() {
            Some(total) if total == amount => Ok(()),
            Some(total) => Err(ReceiptError::invalid(
                path,
                format!("сумма позиций {total} не равна сумме счёта {amount}"),
            )),
            None => Err(ReceiptError::invalid(path, "сумма позиций слишком велика")),
        }
    }

    /// The journal's line: `receipt: 2 positions, 1500.00, inn 7700000000`.
    pub fn summary(&self) -> String {
        let count = self.positions.len();
        let mut line = format!(
            "receipt: {count} position{}, {}",
            if count == 1 { "" } else { "s" },
            self.total().unwrap_or_default()
        );
        if let Some(inn) = &self.inn {
            line.push_str(&format!(", inn {inn}"));
        }
        if self.skip_amount_check {
            line.push_str(", skipAmountCheck");
        }
        line
    }
}

fn position(value: &Value, path: &Path) -> Result<Position> {
    let object = as_object(value, path)?;
    let quantity = decimal_text(required(object, path, "quantity")?)
        .and_then(|text| Quantity::parse(&text))
        .ok_or_else(|| {
            ReceiptError::invalid(
                &path.at("quantity"),
                "количество — число больше 0, не более трёх знаков после точки",
            )
        })?;
    let price = money(required(object, path, "price")?, &path.at("price"), "цена")?;
    let tax = code(required(object, path, "tax")?, &path.at("tax"), VAT_RATES)?;
    let text = match required(object, path, "text")? {
        Value::String(s) if s.trim().is_empty() => {
            return Err(ReceiptError::invalid(&path.at("text"), "пустое название"));
        }
        Value::String(s) if s.chars().count() > MAX_TEXT => {
            return Err(ReceiptError::invalid(
                &path.at("text"),
                format!("длина не более {MAX_TEXT} символов"),
            ));
        }
        Value::String(s) => s.clone(),
        _ => return Err(ReceiptError::invalid(&path.at("text"), "строка")),
    };
    let optional_code = |name: &str, table| {
        member(object, name)
            .map(|v| code(v, &path.at(name), table))
            .transpose()
    };
    Ok(Position {
        text,
        quantity,
        price,
        tax,
        payment_subject_type: optional_code("paymentSubjectType", PAYMENT_SUBJECTS)?,
        payment_method_type: optional_code("paymentMethodType", PAYMENT_METHODS)?,
        supplier_inn: inn(object, path, "supplierInn")?,
    })
}

fn check_close(value: &Value, path: &Path) -> Result<CheckClose> {
    let object = as_object(value, path)?;
    let taxation_system = code(
        required(object, path, "taxationSystem")?,
        &path.at("taxationSystem"),
        TAXATION_SYSTEMS,
    )?;
    let payments_path = path.at("payments");
    let payments = match member(object, "payments") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = payments_path.index(i);
                let payment = as_object(item, &path)?;
                let kind = code(
                    required(payment, &path, "type")?,
                    &path.at("type"),
                    PAYMENT_TYPES,
                )?;
                let amount = money(
                    required(payment, &path, "amount")?,
                    &path.at("amount"),
                    "сумма",
                )?;
                Ok((kind, amount))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(ReceiptError::invalid(&payments_path, "массив платежей")),
    };
    Ok(CheckClose {
        taxation_system,
        payments,
    })
}

/// A member's path from the parameter: `MerchantReceipt.content.positions[0]`.
struct Path(String);

impl Path {
    fn at(&self, name: &str) -> Path {
        Path(format!("{}.{name}", self.0))
    }

    fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }
}

/// A member by name in any letter case, as the API reads every parameter
/// name; `null` is absent, as in the request parser.
fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_null())
        .map(|(_, value)| value)
}

fn required<'a>(object: &'a Map<String, Value>, path: &Path, name: &str) -> Result<&'a Value> {
    member(object, name).ok_or_else(|| ReceiptError::Missing(path.at(name).0))
}

fn as_object<'a>(value: &'a Value, path: &Path) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| ReceiptError::invalid(path, "ожидается объект"))
}

/// A string member; empty is absent (the SDK sends `""` for unset ones).
fn optional_text(object: &Map<String, Value>, path: &Path, name: &str) -> Result<Option<String>> {
    match member(object, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ReceiptError::invalid(&path.at(name), "строка")),
    }
}

/// An INN: 10 digits (a company) or 12 (a person), or empty (sandbox: the
/// SDK only asks for a string).
fn inn(object: &Map<String, Value>, path: &Path, name: &str) -> Result<Option<String>> {
    let value = optional_text(object, path, name)?;
    match &value {
        Some(v) if !matches!(v.len(), 10 | 12) || !v.bytes().all(|b| b.is_ascii_digit()) => Err(
            ReceiptError::invalid(&path.at(name), "ИНН — 10 или 12 цифр"),
        ),
        _ => Ok(value),
    }
}

/// A number as decimal text: the SDK sends floats (`1500.0`) and accepts
/// numeric strings, so both are read.
fn decimal_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// An amount of money written as a number or a numeric string, at most two
/// decimals; `what` names it in the refusal.
fn money(value: &Value, path: &Path, what: &str) -> Result<Amount> {
    decimal_text(value)
        .and_then(|text| Amount::parse_decimal(&text).ok())
        .ok_or_else(|| {
            ReceiptError::invalid(
                path,
                format!("{what} — неотрицательное число, не более двух знаков после точки"),
            )
        })
}

/// An enumeration's number (what the SDK sends), its number as a string, or
/// its SDK name (what `fromMixed` accepts before turning it into the number).
fn code(value: &Value, path: &Path, table: Table) -> Result<Code> {
    let found = match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| table.iter().find(|(v, _)| u64::from(*v) == n)),
        Value::String(s) => table
            .iter()
            .find(|(v, name)| v.to_string() == *s || name.eq_ignore_ascii_case(s)),
        _ => None,
    };
    found
        .map(|&(value, name)| Code { value, name })
        .ok_or_else(|| {
            let allowed: Vec<String> = table.iter().map(|(v, _)| v.to_string()).collect();
            ReceiptError::invalid(path, format!("допустимо: {}", allowed.join(", ")))
        })
}

#[cfg(test)]
mod tests;
