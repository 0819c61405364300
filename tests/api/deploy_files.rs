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

/// A Dockerfile's instructions, one per logical line (continuations
/// joined), without comments.
fn instructions(dockerfile: &str) -> Vec<String> {
    dockerfile
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_dockerignore_keeps_target_and_git_out_of_the_build_context() {
    let ignored: Vec<&str> = include_str!("../../.dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();

    for path in ["target", ".git", "bench/results"] {
        assert!(
            ignored
                .iter()
                .any(|l| l.trim_start_matches('/').trim_end_matches('/') == path),
            "{path} is ignored: {ignored:?}"
        );
    }
    for needed in [
        "src",
        "templates",
        "fixtures",
        "assets",
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        assert!(
            !ignored.iter().any(|l| l.trim_end_matches('/') == needed),
            "{needed} goes into the image"
        );
    }
}

#[test]
fn the_dockerfile_builds_the_dependencies_before_it_copies_the_sources() {
    let instructions = instructions(include_str!("../../Dockerfile"));
    let position = |what: &str, matches: &dyn Fn(&str) -> bool| {
        instructions
            .iter()
            .position(|l| matches(l))
            .unwrap_or_else(|| panic!("{what}: {instructions:#?}"))
    };

    let manifests = position("the manifests copied", &|l| {
        l.starts_with("COPY ")
            && ["Cargo.toml", "Cargo.lock", "build.rs"]
                .iter()
                .all(|f| l.contains(f))
    });
    let dependencies = position("a build of the dependencies", &|l| {
        l.starts_with("RUN ") && l.contains("cargo build --release --locked")
    });
    let sources = position("the sources copied", &|l| l.starts_with("COPY src"));
    let rebuild = instructions
        .iter()
        .skip(sources)
        .position(|l| {
            l.starts_with("RUN ")
                && l.contains("touch")
                && l.contains("cargo build --release --locked")
        })
        .map(|i| i + sources);

    assert!(manifests < dependencies, "the manifests come first");
    assert!(
        dependencies < sources,
        "dependencies are built before src/ is copied"
    );
    assert!(
        instructions[dependencies].contains("src/main.rs")
            && instructions[dependencies].contains("src/lib.rs"),
        "against a dummy main and lib: {}",
        instructions[dependencies]
    );
    assert!(
        rebuild.is_some(),
        "the real sources are touched and built after they are copied"
    );
    for dir in ["templates", "fixtures", "assets"] {
        let copied = position(dir, &|l| l.starts_with(&format!("COPY {dir}")));
        assert!(
            copied > dependencies && copied < rebuild.unwrap(),
            "{dir}/ is compiled in, so copied before the real build"
        );
    }
}

/// The strings of a YAML sequence.
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_sequence()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn the_github_actions_job_runs_the_image_as_a_healthy_service_with_its_public_url() {
    let workflow: Value = serde_yaml_ng::from_str(include_str!("../../docs/ci/github-actions.yml"))
        .expect("valid YAML");

    let job = &workflow["jobs"]["payments"];
    let service = &job["services"]["paysandbox"];
    assert_eq!(
        service["image"].as_str(),
        Some("${{ vars.PAYSANDBOX_IMAGE }}")
    );
    assert_eq!(strings(&service["ports"]), ["8080:8080"]);
    assert_eq!(
        service["env"]["PAYSANDBOX_LISTEN"].as_str(),
        Some("0.0.0.0:8080")
    );
    assert_eq!(
        service["env"]["PAYSANDBOX_PUBLIC_URL"].as_str(),
        Some("http://localhost:8080"),
        "the steps run on the runner, where the port is published"
    );
    let options = service["options"].as_str().unwrap();
    assert!(
        options.contains("--health-interval") && !options.contains("--health-cmd"),
        "the image's own health check (exec form: the image has no shell): {options}"
    );
    let steps = job["steps"].as_sequence().unwrap();
    assert!(
        steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .any(|run| run.contains("/healthz")),
        "a step asks /healthz"
    );
}

#[test]
fn the_gitlab_job_runs_the_image_as_a_service_named_paysandbox_with_its_public_url() {
    let pipeline: Value =
        serde_yaml_ng::from_str(include_str!("../../docs/ci/gitlab-ci.yml")).expect("valid YAML");

    let job = &pipeline["payments"];
    let service = &job["services"][0];
    assert_eq!(service["name"].as_str(), Some("$PAYSANDBOX_IMAGE"));
    assert_eq!(service["alias"].as_str(), Some("paysandbox"));
    let variables = &service["variables"];
    assert_eq!(
        variables["PAYSANDBOX_LISTEN"].as_str(),
        Some("0.0.0.0:8080")
    );
    assert_eq!(
        variables["PAYSANDBOX_PUBLIC_URL"].as_str(),
        Some("http://paysandbox:8080"),
        "the job reaches the service by its alias"
    );
    let script = strings(&job["script"]);
    assert!(
        script
            .first()
            .is_some_and(|s| s.contains("$PAYSANDBOX_URL/healthz")),
        "the job waits for /healthz first: {script:?}"
    );
    assert_eq!(
        job["variables"]["PAYSANDBOX_URL"].as_str(),
        Some("http://paysandbox:8080")
    );
}

#[test]
fn the_merchant_compose_file_starts_the_merchant_once_paysandbox_is_healthy() {
    let compose: Value =
        serde_yaml_ng::from_str(include_str!("../../docs/ci/docker-compose.merchant.yml"))
            .expect("valid YAML");

    let sandbox = &compose["services"]["paysandbox"];
    assert!(sandbox["image"].as_str().unwrap().contains("paysandbox"));
    assert!(strings(&sandbox["ports"]).contains(&"8080:8080"));
    let env = &sandbox["environment"];
    assert_eq!(env["PAYSANDBOX_LISTEN"].as_str(), Some("0.0.0.0:8080"));
    assert_eq!(
        env["PAYSANDBOX_PUBLIC_URL"].as_str(),
        Some("http://localhost:8080")
    );
    assert_eq!(
        strings(&sandbox["extra_hosts"]),
        ["host.docker.internal:host-gateway"]
    );
    let test = strings(&sandbox["healthcheck"]["test"]);
    assert_eq!(
        test.first(),
        Some(&"CMD"),
        "exec form: the image has no shell"
    );
    assert!(test.contains(&"healthcheck"), "{test:?}");
    let merchant = &compose["services"]["merchant"];
    assert_eq!(
        merchant["depends_on"]["paysandbox"]["condition"].as_str(),
        Some("service_healthy")
    );
    assert!(
        merchant["environment"]["SOFTLINE_BASE_URL"]
            .as_str()
            .unwrap()
            .starts_with("http://paysandbox:8080/")
    );
}
