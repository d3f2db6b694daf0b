#!/bin/sh
# deps.sh — make sure the Debian packages svs.c builds and tests with are installed.
# Installs the missing ones with apt-get when run as root; otherwise prints the exact command
# and fails. Why each package is needed: docs/dependencies.md.
set -eu

# package : file that proves it is installed
REQUIRED="
build-essential:/usr/bin/make
pkg-config:/usr/bin/pkg-config
libjansson-dev:/usr/include/jansson.h
libutf8proc-dev:/usr/include/utf8proc.h
python3:/usr/bin/python3
"
# Recommended: the optimized CPU backend (opt/): OpenBLAS in its OpenMP build (so OpenMP and
# BLAS share one thread pool) and oneDNN. Installed when we are root; the reference and every
# test build without them (the Makefile probes for them).
RECOMMENDED="
libopenblas-openmp-dev:/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so
libopenblas-dev:/usr/include/x86_64-linux-gnu/cblas.h
libdnnl-dev:/usr/include/oneapi/dnnl/dnnl.h
"
# Optional: clang + its runtimes for the libFuzzer targets and sanitizer builds.
OPTIONAL="
clang:/usr/bin/clang
libclang-rt-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
"

missing=""
for entry in $REQUIRED ${SVS_WITH_OPTIONAL:+$OPTIONAL}; do
    pkg=${entry%%:*}
    file=${entry#*:}
    if [ ! -e "$file" ]; then
        # python3 may come from elsewhere (pyenv); accept any python3 on PATH
        if [ "$pkg" = python3 ] && command -v python3 >/dev/null 2>&1; then continue; fi
        missing="$missing $pkg"
    fi
done

rec_missing=""
for entry in $RECOMMENDED; do
    pkg=${entry%%:*}
    file=${entry#*:}
    [ -e "$file" ] || rec_missing="$rec_missing $pkg"
done
if [ -n "$rec_missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        missing="$missing$rec_missing"
    else
        echo "svs: note: the optimized backend needs:$rec_missing (apt-get install -y$rec_missing); building the reference only"
    fi
fi

[ -z "$missing" ] && exit 0

cmd="apt-get update && apt-get install -y$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "svs: installing missing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq $missing >/dev/null
else
    echo "svs: error: missing Debian packages:$missing" >&2
    echo "svs: run as root:  $cmd" >&2
    exit 2
fi
