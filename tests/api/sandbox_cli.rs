//! The command line where it helps a user who got something wrong: a
//! listen address without its IP, an address already taken, and an
//! example under every command's `--help`.

use crate::helpers::binary;

/// Runs the binary with `args`; the exit status and stderr.
fn run(args: &[&str]) -> (Option<i32>, String) {
    let output = binary().args(args).output().expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_malformed_listen_address_is_a_usage_error_that_shows_the_expected_form() {
    let cases = [
        (
            &["serve", "--listen", "8081"][..],
            "error: invalid value '8081' for '--listen <ADDR>': expected IP:PORT, for example 127.0.0.1:8081",
        ),
        (
            &["serve", "--listen", "localhost:9000"][..],
            "error: invalid value 'localhost:9000' for '--listen <ADDR>': expected IP:PORT, for example 127.0.0.1:9000",
        ),
        (
            &["serve", "--softline-listen", "8082"][..],
            "error: invalid value '8082' for '--softline-listen <ADDR>': expected IP:PORT, for example 127.0.0.1:8082",
        ),
        (
            &["serve", "--intellectmoney-listen", "0.0.0.0"][..],
            "error: invalid value '0.0.0.0' for '--intellectmoney-listen <ADDR>': expected IP:PORT, for example 0.0.0.0:8080",
        ),
        (
            &["imshop", "run", "--sync-listen", "9999"][..],
            "error: invalid value '9999' for '--sync-listen <ADDR>': expected IP:PORT, for example 127.0.0.1:9999",
        ),
    ];
    for (args, expected) in cases {
        let (status, stderr) = run(args);

        assert_eq!(status, Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().next(), Some(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_malformed_listen_address_in_the_environment_is_refused_the_same_way() {
    let output = binary()
        .arg("serve")
        .env("PAYSANDBOX_LISTEN", "8081")
        .output()
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.lines().next(),
        Some(
            "error: invalid value '8081' for '--listen <ADDR>': expected IP:PORT, for example 127.0.0.1:8081"
        ),
        "{stderr}"
    );
}

#[test]
fn an_address_already_in_use_stops_start_up_suggesting_a_free_port_and_the_variable() {
    for option in ["listen", "softline-listen", "intellectmoney-listen"] {
        // Arrange
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap().to_string();
        let flag = format!("--{option}");

        // Act
        let (status, stderr) = if option == "listen" {
            run(&["serve", "--listen", &addr])
        } else {
            run(&["serve", "--listen", "127.0.0.1:0", &flag, &addr])
        };

        // Assert
        let env = format!("PAYSANDBOX_{}", option.replace('-', "_").to_uppercase());
        let expected = format!(
            "paysandbox cannot start: cannot listen on {addr}: the address is already in use \
             (another paysandbox?); for a free port use {flag} 127.0.0.1:0 or set {env}=127.0.0.1:0"
        );
        assert_eq!(status, Some(1), "{option}: {stderr}");
        assert!(stderr.contains(&expected), "{option}: {stderr}");
        assert!(!stderr.contains("panicked"), "{option}: {stderr}");
    }
}

#[test]
fn every_command_s_help_ends_with_examples_of_it() {
    let commands: [&[&str]; 8] = [
        &[],
        &["serve"],
        &["healthcheck"],
        &["imshop"],
        &["imshop", "run"],
        &["sign"],
        &["sign", "intellectmoney"],
        &["sign", "softline-webhook"],
    ];
    for command in commands {
        let output = binary().args(command).arg("--help").output().unwrap();

        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        let examples = stdout
            .split_once("\nExamples:\n")
            .map(|(_, examples)| examples)
            .unwrap_or_else(|| panic!("{command:?} --help has no examples:\n{stdout}"));
        let first = examples.lines().next().unwrap_or_default();
        let invocation = format!("  paysandbox {}", command.join(" "));
        assert!(
            first.starts_with(invocation.trim_end()),
            "{command:?}: the first example is of the command itself: {first:?}"
        );
    }
}

#[test]
fn the_sign_examples_in_the_help_run_and_print_a_signature() {
    let examples = [
        &[
            "sign",
            "intellectmoney",
            "CreateInvoice",
            "EshopId=450000",
            "OrderId=A-1",
            "ServiceName=contract",
            "RecipientAmount=10.00",
            "RecipientCurrency=RUB",
            "Email=buyer@example.com",
        ][..],
        &[
            "sign",
            "softline-webhook",
            "event=order.created",
            "order_id=5555555",
            "create_date=2021-08-13T09:16:35+03:00",
            "payment_method=CreditCard",
            "currency=RUB",
            "customer.email=customer@mail.ru",
            "--secret",
            "secret_key",
        ][..],
    ];
    for args in examples {
        let (status, stderr) = run(args);

        assert_eq!(status, Some(0), "{args:?}: {stderr}");
    }
}
