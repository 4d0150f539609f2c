#!/usr/bin/env bash
# Smoke-checks a running wallet over gRPC using server reflection only (no local .proto files):
# lists services and methods, then asks grpc.health.v1 whether the wallet is SERVING.
# Usage: scripts/grpc-smoke.sh [host:port]   (default 127.0.0.1:50051; plaintext HTTP/2)
set -euo pipefail

target="${1:-127.0.0.1:50051}"
cd "$(dirname "$0")/.."

grpc_curl() {
  npx --no-install buf curl --protocol grpc --http2-prior-knowledge --connect-timeout 5 "$@"
}

echo "== services on $target"
services="$(grpc_curl --list-services "http://$target")"
echo "$services"
grep -qx "wallet.v1.WalletService" <<<"$services" || { echo "FAIL: wallet.v1.WalletService not listed" >&2; exit 1; }

# Listing methods resolves every service's full schema, imports such as timestamp.proto included.
echo "== methods"
grpc_curl --list-methods "http://$target"

echo "== health"
for service in "" "wallet.v1.WalletService"; do
  reply="$(grpc_curl -d "{\"service\":\"$service\"}" "http://$target/grpc.health.v1.Health/Check")"
  echo "${service:-<server>}: $reply"
  grep -q '"SERVING"' <<<"$reply" || { echo "FAIL: ${service:-server} is not SERVING" >&2; exit 1; }
done
echo "OK"
