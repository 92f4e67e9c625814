#!/usr/bin/env bash
# `isola keys` and `isola claims` end to end: cli_claims.sh ISOLA ACTOR.wasm EXPECT.sh
# Each step checks an exit code and output lines with expect.sh; the first failure stops.
set -u
isola=$1 actor=$2 expect=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
step() { bash "$expect" "$@" || { echo "step failed: $*"; exit 1; }; }
key='[A-Z2-7]{55}$'

# Keys: seed files are 0600, only the public key is printed, existing files are kept.
step --exit 0 --stdout "^A$key" -- "$isola" keys gen --type account -o acct.nk
step --exit 0 --stdout "^M$key" -- "$isola" keys gen --type module -o mod.nk
step --exit 0 --stdout "^A$key" -- "$isola" keys gen --type account -o other.nk
step --exit 0 --stdout "^N$key" -- "$isola" keys gen --type server -o server.nk
step --exit 0 --stdout "^V$key" -- "$isola" keys gen --type provider -o provider.nk
[ "$(stat -c %a acct.nk)" = 600 ] || { echo "acct.nk mode is $(stat -c %a acct.nk), expected 600"; exit 1; }
grep -Eq "^SA[A-Z2-7]{56}$" acct.nk || { echo "acct.nk does not hold an account seed"; exit 1; }
"$isola" keys gen --type module -o mod2.nk | grep -q "^S" && { echo "gen printed a seed"; exit 1; }
step --exit 2 --stderr "mod.nk: already exists" -- "$isola" keys gen --type module -o mod.nk
step --exit 2 --stderr "unknown key type 'actor'" -- "$isola" keys gen --type actor -o x.nk
step --exit 0 --stdout "^type: +account$" --stdout "^public key: +A$key" --stdout "^seed: +yes" -- \
     "$isola" keys inspect acct.nk
"$isola" keys inspect acct.nk | grep -q "$(cat acct.nk)" && { echo "inspect printed the seed"; exit 1; }
acct_pub=$("$isola" keys inspect acct.nk | sed -n 's/^public key: *//p')
other_pub=$("$isola" keys inspect other.nk | sed -n 's/^public key: *//p')
step --exit 0 --stdout "^type: +account$" --stdout "^seed: +no$" -- "$isola" keys inspect "$acct_pub"
step --exit 0 --stdout "\"type\": \"user\"" -- "$isola" keys inspect UBCXCMGAZQZN55X5TTTWMB5CZNZIKJHEDZJOJ3TV63NKPJ6FRXSR2ZO4 --json
bad=${acct_pub:0:10}$([ "${acct_pub:10:1}" = A ] && echo B || echo A)${acct_pub:11}
step --exit 1 --stderr "checksum mismatch" -- "$isola" keys inspect "$bad"

# Sign, inspect, verify.
step --exit 0 --stdout "^M$key" -- "$isola" claims sign "$actor" -o signed.wasm --issuer acct.nk --subject mod.nk \
     --cap wascc:keyvalue --cap wascc:http_server --name Counter --tag demo --ver 0.1.0 --rev 2
step --exit 0 --stdout "^verdict: +valid$" --stdout "^capabilities: +wascc:keyvalue, wascc:http_server$" \
     --stdout "^issuer: +$acct_pub \\(account\\)$" --stdout "^name: +Counter$" --stdout "^version: +0.1.0 \\(rev 2\\)$" \
     --stdout "^section: +jwt$" --stdout "^expires: +never$" -- "$isola" claims inspect signed.wasm
step --exit 0 --stdout "\"valid\": true" -- "$isola" claims inspect signed.wasm --json
step --exit 0 --stdout "^verdict: +valid$" -- "$isola" claims inspect signed.wasm --trusted-issuer "$acct_pub"
step --exit 1 --stdout "^verdict: +refused: .*not among the trusted issuers" -- \
     "$isola" claims inspect signed.wasm --trusted-issuer "$other_pub"
# The signed module still loads as wasm, with the token as its last custom section.
step --exit 0 --stdout "^  jwt: [0-9]+ bytes" -- "$isola" inspect signed.wasm

# One byte of data changed: the hash no longer matches.
cp signed.wasm tampered.wasm
off=$(grep -obUa "CLAIMS-TEST-DATA" tampered.wasm | head -1 | cut -d: -f1)
printf 'X' | dd of=tampered.wasm bs=1 seek="$off" conv=notrunc status=none
step --exit 1 --stdout "^verdict: +invalid: tampered.wasm: claims hash mismatch: module hashes to [0-9A-F]{64}, token says [0-9A-F]{64}$" \
     -- "$isola" claims inspect tampered.wasm

# Wrong key types, time windows, the wasmcloud_jwt section, re-signing.
step --exit 1 --stderr "the issuer must be an account key \\(A…\\), not a module key" -- \
     "$isola" claims sign "$actor" -o x.wasm --issuer mod.nk --subject mod.nk
step --exit 1 --stderr "the subject must be a module key \\(M…\\), not a server key" -- \
     "$isola" claims sign "$actor" -o x.wasm --issuer acct.nk --subject server.nk
step --exit 2 --stderr "--issuer $acct_pub: .*is a public key, not a seed" -- \
     "$isola" claims sign "$actor" -o x.wasm --issuer "$acct_pub" --subject mod.nk
step --exit 0 -- "$isola" claims sign "$actor" -o later.wasm --issuer acct.nk --subject mod.nk --not-before 1h
step --exit 1 --stdout "^verdict: +invalid: later.wasm: claims not valid before " -- "$isola" claims inspect later.wasm
step --exit 0 -- "$isola" claims sign "$actor" -o wc.wasm --issuer acct.nk --subject mod.nk --wasmcloud-jwt --cap wasmcloud:keyvalue
step --exit 0 --stdout "^section: +wasmcloud_jwt$" --stdout "^verdict: +valid$" -- "$isola" claims inspect wc.wasm
step --exit 0 -- "$isola" claims sign signed.wasm -o signed.wasm --issuer other.nk --subject mod.nk --cap wascc:logging
step --exit 0 --stdout "^capabilities: +wascc:logging$" --stdout "^issuer: +$other_pub" --stdout "^verdict: +valid$" \
     -- "$isola" claims inspect signed.wasm
[ "$("$isola" inspect signed.wasm | grep -c '^  jwt:')" = 1 ] || { echo "re-signing left more than one jwt section"; exit 1; }

# Unsigned and unreadable modules; usage errors.
step --exit 1 --stdout "^verdict: +invalid: .*no claims" -- "$isola" claims inspect "$actor"
step --exit 2 --stderr "no-such.wasm: no such file" -- "$isola" claims inspect no-such.wasm
step --exit 2 --stderr "sign needs -o OUT.wasm" -- "$isola" claims sign "$actor" --issuer acct.nk --subject mod.nk
step --exit 2 --stderr "--expires: .*not a duration" -- \
     "$isola" claims sign "$actor" -o x.wasm --issuer acct.nk --subject mod.nk --expires soon
step --exit 0 --stdout "^usage: isola claims sign" -- "$isola" help claims
step --exit 0 --stdout "^usage: isola keys gen" -- "$isola" help keys
echo "all steps passed"
