#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel releases fastipc is built and tested on, one per line:
# the ones Debian's meta-packages linux-image-amd64 (6.1 LTS) and
# linux-image-6.12-amd64 (6.12 LTS) currently point at.  Nothing is
# hard-coded: the release follows whatever the archive installed.
set -euo pipefail

for meta in linux-image-amd64 linux-image-6.12-amd64; do
	deps=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) || {
		echo "kernels.sh: $meta is not installed (run tools/deps.sh)" >&2
		exit 1
	}
	rel=$(echo "$deps" | grep -oE 'linux-image-[0-9][^ ,|]*' | head -n1)
	rel=${rel#linux-image-}
	rel=${rel%-unsigned}
	echo "$rel"
done
