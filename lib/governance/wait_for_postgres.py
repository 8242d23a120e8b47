import os, socket, struct, sys, time, urllib.parse
url = os.environ.get("DATABASE_URL")
if url:
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 5432
    user, db = urllib.parse.unquote(u.username or "postgres"), urllib.parse.unquote(u.path.lstrip("/")) or "postgres"
else:
    h, _, p = os.environ.get("DATABASE_HOST", "").partition(":")
    host, port = h, int(p or 5432)
    user, db = os.environ.get("DATABASE_USERNAME", "postgres"), os.environ.get("DATABASE_NAME", "postgres")
if not host:
    sys.exit("wait-for-database: neither DATABASE_URL nor DATABASE_HOST names a host")
timeout = int(os.environ.get("WAIT_TIMEOUT_SECONDS", "300"))
body = struct.pack("!i", 196608) + b"".join(k + b"\0" + v.encode() + b"\0" for k, v in ((b"user", user), (b"database", db))) + b"\0"
deadline, attempt, last = time.monotonic() + timeout, 0, "no attempt"
while time.monotonic() < deadline:
    attempt += 1
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.settimeout(5)
            s.sendall(struct.pack("!i", len(body) + 4) + body)
            reply = s.recv(4096)
        if reply[:1] == b"R":
            print(f"wait-for-database: {host}:{port} accepts connections (attempt {attempt})", flush=True)
            sys.exit(0)
        if reply[:1] == b"E":
            fields = dict((f[:1], f[1:]) for f in reply[5:].split(b"\0") if f)
            code = fields.get(b"C", b"").decode(errors="replace")
            if code != "57P03":
                print(f"wait-for-database: {host}:{port} answers (SQLSTATE {code}); the migration will report any login problem", flush=True)
                sys.exit(0)
            last = "the database system is starting up"
        else:
            last = f"unexpected reply {reply[:1]!r}"
    except OSError as e:
        last = f"{type(e).__name__}: {e}"
    if attempt == 1 or attempt % 10 == 0:
        print(f"wait-for-database: {host}:{port} not ready yet ({last}); retrying", flush=True)
    time.sleep(2)
sys.exit(f"wait-for-database: {host}:{port} did not accept connections within {timeout}s (last: {last}); check that the database runs and that NetworkPolicy egress reaches it")
