"""Starting and stopping the servers under comparison, each on loopback with fresh storage.

Every server object knows how to start itself in a temporary directory, the URL under which the
bench tool may create its own calendar (--new-collection), the process to read VmRSS from and the
directory whose size is the on-disk footprint.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv-peers")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout=60.0, auth=None):
    """Waits until `url` answers anything over HTTP (or the process dies)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        try:
            req = urllib.request.Request(url, method="OPTIONS")
            if auth:
                req.add_header("Authorization", auth)
            urllib.request.urlopen(req, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def ensure_venv(log):
    """Radicale and Xandikos from PyPI in .venv-peers (created once, reused)."""
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        log(f"creating {VENV}")
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
    have = subprocess.run([py, "-m", "pip", "show", "radicale", "xandikos"], capture_output=True, text=True).stdout
    if have.count("Name:") < 2:
        log("installing radicale and xandikos from PyPI")
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "radicale", "xandikos"])


def pip_version(name):
    out = subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip", "show", name], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "?"


class Server:
    name = "?"
    user = "bench"
    password = "bench"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix=f"peer-{self.name.lower()}-")
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(self.dir, "server.log"), "w")

    @property
    def data_dir(self):
        return os.path.join(self.dir, "data")

    def start(self):
        raise NotImplementedError

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def version(self):
        return "?"


class Radicale(Server):
    name = "Radicale"

    def start(self):
        os.makedirs(self.data_dir)
        cfg = os.path.join(self.dir, "config")
        with open(cfg, "w") as f:
            f.write(f"[server]\nhosts = 127.0.0.1:{self.port}\n[auth]\ntype = none\n"
                    f"[storage]\nfilesystem_folder = {self.data_dir}\n[logging]\nlevel = warning\n")
        self.proc = subprocess.Popen([os.path.join(VENV, "bin", "radicale"), "--config", cfg],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/", self.proc)
        # The principal collection is made on first authenticated access; make it now.
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/{self.user}/", method="PROPFIND", headers={"Depth": "0", "Authorization": "Basic YmVuY2g6YmVuY2g="})
        try:
            urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError:
            pass
        self.url = f"http://127.0.0.1:{self.port}/{self.user}/"

    def version(self):
        return pip_version("radicale")


class Xandikos(Server):
    name = "Xandikos"

    def start(self):
        # No authentication: Xandikos only takes htpasswd together with TLS, which the driver
        # does not speak; the bench sends Basic credentials anyway and Xandikos ignores them.
        self.proc = subprocess.Popen([os.path.join(VENV, "bin", "xandikos"), "serve", "-d", self.data_dir, "--defaults",
                                      "-l", "127.0.0.1", "-p", str(self.port), "--no-detect-systemd"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/", self.proc)
        self.url = f"http://127.0.0.1:{self.port}/user/calendars/"

    def version(self):
        return pip_version("xandikos")


class Davlite(Server):
    name = "davlite"

    def __init__(self, binary):
        self.binary = binary
        super().__init__()

    def start(self):
        subprocess.check_call([self.binary, "user", "add", self.user, "--password", self.password, "--data", self.data_dir],
                              stdout=self.log, stderr=subprocess.STDOUT)
        self.proc = subprocess.Popen([self.binary, "serve", "--data", self.data_dir, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/dav/", self.proc)
        self.url = f"http://127.0.0.1:{self.port}/dav/calendars/{self.user}/"

    def version(self):
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout.strip()
        return f"{out or 'davlite'} (git {rev})"


class BareHyper(Server):
    """The ceiling: a hyper server answering every request with the same 1 KB body."""
    name = "bare hyper"

    def __init__(self, binary):
        self.binary = binary
        super().__init__()

    def start(self):
        self.proc = subprocess.Popen([self.binary, f"127.0.0.1:{self.port}"], stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{self.port}/", self.proc)
        self.url = f"http://127.0.0.1:{self.port}/"

    def version(self):
        return "hyper 1 (examples/bare_hyper.rs)"
