#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of "make demo": what a user does on a machine whose
# kernel loads modules. /init has already mounted debugfs and loaded
# cat.ko; trace the bundled tokio program with catctl, write the report,
# and leave everything in $1 (/out), which travels back to the host.
out=${1:-/out}
app=/cat/app
cd /tmp || exit 1

echo "demo: catctl start --binary $app/release/tokio_multi"
$app/catctl start --binary $app/release/tokio_multi \
	-o "$out/trace.json" --raw "$out/trace.cat" > "$out/program.out" 2> "$out/catctl.err"
echo $? > "$out/catctl.rc"
cat "$out/catctl.err"
$app/catctl report "$out/trace.cat" > "$out/report.txt" 2>&1
$app/catctl status > "$out/status.txt" 2>&1
exit 0
