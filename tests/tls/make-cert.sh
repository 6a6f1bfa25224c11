#!/bin/sh
# Makes a throwaway CA and a server certificate for 127.0.0.1 / localhost /
# ::1 (subjectAltName) with the openssl command line tool, for running
# smartcar-emulator over HTTPS in tests:
#
#   tests/tls/make-cert.sh OUTDIR
#   build/smartcar-emulator --tls-cert OUTDIR/server.crt --tls-key OUTDIR/server.key
#   curl --cacert OUTDIR/ca.crt https://127.0.0.1:PORT/_emulator/health
#
# OUTDIR gets ca.crt (trust this one), ca.key, server.crt, server.key.
# Everything is valid for 30 days and for nothing but loopback names.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 1; }
mkdir -p "$out"
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/ca.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = smartcar-emulator throwaway test CA
[v3_ca]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

cat >"$tmp/server.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[v3_server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
CNF

# EC P-256 keys: small, fast, accepted by every TLS stack in use here.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$out/ca.key" -out "$out/ca.crt" -days 30 -sha256 \
  -config "$tmp/ca.cnf" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$out/server.key" -out "$tmp/server.csr" \
  -config "$tmp/server.cnf" 2>/dev/null
openssl x509 -req -in "$tmp/server.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -CAcreateserial -CAserial "$tmp/ca.srl" -out "$out/server.crt" -days 30 \
  -sha256 -extfile "$tmp/server.cnf" -extensions v3_server 2>/dev/null
chmod 644 "$out/ca.crt" "$out/server.crt"
echo "$out/ca.crt"
