"""A logging, fault-injecting reverse proxy in front of moto (standard library only).

Usage:
    proxy.py --port PORT --target http://127.0.0.1:MOTO_PORT --log FILE
             [--seed S] [--fault-rate R] [--faults throttle,5xx,drop-before,drop-after]
             [--max-faults N] [--fault-services cloudformation,route53,sts]
             [--log-bodies] [--region-disabled REGION]

Listens on 127.0.0.1:PORT (``--listen-port`` is the same option; 0 picks a free
port), prints exactly ``ready <port>`` on stdout (flushed) once listening, and
runs until SIGTERM or SIGINT. Every request is forwarded to the target with its
method, path, query, headers (Host rewritten to the target, hop-by-hop headers
dropped) and body; the target's status, headers and body come back with a
correct Content-Length. HTTP/1.1 keep-alive is kept per client connection.

For every request one JSON line is appended to FILE (flushed after each line, and
before the answer is sent, so a client that has its answer finds its request logged):
    {"n": 1, "method": "POST", "path": "/", "service": "cloudformation",
     "action": "CreateChangeSet", "status": 200, "fault": null}
- n: sequence number in order of arrival, from 1.
- service: the signing name from the SigV4 credential scope (Authorization
  header, or X-Amz-Credential in the query); null if the request is unsigned.
- action: the form field Action (query protocol: cloudformation, sts, ...), else
  the operation from X-Amz-Target (JSON protocol), else the method and, for
  route53, a path template without trailing slash, e.g.
  "POST /2013-04-01/hostedzone/{id}/rrset" (other services: the raw path).
- status: the status the client received; for drop-after, the status moto
  answered (the call took effect, the client got nothing); 0 for drop-before.
- fault: null, "throttle", "5xx", "drop-before" or "drop-after".

--region-disabled REGION answers every STS AssumeRole signed for REGION as STS does when
the account that issues the credentials has not enabled that region: 403,
RegionDisabledException, not forwarded; logged with fault "region-disabled".

With --log-bodies each line also holds what an IAM replay needs (tests/it/iam/):
- access_key: the access key id from the SigV4 credential (which principal signed it).
- region: the region the request was signed for.
- query: the query string, each name to its list of values.
- request: the body decoded: a form (query protocol) as name -> value (a list when a name
  repeats), XML (route53) as nested objects, {root tag: {child tag: text | object | list}},
  JSON as is; null when empty.
- reply: the answer decoded the same way (XML or JSON, up to 256 KiB), else null.

Faults (deterministic for a given --seed and request order): a request whose
service is in --fault-services (default: all) gets a fault with probability
--fault-rate (default 0), the kind drawn from --faults (default: all four),
until --max-faults faults were injected (default: unlimited).
- throttle: not forwarded; 400 with the service's error body for code Throttling.
- 5xx: not forwarded; 503 with code ServiceUnavailable.
- drop-before: not forwarded; the client connection is closed without an answer.
- drop-after: forwarded (the call takes effect), then the client connection is
  closed without an answer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import signal
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULT_KINDS = ("throttle", "5xx", "drop-before", "drop-after")

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}

# Route53 path segments followed by an identifier.
ROUTE53_ID_AFTER = {
    "hostedzone",
    "change",
    "healthcheck",
    "delegationset",
    "trafficpolicy",
    "trafficpolicyinstance",
    "queryloggingconfig",
    "keysigningkey",
    "cidrcollection",
    "hostedzonelimit",
    "reusabledelegationsetlimit",
    "accountlimit",
}

ROUTE53_XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"

CREDENTIAL_RE = re.compile(r"Credential=([^,\s]+)")


def signing_service(headers, query: dict[str, list[str]]) -> str | None:
    credential = None
    match = CREDENTIAL_RE.search(headers.get("Authorization", "") or "")
    if match:
        credential = match.group(1)
    elif query.get("X-Amz-Credential"):
        credential = query["X-Amz-Credential"][0]
    if not credential:
        return None
    # AKID/20240101/us-east-1/cloudformation/aws4_request
    parts = credential.split("/")
    return parts[3] if len(parts) >= 5 else None


def path_template(path: str) -> str:
    """Route53 path with identifiers replaced by {id}, without a trailing slash."""
    if len(path) > 1:
        path = path.rstrip("/")
    segments = path.split("/")
    out = []
    previous = ""
    for index, segment in enumerate(segments):
        if segment == "" or (index == 1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", segment)):
            out.append(segment)
        elif previous in ROUTE53_ID_AFTER or not re.fullmatch(r"[a-z]+", segment):
            out.append("{id}")
        else:
            out.append(segment)
        previous = segment
    return "/".join(out)


def operation(method: str, path: str, headers, query, body: bytes, service: str | None) -> str:
    if "Action" in query:
        return query["Action"][0]
    content_type = (headers.get("Content-Type", "") or "").lower()
    if body and "x-www-form-urlencoded" in content_type:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        if "Action" in form:
            return form["Action"][0]
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "route53":
        return f"{method} {path_template(path)}"
    return f"{method} {path}"


def error_response(service: str | None, headers, code: str, message: str, sender: bool, request_id: str):
    """(content-type, body) of an AWS error in the protocol the service speaks."""
    kind = "Sender" if sender else "Receiver"
    if headers.get("X-Amz-Target"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return "application/x-amz-json-1.0", body
    xmlns = f' xmlns="{ROUTE53_XMLNS}"' if service == "route53" else ""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<ErrorResponse{xmlns}><Error><Type>{kind}</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
    return "text/xml", body


def xml_data(element):
    """An XML element as plain data: text for a leaf, else {child tag: data}, a list when
    a tag repeats. Namespaces are dropped."""
    children = list(element)
    if not children:
        return element.text or ""
    data: dict = {}
    for child in children:
        tag = child.tag.split("}", 1)[-1]
        value = xml_data(child)
        if tag in data:
            if not isinstance(data[tag], list):
                data[tag] = [data[tag]]
            data[tag].append(value)
        else:
            data[tag] = value
    return data


def decode(content_type: str, body: bytes):
    """A request or response body as plain data (see --log-bodies), or None."""
    if not body or len(body) > 256 * 1024:
        return None
    content_type = (content_type or "").lower()
    text = body.decode("utf-8", "replace")
    try:
        if "x-www-form-urlencoded" in content_type:
            form = urllib.parse.parse_qs(text, keep_blank_values=True)
            return {name: values[0] if len(values) == 1 else values for name, values in form.items()}
        if "json" in content_type:
            return json.loads(text)
        if text.lstrip().startswith("<"):
            root = ElementTree.fromstring(text)
            return {root.tag.split("}", 1)[-1]: xml_data(root)}
    except (ValueError, SyntaxError):
        return {"undecoded": text}
    return None


def credential_part(headers, query: dict[str, list[str]], index: int) -> str | None:
    """Part `index` of the SigV4 credential AKID/date/region/service/aws4_request."""
    match = CREDENTIAL_RE.search(headers.get("Authorization", "") or "")
    credential = match.group(1) if match else (query.get("X-Amz-Credential") or [None])[0]
    parts = credential.split("/") if credential else []
    return parts[index] if len(parts) > index else None


class FaultPlan:
    def __init__(self, seed: int, rate: float, kinds: list[str], max_faults: int | None, services: set[str] | None):
        self.rng = random.Random(seed)
        self.rate = rate
        self.kinds = kinds
        self.max_faults = max_faults
        self.services = services
        self.injected = 0
        self.sequence = 0
        self.lock = threading.Lock()

    def next(self, service: str | None) -> tuple[int, str | None]:
        """The request's sequence number and the fault to inject (or None)."""
        with self.lock:
            self.sequence += 1
            n = self.sequence
            if self.rate <= 0 or not self.kinds:
                return n, None
            if self.services is not None and service not in self.services:
                return n, None
            if self.max_faults is not None and self.injected >= self.max_faults:
                return n, None
            if self.rng.random() >= self.rate:
                return n, None
            self.injected += 1
            return n, self.rng.choice(self.kinds)


class RequestLog:
    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=False)
        with self.lock:
            self.file.write(line + "\n")
            self.file.flush()


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubctl-test-proxy"
    timeout = None  # keep idle keep-alive connections until the client closes them

    # Set on the class by main().
    target_host = "127.0.0.1"
    target_port = 5000
    plan: FaultPlan
    log: RequestLog
    upstream_timeout = 120.0
    log_bodies = False
    region_disabled: str | None = None

    def log_message(self, format, *args):  # noqa: A002 - quiet: the JSON log is the record
        pass

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding", "") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers up to the blank line
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length", "0") or "0")
        return self.rfile.read(length) if length > 0 else b""

    def forward(self, body: bytes):
        connection = http.client.HTTPConnection(self.target_host, self.target_port, timeout=self.upstream_timeout)
        try:
            connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"{self.target_host}:{self.target_port}")
            for name, value in self.headers.items():
                lower = name.lower()
                if lower in HOP_BY_HOP or lower in ("host", "content-length", "expect"):
                    continue
                connection.putheader(name, value)
            if body or self.headers.get("Content-Length") is not None or self.command in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(body)))
            connection.putheader("Connection", "close")
            connection.endheaders(body if body else None)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.reason, response.getheaders(), payload
        finally:
            connection.close()

    def send(self, status: int, reason: str | None, headers, payload: bytes) -> None:
        self.send_response_only(status, reason)
        upstream_length = None
        for name, value in headers:
            lower = name.lower()
            if lower == "content-length":
                upstream_length = value
                continue
            if lower in HOP_BY_HOP:
                continue
            self.send_header(name, value)
        if self.command == "HEAD":
            if upstream_length is not None:
                self.send_header("Content-Length", upstream_length)
        elif not (100 <= status < 200 or status in (204, 304)):
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and payload:
            self.wfile.write(payload)
        self.wfile.flush()

    def handle_request(self) -> None:
        body = self.read_body()
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        service = signing_service(self.headers, query)
        action = operation(self.command, split.path, self.headers, query, body, service)
        n, fault = self.plan.next(service)
        if (
            fault is None
            and self.region_disabled
            and service == "sts"
            and action == "AssumeRole"
            and credential_part(self.headers, query, 2) == self.region_disabled
        ):
            fault = "region-disabled"
        request_id = f"00000000-0000-4000-8000-{n:012d}"
        status = 0
        reply = None
        # What goes back: (status, reason, headers, payload), or None to close without an answer.
        answer = None
        try:
            if fault in ("throttle", "5xx"):
                throttle = fault == "throttle"
                status = 400 if throttle else 503
                content_type, payload = error_response(
                    service,
                    self.headers,
                    "Throttling" if throttle else "ServiceUnavailable",
                    "Rate exceeded" if throttle else "Service is unavailable",
                    throttle,
                    request_id,
                )
                answer = (status, None, [("Content-Type", content_type), ("x-amzn-RequestId", request_id)], payload)
            elif fault == "region-disabled":
                status = 403
                content_type, payload = error_response(
                    service,
                    self.headers,
                    "RegionDisabledException",
                    "STS is not activated in this region for account:111111111111. Your account administrator can activate STS in this region using the IAM Console.",
                    True,
                    request_id,
                )
                answer = (status, None, [("Content-Type", content_type), ("x-amzn-RequestId", request_id)], payload)
            elif fault == "drop-before":
                self.close_connection = True
            else:
                try:
                    status, reason, headers, payload = self.forward(body)
                except (OSError, http.client.HTTPException) as err:
                    status = 502
                    answer = (502, None, [("Content-Type", "text/plain")], f"proxy: upstream failed: {err}\n".encode())
                else:
                    if fault == "drop-after":
                        self.close_connection = True
                    else:
                        answer = (status, reason, headers, payload)
                    if self.log_bodies:
                        reply_type = next((v for k, v in headers if k.lower() == "content-type"), "")
                        reply = decode(reply_type, payload)
        finally:
            # The line is written before the answer leaves (a client that has its answer, and a
            # test that reads the log right after the client exits, always finds its request
            # here), and also when building the answer failed.
            record = {
                "n": n,
                "method": self.command,
                "path": split.path,
                "service": service,
                "action": action,
                "status": status,
                "fault": fault,
            }
            if self.log_bodies:
                record["access_key"] = credential_part(self.headers, query, 0)
                record["region"] = credential_part(self.headers, query, 2)
                record["query"] = query
                record["request"] = decode(self.headers.get("Content-Type", ""), body)
                record["reply"] = reply
            self.log.write(record)
        if answer is not None:
            self.send(*answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_request


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", "--listen-port", dest="port", type=int, required=True)
    parser.add_argument("--target", required=True, help="http://127.0.0.1:PORT (moto)")
    parser.add_argument("--log", required=True, help="JSON-lines request log (appended)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--faults", default=",".join(FAULT_KINDS))
    parser.add_argument("--max-faults", type=int, default=None)
    parser.add_argument("--fault-services", default=None, help="comma-separated; default: all")
    parser.add_argument("--log-bodies", action="store_true", help="log signer, query, request and reply")
    parser.add_argument("--region-disabled", default=None, help="answer STS AssumeRole signed for this region with RegionDisabledException")
    args = parser.parse_args(argv)

    target = urllib.parse.urlsplit(args.target)
    if target.scheme != "http" or not target.hostname or not target.port:
        parser.error("--target must be http://HOST:PORT")
    kinds = [k.strip() for k in args.faults.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        parser.error(f"unknown fault kinds: {unknown}; choose from {','.join(FAULT_KINDS)}")
    if not 0.0 <= args.fault_rate <= 1.0:
        parser.error("--fault-rate must be within [0, 1]")
    services = None
    if args.fault_services:
        services = {s.strip() for s in args.fault_services.split(",") if s.strip()}

    ProxyHandler.target_host = target.hostname
    ProxyHandler.target_port = target.port
    ProxyHandler.plan = FaultPlan(args.seed, args.fault_rate, kinds, args.max_faults, services)
    ProxyHandler.log = RequestLog(args.log)
    ProxyHandler.log_bodies = args.log_bodies
    ProxyHandler.region_disabled = args.region_disabled

    stop = threading.Event()

    def on_signal(signum, frame):  # type: ignore[no-untyped-def]
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    server = ProxyServer(("127.0.0.1", args.port), ProxyHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    sys.stdout.write(f"ready {server.server_address[1]}\n")
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
