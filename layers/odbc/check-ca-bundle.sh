#!/bin/sh
# check-ca-bundle.sh BUNDLE
# Refuse a downloaded RDS CA bundle unless it is what RDS publishes: PEM certificates only, at
# least one, each a certificate authority of Amazon RDS (subject O=Amazon Web Services, Inc.,
# and "Amazon RDS" in its name) that has not expired. A proxy's error page, an empty answer or
# a truncated file fails the layer build instead of the first connection in production.
set -eu
bundle=$1
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
for cert in "$work"/*.pem; do
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
    echo "$bundle: expired: $subject" >&2
    exit 1
  fi
done
echo "$bundle: $count Amazon RDS certificate authorities"
