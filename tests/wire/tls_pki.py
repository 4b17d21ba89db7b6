"""Certificates made with the openssl command line for TLS, WSS and nginx tests: a CA, server
certificates for 127.0.0.1 (RSA and ECDSA), client certificates from that CA and from a foreign
one."""
import pathlib
import subprocess


def _run(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


class Pki:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ca_crt, self.ca_key = self._ca("ca", "Sakura Test CA")
        self.other_ca_crt, self.other_ca_key = self._ca("other-ca", "Someone Else")

    def _ca(self, name, cn):
        crt, key = self.root / f"{name}.crt", self.root / f"{name}.key"
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-days", "2", "-subj", f"/CN={cn}", "-keyout", key, "-out", crt)
        return crt, key

    def issue(self, name, cn, kind="rsa", server=True, ca=None):
        """Returns (crt, key) signed by `ca` (this PKI's CA by default)."""
        ca_crt, ca_key = ca or (self.ca_crt, self.ca_key)
        crt, key, csr = (self.root / f"{name}.{x}" for x in ("crt", "key", "csr"))
        newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        _run("req", *newkey, "-nodes", "-subj", f"/CN={cn}", "-keyout", key, "-out", csr)
        ext = self.root / f"{name}.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n" if server
                       else "extendedKeyUsage=clientAuth\n")
        _run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
             "-days", "2", "-extfile", ext, "-out", crt)
        return crt, key
