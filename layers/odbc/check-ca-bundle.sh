#!/bin/sh
# check-ca-bundle.sh BUNDLE OUT [REGION]
# Keep from a downloaded RDS CA bundle the authorities a client may trust today, in OUT; refuse a
# file that is not what RDS publishes. Every certificate must be PEM and a certificate authority
# of Amazon RDS (subject O=Amazon Web Services, Inc., and "Amazon RDS" in its name): a proxy's
# error page, an empty answer or a truncated file fails the layer build instead of the first
# connection in production. Expired authorities are dropped with a warning: RDS's global bundle
# keeps its 2019 roots (expired in 2024) beside the 2021 ones, and they verify nothing. The build
# fails only when no valid authority remains, or, given REGION, none that names the region.
set -eu
bundle=$1
out=$2
region=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if grep -v '^[A-Za-z0-9+/=]*$' "$bundle" | grep -Ev '^-----(BEGIN|END) CERTIFICATE-----$' | grep -q .; then
  echo "$bundle: not a bundle of PEM certificates" >&2
  exit 1
fi
awk -v dir="$work" '/-----BEGIN CERTIFICATE-----/ { n++ } n { print > (dir "/" n ".pem") }' "$bundle"
count=$(find "$work" -name '*.pem' | wc -l)
if [ "$count" -eq 0 ]; then
  echo "$bundle: no certificate" >&2
  exit 1
fi
: > "$work/kept"
kept=0
for_region=0
n=0
while [ "$n" -lt "$count" ]; do
  n=$((n + 1))
  cert="$work/$n.pem"
  subject=$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253)
  case "$subject" in
    *"O=Amazon Web Services\, Inc."*"Amazon RDS"* | *"Amazon RDS"*"O=Amazon Web Services\, Inc."*) ;;
    *) echo "$bundle: not an Amazon RDS authority: $subject" >&2; exit 1 ;;
  esac
  if ! openssl x509 -in "$cert" -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE'; then
    echo "$bundle: not a certificate authority: $subject" >&2
    exit 1
  fi
  if ! openssl x509 -in "$cert" -noout -checkend 0 >/dev/null; then
    echo "$bundle: warning: dropped, expired: $subject" >&2
    continue
  fi
  cat "$cert" >> "$work/kept"
  kept=$((kept + 1))
  case "$subject" in *"Amazon RDS $region "*) for_region=$((for_region + 1)) ;; esac
done
if [ "$kept" -eq 0 ]; then
  echo "$bundle: no valid certificate authority (all $count expired)" >&2
  exit 1
fi
if [ -n "$region" ] && [ "$for_region" -eq 0 ]; then
  echo "$bundle: no valid certificate authority for $region" >&2
  exit 1
fi
cp "$work/kept" "$out"
echo "$bundle: $kept of $count Amazon RDS certificate authorities kept${region:+ ($for_region for $region)}"
