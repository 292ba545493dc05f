#!/bin/sh
# tests/tools/layers.sh - checks that every include points down the layers
# (README "How a request flows"): a file may include headers of its own
# folder and of the folders before it in this list, never after it.
# Also no two files include each other, and README names every file. Prints each include that breaks
# this and exits 1 when there is one.
set -u
cd "$(dirname "$0")/../.."
order="util config store ca policy scep responder signer server admin"
rank() {
	i=0
	for l in $order; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}
bad=0
n=0
for f in $(find mscep policy -name '*.[ch]' | LC_ALL=C sort); do
	dir=${f%/*}
	layer=${dir##*/}
	own=$(rank "$layer")
	# server and admin are both on top: neither includes the other.
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/[^"]*"/\1/p' "$f"); do
		n=$((n + 1))
		r=$(rank "$inc")
		if [ "$r" -lt 0 ] || [ "$r" -gt "$own" ] ||
		    { [ "$r" -eq "$own" ] && [ "$inc" != "$layer" ]; } ||
		    { [ "$layer" = admin ] && [ "$inc" = server ]; }; then
			echo "not ok - $f includes $inc/ (layer $layer)"
			bad=$((bad + 1))
		fi
	done
done
# No two files include each other's header: dependencies point one way
# inside a folder too.
for f in $(find mscep policy -name '*.c' | LC_ALL=C sort); do
	me=${f%.c}
	me=${me#mscep/}
	for inc in $(sed -n 's/^#include "\([^"]*\)\.h"/\1/p' "$f"); do
		[ "$inc" = "$me" ] && continue
		other=mscep/$inc.c
		[ -f "$other" ] || other=$inc.c
		[ -f "$other" ] || continue
		n=$((n + 1))
		if grep -q "^#include \"$me.h\"" "$other"; then
			echo "not ok - $f and $other include each other"
			bad=$((bad + 1))
		fi
	done
done
# README's flow table names every source file (a header on its own
# too): by path, or by name in a row that gave the folder before it.
for f in $(find mscep policy -name '*.[ch]' | LC_ALL=C sort); do
	b=${f%.[ch]}
	name=${b##*/}
	case $f in
	*.h) [ -f "$b.c" ] && continue ;;
	esac
	n=$((n + 1))
	if ! grep -qF -e "$f" -e "$b.[ch]" -e "\`${f##*/}\`" \
	    -e "\`$name.[ch]\`" README.md; then
		echo "not ok - $f is not in README's flow table"
		bad=$((bad + 1))
	fi
done
echo "layers: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
