#!/bin/sh
# Compress a kernel ELF the way the Linux build does for a bzImage payload:
# the compressed stream, then the uncompressed size as 4 little-endian
# bytes (scripts/Makefile.lib, size_append).
#
#   guests/compress-payload.sh xz|gzip|zstd IN OUT
set -eu
fmt=$1 in=$2 out=$3
case $fmt in
xz) xz --check=crc32 --x86 --lzma2=dict=1MiB -c "$in" >"$out.tmp" ;;
gzip) gzip -n -9 -c "$in" >"$out.tmp" ;;
zstd) zstd -q -19 -c "$in" >"$out.tmp" ;;
*) echo "compress-payload.sh: unknown format $fmt" >&2; exit 2 ;;
esac
size=$(wc -c <"$in")
# shellcheck disable=SC2059 # the format is built from octal escapes on purpose
printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((size & 255)) \
	$((size >> 8 & 255)) $((size >> 16 & 255)) $((size >> 24 & 255)))" \
	>>"$out.tmp"
mv "$out.tmp" "$out"
