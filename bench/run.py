#!/usr/bin/env python3
"""paysandbox benchmark driver (run it through bench/run.sh, which builds first).

Measures, in one run on this machine:
- throughput and latency (wrk -t2 -c64) of Softline POST /v1/payment (the documented full
  example; alternated with the baseline five times, fresh processes, the median ratio reported with
  the pairs' spread), the same request spread over 100 workspaces (each its own token, one per
  request; a fresh process in each of the five rounds) and its ratio to the one-workspace figure;
- GET /v1/order/{id}, IntellectMoney createInvoice (JSON and form), getBankCardPaymentState, a
  hosted page GET and /healthz, in five rounds of their own (a fresh baseline, then a fresh
  paysandbox measured on each in turn), each row the median of its rounds' ratios with their spread;
  the yardstick of every row is the bare axum baseline (examples/bench_baseline.rs) on the
  create-payment request;
- start-up to the first healthy answer (median of 20 spawns) and idle RSS;
- RSS after 100 000 and 1 000 000 stored payments, and GET throughput at 1 000 vs
  1 000 000 stored payments;
- idle RSS with 0, 100 and 1 000 empty workspaces, and the time to create one (median of 100);
- with --data-dir: create payment in rounds of four fresh processes (the baseline; the durable
  yardstick, examples/bench_durable_baseline.rs: the baseline plus the same writes, a row committed
  to SQLite and a journal line appended before each answer; paysandbox in memory; paysandbox
  --data-dir), its p99, and start-up and disk use with 1 000 000 stored payments;
- the release binary's size.
Prints one Markdown table and writes it to bench/results/<date>.md.

`--only create,workspaces` runs only the named parts: `create` (the head-to-head, both create rows),
`endpoints`, `growth` (memory and throughput as payments are stored), `startup`, `workspaces`,
`durable` (create payment with --data-dir against the baseline, the durable yardstick and in memory,
in rounds; start-up and disk use with 1 000 000 payments stored).
"""
import datetime
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/paysandbox")
BASELINE = os.path.join(ROOT, "target/release/examples/bench_baseline")
# The --data-dir row's yardstick: the baseline plus the same durable writes (a row, a journal line).
DURABLE_BASELINE = os.path.join(ROOT, "target/release/examples/bench_durable_baseline")
SMOKE = "--smoke" in sys.argv
DURATION = 2 if SMOKE else 10
WARMUP = 1 if SMOKE else 3
LOADS = (2_000, 10_000) if SMOKE else (100_000, 1_000_000)
STARTS = 3 if SMOKE else 20
PAIRS = 1 if SMOKE else 6
# The head-to-head's rounds take these orders in turn: each process first, second and
# third equally often over six rounds.
ORDERS = [("baseline", "one", "spread"), ("spread", "baseline", "one"), ("one", "spread", "baseline"),
          ("baseline", "spread", "one"), ("one", "baseline", "spread"), ("spread", "one", "baseline")]
SPREAD = 100  # workspaces the spread create-payment row cycles through
WORKSPACE_COUNTS = (10, 50) if SMOKE else (100, 1_000)  # idle RSS with this many empty workspaces
PARTS = ("create", "endpoints", "growth", "startup", "workspaces", "durable")
DURABLE_ROUNDS = 1 if SMOKE else 4  # rounds of baseline, yardstick, in memory, --data-dir
DURABLE_STORED = 10_000 if SMOKE else 1_000_000  # payments stored before timing a durable start-up
INVOICE_LOADS = (2_000, 10_000) if SMOKE else (50_000, 250_000)  # invoices stored, for their cost


def only_parts():
    """The parts `--only a,b` names (every part without it)."""
    args = sys.argv[1:]
    if "--only" not in args:
        return set(PARTS)
    i = args.index("--only")
    named = set(args[i + 1].split(",")) if i + 1 < len(args) else set()
    if not named or not named <= set(PARTS):
        sys.exit(f"bench: --only takes a comma-separated list of {', '.join(PARTS)}")
    return named


ONLY = only_parts()
TOKEN = "Bearer sandbox-token"

# Softline's documented full create-payment example (docs/softline.md).
CREATE_PAYMENT = {
    "currency": "RUB",
    "amount": "112.50",
    "return_success_url": "https://shop.com/successful_payment",
    "payment_method": "CreditCard",
    "recurring_indicator": False,
    "payment_id": "TEST12025",
    "payment_description": "Тестовая оплата",
    "locale": "ru_RU",
    "customer": {
        "email": "customer@gmail.com",
        "first_name": "Иван",
        "last_name": "Петров",
        "phone": "7999991111",
        "vat_number": "12345654321",
        "company_name": "ООО Компания",
        "company_billing_address": "Москва, Ломоновоский проспект, 12",
        "company_delivery_address": "Москва, Ломоновоский проспект, 12",
        "kpp": "123456789",
    },
    "additional_data": {"referer7": "test", "referer8": "testA", "referer9": "testB",
                        "referer10": "testC", "referer11": "testD", "referer12": "testF"},
}

IM_TOKEN = "Bearer 9d97820c61424eb6ac0db414ccb7ac60"
IM_SECRET, IM_SIGN_SECRET = "sandbox-secret", "sandbox-sign-secret"
REPEATING_SHOP, REPEATING_TOKEN = "450001", "Bearer bench-repeating-shop"
IM_FIELDS = ["eshopId", "orderId", "serviceName", "recipientAmount", "recipientCurrency", "userName",
             "email", "successUrl", "failUrl", "backUrl", "resultUrl", "expireDate", "holdMode", "preference"]


def bench_fixtures():
    """A fixtures directory adding to the built-in IntellectMoney shop one that accepts
    a repeated OrderId, so a fixed createInvoice body creates an invoice every time."""
    with open(os.path.join(ROOT, "fixtures/intellectmoney.json")) as f:
        fixture = json.load(f)
    shop = dict(fixture["shops"][0], eshop_id=int(REPEATING_SHOP), eshop_account=4500010001,
                name="bench: repeated OrderId accepted", unique_order_id=False,
                bearer_token=REPEATING_TOKEN.split()[1])
    fixture["shops"].append(shop)
    path = tempfile.mkdtemp(prefix="paysandbox-bench-")
    with open(os.path.join(path, "intellectmoney.json"), "w") as f:
        json.dump(fixture, f)
    return path


def start(binary, *args):
    p = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *args] if binary == BIN
                         else [binary, "127.0.0.1:0", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.match(r"paysandbox listening on (http://\S+)", line)
    if not m:
        p.kill()
        sys.exit(f"bench: {binary} did not start: {line!r}")
    return p, m.group(1)


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()


def idle_rss_mib(p, base):
    """RSS once the process is really idle: after its first healthy answer (the router and
    the OpenAPI document are built after the ready line, and the first requests fault in
    code) and half a second of nothing. Read at the ready line it was 8 MiB lower."""
    http("GET", base + "/healthz")
    time.sleep(0.5)
    return rss_mib(p.pid)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return kb / 1024


def http(method, url, body=None, headers=None):
    headers = dict(headers or {})
    data = None
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read().decode()


def lua(text):
    """A Lua string literal of `text`, bytes as they are (Lua has no \\u escapes)."""
    return f"[==[{text}]==]"


def lua_request(method, path, body, headers):
    """A wrk script sending one fixed request."""
    hdrs = "\n".join(f'wrk.headers[ {lua(k)} ] = {lua(v)}' for k, v in headers.items())
    return f"""
wrk.method = {lua(method)}
wrk.path = {lua(path)}
wrk.body = {lua(body or "")}
{hdrs}
"""


def lua_spread_request(method, path, body, headers, tokens):
    """A wrk script sending one request per token in turn, each with `Authorization: Bearer
    <token>`. The requests are formatted once, as wrk does for a fixed one, so per request
    the script only picks the next."""
    hdrs = ", ".join(f"[ {lua(k)} ] = {lua(v)}" for k, v in headers.items())
    toks = ",\n".join(lua(t) for t in tokens)
    return f"""
local tokens = {{
{toks}
}}
local n = #tokens
local requests = {{}}
for k = 1, n do
  local headers = {{ {hdrs} }}
  headers["Authorization"] = "Bearer " .. tokens[k]
  requests[k] = wrk.format({lua(method)}, {lua(path)}, headers, {lua(body or "")})
end
local i = 0
request = function()
  i = i % n + 1
  return requests[i]
end
"""


def create_workspaces(base, count, prefix="bench"):
    """Creates `count` workspaces through the API; returns their creation answers and each
    create's time in ms (the HTTP round trip included)."""
    made, times = [], []
    for k in range(count):
        t0 = time.perf_counter()
        status, text = http("POST", base + "/__sandbox/workspaces", {"name": f"{prefix}-{k + 1:04d}"})
        times.append((time.perf_counter() - t0) * 1000)
        if status != 201:
            sys.exit(f"bench: creating a workspace answered {status}: {text[:300]}")
        made.append(json.loads(text))
    return made, times


def wrk(base, script, duration=DURATION, connections=64, threads=2):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                              "-s", path, base], capture_output=True, text=True, timeout=duration * 20 + 600)
        out, err = out.stdout, out.stderr
    finally:
        os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if re.search(r"(?m)^\S.*\.lua: ", out + err):
        sys.exit(f"bench: wrk's script failed: {err.strip()[:300]}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "requests": requests, "p99_ms": float(p99.group(1)) * scale, "errors": int(non2xx.group(1)) if non2xx else 0}


def im_signed(fields):
    values = "::".join(fields[k] for k in IM_FIELDS)
    body = dict(fields, hash=hashlib.md5(f"{values}::{IM_SECRET}".encode()).hexdigest())
    sign = hashlib.sha256(f"{values}::{IM_SIGN_SECRET}".encode()).hexdigest()
    return body, sign


def invoice_fields(order_id, eshop="450000"):
    return {"eshopId": eshop, "orderId": order_id, "serviceName": "bench", "recipientAmount": "10.00",
            "recipientCurrency": "RUB", "userName": "", "email": "buyer@example.com", "successUrl": "",
            "failUrl": "", "backUrl": "", "resultUrl": "", "expireDate": "", "holdMode": "", "preference": ""}


def im_accepted(answer):
    """IntellectMoney refuses with HTTP 200: a bench request must be one it accepts."""
    _, text = answer
    envelope = json.loads(text)
    if envelope["OperationState"]["Code"] != 0 or envelope["Result"]["State"]["Code"] != 0:
        sys.exit(f"bench: IntellectMoney refused the bench request: {text}")


def measure(name, base, script, rows, baseline_rps=None, stored=None):
    """One wrk run after a warm-up. With `stored` (a count of stored objects), answered
    requests that stored nothing are counted as refused, for APIs that refuse with 200."""
    wrk(base, script, duration=WARMUP)
    before = stored() if stored else 0
    r = wrk(base, script)
    if stored:
        r["errors"] += max(0, r["requests"] - (stored() - before))
    r["name"] = name
    r["ratio"] = (r["rps"] / baseline_rps) if baseline_rps else None
    rows.append(r)
    print(f"  {name}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.2f} ms, non-2xx {r['errors']}", file=sys.stderr)
    return r


def main():
    rows, facts = [], {}
    create_body = json.dumps(CREATE_PAYMENT, ensure_ascii=False)
    create_script = lua_request("POST", "/softline/v1/payment", create_body,
                                {"Content-Type": "application/json", "Authorization": TOKEN})

    # The head-to-head: baseline and paysandbox's create payment, each in a fresh
    # process, alternated PAIRS times. On a shared 2-core machine one figure drifts
    # by 10-30% from run to run, so the ratio reported is the median of the pairs'.
    # Each round also measures the same request spread over SPREAD workspaces (in a
    # fresh process of its own, made first through the API; each request carries the
    # next workspace's token). The rounds take the three in each of their six orders
    # in turn, so a machine that speeds up or slows down over a round favours none of
    # them (with the baseline always first, the drift within a round fell on the
    # ratio).
    pairs = []
    baseline = {"rps": None}
    for i in range(PAIRS if "create" in ONLY else 0):
        order = ORDERS[i % len(ORDERS)]
        print(f"head-to-head {i + 1}/{PAIRS}: {', '.join(order)} (baseline: bare axum; one workspace "
              f"and {SPREAD} workspaces)", file=sys.stderr)
        measured = {}
        for kind in order:
            if kind == "baseline":
                p, base = start(BASELINE)
                measured[kind] = measure("baseline", base, create_script, [])
                stop(p)
                continue
            p, base = start(BIN)
            if kind == "one":
                if "idle_rss_mib" not in facts:  # built-in fixtures, nothing stored
                    facts["idle_rss_mib"] = idle_rss_mib(p, base)
                measured[kind] = measure("paysandbox", base, create_script, [])
            else:
                made, _ = create_workspaces(base, SPREAD)
                script = lua_spread_request("POST", "/softline/v1/payment", create_body,
                                            {"Content-Type": "application/json"},
                                            [w["softline"]["token"] for w in made])
                before = sum(stored_in(base, w["name"], "softline_payments") for w in made)
                r = measure(f"paysandbox, {SPREAD} workspaces", base, script, [])
                spread_counts = [stored_in(base, w["name"], "softline_payments") for w in made]
                if sum(spread_counts) - before < r["requests"] or min(spread_counts) == 0:
                    sys.exit(f"bench: the spread run did not reach every workspace: {spread_counts}")
                measured[kind] = r
            stop(p)
        pairs.append((measured["baseline"], measured["one"], measured["spread"], order))
    if pairs:
        median_of = lambda key: statistics.median(key(b, c, s) for b, c, s, _ in pairs)
        # The spread of the pairs' ratios, so one noisy pair cannot pass for the figure.
        range_of = lambda key: (min(key(b, c, s) for b, c, s, _ in pairs),
                                max(key(b, c, s) for b, c, s, _ in pairs))
        baseline = {"rps": median_of(lambda b, c, s: b["rps"])}
        rows.append(dict(name=f"baseline: bare axum create payment (median of {PAIRS})", ratio=None,
                         rps=baseline["rps"], p99_ms=median_of(lambda b, c, s: b["p99_ms"]),
                         errors=sum(b["errors"] for b, *_ in pairs)))
        rows.append(dict(name=f"Softline POST /v1/payment, documented full example (median of {PAIRS})",
                         rps=median_of(lambda b, c, s: c["rps"]), p99_ms=median_of(lambda b, c, s: c["p99_ms"]),
                         ratio=median_of(lambda b, c, s: c["rps"] / b["rps"]),
                         ratio_range=range_of(lambda b, c, s: c["rps"] / b["rps"]),
                         errors=sum(c["errors"] for _, c, *_ in pairs)))
        rows.append(dict(name=f"Softline POST /v1/payment, the same spread over {SPREAD} workspaces (median of {PAIRS})",
                         rps=median_of(lambda b, c, s: s["rps"]), p99_ms=median_of(lambda b, c, s: s["p99_ms"]),
                         ratio=median_of(lambda b, c, s: s["rps"] / b["rps"]),
                         ratio_range=range_of(lambda b, c, s: s["rps"] / b["rps"]),
                         errors=sum(s["errors"] for _, _, s, _ in pairs)))
        facts["spread_ratio"] = median_of(lambda b, c, s: s["rps"] / c["rps"])
    facts["pairs"] = pairs

    if "endpoints" in ONLY:
        endpoints(rows, create_script)
    growth = {}
    if "growth" in ONLY:
        growth = memory_and_growth(facts, create_body, create_script)
    if "startup" in ONLY:
        startup(facts)
    if "workspaces" in ONLY:
        workspaces(facts)
    if "durable" in ONLY:
        durable(rows, facts, create_body, create_script)
    report(rows, facts, growth, baseline)


def endpoints(rows, create_script):
    """Every other endpoint against the baseline, in pairs: each round a fresh baseline
    (the create request, the only one it serves: the yardstick of every row), then a
    fresh paysandbox measured on each endpoint in turn. A row's ratio is the median of
    its rounds' ratios, shown with their lowest and highest, so one noisy round cannot
    decide it."""
    rounds = []
    for i in range(PAIRS):
        print(f"endpoints {i + 1}/{PAIRS}: baseline (bare axum), then each endpoint of a fresh paysandbox",
              file=sys.stderr)
        p, base = start(BASELINE)
        b = measure("baseline", base, create_script, [])
        stop(p)
        p, base = start(BIN, "--fixtures", bench_fixtures())
        measured = {name: measure(name, base, script, [], stored=count)
                    for name, script, count in endpoint_requests(base)}
        stop(p)
        rounds.append((b, measured))
    for name in rounds[0][1]:
        ratios = [m[name]["rps"] / b["rps"] for b, m in rounds]
        rows.append(dict(name=f"{name} (median of {PAIRS})",
                         rps=statistics.median(m[name]["rps"] for _, m in rounds),
                         p99_ms=statistics.median(m[name]["p99_ms"] for _, m in rounds),
                         ratio=statistics.median(ratios), ratio_range=(min(ratios), max(ratios)),
                         errors=sum(m[name]["errors"] for _, m in rounds)))


def endpoint_requests(base):
    """What `endpoints` measures against a fresh paysandbox at `base`: each row's name,
    its wrk script and, for an API that refuses with 200, a count of what it stored."""
    _, created = http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
    created = json.loads(created)
    order_path = f"/softline/v1/order/{created['order_id']}"
    page_path = created["payment_url"].split(base, 1)[1]
    requests = [
        ("Softline GET /v1/order/{id}", lua_request("GET", order_path, None, {"Authorization": TOKEN}), None),
        ("Softline hosted form GET", lua_request("GET", page_path, None, {}), None),
    ]

    # IntellectMoney: the fixture shop refuses a repeated OrderId (and answers the
    # refusal with HTTP 200), so a fixed body would measure the refusal. The bench
    # starts paysandbox with a second shop that accepts repeats (the shop setting
    # "Принимать только уникальный номер покупки" off), and checks afterwards that
    # every answered request stored an invoice.
    for kind in ("json", "form"):
        body, sign = im_signed(invoice_fields("BENCH-REPEAT", eshop=REPEATING_SHOP))
        if kind == "json":
            text, ct = json.dumps(body), "application/json"
        else:
            text, ct = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
        headers = {"Content-Type": ct, "Authorization": REPEATING_TOKEN, "Sign": sign}
        im_accepted(http("POST", base + "/intellectmoney/merchant/createInvoice", text, headers))
        script = lua_request("POST", "/intellectmoney/merchant/createInvoice", text, headers)
        requests.append((f"IntellectMoney createInvoice ({kind})", script,
                         lambda: stored(base, "intellectmoney_invoices")))
    _, inv = http("POST", base + "/intellectmoney/merchant/createInvoice",
                  *(lambda b, s: (b, {"Authorization": IM_TOKEN, "Sign": s}))(*im_signed(invoice_fields("BENCH-STATE"))))
    invoice_id = str(json.loads(inv)["Result"]["InvoiceId"])
    state_values = f"450000::{invoice_id}"
    state_body = json.dumps({"eshopId": "450000", "invoiceId": invoice_id,
                             "hash": hashlib.md5(f"{state_values}::{IM_SECRET}".encode()).hexdigest()})
    state_sign = hashlib.sha256(f"{state_values}::{IM_SIGN_SECRET}".encode()).hexdigest()
    im_accepted(http("POST", base + "/intellectmoney/merchant/getBankCardPaymentState", state_body,
                     {"Content-Type": "application/json", "Authorization": IM_TOKEN, "Sign": state_sign}))
    requests.append(("IntellectMoney getBankCardPaymentState",
                     lua_request("POST", "/intellectmoney/merchant/getBankCardPaymentState", state_body,
                                 {"Content-Type": "application/json", "Authorization": IM_TOKEN,
                                  "Sign": state_sign}),
                     None))
    requests.append(("GET /healthz", lua_request("GET", "/healthz", None, {}), None))
    return requests


def memory_and_growth(facts, create_body, create_script):
    print("memory and growth", file=sys.stderr)
    p, base = start(BIN)
    facts.setdefault("idle_rss_mib", idle_rss_mib(p, base))
    loaded = 0
    growth = {}

    def load_to(target):
        """Creates payments until about `target` are stored (wrk cannot stop at a count)."""
        nonlocal loaded
        script = lua_request("POST", "/softline/v1/payment", create_body,
                             {"Content-Type": "application/json", "Authorization": TOKEN})
        while loaded < target:
            if target - loaded < 5_000:
                for _ in range(target - loaded):
                    http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
            else:
                wrk(base, script, duration=max(1, min(5, (target - loaded) // 20_000)))
            loaded = stored(base, "softline_payments")

    load_to(1_000)
    growth["get_at_small"] = wrk(base, lua_request("GET", order_path_for(base), None, {"Authorization": TOKEN}))
    growth["small"] = loaded
    for target in LOADS:
        load_to(target)
        time.sleep(0.5)
        facts[f"rss_after_{target}"] = (loaded, rss_mib(p.pid))
    growth["get_at_large"] = wrk(base, lua_request("GET", order_path_for(base), None, {"Authorization": TOKEN}))
    growth["large"] = loaded
    growth["create_at_large"] = wrk(base, create_script)
    stop(p)
    return growth


def startup(facts):
    print("start-up", file=sys.stderr)
    times = []
    for _ in range(STARTS):
        t0 = time.perf_counter()
        p, base = start(BIN)
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                pass
        times.append((time.perf_counter() - t0) * 1000)
        stop(p)
    facts["startup_ms"] = statistics.median(times)


def durable(rows, facts, create_body, create_script):
    """--data-dir: create payment in rounds of four fresh processes, each first once in four rounds:
    the baseline, the durable yardstick (the baseline plus the same writes: one row committed to
    SQLite and one journal line appended before each answer, group commit;
    examples/bench_durable_baseline.rs), paysandbox in memory and paysandbox --data-dir; then
    start-up with many stored."""
    print("durable state", file=sys.stderr)
    kinds = ["baseline", "yardstick", "memory", "durable"]
    rounds = []
    for i in range(DURABLE_ROUNDS):
        data_dir = tempfile.mkdtemp(prefix="paysandbox-bench-data-")
        measured = {}
        for kind in kinds[i % 4:] + kinds[:i % 4]:
            if kind == "baseline":
                p, base = start(BASELINE)
            elif kind == "yardstick":
                p, base = start(DURABLE_BASELINE, os.path.join(data_dir, "yardstick"))
            else:
                p, base = start(BIN, *(["--data-dir", os.path.join(data_dir, "paysandbox")]
                                       if kind == "durable" else []))
            is_paysandbox = kind in ("memory", "durable")
            measured[kind] = measure(f"create payment, {kind}", base, create_script, [],
                                     stored=(lambda: stored(base, "softline_payments")) if is_paysandbox else None)
            stop(p)
        rounds.append(measured)
        subprocess.run(["rm", "-rf", data_dir])
    median_of = lambda key: statistics.median(key(m) for m in rounds)
    ratios = lambda a, b: [m[a]["rps"] / m[b]["rps"] for m in rounds]
    for kind, name in (("yardstick", "yardstick: bare axum + the same durable writes"),
                       ("durable", "Softline POST /v1/payment, --data-dir")):
        to_baseline = ratios(kind, "baseline")
        rows.append(dict(name=f"{name} (median of {DURABLE_ROUNDS})",
                         rps=median_of(lambda m: m[kind]["rps"]), p99_ms=median_of(lambda m: m[kind]["p99_ms"]),
                         ratio=statistics.median(to_baseline), ratio_range=(min(to_baseline), max(to_baseline)),
                         errors=sum(m[kind]["errors"] for m in rounds)))
    facts["durable_rounds"] = rounds
    facts["durable_ratio"] = statistics.median(ratios("durable", "memory"))
    facts["durable_to_yardstick"] = statistics.median(ratios("durable", "yardstick"))
    facts["yardstick_ratio"] = statistics.median(ratios("yardstick", "baseline"))

    # Start-up with many payments stored: load them, stop, then time fresh starts.
    data_dir = tempfile.mkdtemp(prefix="paysandbox-bench-data-")
    p, base = start(BIN, "--data-dir", data_dir)
    loaded = 0
    while loaded < DURABLE_STORED:
        left = DURABLE_STORED - loaded
        if left < 2_000:
            for _ in range(left):
                http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
        else:
            wrk(base, create_script, duration=max(1, min(10, left // 15_000)))
        loaded = stored(base, "softline_payments")
    stop(p)
    database = os.path.join(data_dir, "state.sqlite3")
    disk = data_size(data_dir)
    times, rss = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        p, base = start(BIN, "--data-dir", data_dir)
        urllib.request.urlopen(base + "/healthz", timeout=60).read()
        times.append((time.perf_counter() - t0) * 1000)
        rss = rss_mib(p.pid)
        stop(p)
    subprocess.run(["rm", "-rf", data_dir])
    facts["durable_stored"] = (loaded, disk, os.path.exists(database), statistics.median(times), rss)
    facts["invoice_cost"] = invoice_cost()


def data_size(data_dir):
    """Bytes of every file under a data directory (the database and the journal's files)."""
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(data_dir) for f in files)


def invoice_cost():
    """Memory and disk per stored IntellectMoney invoice: the slope between two loads, in one
    process in memory (RSS) and across two runs on one data directory (its files after each
    stop), so the fixed part (idle process, the bounded journal) drops out."""
    fixtures = bench_fixtures()
    body, sign = im_signed(invoice_fields("BENCH-COST", eshop=REPEATING_SHOP))
    headers = {"Content-Type": "application/json", "Authorization": REPEATING_TOKEN, "Sign": sign}
    text = json.dumps(body)
    script = lua_request("POST", "/intellectmoney/merchant/createInvoice", text, headers)

    def load_to(base, target):
        loaded = stored(base, "intellectmoney_invoices")
        while loaded < target:
            left = target - loaded
            if left < 2_000:
                for _ in range(left):
                    im_accepted(http("POST", base + "/intellectmoney/merchant/createInvoice", text, headers))
            else:
                wrk(base, script, duration=max(1, min(5, left // 15_000)))
            loaded = stored(base, "intellectmoney_invoices")
        return loaded

    low, high = INVOICE_LOADS

    # wrk runs whole seconds, so the first load may pass its target: the second
    # always adds as many again as the targets are apart.
    p, base = start(BIN, "--fixtures", fixtures)
    memory = []
    for target in (low, high):
        loaded = load_to(base, max(target, memory[-1][0] + high - low) if memory else target)
        time.sleep(0.5)
        memory.append((loaded, rss_mib(p.pid)))
    stop(p)
    data_dir = tempfile.mkdtemp(prefix="paysandbox-bench-data-")
    disk = []
    for target in (low, high):
        p, base = start(BIN, "--fixtures", fixtures, "--data-dir", data_dir)
        loaded = load_to(base, max(target, disk[-1][0] + high - low) if disk else target)
        stop(p)
        disk.append((loaded, data_size(data_dir)))
    subprocess.run(["rm", "-rf", data_dir])
    (n0, m0), (n1, m1) = memory
    (d0, b0), (d1, b1) = disk
    return {"memory": (n0, n1, (m1 - m0) * 1024 * 1024 / max(n1 - n0, 1)),
            "disk": (d0, d1, (b1 - b0) / max(d1 - d0, 1))}


def workspaces(facts):
    """Idle RSS with 0 and WORKSPACE_COUNTS empty workspaces, and the time to create one."""
    print("workspaces", file=sys.stderr)
    p, base = start(BIN)
    facts["ws_rss"] = [(0, idle_rss_mib(p, base))]
    have = 0
    for count in WORKSPACE_COUNTS:
        _, times = create_workspaces(base, count - have, prefix=f"idle{count}")
        if have == 0:
            facts["ws_create_ms"] = (len(times), statistics.median(times), max(times))
        have = count
        time.sleep(0.5)
        facts["ws_rss"].append((have, rss_mib(p.pid)))
    stop(p)


def stored(base, kind):
    _, text = http("GET", base + "/metrics")
    m = re.search(r'paysandbox_stored\{kind="' + kind + r'"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def stored_in(base, workspace, kind):
    """Objects of `kind` one workspace holds (its `objects` in the workspace API)."""
    _, text = http("GET", f"{base}/__sandbox/workspaces/{workspace}")
    return json.loads(text)["objects"].get(kind, 0)


def order_path_for(base):
    _, created = http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
    return f"/softline/v1/order/{json.loads(created)['order_id']}"


def report(rows, facts, growth, baseline):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    lines = [
        f"# paysandbox benchmark, {datetime.date.today().isoformat()}{' (smoke mode: not representative)' if SMOKE else ''}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
        f"load from wrk -t2 -c64 -d{DURATION}s on the same cores, after a {WARMUP}s warm-up"
        + ("" if ONLY == set(PARTS) else f"; only {', '.join(p for p in PARTS if p in ONLY)}") + ".",
    ]
    if rows:
        lines += ["", "| what | req/s | p99 | vs baseline | non-2xx |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        if r["ratio"]:
            ratio = f"{r['ratio']:.2f}×"
            if r.get("ratio_range") and PAIRS > 1:
                low, high = r["ratio_range"]
                ratio += f" (pairs {low:.2f}–{high:.2f})"
        else:
            ratio = "1.00× (itself)" if r["name"].startswith("baseline") else "– (no baseline in this run)"
        lines.append(f"| {r['name']} | {r['rps']:,.0f} | {r['p99_ms']:.2f} ms | {ratio} | {r['errors']} |")
    if facts["pairs"]:
        lines += ["", f"{SPREAD} workspaces / one workspace, create payment (median of the {PAIRS} rounds' ratios): "
                      f"**{facts['spread_ratio']:.2f}×**",
                  "", "Head-to-head runs (fresh processes, in this order):", "",
                  f"| run | baseline req/s | paysandbox create req/s | ratio | {SPREAD} workspaces req/s | ratio | {SPREAD} / one |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        names = {"baseline": "baseline", "one": "one", "spread": f"{SPREAD} workspaces"}
        for i, (b, c, s, order) in enumerate(facts["pairs"], 1):
            order = " (" + ", ".join(names[kind] for kind in order) + ")"
            lines.append(f"| {i}{order} | {b['rps']:,.0f} | {c['rps']:,.0f} | {c['rps'] / b['rps']:.2f}× "
                         f"| {s['rps']:,.0f} | {s['rps'] / b['rps']:.2f}× | {s['rps'] / c['rps']:.2f}× |")
    lines += ["", "| fact | value |", "|---|---:|"]
    if "startup_ms" in facts:
        lines.append(f"| start-up to first healthy answer (median of {STARTS}) | {facts['startup_ms']:.1f} ms |")
    if "idle_rss_mib" in facts:
        lines.append(f"| idle RSS | {facts['idle_rss_mib']:.1f} MiB |")
    if growth:
        for target in LOADS:
            count, rss = facts[f"rss_after_{target}"]
            per = (rss - facts["idle_rss_mib"]) * 1024 * 1024 / max(count, 1)
            lines.append(f"| RSS after {count:,} payments | {rss:.1f} MiB ({per:,.0f} B per payment over idle) |")
        # The marginal cost: the slope between the two loads, free of start-up and journal fill.
        (c1, r1), (c2, r2) = (facts[f"rss_after_{t}"] for t in LOADS)
        slope = (r2 - r1) * 1024 * 1024 / max(c2 - c1, 1)
        lines.append(f"| memory per stored payment (slope from {c1:,} to {c2:,}) | {slope:,.0f} B |")
        lines += [
            f"| GET /v1/order/{{id}} with {growth['small']:,} stored | {growth['get_at_small']['rps']:,.0f} req/s, p99 {growth['get_at_small']['p99_ms']:.2f} ms |",
            f"| GET /v1/order/{{id}} with {growth['large']:,} stored | {growth['get_at_large']['rps']:,.0f} req/s, p99 {growth['get_at_large']['p99_ms']:.2f} ms |",
            f"| POST /v1/payment with {growth['large']:,} stored | {growth['create_at_large']['rps']:,.0f} req/s, p99 {growth['create_at_large']['p99_ms']:.2f} ms |",
        ]
    if "ws_rss" in facts:
        (_, rss0), *more = facts["ws_rss"]
        for count, rss in [(0, rss0), *more]:
            per = f" ({(rss - rss0) * 1024 / count:,.0f} KiB per workspace)" if count else ""
            lines.append(f"| idle RSS with {count:,} empty workspaces | {rss:.1f} MiB{per} |")
        n, median, worst = facts["ws_create_ms"]
        lines.append(f"| time to create a workspace (POST /__sandbox/workspaces, median of {n}; slowest) "
                     f"| {median:.2f} ms; {worst:.2f} ms |")
    if "durable_rounds" in facts:
        each = lambda a, b: ", ".join(f"{m[a]['rps']:,.0f} / {m[b]['rps']:,.0f}" for m in facts["durable_rounds"])
        lines.append(f"| create payment, --data-dir / in memory (median of {DURABLE_ROUNDS} rounds; "
                     f"{each('durable', 'memory')}) | **{facts['durable_ratio']:.2f}×** |")
        lines.append(f"| create payment, --data-dir / the durable yardstick (median of {DURABLE_ROUNDS} rounds; "
                     f"{each('durable', 'yardstick')}) | **{facts['durable_to_yardstick']:.2f}×** |")
        lines.append(f"| the durable yardstick / the baseline (median of {DURABLE_ROUNDS} rounds; "
                     f"{each('yardstick', 'baseline')}) | **{facts['yardstick_ratio']:.2f}×** |")
        count, disk, _, start_ms, rss = facts["durable_stored"]
        lines.append(f"| data directory with {count:,} payments (and their journal) | "
                     f"{disk / 1024 / 1024:.1f} MiB ({disk / max(count, 1):,.0f} B per payment) |")
        lines.append(f"| start-up to first healthy answer with {count:,} payments stored (median of 3) "
                     f"| {start_ms:,.0f} ms, RSS then {rss:.1f} MiB |")
        n0, n1, per = facts["invoice_cost"]["memory"]
        lines.append(f"| memory per stored invoice (RSS slope, {n0:,} to {n1:,} invoices) | {per:,.0f} B |")
        n0, n1, per = facts["invoice_cost"]["disk"]
        lines.append(f"| disk per stored invoice (data directory slope, {n0:,} to {n1:,} invoices) | {per:,.0f} B |")
    lines.append(f"| release binary | {os.path.getsize(BIN) / 1024 / 1024:.1f} MiB |")
    table = "\n".join(lines) + "\n"
    print(table)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    name = datetime.datetime.now().strftime("%Y-%m-%d-%H%M") + ("-smoke" if SMOKE else "") + ".md"
    with open(os.path.join(ROOT, "bench/results", name), "w") as f:
        f.write(table)
    print(f"written to bench/results/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
