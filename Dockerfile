# syntax=docker/dockerfile:1
# Build stage: the whole toolchain, thrown away afterwards.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# The slim image has gcc but not make, which jemalloc's build needs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, in a layer of their own: it is rebuilt only when
# Cargo.toml, Cargo.lock or build.rs change, not on every edit of src/.
# A dummy lib and main stand in for the sources (the manifest names both).
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin paysandbox \
 && rm -rf src

# The real sources. templates/, fixtures/ and assets/ are compiled into the
# binary (askama, include_str!), so they are copied too. COPY keeps the
# files' own times, older than the dummy build's: touch them so cargo
# rebuilds paysandbox (its dependencies stay built).
COPY src src
COPY templates templates
COPY fixtures fixtures
COPY assets assets
RUN find src -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --bin paysandbox \
 && mkdir -p /data

# Final stage: the binary alone (templates and fixtures are compiled in),
# on a distroless base that has CA certificates and runs as non-root.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/paysandbox /usr/local/bin/paysandbox
# The data directory (`--data-dir /data`), owned by the user that runs: a
# named volume mounted here starts with this owner.
COPY --from=build --chown=nonroot:nonroot /data /data
ENV PAYSANDBOX_LISTEN=0.0.0.0:8080
EXPOSE 8080
USER nonroot
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
  CMD ["/usr/local/bin/paysandbox", "healthcheck", "http://127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/paysandbox"]
CMD ["serve"]
