# The server's own instructions per room page, counted by valgrind's
# callgrind: a figure that does not move with the machine's speed, for
# comparing two builds where requests a second spread by more than the
# change (BENCHMARKS.md, twenty-second part).
#
#   python3 tools/page_instructions.py BINARY DATA_DIR [PAGES] [ROOM] [USER] [PASSWORD]
#
# Copies DATA_DIR (left as it is), starts BINARY on the copy under
# callgrind with instrumentation off, logs USER in (default `user00` with
# the benchmark's password), asks for ROOM's page (default `history`) 20
# times to warm the fragments, then counts the server's user-space
# instructions over PAGES more (default 100) and prints them per page.
# Runs of one build differ by a few per cent (timers fall into the
# window): compare several of each, alternating. Once, three runs of one
# build in a row counted about 2.4 M a page where every other run of it
# counted 1.73-1.86 M; the cause was not found (the server's stderr was
# /dev/null then, but a run with it there later counted 1.75 M). The
# server's log goes to a file, as in the benchmark.
#
# DATA_DIR is meant to be the benchmark's seeded one (1,000,000 messages,
# 50 members in `history`). To keep a copy, point CONVERSATE_BENCH_SERVER
# at a script that copies its `--data-dir` before exec'ing the server, and
# run `cargo bench --bench load -- --only reads --seconds 0.3`.
import http.cookiejar, os, re, shutil, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

binary, data = sys.argv[1], sys.argv[2]
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 100
room = sys.argv[4] if len(sys.argv) > 4 else "history"
user = sys.argv[5] if len(sys.argv) > 5 else "user00"
password = sys.argv[6] if len(sys.argv) > 6 else "benchmark password 42"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


with tempfile.TemporaryDirectory() as tmp:
    copy = os.path.join(tmp, "data")
    shutil.copytree(data, copy)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = os.path.join(tmp, "callgrind.out")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
         binary, "--data-dir", copy, "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.log"), "w"),
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "health").read()
                break
            except OSError:
                time.sleep(0.5)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        form = opener.open(base + "login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        login = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": user, "password": password}
        ).encode()
        try:
            opener.open(base + "login/", login)
            sys.exit("the login was not answered with a redirect")
        except urllib.error.HTTPError as e:
            if e.code != 303:
                sys.exit(f"the login answered {e.code}")
        for _ in range(20):
            opener.open(f"{base}{room}/").read()
        control = ["callgrind_control", "-i"]
        subprocess.run(control + ["on", str(server.pid)], check=True, capture_output=True)
        size = 0
        for _ in range(pages):
            size = len(opener.open(f"{base}{room}/").read())
        subprocess.run(control + ["off", str(server.pid)], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True, capture_output=True)
    finally:
        server.terminate()
        server.wait()
    total = 0
    for name in os.listdir(tmp):
        if name.startswith("callgrind.out"):
            for line in open(os.path.join(tmp, name)):
                if line.startswith("totals:"):
                    total += int(line.split()[1])
    print(f"{pages} pages of {size} bytes: {total / pages:,.0f} instructions a page")
