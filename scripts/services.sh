#!/usr/bin/env bash
# Make sure the real services the tests use are installed and running: PostgreSQL, Redis, and the
# Debian programs the end-to-end tests drive (Chromium, newsboat, spamassassin). Where a local
# service is configured through DATABASE_URL/REDIS_URL pointing elsewhere, it is left alone.
set -euo pipefail

apt_updated=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "services.sh: missing $* and not root to install it; install it with apt-get" >&2
        exit 1
    fi
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

local_target() { case "${1:-}" in ""|*127.0.0.1*|*localhost*) return 0;; *) return 1;; esac; }

# PostgreSQL
if local_target "${DATABASE_URL:-}"; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
        pg_isready -q -h 127.0.0.1 -p 5432 || { echo "services.sh: PostgreSQL did not start" >&2; exit 1; }
    fi
fi

# Redis
if local_target "${REDIS_URL:-}"; then
    if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
        command -v redis-server >/dev/null 2>&1 || apt_install redis-server
        mkdir -p /var/lib/redis /var/log/redis
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
            --dir /var/lib/redis --logfile /var/log/redis/ci.log
        for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
        redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "services.sh: Redis did not start" >&2; exit 1; }
    fi
fi

# Programs the end-to-end tests drive.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v newsboat >/dev/null 2>&1 || missing+=(newsboat)
command -v spamassassin >/dev/null 2>&1 || missing+=(spamassassin)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi
