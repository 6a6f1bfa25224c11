#!/bin/sh
# emulator-url.sh FILE: waits (up to 10 s) for a smartcar-emulator started
# with its stdout in FILE to print its base URL, the first line, and
# prints it; exits 1 when none came.
i=0
while [ "$i" -lt 100 ]; do
  url=$(head -n 1 "$1" 2>/dev/null)
  case $url in http*) echo "$url"; exit 0 ;; esac
  sleep 0.1
  i=$((i + 1))
done
exit 1
