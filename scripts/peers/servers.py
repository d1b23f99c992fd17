"""Starting and stopping the servers under comparison, each on loopback with fresh storage.

Every server object knows how to start itself in a temporary directory, the URL under which the
bench tool may create its own calendar (--new-collection), the process to read VmRSS from and the
directory whose size is the on-disk footprint.
"""

import glob
import os
import pwd
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
        slug = "".join(c if c.isalnum() else "-" for c in self.name.lower())
        self.dir = tempfile.mkdtemp(prefix=f"peer-{slug}-")
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


DAVICAL_PACKAGES = ["davical", "postgresql", "apache2", "libapache2-mod-php", "php-pgsql", "php-xml", "php-cli", "libawl-php"]
DAVICAL_HTDOCS = "/usr/share/davical/htdocs"
# DAViCal (always.php) reads /etc/davical/<SERVER_NAME>-conf.php before config.php; Apache below
# pins SERVER_NAME to this name, so only the benchmark instance uses that file.
DAVICAL_CONF = "/etc/davical/127.0.0.1-conf.php"
DAVICAL_MARK = "// written by davlite scripts/peers/servers.py (Davical); removed when it stops"


def dpkg_version(pkg):
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(dirs[-1]) if dirs else None


def ensure_davical(log):
    """DAViCal, PostgreSQL, Apache with mod_php from the Debian packages (apt-get; needs root).
    The packages' own services are not used: policy-rc.d or no init system keeps them down, and
    Davical below runs a private PostgreSQL cluster and Apache instance instead."""
    have = (os.path.exists(os.path.join(DAVICAL_HTDOCS, "caldav.php")) and os.path.exists("/usr/sbin/apache2")
            and glob.glob("/usr/lib/apache2/modules/libphp*.so") and pg_bindir()
            and shutil.which("php") and "pgsql" in subprocess.run(["php", "-m"], capture_output=True, text=True).stdout)
    if have:
        return
    if os.geteuid() != 0:
        raise RuntimeError("DAViCal is not installed and installing it needs root: apt-get install " + " ".join(DAVICAL_PACKAGES))
    log("installing DAViCal, PostgreSQL, Apache and PHP with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["nice", "-n", "19", "apt-get", "install", "-y", "-q", "--no-install-recommends"] + DAVICAL_PACKAGES
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.check_call(["nice", "-n", "19", "apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        subprocess.check_call(cmd, env=env, stdout=subprocess.DEVNULL)


class PrivatePostgres:
    """A PostgreSQL cluster of its own in `dir`, for one benchmark run: initdb as the postgres
    user, unix socket only (in `dir`/pgsock, readable by other users such as Apache's), no TCP
    listener, `trust` authentication (acceptable for a benchmark that talks over loopback and
    throws the cluster away), otherwise a stock configuration (shared_buffers 128 MB, fsync on).
    Needs root."""

    def __init__(self, dir, log):
        self.dir = dir
        self.log = log
        self.port = free_port()  # names the unix socket only
        self.proc = None

    @property
    def pgdata(self):
        return os.path.join(self.dir, "pgdata")

    @property
    def sockdir(self):
        return os.path.join(self.dir, "pgsock")

    def env(self):
        return dict(os.environ, PGHOST=self.sockdir, PGPORT=str(self.port), PGUSER="postgres",
                    PGOPTIONS="--client-min-messages=warning")

    def run(self, cmd, popen=False, **kw):
        # Own session: Ctrl-C in the terminal reaches compare-peers, which stops PostgreSQL in order.
        kw = dict(env=self.env(), cwd="/", user="postgres", group="postgres", extra_groups=[], start_new_session=True,
                  stdout=kw.pop("stdout", self.log), stderr=subprocess.STDOUT, text=True, **kw)
        return subprocess.Popen(cmd, **kw) if popen else subprocess.run(cmd, **kw)

    def start(self):
        if os.geteuid() != 0:
            raise RuntimeError("a private PostgreSQL cluster needs root (initdb runs as postgres)")
        pg = pwd.getpwnam("postgres")
        os.chmod(self.dir, 0o755)
        for d in (self.pgdata, self.sockdir):
            os.makedirs(d)
            os.chown(d, pg.pw_uid, pg.pw_gid)
        os.chmod(self.sockdir, 0o755)
        bindir = pg_bindir()
        if not bindir:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        if self.run([os.path.join(bindir, "initdb"), "-D", self.pgdata, "-U", "postgres", "-A", "trust",
                     "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"]).returncode != 0:
            raise RuntimeError("initdb failed")
        self.proc = self.run([os.path.join(bindir, "postgres"), "-D", self.pgdata, "-p", str(self.port),
                              "-k", self.sockdir, "-c", "listen_addresses=", "-c", "logging_collector=off"], popen=True)
        deadline = time.time() + 60
        while self.run([os.path.join(bindir, "pg_isready"), "-q"]).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.2)

    def psql(self, sql, db="postgres"):
        r = self.run(["psql", "-qXAt", "-v", "ON_ERROR_STOP=1", "-c", sql, db], stdout=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {r.stdout.strip()[-500:]}")
        return r.stdout.strip()

    def db_dir(self, db):
        """The files of database `db` alone (base/<oid>: tables, indexes, TOAST; what
        pg_database_size counts). Not counted: WAL and the cluster's shared catalogs."""
        oid = int(self.psql(f"SELECT oid FROM pg_database WHERE datname = '{db}'"))
        return os.path.join(self.pgdata, "base", str(oid))

    def conninfo(self, db):
        return f"host={self.sockdir} port={self.port} user=postgres dbname={db}"

    def stop(self, drop=None):
        if self.proc and self.proc.poll() is None:
            if drop:
                try:
                    self.psql(f"DROP DATABASE {drop} WITH (FORCE)")
                except RuntimeError:
                    pass
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @staticmethod
    def version():
        return subprocess.run([os.path.join(pg_bindir(), "postgres"), "--version"], capture_output=True, text=True).stdout.split()[2]


class DavlitePostgres(Server):
    """davlite serve on PostgreSQL (--store), one node or several on one database; the bench
    spreads its clients over the nodes (--node). Its footprint is the first node's VmRSS and
    the database's files."""

    def __init__(self, binary, nodes=1):
        self.name = "davlite on PostgreSQL" + (f", {nodes} nodes" if nodes > 1 else "")
        super().__init__()
        self.binary = binary
        self.nodes = nodes
        self.pg = PrivatePostgres(self.dir, self.log)
        self.others = []
        self.db_path = None

    @property
    def data_dir(self):
        return self.db_path or os.path.join(self.dir, "pgdata")

    def bench_args(self):
        return [a for p in self.others for a in ("--node", f"127.0.0.1:{p[0]}")]

    def start(self):
        self.pg.start()
        self.pg.psql("CREATE DATABASE davlite")
        store = "postgres:" + self.pg.conninfo("davlite")
        subprocess.check_call([self.binary, "user", "add", self.user, "--password", self.password, "--store", store,
                               "--data", os.path.join(self.dir, "node0")], stdout=self.log, stderr=subprocess.STDOUT)
        self.db_path = self.pg.db_dir("davlite")
        ports = [self.port] + [free_port() for _ in range(self.nodes - 1)]
        for i, port in enumerate(ports):
            proc = subprocess.Popen([self.binary, "serve", "--store", store, "--data", os.path.join(self.dir, f"node{i}"),
                                     "--listen", f"127.0.0.1:{port}"], stdout=self.log, stderr=subprocess.STDOUT)
            wait_http(f"http://127.0.0.1:{port}/dav/", proc)
            if i == 0:
                self.proc = proc
            else:
                self.others.append((port, proc))
        self.url = f"http://127.0.0.1:{self.port}/dav/calendars/{self.user}/"

    def stop(self):
        for _, proc in self.others:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
        self.pg.stop()
        super().stop()

    def version(self):
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout.strip()
        return f"{out or 'davlite'} (git {rev}) on PostgreSQL {PrivatePostgres.version()}"


class Davical(Server):
    """DAViCal (PHP on Apache with mod_php, prefork) over a private PostgreSQL cluster.

    Everything lives in the temporary directory: a PostgreSQL cluster made with initdb (unix
    socket only, no TCP listener, `trust` authentication: acceptable for a benchmark that only
    talks over loopback and throws the cluster away), the database made by DAViCal's own
    dba/create-database.sh, and an Apache instance with its own httpd.conf on a free loopback
    port. The system's PostgreSQL cluster and Apache sites are not touched; the one global file
    is DAVICAL_CONF (so one DAViCal benchmark at a time per machine). Needs root (apt-get,
    initdb as postgres, Apache switching its workers to www-data).
    """
    name = "DAViCal"

    def __init__(self):
        super().__init__()
        self.pg = PrivatePostgres(self.dir, self.log)
        self.db_path = None

    @property
    def data_dir(self):
        return self.db_path or self.pg.pgdata

    def _fail(self, what):
        """The end of the log to stderr (the directory goes away with stop()), a one-line error."""
        self.log.flush()
        with open(os.path.join(self.dir, "server.log")) as f:
            print(f"--- end of the DAViCal setup log ---\n{f.read()[-2000:]}", file=sys.stderr, flush=True)
        raise RuntimeError(what)

    def psql(self, sql, db="davical"):
        return self.pg.psql(sql, db)

    def start(self):
        ensure_davical(lambda m: print(m, file=sys.stderr, flush=True))
        if os.geteuid() != 0:
            raise RuntimeError("the DAViCal setup needs root (initdb as postgres, Apache workers as www-data)")
        if os.path.exists(DAVICAL_CONF) and DAVICAL_MARK not in open(DAVICAL_CONF).read():
            raise RuntimeError(f"{DAVICAL_CONF} exists and is not ours: not overwriting it")
        try:
            self.pg.start()
        except RuntimeError as e:
            self._fail(str(e))
        # DAViCal's own tooling: roles davical_dba / davical_app, schema, permissions, base data,
        # admin password (the second argument: "admin"). It finds the cluster through
        # PGHOST/PGPORT (psql and DBD::Pg alike).
        r = self.pg.run(["/usr/share/davical/dba/create-database.sh", "davical", "admin"])
        if r.returncode != 0:
            self._fail("create-database.sh failed")
        self.db_path = self.pg.db_dir("davical")
        # The user as DAViCal's admin UI makes it: a usr row ('**' = plain-text password) and its
        # principal, whose URL /caldav.php/bench/ is the calendar home.
        self.psql(f"INSERT INTO usr (active, email_ok, updated, username, password, fullname, email) "
                  f"VALUES (TRUE, current_date, current_date, '{self.user}', '**{self.password}', 'Bench', 'bench@example.net');"
                  f"INSERT INTO principal (type_id, user_no, displayname, default_privileges) "
                  f"SELECT 1, user_no, 'Bench', 0::BIT(24) FROM usr WHERE username = '{self.user}';")
        with open(DAVICAL_CONF, "w") as f:
            f.write(f"<?php\n{DAVICAL_MARK}\n"
                    f"$c->pg_connect[] = 'host={self.pg.sockdir} port={self.pg.port} dbname=davical user=davical_app';\n"
                    "$c->system_name = 'DAViCal (davlite benchmark)';\n"
                    "$c->admin_email = 'admin@example.net';\n")
        mods = "/usr/lib/apache2/modules"
        php = os.path.basename(sorted(glob.glob(os.path.join(mods, "libphp*.so")))[-1])
        conf = os.path.join(self.dir, "httpd.conf")
        with open(conf, "w") as f:
            f.write(f"""ServerRoot /etc/apache2
PidFile {self.dir}/apache2.pid
Mutex file:{self.dir} default
Listen 127.0.0.1:{self.port}
ServerName 127.0.0.1:{self.port}
UseCanonicalName On
User www-data
Group www-data
LoadModule mpm_prefork_module {mods}/mod_mpm_prefork.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule dir_module {mods}/mod_dir.so
LoadModule mime_module {mods}/mod_mime.so
LoadModule php_module {mods}/{php}
# Debian's defaults: mods-available/mpm_prefork.conf and apache2.conf
StartServers 5
MinSpareServers 5
MaxSpareServers 10
MaxRequestWorkers 150
MaxConnectionsPerChild 0
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
TypesConfig /etc/mime.types
ErrorLog {self.dir}/apache2-error.log
LogLevel warn
DocumentRoot {DAVICAL_HTDOCS}
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory {DAVICAL_HTDOCS}>
  DirectoryIndex index.php
  AcceptPathInfo On
  Require all granted
</Directory>
<FilesMatch "\\.php$">
  SetHandler application/x-httpd-php
</FilesMatch>
""")
        # self.proc is the Apache parent: its VmRSS is small, the PHP interpreters live in the
        # prefork children (separate processes, not counted by --footprint-pid).
        # Its own session: on shutdown prefork sends SIGTERM to its whole process group, which
        # with -DFOREGROUND would otherwise be ours (and end compare-peers).
        self.proc = subprocess.Popen(["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     env=dict(os.environ, APACHE_RUN_DIR=self.dir, APACHE_LOCK_DIR=self.dir, APACHE_LOG_DIR=self.dir))
        wait_http(f"http://127.0.0.1:{self.port}/caldav.php/", self.proc)
        self.url = f"http://127.0.0.1:{self.port}/caldav.php/{self.user}/"
        # One authenticated request, so a broken setup fails here and not in the first workload.
        req = urllib.request.Request(self.url, method="PROPFIND", headers={"Depth": "0", "Authorization": "Basic YmVuY2g6YmVuY2g="})
        try:
            urllib.request.urlopen(req, timeout=30)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"PROPFIND {self.url} as {self.user}: HTTP {e.code}")

    def stop(self):
        # Apache: SIGTERM to the parent ends the children too (apache2ctl stop does the same).
        # The database is dropped with its cluster: PostgreSQL is stopped and the directory removed.
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.pg.stop(drop="davical")
        if os.path.exists(DAVICAL_CONF) and DAVICAL_MARK in open(DAVICAL_CONF).read():
            os.remove(DAVICAL_CONF)
        super().stop()

    def version(self):
        php = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True).stdout.strip()
        pg = PrivatePostgres.version()
        return f"{dpkg_version('davical')} (Debian; PHP {php} mod_php, Apache {dpkg_version('apache2')}, PostgreSQL {pg})"


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
