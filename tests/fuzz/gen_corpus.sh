#!/bin/sh
# gen_corpus.sh - rebuilds the fuzz seeds (make fuzz-corpus):
#   sh tests/fuzz/gen_corpus.sh MSCEP-ADMIN GEN-CORPUS OUTDIR
# A temporary state folder gets a CA and RA (mscep-admin init), an MDM
# (mdm-init) and challenge blobs (mscep-admin challenge); gen-corpus
# (tests/fuzz/gen_corpus.c) builds PKIOperations to that RA and opens the
# blobs for the inner layers; INI and query seeds are written here.
set -eu
admin=$1
gen=$2
out=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mscep-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

for t in pkiop worker query challenge config csr ocsp intune signer; do
	rm -rf "$out/$t"
	mkdir -p "$out/$t"
done

# The templates of tests/fuzz/fuzz_common.c, so that profiles match.
cat > "$tmp/mscep.ini" <<EOF
[MSCEP]
SignatureTemplate = SigT
EncryptionTemplate = EncT
GeneralPurposeTemplate = GpT
[SigT]
KeyUsage = digitalSignature
ExtendedKeyUsage = clientAuth
[EncT]
KeyUsage = keyEncipherment
ExtendedKeyUsage = none
SubjectFromRequest = 0
SubjectAltNames = dns, ip
[GpT]
KeyUsage = digitalSignature, keyEncipherment
ValidityDays = 10
AllowRequesterValidity = 1
MaxValidityDays = 20
SidUrlSan = 1
[Service]
StateDir = state
[Policy]
Module = mdm-challenge
EOF
"$admin" -c "$tmp/mscep.ini" init --ca-name "Corpus CA" >/dev/null
"$admin" -c "$tmp/mscep.ini" mdm-init --out "$tmp/mdm" >/dev/null
# Ten years, so that the seeds stay inside their time window; blob 2
# expires in a minute, blob 3 starts in a day. gen_corpus.c builds the
# CSRs that match them, in this order.
ttl=315360000
"$admin" -c "$tmp/mscep.ini" challenge --mdm "$tmp/mdm" \
    --subject /CN=laptop-42 --device device-42 \
    --san dns:laptop-42.example --san upn:alice@example.com \
    --profile GpT --key-usage both --sid S-1-5-21-1-2-3-1001 \
    --ttl $ttl > "$tmp/blob0"
"$admin" -c "$tmp/mscep.ini" challenge --mdm "$tmp/mdm" \
    --subject /CN=printer/O=Example --device printer-7 \
    --san ip:192.0.2.7 --san email:p@example.com --san uri:urn:x \
    --profile SigT --key-usage sig --ttl $ttl > "$tmp/blob1"
"$admin" -c "$tmp/mscep.ini" challenge --mdm "$tmp/mdm" \
    --subject /CN=x --device d --key-usage any --ttl 60 > "$tmp/blob2"
"$admin" -c "$tmp/mscep.ini" challenge --mdm "$tmp/mdm" \
    --subject /CN=later --device later --san dns:later.example \
    --profile EncT --key-usage enc --not-before 86400 \
    --ttl $ttl > "$tmp/blob3"
"$gen" "$out" "$tmp/mscep.ini" "$tmp/blob0" "$tmp/blob1" "$tmp/blob2" \
    "$tmp/blob3"

# INI files: the shipped one, the unit fixture's, and the other modules.
cp "$top/etc/mscep.ini" "$out/config/mscep.ini"
sed 's|^StateDir = .*|StateDir = /var/lib/mscep|' "$tmp/mscep.ini" \
    > "$out/config/mdm-challenge.ini"
cat > "$out/config/exec.ini" <<'EOF'
[MSCEP]
SignatureTemplate = Device
EncryptionTemplate = Device
GeneralPurposeTemplate = Device
EnforcePassword = 0x1
PasswordValidity = 0x3C
PasswordVDir = /CertSrv/mscep_admin/
[Device]
ValidityDays = 30
KeyTypes = ec
KeyUsage = critical, digitalSignature
ExtendedKeyUsage = clientAuth, 1.3.6.1.5.5.7.3.2
SubjectAltNames = none
MinimumKeySize = 3072
[Service]
Log = syslog
LogSocket = /run/systemd/journal/dev-log
NoKeyUsageTemplate = Reject
HashAlgorithm = SHA384
Capabilities = AES,POSTPKIOperation,SHA-256
[Policy]
Module = exec
VerifierCommand = /usr/local/bin/verify
VerifierTimeoutSeconds = 5
NotifyCommand = /usr/local/bin/notify
EventRetentionDays = 30
[PasswordPage]
Users = alice, EXAMPLE\bob, carol@EXAMPLE.COM
UsersIgnoreCase = yes
RequireHTTPS = on
Encoding = UTF-8
EOF
printf '[mscep]\nsignaturetemplate = Missing\nUnknownKey = 1\n[Service]\nMaxMessageSize = 0x10000000000\nCADirect = maybe\nCapabilities = AES, Renewal\n[T]\nValidityDays = -1\nKeyUsage = frobnicate\nExtendedKeyUsage = 1.2.3.x\nSubjectAltNames = dns, x400\nKeyTypes =\n[PasswordPage]\nEncoding = latin1\n' \
    > "$out/config/bad.ini"
printf 'key = outside\n[MSCEP\n;comment\n#comment\n[MSCEP]\nPasswordVDir = certsrv/mscep/x\n  = empty\n"quoted" = "value" ; c\n' \
    > "$out/config/odd.ini"

# Queries: a maxlen byte, then "name\n" (optional), then the query.
q() { printf "$2" > "$out/query/$1"; }
q get-message '\005operation=PKIOperation&message=MIIB%%2Bab%%2Fcd%%3D%%3D'
q operation '\003operation\noperation=GetCACaps&message=CA'
q doubled '\004operation\n??operation=GetCACert&message=ca'
q base64url '\005message\noperation=PKIOperation&message=TUlJ-_x%%0AQUJD%%0d%%0a=='
q plus-space '\004message\nmessage=ab+cd ef&operation=x'
q bare-name '\001message\n&&message&message=later'
q bad-escapes '\004message\nmessage=%%zz%%4%%&x=%%%%41'
q case '\003OPERATION\nOperation=pkioperation'
q long-value '\002message\nmessage=0123456789abcdef'
q empty-name '\004\n=value&x=1'

# Challenge modes 5 (a --san argument) and 6 (issue, then open).
c() { printf "$2" > "$out/challenge/$1"; }
c san-dns '\005dns:laptop-42.example'
c san-upn '\005UPN:alice@example.com'
c san-ip6 '\005ip:2001:db8::7'
c san-uri '\005uri:tag:microsoft.com,2022-09-14:sid:S-1-5-21-1'
c san-email '\005email:a@example.com'
c san-other '\005x400:nope'
c round-trip '\006\300device-42\nGpT\nS-1-5-21-1-2-3-1001\nlaptop-42\ndns:laptop-42.example\nupn:alice@example.com\nip:192.0.2.7'
c round-trip-rsa '\206\377printer-7\nSigT\n\nprinter\nemail:p@example.com\nuri:urn:x'

# Microsoft's answers for fuzz_intune: a status byte (an index into its
# list: 0 is 200, 4 is 401, 6 is 404, 9 is 503), then the body.
i() { printf '%b' "$2" > "$out/intune/$1"; }
i token '\000{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.c2ln"}'
i token-string-expiry '\000{"token_type":"Bearer","expires_in":"3599","access_token":"abc"}'
i token-error '\004{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"correlation_id":"00000000-0000-0000-0000-000000000000"}'
i graph-endpoints '\000{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('"'"'appId%3D0000000a-0000-0000-c000-000000000000'"'"')/endpoints","value":[{"id":"1","capability":"Endpoint","providerId":null,"providerName":"ScepRequestValidationFEService","providerResourceId":null,"uri":"https://fef.msub01.manage.microsoft.com/ScepRequestValidationFEService/"},{"id":"2","capability":"Endpoint","providerName":"PkiConnectorFEService","uri":"https://fef.msub01.manage.microsoft.com/PkiConnectorFEService/"}]}'
i graph-empty '\000{"value":[]}'
i graph-forbidden '\005{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}'
i validate-success '\000{"@odata.context":"https://fef.msub01.manage.microsoft.com/ScepRequestValidationFEService/$metadata#Edm.String","code":"Success","errorDescription":""}'
i validate-refused '\000{"code":"ChallengeDecryptionError","errorDescription":"The challenge could not be decrypted."}'
i validate-503 '\011{"error":{"code":"ServiceUnavailable","message":"try later"}}'
i not-json '\000<html><body>proxy error</body></html>'
i revocation-requests '\000{"@odata.context":"https://fef.msub01.manage.microsoft.com/PkiConnectorFEService/$metadata#Collection(microsoft.management.services.api.CARevocationRequest)","value":[{"requestContext":"b5a3f2e0-1111-4a2b-9c3d-000000000001","serialNumber":"3A4B5C","issuerName":null,"caConfiguration":null},{"requestContext":"b5a3f2e0-1111-4a2b-9c3d-000000000002","serialNumber":"01","issuerName":"CN=mscep Issuing CA","caConfiguration":"mscep"}]}'
i revocation-empty '\000{"value":[]}'
i upload-true '\000{"@odata.context":"x","value":true}'
i upload-false '\000{"value":false}'
