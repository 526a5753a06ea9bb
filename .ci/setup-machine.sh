#!/usr/bin/env bash
# Brings a fresh machine to what the tests need: the database services running and the command-line tools they
# call (database clients, zip/unzip for interop checks, zstd for the benchmark, age for encryption interop,
# ssh-keygen for signature interop).
set -euo pipefail

need=()
for tool in pg_dump:postgresql-client psql:postgresql-client mysqldump:mariadb-client mysql:mariadb-client \
  zip:zip unzip:unzip zstd:zstd age:age ssh-keygen:openssh-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root (or sudo) to apt-get install ${need[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if ! mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
  echo "setup: starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
for i in $(seq 1 60); do
  if pg_isready -h 127.0.0.1 -p 5432 -q && mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "setup: PostgreSQL or MariaDB did not come up within 60 s" >&2
exit 1
