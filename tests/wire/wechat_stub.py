"""A local stand-in for WeChat's auth.code2Session, for tests and development.

    python3 tests/wire/wechat_stub.py --port 8099 [--appid A --secret S]

Codes behave like the real ones: each is single-use (40163 on reuse). The OpenID is the part of
the code before its last '.', so "alice.1" and "alice.2" are two logins of user "alice"; a code
without a '.' gets an OpenID derived from it. Magic codes:
    invalid*       40029 invalid code            ratelimited*   45011 rate limited
    blocked*       40226 user blocked            busy*          -1 (busy) every time
    flaky<N>-*     -1 for the first N attempts, then a normal answer
    slow*          answers after 3 s (for client timeouts)
A wrong appid or secret gets 40013, as WeChat answers it."""
import argparse
import hashlib
import http.server
import json
import threading
import time
import urllib.parse


class WechatStub:
    def __init__(self, port=0, appid="wx-test-appid", secret="wx-test-secret", tls=None,
                 host="127.0.0.1"):
        """tls: an ssl.SSLContext to serve HTTPS with (as WeChat does)."""
        self.appid, self.secret, self.tls, self.host = appid, secret, tls, host
        self.used = set()
        self.attempts = {}
        self.calls = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
                body = json.dumps(stub.answer(url.path, q)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/sns/jscode2session"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def openid_of(code):
        if "." in code:
            return code.rsplit(".", 1)[0]
        return "o" + hashlib.sha256(code.encode()).hexdigest()[:27]

    def answer(self, path, q):
        with self.lock:
            self.calls += 1
        if path != "/sns/jscode2session" or q.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if q.get("appid") != self.appid or q.get("secret") != self.secret:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        code = q.get("js_code", "")
        if not code or code.startswith("invalid"):
            return {"errcode": 40029, "errmsg": "invalid code"}
        if code.startswith("ratelimited"):
            return {"errcode": 45011, "errmsg": "api minute-quota reach limit"}
        if code.startswith("blocked"):
            return {"errcode": 40226, "errmsg": "high risk user"}
        if code.startswith("busy"):
            return {"errcode": -1, "errmsg": "system error"}
        if code.startswith("slow"):
            time.sleep(3)
        if code.startswith("flaky"):
            n = int(code[5:].split("-", 1)[0])
            with self.lock:
                seen = self.attempts.get(code, 0)
                self.attempts[code] = seen + 1
            if seen < n:
                return {"errcode": -1, "errmsg": "system error"}
        with self.lock:
            if code in self.used:
                return {"errcode": 40163, "errmsg": "code been used"}
            self.used.add(code)
        return {"openid": self.openid_of(code),
                "session_key": hashlib.sha256(b"k" + code.encode()).hexdigest()[:24]}


def main():
    p = argparse.ArgumentParser(description="local code2Session stub")
    p.add_argument("--port", type=int, default=8099)
    p.add_argument("--appid", default="wx-test-appid")
    p.add_argument("--secret", default="wx-test-secret")
    a = p.parse_args()
    stub = WechatStub(a.port, a.appid, a.secret)
    print(f"code2Session stub on {stub.url}", flush=True)
    try:
        stub.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
