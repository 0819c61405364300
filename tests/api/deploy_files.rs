//! No Docker engine runs in CI, so the container files are checked here:
//! parsed, and the parts users rely on asserted.

use serde_yaml_ng::Value;

#[test]
fn docker_compose_runs_paysandbox_on_8080_with_a_health_check() {
    let compose: Value =
        serde_yaml_ng::from_str(include_str!("../../docker-compose.yml")).expect("valid YAML");

    let service = &compose["services"]["paysandbox"];
    assert!(service.is_mapping(), "a service named paysandbox");
    let ports: Vec<&str> = service["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(ports.iter().any(|p| p.ends_with("8080:8080")), "{ports:?}");
    let env = &service["environment"];
    assert_eq!(env["PAYSANDBOX_LISTEN"].as_str(), Some("0.0.0.0:8080"));
    assert!(env["PAYSANDBOX_PUBLIC_URL"].as_str().is_some());
    let test: Vec<&str> = service["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(test.contains(&"healthcheck"), "{test:?}");
    assert!(test.iter().any(|t| t.contains("paysandbox")), "{test:?}");
    let volumes = service["volumes"].as_sequence().unwrap();
    assert!(
        volumes
            .iter()
            .filter_map(Value::as_str)
            .any(|v| v.ends_with(":/fixtures:ro")),
        "{volumes:?}"
    );
    assert_eq!(env["PAYSANDBOX_FIXTURES"].as_str(), Some("/fixtures"));
    // Durable state in a named volume the compose file declares.
    assert_eq!(env["PAYSANDBOX_DATA_DIR"].as_str(), Some("/data"));
    let data = volumes
        .iter()
        .filter_map(Value::as_str)
        .find(|v| v.ends_with(":/data"))
        .expect("a volume at /data");
    let name = data.trim_end_matches(":/data");
    assert!(
        compose["volumes"][name].is_mapping(),
        "the volume {name} is declared"
    );
}

#[test]
fn the_image_has_a_data_directory_the_non_root_user_owns() {
    let dockerfile = include_str!("../../Dockerfile").replace("\\\n", " ");
    assert!(
        dockerfile
            .lines()
            .any(|l| l.starts_with("COPY --from=build --chown=nonroot:nonroot /data /data")),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("mkdir -p /data"),
        "made in the build stage"
    );
}

#[test]
fn the_dockerfile_is_multi_stage_non_root_with_a_health_check() {
    // One instruction per logical line: continuation lines joined.
    let dockerfile = include_str!("../../Dockerfile").replace("\\\n", " ");
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();

    let stages = instructions
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .count();
    assert!(stages >= 2, "multi-stage: {stages} FROM lines");
    let user = instructions
        .iter()
        .rev()
        .find(|l| l.starts_with("USER "))
        .expect("a USER instruction");
    assert!(!user.contains("root") || user.contains("nonroot"), "{user}");
    let health = instructions
        .iter()
        .find(|l| l.starts_with("HEALTHCHECK"))
        .expect("a HEALTHCHECK");
    assert!(
        health.contains("paysandbox") && health.contains("healthcheck"),
        "{health}"
    );
    for dir in ["src", "templates", "fixtures", "assets"] {
        assert!(
            instructions
                .iter()
                .any(|l| l.starts_with("COPY ") && l.contains(dir)),
            "the build stage copies {dir}/ (templates and fixtures are compiled in)"
        );
    }
    assert!(
        instructions
            .iter()
            .any(|l| l.contains("cargo build --release"))
    );
}

#[test]
fn the_dockerfile_build_stage_has_make_for_jemalloc() {
    // tikv-jemalloc-sys builds jemalloc with make, which rust:*-slim lacks.
    let uses_jemalloc = include_str!("../../Cargo.toml").contains("tikv-jemallocator");
    let dockerfile = include_str!("../../Dockerfile").replace("\\\n", " ");
    let build_stage = dockerfile.split("\nFROM ").nth(1).unwrap_or_default();
    assert!(
        !uses_jemalloc
            || build_stage.lines().any(|l| l.starts_with("RUN ")
                && l.contains("apt-get install")
                && l.contains(" make")),
        "the build stage installs make"
    );
}
