#!/usr/bin/env python3
"""sigwire_ask.py SOCKET cert|crl|cms|decrypt|jwt FILE [ROLE] | hostile:
one request to the signer (mscep -S) as a worker taken over would send it
(mscep/ca/sigwire.h), the key role ROLE (ca, ra-sign, ra-enc, intune; the
type's own by default); FILE is DER, or for jwt a JWT signing input, the answer on stdout: "signed N bytes", "refused: why",
"failed: why" or "closed" when the signer dropped the connection."""
import socket
import struct
import sys

VERSION = 2    # sigwire.h SIGWIRE_VERSION
TYPES = {"cert": 1, "crl": 2, "cms": 4, "decrypt": 5, "jwt": 6}
NID_SHA256 = 672
ROLES = {"ca": 0, "ra-sign": 1, "ra-enc": 2, "intune": 5}
OWN_ROLE = {"cert": "ca", "crl": "ca", "cms": "ra-sign", "decrypt": "ra-enc",
            "jwt": "intune"}


def recv_all(s, n):
    data = b""
    while len(data) < n:
        try:
            part = s.recv(n - len(data))
        except ConnectionResetError:
            return None
        if not part:
            return None
        data += part
    return data


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    if sys.argv[2] == "hostile":
        s.sendall(struct.pack(">I", 0xFFFFFFFF) + b"\x01" * 64)
    else:
        der = open(sys.argv[3], "rb").read()
        txid = b"forged"
        role = sys.argv[4] if len(sys.argv) > 4 else OWN_ROLE[sys.argv[2]]
        body = struct.pack(">BBBBII", VERSION, TYPES[sys.argv[2]], ROLES[role],
                           len(txid), NID_SHA256, 0) + txid + der
        s.sendall(struct.pack(">I", len(body)) + body)
    head = recv_all(s, 4)
    if head is None:
        print("closed")
        return
    body = recv_all(s, struct.unpack(">I", head)[0])
    if body is None or len(body) < 2:
        print("closed")
        return
    status, data = body[1], body[2:]
    if status == 0:
        print("signed %d bytes" % len(data))
    else:
        print("%s: %s" % ("refused" if status == 1 else "failed",
                          data.decode("ascii", "replace")))


main()
