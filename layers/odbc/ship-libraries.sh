#!/bin/sh
# ship-libraries.sh DEST ELF...
# Copy into DEST (the layer's lib/, which Lambda puts on LD_LIBRARY_PATH as /opt/lib) every
# shared library the ELF files load, directly or through each other (ldd's closure), under its
# soname, except glibc's own libraries, which every Lambda runtime has. Then check that each
# ELF finds every such library in DEST, and fail naming any it would not.
#
# Microsoft's libmsodbcsql-18 declares (DT_NEEDED) libodbcinst, libkrb5 and libgssapi_krb5,
# which pull in libk5crypto, libcom_err, libkrb5support, libkeyutils and libltdl, plus
# libstdc++ and libgcc_s; Lambda's Python runtime is not guaranteed to have any of them.
# OpenSSL (libssl.so.3, which the driver loads with dlopen) is not copied: Python's ssl module,
# which boto3 uses, has loaded the runtime's own before the driver asks for it.
set -eu
dest=$1
shift
mkdir -p "$dest"
glibc='^(ld-linux-x86-64|ld-linux-aarch64|libc|libm|libdl|libpthread|librt|libresolv|libutil|libanl|libnsl)\.so'

resolved() {  # soname and path of each library ldd finds for $1 (ldd failing fails the caller)
  listing=$(ldd "$1") || return 1
  echo "$listing" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
}

for elf in "$@"; do
  resolved "$elf" || { echo "$elf: ldd cannot read it" >&2; exit 1; }
done | sort -u | while read -r soname path; do
  if echo "$soname" | grep -Eq "$glibc" || [ -e "$dest/$soname" ]; then
    continue
  fi
  cp -L "$path" "$dest/$soname"
  echo "shipped $soname (from $path)"
done

status=0
for elf in "$@"; do
  if ! found=$(LD_LIBRARY_PATH="$dest" resolved "$elf"); then
    echo "$elf: cannot be loaded with the layer's libraries" >&2
    status=1
    continue
  fi
  if missing=$(LD_LIBRARY_PATH="$dest" ldd "$elf" | grep 'not found'); then
    echo "$elf: $missing" >&2
    status=1
  fi
  echo "$found" | while read -r soname path; do
    if echo "$soname" | grep -Eq "$glibc"; then
      continue
    fi
    case "$path" in
      "$dest"/*) ;;
      *) echo "$elf: $soname resolves to $path, not to the layer" >&2; exit 1 ;;
    esac
  done || status=1
done
exit $status
