#!/bin/sh
# Run by the `dirs` service of docker-compose.yml, as root, before any worker starts.
# Docker creates a missing bind-mounted directory owned by root, while the workers run as
# `node` (uid 1000 in the node images) and the user copies scripts in as themselves. So:
# - the output directory is handed to the workers' uid:gid unless it has it already (the top
#   level only: what is inside, the workers wrote);
# - a scripts directory owned by root (made by Docker) is handed to the owner of this file's
#   directory, docker/ in the checkout: the user who runs compose.
# Paths and ids come from the environment so that a test can run this on temporary directories.
set -u
out="${OUT_DIR:-/app/out}"
scripts="${SCRIPTS_DIR:-/scripts}"
checkout="${CHECKOUT_DIR:-$(dirname "$0")}"
worker="${WORKER_UID:-1000}:${WORKER_GID:-1000}"

if [ "$(stat -c %u:%g "$out")" != "$worker" ]; then
  if chown "$worker" "$out"; then
    echo "prepare-dirs: ./out handed to the workers' uid:gid $worker"
  else
    echo "prepare-dirs: could not hand ./out to uid:gid $worker; make it writable by uid ${WORKER_UID:-1000}" >&2
  fi
fi
if [ -d "$scripts" ] && [ "$(stat -c %u "$scripts")" = 0 ]; then
  owner="$(stat -c %u:%g "$checkout")"
  if [ "$owner" != 0:0 ] && chown "$owner" "$scripts"; then
    echo "prepare-dirs: ./scripts (made by Docker) handed to the checkout's owner $owner"
  fi
fi
exit 0
