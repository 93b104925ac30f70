#!/usr/bin/env bash
# Prints the URL of a PostgreSQL database for hookd's tests (the value of
# HOOKD_TEST_POSTGRES_URL), making sure there is one. Progress goes to
# stderr, the URL alone to stdout. Idempotent: run it as often as you like.
#
# With HOOKD_TEST_POSTGRES_URL already set, that server is used as it is:
# nothing is started or installed, and the tests fail if it is unreachable.
#
# Otherwise the server on 127.0.0.1:5432 is used: started if it is
# installed but down (pg_ctlcluster), installed with apt-get if missing;
# the role postgres gets the password "postgres" if password logins are
# refused; the database hookd_test is created if missing. Installing and
# starting need root (or sudo).
set -euo pipefail

if [[ -n "${HOOKD_TEST_POSTGRES_URL:-}" ]]; then
	echo "test-postgres: using HOOKD_TEST_POSTGRES_URL as given" >&2
	echo "$HOOKD_TEST_POSTGRES_URL"
	exit 0
fi

host=127.0.0.1 port=5432 db=hookd_test
admin_url="postgres://postgres:postgres@$host:$port/postgres?sslmode=disable"
test_url="postgres://postgres:postgres@$host:$port/$db?sslmode=disable"

log() { echo "test-postgres: $*" >&2; }

# as_root runs a command as root, through sudo when needed.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# as_postgres runs a command as the postgres system user.
as_postgres() {
	if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# listening reports whether something accepts connections on the port.
listening() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

install_postgres() {
	log "PostgreSQL is not installed: installing it with apt-get"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

start_clusters() {
	local version
	for version in $(ls /etc/postgresql); do
		log "starting PostgreSQL $version"
		as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
	done
}

if ! listening; then
	command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]] || install_postgres
	start_clusters
	for _ in $(seq 60); do
		listening && break
		sleep 1
	done
	listening || { log "nothing answers on $host:$port"; exit 1; }
fi

# pg_isready says "no response" while the server starts up.
for _ in $(seq 60); do
	pg_isready -q -h "$host" -p "$port" && break
	sleep 1
done

if ! psql "$admin_url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
	log "setting the password of the role postgres, for TCP logins"
	as_postgres psql -qc "ALTER ROLE postgres PASSWORD 'postgres'" >&2
fi
if [[ -z $(psql "$admin_url" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
	log "creating the database $db"
	psql "$admin_url" -qc "CREATE DATABASE $db" >&2
fi
echo "$test_url"
