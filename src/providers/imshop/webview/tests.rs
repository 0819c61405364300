use super::*;

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

#[test]
fn the_card_form_is_found_with_its_hidden_fields_and_relative_action() {
    let html = r#"<form data-testid="card-form" method="post" action="pay?x=1">
        <input type="hidden" name="csrf" value="t0k">
        <label>Card <input name="card_number"></label>
        <button type="submit">Pay</button></form>"#;
    let Page::Card { form, error } = Page::read(html, &url("http://h/softline/order/status/1/ab"))
    else {
        panic!("not read as a card form")
    };
    assert_eq!(error, None);
    assert_eq!(
        form.action.as_str(),
        "http://h/softline/order/status/1/pay?x=1"
    );
    assert_eq!(form.method, reqwest::Method::POST);
    assert_eq!(form.fields[0], ("csrf".to_owned(), "t0k".to_owned()));
}

#[test]
fn one_click_buttons_take_their_own_form_and_name() {
    let html = r#"<form method="post" action="/a"><button data-testid="approve" name="do" value="yes">OK</button></form>
                  <form method="post" action="/d"><button data-testid="decline">No</button></form>"#;
    let Page::Buttons { approve, decline } = Page::read(html, &url("http://h/p")) else {
        panic!("not read as buttons")
    };
    let approve = approve.unwrap();
    assert_eq!(approve.action.as_str(), "http://h/a");
    assert_eq!(approve.fields, [("do".to_owned(), "yes".to_owned())]);
    assert_eq!(decline.unwrap().action.as_str(), "http://h/d");
}

#[test]
fn a_form_of_hidden_fields_is_auto_submitting_and_a_foreign_form_is_not() {
    let form3ds = r#"<body onload="document.forms[0].submit()"><form method="post" action="https://h/3ds">
        <input type="hidden" name="PaReq" value="x"><input type="submit" value="Continue"></form></body>"#;
    assert!(matches!(
        Page::read(form3ds, &url("http://h/")),
        Page::AutoSubmit { .. }
    ));
    let foreign =
        r#"<form action="/login"><input name="user"><input type="password" name="p"></form>"#;
    assert!(matches!(
        Page::read(foreign, &url("http://h/")),
        Page::Other { .. }
    ));
}

#[test]
fn a_shown_error_is_read_as_text() {
    let html = r#"<p class="error" data-testid="error">Card   declined</p>
                  <form data-testid="card-form"></form>"#;
    let Page::Card { error, .. } = Page::read(html, &url("http://h/")) else {
        panic!()
    };
    assert_eq!(error.as_deref(), Some("Card declined"));
}

#[test]
fn regexes_are_searched_anywhere_in_the_url_success_first() {
    let regexes = Regexes {
        success: Some(Regex::new("payment/(.+)/success").unwrap()),
        failure: Some(Regex::new("payment/(.+)/failed").unwrap()),
    };
    assert_eq!(
        regexes.matching("https://gw/payment/1/success?x=1"),
        Some(Which::Success)
    );
    assert_eq!(
        regexes.matching("https://gw/payment/1/failed"),
        Some(Which::Failure)
    );
    assert_eq!(regexes.matching("https://gw/payment/1"), None);
}

#[test]
fn get_forms_put_their_fields_in_the_query() {
    let html = r#"<form data-testid="challenge-form" action="/3ds"><input name="code"></form>"#;
    let Page::Challenge { mut form, .. } = Page::read(html, &url("http://h/x?old=1")) else {
        panic!()
    };
    form.set("code", "123456");
    let request = form.submission();
    assert_eq!(request.url.as_str(), "http://h/3ds?code=123456");
    assert!(request.form.is_none());
}
