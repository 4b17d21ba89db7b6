"""A minimal WebSocket client over a raw (optionally TLS) socket, for tests that need exact frames:
an MQTT packet cut into single-byte frames, two packets in one frame, text and oversized frames,
malformed handshakes. Library clients would hide all of these."""
import base64
import os
import socket
import struct
import time


def handshake_request(path="/mqtt", host="127.0.0.1", protocols="mqtt", headers=None, key=None):
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if protocols is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def frame(payload, opcode=0x2, fin=True, mask=True):
    """One client frame (clients must mask)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WsClient:
    """Connects and upgrades; `status` and `headers` hold the server's answer."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0, wrap=None, upgrade=True, **request):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if wrap:
            self.sock = wrap(self.sock)
        self.buf = b""
        self.timeout = timeout
        self.status, self.headers = None, {}
        if upgrade:
            self.sock.sendall(handshake_request(**request))
            self.read_response()

    def read_response(self):
        """Reads an HTTP response head; returns the status code (None if the server closed)."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self._recv()
            if not chunk:
                return None
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        return self.status

    def _recv(self, timeout=None):
        self.sock.settimeout(timeout or self.timeout)
        try:
            return self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return b""

    def send(self, data):
        self.sock.sendall(data)

    def send_binary(self, payload, **kw):
        self.send(frame(payload, **kw))

    def recv_frame(self, timeout=None):
        """(opcode, payload) of the next frame, or None once the connection is closed."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            f = self._parse()
            if f:
                return f
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the server")
            try:
                chunk = self._recv(remaining)
            except socket.timeout:
                raise TimeoutError("no frame from the server")
            if not chunk:
                return None
            self.buf += chunk

    def _parse(self):
        if len(self.buf) < 2:
            return None
        op, n, i = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
        if n == 126:
            if len(self.buf) < 4:
                return None
            n, i = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if len(self.buf) < 10:
                return None
            n, i = struct.unpack("!Q", self.buf[2:10])[0], 10
        if len(self.buf) < i + n:
            return None
        payload, self.buf = self.buf[i:i + n], self.buf[i + n:]
        return op, payload

    def recv_mqtt(self, timeout=None):
        """The payload bytes of binary frames until `mqtt_raw` can parse one whole packet from
        them; returns (first byte, body) or None when closed."""
        import mqtt_raw
        stream = getattr(self, "_mqtt", b"")
        while True:
            parser = mqtt_raw.Client.__new__(mqtt_raw.Client)
            parser.buf = stream
            p = parser._parse()
            if p:
                self._mqtt = parser.buf
                return p
            f = self.recv_frame(timeout)
            if f is None:
                return None
            op, payload = f
            if op == 0x2 or op == 0x0:
                stream += payload

    def closed(self, timeout=None):
        """True once the server has closed the TCP connection (frames before that are skipped)."""
        try:
            while True:
                f = self.recv_frame(timeout)
                if f is None:
                    return True
        except TimeoutError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
