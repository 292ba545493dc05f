#!/usr/bin/env bash
# Enrollment with the project's own client (tests/tools/scepcli/, which
# shares no code with the responder) for what Debian's clients cannot do:
# AES/3DES/SHA variants, RSA-OAEP, GET URLs over 32 KB, resubmission,
# template choice by key usage, CA-direct mode.
. "$(dirname "$0")/lib.sh"
CLI=$MSCEP_BIN/scepcli

make_ini SignatureTemplate=SigOnly PasswordMax=50
cat >> "$INI" <<'INI'
[SigOnly]
ValidityDays = 7
KeyUsage = digitalSignature
ExtendedKeyUsage = emailProtection
INI
$ADMIN init --key ec:P-256 >/dev/null
start_lighttpd 2

pw() { $ADMIN password; }
check "AES-128 + SHA-256 by POST, reply in AES-128" \
    $CLI -u "$URL" -m post -e aes128 -d sha256 --expect-cipher -p "$(pw)" enroll
check "3DES + SHA-1 (NDES-era clients), reply in 3DES" \
    $CLI -u "$URL" -m post -e des3 -d sha1 --expect-cipher -p "$(pw)" enroll
check "AES-256 + SHA-512 by GET" \
    $CLI -u "$URL" -m get -e aes256 -d sha512 --expect-cipher -p "$(pw)" enroll
check "RSA-OAEP key transport (Windows clients)" \
    $CLI -u "$URL" -m post --oaep -p "$(pw)" enroll
check "resubmitting the same message returns the same certificate" \
    $CLI -u "$URL" -m post --resubmit -p "$(pw)" enroll
check "a txid in micromdm's base64 style (+ / =) by GET" \
    $CLI -u "$URL" -m get --txid-style base64 -p "$(pw)" enroll

# A GET PKIOperation with a URL over 32 KB: 600 DNS names in the CSR.
check "GET with 600 SANs (URL over 32 KB) enrolls" \
    $CLI -u "$URL" -m get -s 600 -p "$(pw)" -o "$T/big" enroll
stop_lighttpd
len=$(awk '/message=/ { print length($7) }' "$T/run/access.log" | sort -n | tail -1)
check "the longest PKIOperation URL was over 32 KB ($len bytes)" test "${len:-0}" -gt 32768
check "all 600 SANs are in the issued certificate" \
    sh -c "openssl x509 -in \$(ls '$T'/big/*.pem | head -1) -noout -ext subjectAltName | tr ',' '\n' | grep -c DNS: | grep -qx 600"
start_lighttpd 2

mkdir -p "$T/sig"
check "digitalSignature-only CSR gets SignatureTemplate" \
    $CLI -u "$URL" --ku sig -p "$(pw)" -o "$T/sig" enroll
check "its certificate has the SigOnly EKU (emailProtection)" \
    sh -c "openssl x509 -in \$(ls '$T'/sig/*.pem | head -1) -noout -ext extendedKeyUsage | grep -q 'E-mail Protection'"
check "the store records the template" test "$(sql "select count(*) from certificates where template = 'SigOnly'")" = 1

n=$(sql "select count(*) from certificates")
check "a wrong password is refused with badRequest" \
    $CLI -u "$URL" -p WRONGPASSWORD --expect failure --failinfo 2 enroll
check "a 1024-bit RSA key is refused (MinimumKeySize)" \
    $CLI -u "$URL" -k rsa:1024 -p "$(pw)" --expect failure --failinfo 2 enroll
check "refusals stored nothing" test "$(sql "select count(*) from certificates")" = "$n"

# CA-direct: an EC CA cannot decrypt, so mscep must refuse to start.
stop_lighttpd
sed -i 's/^CADirect = .*/CADirect = 1/' "$INI"
check_not "CADirect=1 with an EC CA fails the configuration check" $ADMIN check
finish
