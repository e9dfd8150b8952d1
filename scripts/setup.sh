#!/usr/bin/env bash
# Installs the system parts halo's demo and tests use, only where they are missing, so a fresh
# Debian machine (as root) can run `npm start` and `npm test` with nothing done by hand.
set -euo pipefail
# `setup.sh demo` installs only what `halo demo` needs; no argument installs the test suite's peers too.
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have ip || need+=(iproute2)
have arping || need+=(iputils-arping)
have ping || need+=(iputils-ping)
if [ "${1:-}" != demo ]; then
  have keepalived || need+=(keepalived)
  have haproxy || need+=(haproxy)
  have tcpdump || need+=(tcpdump)
  have nats-server || need+=(nats-server)
  have mariadbd || need+=(mariadb-server)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "halo setup: missing ${need[*]}; run as root (or install them) so the network-namespace tests can run." >&2
    exit 1
  fi
  echo "halo setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Debian's postinst would try to start services; none of them may start on the host here.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
