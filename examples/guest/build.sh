#!/bin/sh
# build.sh SRC.c OUT.elf [GCC-FLAGS...]: builds a `ucas run` guest from one
# freestanding C file. Extra flags (e.g. -O0, -Os, -march=z13) go after the
# defaults, so they win. The one command is:
#
#   s390x-linux-gnu-gcc -ffreestanding -nostdlib -static -O2 -m64 \
#       -fno-pic -no-pie -fno-asynchronous-unwind-tables \
#       -I examples/guest -T examples/guest/guest.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
#       -o OUT.elf SRC.c examples/guest/start.c -lgcc
set -eu
if [ $# -lt 2 ]; then
	echo "usage: $0 SRC.c OUT.elf [GCC-FLAGS...]" >&2
	exit 2
fi
src=$1 out=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
exec "${CC:-s390x-linux-gnu-gcc}" -ffreestanding -nostdlib -static -O2 -m64 -mno-vx \
	-fno-pic -no-pie -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns \
	-I "$here" -T "$here/guest.ld" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	"$@" -o "$out" "$src" "$here/start.c" -lgcc
