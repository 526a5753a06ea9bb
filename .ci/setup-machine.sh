#!/usr/bin/env bash
# Brings a fresh machine to what the tests need: the database services running and the command-line tools they
# call (database clients, zip/unzip for interop checks, zstd for the benchmark, age for encryption interop,
# ssh-keygen for signature interop, and Ceph's monitor, OSD and radosgw for the S3 server that enforces Object Lock).
set -euo pipefail

need=()
for tool in pg_dump:postgresql-client psql:postgresql-client mysqldump:mariadb-client mysql:mariadb-client \
  zip:zip unzip:unzip zstd:zstd age:age ssh-keygen:openssh-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool##*:}")
done
# Without their recommends (about 60 packages, 270 MB, two to three minutes): the tests run the daemons themselves.
ceph=()
for tool in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:ceph-common ceph:ceph-common \
  monmaptool:ceph-base; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || ceph+=("${tool##*:}")
done
if [ ${#need[@]} -gt 0 ] || [ ${#ceph[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} ${ceph[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root (or sudo) to apt-get install ${need[*]} ${ceph[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  if [ ${#ceph[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${ceph[@]}" >/dev/null
  fi
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
