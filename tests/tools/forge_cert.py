#!/usr/bin/env python3
"""forge_cert.py CERT.pem CA.pem OUT_DIR: what a worker taken over would
ask the signer to sign, each made from CERT (one the CA issued) and
signed with a throwaway key (the signer replaces the signature), as DER
in OUT_DIR: keycertsign.der (keyUsage keyCertSign), eku.der (an EKU no
template grants: codeSigning), beyond.der (the template's span, ending
after the CA's notAfter), apppolicy.der (an extension issuing never
adds: Microsoft's Application Policies, which Windows reads in place of
the EKU), past.der (valid since a week before it was issued),
fresh.der and reuse.der (CERT valid from a minute ago, under a new
serial and under CERT's own),
cms-signeddata.der (CMS signed attributes of content type signedData,
not CertRep's id-data), cms-nextca.der (GetNextCACert's, signed now, for
a content of zeros), cms-certrep-certs.der (a SUCCESS CertRep's over a
certificates-only SignedData, not an envelope) and garbage.der. The CMS
ones end with the content their messageDigest names (sigwire.h)."""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID


def rebuild(cert, key, ku=None, eku=None, before=None, after=None,
            extra=None, serial=None):
    b = (x509.CertificateBuilder()
         .subject_name(cert.subject).issuer_name(cert.issuer)
         .public_key(cert.public_key())
         .serial_number(serial or x509.random_serial_number())
         .not_valid_before(before or cert.not_valid_before_utc)
         .not_valid_after(after or cert.not_valid_after_utc))
    for e in cert.extensions:
        if ku is not None and isinstance(e.value, x509.KeyUsage):
            b = b.add_extension(ku, e.critical)
        elif eku is not None and isinstance(e.value,
                                            x509.ExtendedKeyUsage):
            b = b.add_extension(eku, e.critical)
        else:
            b = b.add_extension(e.value, e.critical)
    if extra is not None:
        b = b.add_extension(extra, False)
    return b.sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def attr(oid_der, value):
    return tlv(0x30, tlv(0x06, oid_der) + tlv(0x31, value))


def main():
    cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
    ca = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    out = sys.argv[3]
    key = ec.generate_private_key(ec.SECP256R1())
    ku = x509.KeyUsage(True, False, True, False, False, True, False,
                       False, False)
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
    end = ca.not_valid_after_utc + datetime.timedelta(days=1)
    files = {
        "keycertsign.der": rebuild(cert, key, ku=ku),
        "eku.der": rebuild(cert, key, eku=eku),
        "beyond.der": rebuild(cert, key,
                              before=end - datetime.timedelta(days=10),
                              after=end),
        # SEQUENCE { SEQUENCE { clientAuth } }
        "apppolicy.der": rebuild(cert, key, extra=x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.311.21.10"),
            bytes.fromhex("300c300a06082b06010505070302"))),
        "past.der": rebuild(
            cert, key,
            before=cert.not_valid_before_utc - datetime.timedelta(days=7),
            after=cert.not_valid_after_utc - datetime.timedelta(days=7)),
        "garbage.der": os.urandom(300),
    }
    # Valid from a minute ago for as long as CERT: what the signer signs,
    # once under a new serial (fresh.der), then under CERT's (reuse.der).
    now = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) - datetime.timedelta(minutes=1)
    span = cert.not_valid_after_utc - cert.not_valid_before_utc
    files["fresh.der"] = rebuild(cert, key, before=now, after=now + span)
    files["reuse.der"] = rebuild(cert, key, before=now, after=now + span,
                                 serial=cert.serial_number)
    # contentType signedData (1.2.840.113549.1.7.2), a SHA-256 sized
    # messageDigest, a signingTime: signed attributes, but not CertRep's.
    ctype = attr(bytes.fromhex("2a864886f70d010903"),
                 tlv(0x06, bytes.fromhex("2a864886f70d010702")))
    digest = attr(bytes.fromhex("2a864886f70d010904"),
                  tlv(0x04, bytes(32)))
    stime = attr(bytes.fromhex("2a864886f70d010905"),
                 tlv(0x17, b"261205000000Z"))
    files["cms-signeddata.der"] = tlv(0x31, b"".join(sorted(
        [ctype, digest, stime])))
    # GetNextCACert's: contentType id-data, signed now, sent with the
    # content they sign (sigwire.h), 64 zero bytes: no next CA's
    # certificates.
    now = datetime.datetime.now(datetime.timezone.utc)
    data_type = attr(bytes.fromhex("2a864886f70d010903"),
                     tlv(0x06, bytes.fromhex("2a864886f70d010701")))
    signed_now = attr(bytes.fromhex("2a864886f70d010905"),
                      tlv(0x17, now.strftime("%y%m%d%H%M%SZ").encode()))

    def digest_of(content):
        h = hashes.Hash(hashes.SHA256())
        h.update(content)
        return attr(bytes.fromhex("2a864886f70d010904"),
                    tlv(0x04, h.finalize()))

    zeros = bytes(64)
    files["cms-nextca.der"] = tlv(0x31, b"".join(sorted(
        [data_type, digest_of(zeros), signed_now]))) + zeros
    # A SUCCESS CertRep for transaction "forged" (sigwire_ask.py's) over
    # the CA's certificate as a certificates-only SignedData, what a
    # lenient GetNextCACert client might take: not an envelope.
    certs = pkcs7.serialize_certificates([ca], serialization.Encoding.DER)

    def scep(oid_arc, tag, value):   # 2.16.840.1.113733.1.9.<arc>
        return attr(bytes.fromhex("6086480186f8450109") + bytes([oid_arc]),
                    tlv(tag, value))
    files["cms-certrep-certs.der"] = tlv(0x31, b"".join(sorted([
        data_type, digest_of(certs), signed_now,
        scep(2, 0x13, b"3"), scep(3, 0x13, b"0"), scep(7, 0x13, b"forged"),
        scep(5, 0x04, bytes(16))]))) + certs
    for name, der in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(der)


main()
