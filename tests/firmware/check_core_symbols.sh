#!/usr/bin/env bash
# The portable core may only reach outside itself for a handful of freestanding libc routines:
# no malloc/new (no heap), no __cxa_throw or typeinfo (no exceptions, no RTTI), no system calls.
# Sanitizer builds add their own runtime hooks, which are allowed. __cxa_pure_virtual appears in
# unoptimised builds (abstract-class vtables); every embedded C++ runtime has it, as a trap.
set -euo pipefail
lib=${1:?path to libsakura_lockcore.a}
allowed='^(memchr|memcmp|memcpy|memmove|memset|strcmp|strlen|__cxa_pure_virtual|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_|__(a|ub)san_.*|__sanitizer_.*)$'
defined=$(nm --defined-only -g "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
undefined=$(nm -u "$lib" | awk 'NF==2 {print $2}' | sort -u)
bad=$(comm -23 <(echo "$undefined") <(echo "$defined") | grep -Ev "$allowed" || true)
if [[ -n "$bad" ]]; then
  echo "the lock core references symbols an MCU build cannot offer:" >&2
  echo "$bad" | c++filt >&2
  exit 1
fi
echo "lock core external symbols: $(comm -23 <(echo "$undefined") <(echo "$defined") | tr '\n' ' ')"
