"""Local stand-ins for the providers beyond our network edge: an SMTP server and an HTTP(S) push
endpoint on 127.0.0.1, each answering from a script of responses."""

import datetime
import ipaddress
import socketserver
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class ScriptedReplies:
    """Replies in order; the last one repeats. Records every request."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests: list = []
        self.lock = threading.Lock()

    def next(self, request):
        with self.lock:
            self.requests.append(request)
            index = min(len(self.requests), len(self.replies)) - 1
            return self.replies[index]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: the MAIL FROM reply comes from the script."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        script: ScriptedReplies = self.server.script
        self.reply("220 stand-in ESMTP")
        mail_reply = None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 stand-in")
            elif command.startswith("MAIL FROM"):
                mail_reply = script.next(command)
                self.reply(mail_reply)
            elif command.startswith("RCPT TO"):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go ahead")
                message = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    message.append(data)
                self.server.messages.append(b"".join(message).decode(errors="replace"))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP
                self.reply("250 OK")


class SMTPStandIn(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, replies, *, port: int = 0):
        super().__init__(("127.0.0.1", port), _SMTPHandler)
        self.script = ScriptedReplies(replies)
        self.messages: list[str] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _HTTPHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload = self.server.script.next({"path": self.path, "headers": dict(self.headers), "body": body})
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class HTTPStandIn(ThreadingHTTPServer):
    """`replies`: [(status, body)]. With `tls=True` it serves HTTPS with a self-signed certificate for
    127.0.0.1 whose file is `ca_file` (give it to requests through REQUESTS_CA_BUNDLE)."""

    daemon_threads = True

    def __init__(self, replies, *, tls: bool = False):
        super().__init__(("127.0.0.1", 0), _HTTPHandler)
        self.script = ScriptedReplies(replies)
        self.ca_file = None
        if tls:
            self.ca_file, key_file = _self_signed_certificate()
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.ca_file, key_file)
            self.socket = context.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def _self_signed_certificate() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = Path(tempfile.mkdtemp())
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(directory / "cert.pem"), str(directory / "key.pem")
