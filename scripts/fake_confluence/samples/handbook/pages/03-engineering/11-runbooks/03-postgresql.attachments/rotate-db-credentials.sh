#!/usr/bin/env bash
# Rotates the application credentials of the shipments database through Vault's
# database secrets engine, then restarts the consumers so they pick up new leases.
set -euo pipefail
role="${1:?usage: rotate-db-credentials.sh ROLE (e.g. shipments-api)}"
vault write -f "database/rotate-role/${role}"
kubectl --context prod-eu1 -n shipments rollout restart "deployment/${role}"
kubectl --context prod-eu1 -n shipments rollout status "deployment/${role}" --timeout=10m
