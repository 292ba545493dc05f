#!/usr/bin/env python3
"""intune_standin.py - a stand-in for Entra ID's token endpoint, Microsoft
Graph's service-principal endpoint list and Intune's SCEP validation
service, as the protocol facts describe them, over HTTPS. Python 3 stdlib
and the openssl command only.

  intune_standin.py --dir D --cert C --key K --client-id ID
                    [--secret-file F] [--client-cert PEM]

Writes D/port when listening. Reads D/control.json on every request:
  {"validate": "ok"|"503"|"garbage"|"hang", "expire_once": true,
   "discovery_404": true, "token_401": true}
Counts requests in D/counts.json and appends each SCEP call's body and
headers to D/calls.jsonl.

Revocation (PkiConnectorFEService, api-version 5019-05-05): the test
queues requests by writing D/revocations.json, a list of
{"requestContext", "serialNumber", "issuerName", "caConfiguration"};
downloadRevocationRequests hands out the first maxRequests of them, then
keeps those whose caConfiguration matches a non-null issuerName, as the
service does (Intune-Resource-Access #133); uploadRevocationResults checks
each result, appends it to D/revocation_results.jsonl, drops the answered
requests from the queue and answers {"value": true}. Faults in
control.json: "revocation": "404"|"503"|"garbage" (download and upload),
"upload_false" ({"value": false}), "upload_503"; "empty_pages": N (the
next N downloads come back empty although requests remain).
--delay-ms N: Intune's services answer after N ms. Each TLS connection
accepted counts as "tls_connection" in counts.json.

A challengePassword "intune-ok-..." is accepted (code Success);
"intune-code-<Name>" is refused with code <Name>; anything else gets
ChallengeDecryptionError.

successNotification faults in control.json: "notify_fail": N makes the
next N successNotification calls fail (then they succeed again), the way
"notify_fail_mode" says: "503" (default), "garbage" (200, not JSON),
"refuse" (200, code Unknown) or "drop" (connection closed, no answer).
"failure_fail": N does the same to the next N failureNotification calls.
"""
import argparse, base64, hashlib, json, os, re, socket, ssl, subprocess, tempfile
import threading, time, urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INTUNE_APP = "0000000a-0000-0000-c000-000000000000"
INTUNE_SCOPE = "https://api.manage.microsoft.com//.default"
SCEP_PATH = "/RACerts/ScepRequestValidationFEService/Gateway/StatelessScepRequestValidationService"
PKI_PATH = "/RACerts/PkiConnectorFEService/Gateway/PkiConnector"
lock = threading.Lock()
count_lock = threading.Lock()
rev_lock = threading.Lock()
REV_CODES = {0: "None", 4000: "NonRetryableServiceException",
             4001: "DataSerializationError", 4002: "ParameterDataInvalidError",
             4003: "CryptographyError", 4004: "CertificateNotFoundError",
             4005: "ConflictError", 4006: "NotSupportedError",
             4007: "PayloadTooLargeError", 4100: "RetryableServiceException",
             4101: "ServiceUnavailableException", 4102: "ServiceTooBusyException",
             4103: "AuthenticationException"}
tokens = {}          # token -> (audience, expiry)


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Standin(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    # --- state ----------------------------------------------------------
    def control(self):
        try:
            with open(os.path.join(A.dir, "control.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def clear_control(self, key):
        c = self.control()
        c.pop(key, None)
        with open(os.path.join(A.dir, "control.json"), "w") as f:
            json.dump(c, f)

    def setup(self):
        super().setup()
        self.count("tls_connection")

    def count(self, name):
        with count_lock:
            self.count_locked(name)

    def count_locked(self, name):
        p = os.path.join(A.dir, "counts.json")
        try:
            with open(p) as f:
                c = json.load(f)
        except (OSError, ValueError):
            c = {}
        c[name] = c.get(name, 0) + 1
        with open(p + ".tmp", "w") as f:
            json.dump(c, f)
        os.replace(p + ".tmp", p)

    # --- replies --------------------------------------------------------
    def reply(self, status, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def bearer(self, audience):
        h = self.headers.get("Authorization", "")
        tok = h[7:] if h.startswith("Bearer ") else None
        with lock:
            t = tokens.get(tok)
            if t is None or t[0] != audience or t[1] < time.time():
                return False
            if self.control().get("expire_once"):
                self.clear_control("expire_once")
                del tokens[tok]
                return False
        return True

    # --- token endpoint -------------------------------------------------
    def token_error(self, err, desc):
        self.reply(401 if err == "invalid_client" else 400,
                   {"error": err, "error_description": desc,
                    "error_codes": [7000215], "trace_id": str(uuid.uuid4())})

    def check_assertion(self, jwt, aud):
        try:
            h64, p64, s64 = jwt.split(".")
            head = json.loads(b64url_dec(h64))
            claims = json.loads(b64url_dec(p64))
        except ValueError:
            return "assertion is not a JWT"
        pem = open(A.client_cert).read()
        der = ssl.PEM_cert_to_DER_cert(pem)
        x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=")
        if head.get("alg") != "RS256" or head.get("x5t", "").encode() != x5t:
            return "unknown certificate thumbprint (x5t) or alg"
        if claims.get("aud") != aud or claims.get("iss") != A.client_id or \
                claims.get("sub") != A.client_id:
            return "aud, iss or sub wrong"
        if not claims.get("exp", 0) > time.time() >= claims.get("nbf", 1e12) - 300:
            return "assertion expired or not yet valid"
        with tempfile.TemporaryDirectory() as d:
            open(d + "/in", "wb").write((h64 + "." + p64).encode())
            open(d + "/sig", "wb").write(b64url_dec(s64))
            subprocess.run(["openssl", "x509", "-in", A.client_cert, "-pubkey",
                            "-noout", "-out", d + "/pub"], check=True)
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify",
                                d + "/pub", "-signature", d + "/sig", d + "/in"],
                               capture_output=True)
        return None if r.returncode == 0 else "assertion signature invalid"

    def token(self, tenant):
        self.count("token")
        form = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True)
        f = {k: v[0] for k, v in form.items()}
        aud = "https://%s:%d/%s/oauth2/v2.0/token" % (self.server.host,
                                                      self.server.server_port, tenant)
        if f.get("grant_type") != "client_credentials":
            return self.token_error("unsupported_grant_type", "AADSTS70003")
        if f.get("client_id") != A.client_id or tenant != A.tenant:
            return self.token_error("invalid_client", "AADSTS700016: application not found")
        if self.control().get("token_401"):
            return self.token_error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if "client_secret" in f:
            if not A.secret_file or f["client_secret"] != open(A.secret_file).read().strip():
                return self.token_error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
        elif f.get("client_assertion_type") == \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" and A.client_cert:
            why = self.check_assertion(f.get("client_assertion", ""), aud)
            if why:
                return self.token_error("invalid_client", "AADSTS700027: " + why)
        else:
            return self.token_error("invalid_client", "AADSTS7000218: no credentials")
        scope = f.get("scope", "")
        if scope == INTUNE_SCOPE:
            kind = "intune"
        elif scope == A.graph_url + "/.default":
            kind = "graph"
        else:
            return self.token_error("invalid_scope", "AADSTS70011: scope " + scope)
        self.count("token_" + kind)
        tok = "%s-%s" % (kind, uuid.uuid4().hex)
        with lock:
            tokens[tok] = (kind, time.time() + 3599)
        self.reply(200, {"token_type": "Bearer", "expires_in": 3599,
                         "ext_expires_in": 3599, "access_token": tok})

    # --- Graph ----------------------------------------------------------
    def endpoints(self):
        self.count("discovery")
        if not self.bearer("graph"):
            return self.reply(401, {"error": {"code": "InvalidAuthenticationToken"}})
        if self.control().get("discovery_404"):
            return self.reply(404, {"error": {"code": "Request_ResourceNotFound"}})
        base = "https://%s:%d" % (self.server.host, self.server.server_port)
        self.reply(200, {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('appId%3D" + INTUNE_APP + "')/endpoints",
            "value": [
                {"id": str(uuid.uuid4()), "capability": "Intune",
                 "providerId": None, "providerName": "PkiConnectorFEService",
                 "providerResourceId": None, "uri": base + PKI_PATH},
                {"id": str(uuid.uuid4()), "capability": "Intune",
                 "providerId": None, "providerName": "ScepRequestValidationFEService",
                 "providerResourceId": None, "uri": base + SCEP_PATH + "/"}]})

    # --- Intune ---------------------------------------------------------
    def challenge_of(self, csr_b64):
        with tempfile.NamedTemporaryFile() as f:
            f.write(base64.b64decode(csr_b64, validate=True))
            f.flush()
            r = subprocess.run(["openssl", "req", "-inform", "DER", "-in", f.name,
                                "-noout", "-text"], capture_output=True, text=True)
        if r.returncode != 0:
            return None, "CertificateRequestDecodingFailed"
        m = re.search(r"challengePassword\s*:\s*(\S+)", r.stdout)
        return (m.group(1), None) if m else (None, "ChallengePasswordMissing")

    def notify_fault(self, action):
        """True when this notification fails (answered here)."""
        key = "notify_fail" if action == "successNotification" else "failure_fail"
        with lock:
            c = self.control()
            if c.get(key, 0) <= 0:
                return False
            c[key] -= 1
            with open(os.path.join(A.dir, "control.json"), "w") as f:
                json.dump(c, f)
        self.count(action + "_failed")
        mode = c.get("notify_fail_mode", "503")
        if mode == "garbage":
            self.reply(200, raw=b"{\"code\": Succ")
        elif mode == "refuse":
            self.reply(200, {"code": "Unknown", "errorDescription": "try later"})
        elif mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self.reply(503, raw=b"Service Unavailable")
        return True

    def scep(self, action):
        self.count(action)
        raw = self.body()
        with open(os.path.join(A.dir, "calls.jsonl"), "a") as f:
            f.write(json.dumps({"action": action, "body": raw.decode("utf-8", "replace"),
                                "api-version": self.headers.get("api-version"),
                                "client-request-id": self.headers.get("client-request-id"),
                                "content-type": self.headers.get("Content-Type")}) + "\n")
        if not self.bearer("intune"):
            return self.reply(401, {"Message": "Authorization has been denied"})
        if action != "validateRequest" and self.notify_fault(action):
            return
        c = self.control().get("validate", "ok")
        if c == "hang":
            time.sleep(120)
        if c == "503":
            return self.reply(503, raw=b"Service Unavailable")
        if c == "garbage":
            return self.reply(200, raw=b"{\"code\": Succ")
        if self.headers.get("api-version") != "2018-02-20":
            return self.reply(400, {"code": "Unknown", "errorDescription": "api-version"})
        try:
            req = json.loads(raw)["request" if action == "validateRequest" else "notification"]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"code": "Unknown", "errorDescription": "body"})
        if action != "validateRequest":
            return self.reply(200, {"code": "Success", "errorDescription": ""})
        if not req.get("transactionId") or req.get("callerInfo") is None:
            return self.reply(400, {"code": "Unknown", "errorDescription": "fields"})
        pw, err = self.challenge_of(req.get("certificateRequest", ""))
        if err:
            return self.reply(200, {"code": err, "errorDescription": err})
        if pw.startswith("intune-ok-"):
            return self.reply(200, {"code": "Success", "errorDescription": ""})
        if pw.startswith("intune-code-"):
            code = pw[len("intune-code-"):]
            return self.reply(200, {"code": code, "errorDescription": "refused: " + code})
        self.reply(200, {"code": "ChallengeDecryptionError",
                         "errorDescription": "challenge cannot be decrypted"})

    # --- Intune: revocation (PkiConnectorFEService) ---------------------
    def rev_queue(self):
        try:
            with open(os.path.join(A.dir, "revocations.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return []

    def rev_parse(self, raw, key):
        try:
            v = json.loads(raw)[key]
        except (ValueError, KeyError, TypeError):
            return None
        return v

    def rev_download(self, raw):
        p = self.rev_parse(raw, "downloadParameters")
        if not isinstance(p, dict) or type(p.get("maxRequests")) is not int or \
                not 1 <= p["maxRequests"] <= 500 or \
                not (p.get("issuerName") is None or isinstance(p["issuerName"], str)):
            return self.reply(400, {"Message": "downloadParameters invalid"})
        c = self.control()
        if c.get("empty_pages", 0) > 0:
            c["empty_pages"] -= 1
            with open(os.path.join(A.dir, "control.json"), "w") as f:
                json.dump(c, f)
            page = []
        else:
            page = self.rev_queue()[:p["maxRequests"]]
            if p["issuerName"] is not None:
                page = [r for r in page if r.get("caConfiguration") == p["issuerName"]]
        self.reply(200, {"@odata.context": "https://fef.msuc02.manage.microsoft.com/"
                         "$metadata#Collection(microsoft.management.services.api."
                         "caRevocationRequest)", "value": page})

    def rev_code(self, r):
        """A result's errorCode as a number: the Java sample's string of
        digits or the C# sample's enum name; None when neither."""
        e = r.get("errorCode")
        if isinstance(e, str) and e.isdigit() and int(e) in REV_CODES:
            return int(e)
        names = {v: k for k, v in REV_CODES.items()}
        return names.get(e) if isinstance(e, str) else None

    def rev_upload(self, raw):
        res = self.rev_parse(raw, "results")
        if not isinstance(res, list) or not res:
            return self.reply(400, {"Message": "results missing or empty"})
        for r in res:
            code = self.rev_code(r) if isinstance(r, dict) else None
            if code is None or not isinstance(r.get("requestContext"), str) or \
                    not isinstance(r.get("succeeded"), bool) or \
                    r["succeeded"] != (code == 0) or \
                    not (r.get("errorMessage") is None or isinstance(r["errorMessage"], str)):
                return self.reply(400, {"Message": "result invalid: " + json.dumps(r)})
        if self.control().get("revocation") == "upload_false":
            return self.reply(200, {"value": False})
        if self.control().get("revocation") == "upload_503":
            return self.reply(503, raw=b"Service Unavailable")
        done = {r["requestContext"] for r in res}
        q = self.rev_queue()
        with open(os.path.join(A.dir, "revocation_results.jsonl"), "a") as f:
            for r in res:
                f.write(json.dumps(dict(r, code=self.rev_code(r),
                                        codeName=REV_CODES[self.rev_code(r)])) + "\n")
        with open(os.path.join(A.dir, "revocations.json.tmp"), "w") as f:
            json.dump([r for r in q if r.get("requestContext") not in done], f)
        os.replace(os.path.join(A.dir, "revocations.json.tmp"),
                   os.path.join(A.dir, "revocations.json"))
        self.reply(200, {"value": True})

    def pki(self, action):
        self.count(action)
        raw = self.body()
        if not self.bearer("intune"):
            return self.reply(401, {"Message": "Authorization has been denied"})
        c = self.control().get("revocation")
        if c == "404":
            return self.reply(404, {"Message": "No HTTP resource was found"})
        if c == "503":
            return self.reply(503, raw=b"Service Unavailable")
        if c == "garbage":
            return self.reply(200, raw=b"{\"value\": [{\"requestCon")
        if self.headers.get("api-version") != "5019-05-05":
            return self.reply(400, {"Message": "api-version"})
        with rev_lock:
            if action == "downloadRevocationRequests":
                return self.rev_download(raw)
            return self.rev_upload(raw)

    def do_POST(self):
        m = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", self.path)
        if m:
            return self.token(m.group(1))
        if A.delay_ms:
            time.sleep(A.delay_ms / 1000.0)
        m = re.fullmatch(re.escape(PKI_PATH) + r"/CertificateAuthorityRequests/"
                         r"(downloadRevocationRequests|uploadRevocationResults)", self.path)
        if m:
            return self.pki(m.group(1))
        m = re.fullmatch(re.escape(SCEP_PATH) + r"/ScepActions/(validateRequest|successNotification|failureNotification)", self.path)
        if m:
            return self.scep(m.group(1))
        self.body()
        self.reply(404, {"error": "no such path " + self.path})

    def do_GET(self):
        if self.path == "/v1.0/servicePrincipals/appId=%s/endpoints" % INTUNE_APP:
            return self.endpoints()
        self.reply(404, {"error": "no such path"})


def main():
    global A
    p = argparse.ArgumentParser()
    for o in ("--dir", "--cert", "--key", "--client-id", "--tenant"):
        p.add_argument(o, required=True)
    p.add_argument("--secret-file")
    p.add_argument("--client-cert")
    p.add_argument("--delay-ms", type=int, default=0)
    A = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Standin)
    srv.host = "127.0.0.1"
    srv.daemon_threads = True
    A.graph_url = "https://127.0.0.1:%d" % srv.server_port
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(A.cert, A.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(A.dir, "port.tmp"), "w") as f:
        f.write(str(srv.server_port))
    os.replace(os.path.join(A.dir, "port.tmp"), os.path.join(A.dir, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
