# The ctb binary with the shipped scenarios, data and config, for running backtests and sweep shards in containers
# (see "Sharding" in the README for a Kubernetes Indexed Job).
#   docker build -t cryptotradebot .
#   docker run --rm -v "$PWD/reports:/app/reports" cryptotradebot ctb sweep scenarios/btc_sma_sweep.yaml
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY benches benches
RUN cargo build --release --locked --bin ctb

FROM debian:bookworm-slim
WORKDIR /app
COPY --from=build /src/target/release/ctb /usr/local/bin/ctb
COPY scenarios scenarios
COPY data data
COPY config config
CMD ["ctb", "--help"]
