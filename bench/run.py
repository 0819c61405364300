#!/usr/bin/env python3
"""paysandbox benchmark driver (run it through bench/run.sh, which builds first).

Measures, in one run on this machine:
- throughput and latency (wrk -t2 -c64) of Softline POST /v1/payment (the seed's full
  example), GET /v1/order/{id}, IntellectMoney createInvoice (JSON and form),
  getBankCardPaymentState, a hosted page GET and /healthz, plus the bare axum baseline
  (examples/bench_baseline.rs) on the same create-payment request, and each ratio to it;
- start-up to the first healthy answer (median of 20 spawns) and idle RSS;
- RSS after 100 000 and 1 000 000 stored payments, and GET throughput at 1 000 vs
  1 000 000 stored payments;
- the release binary's size.
Prints one Markdown table and writes it to bench/results/<date>.md.
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
SMOKE = "--smoke" in sys.argv
DURATION = 2 if SMOKE else 10
WARMUP = 1 if SMOKE else 3
LOADS = (2_000, 10_000) if SMOKE else (100_000, 1_000_000)
STARTS = 3 if SMOKE else 20
TOKEN = "Bearer sandbox-token"

# The seed's full create-payment example (seed 002).
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
IM_FIELDS = ["eshopId", "orderId", "serviceName", "recipientAmount", "recipientCurrency", "userName",
             "email", "successUrl", "failUrl", "backUrl", "resultUrl", "expireDate", "holdMode", "preference"]


def start(binary, *args):
    p = subprocess.Popen([binary, "--listen", "127.0.0.1:0", *args] if binary == BIN
                         else [binary, "127.0.0.1:0"],
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


def lua_request(method, path, body, headers, limit=None):
    """A wrk script sending one fixed request, optionally stopping each thread after `limit`."""
    hdrs = "\n".join(f'wrk.headers[ {lua(k)} ] = {lua(v)}' for k, v in headers.items())
    stop_after = ""
    if limit:
        stop_after = f"""
local done = 0
response = function(status, headers, body)
  done = done + 1
  if done >= {limit} then wrk.thread:stop() end
end
"""
    return f"""
wrk.method = {lua(method)}
wrk.path = {lua(path)}
wrk.body = {lua(body or "")}
{hdrs}
{stop_after}
"""


def wrk(base, script, duration=DURATION, connections=64, threads=2):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
                              "-s", path, base], capture_output=True, text=True, timeout=duration * 20 + 600).stdout
    finally:
        os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "errors": int(non2xx.group(1)) if non2xx else 0}


def im_signed(fields):
    values = "::".join(fields[k] for k in IM_FIELDS)
    body = dict(fields, hash=hashlib.md5(f"{values}::{IM_SECRET}".encode()).hexdigest())
    sign = hashlib.sha256(f"{values}::{IM_SIGN_SECRET}".encode()).hexdigest()
    return body, sign


def invoice_fields(order_id):
    return {"eshopId": "450000", "orderId": order_id, "serviceName": "bench", "recipientAmount": "10.00",
            "recipientCurrency": "RUB", "userName": "", "email": "buyer@example.com", "successUrl": "",
            "failUrl": "", "backUrl": "", "resultUrl": "", "expireDate": "", "holdMode": "", "preference": ""}


def measure(name, base, script, rows, baseline_rps=None):
    wrk(base, script, duration=WARMUP)
    r = wrk(base, script)
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

    print("baseline (bare axum)", file=sys.stderr)
    p, base = start(BASELINE)
    baseline = measure("baseline: bare axum create payment", base, create_script, rows)
    stop(p)

    print("paysandbox endpoints", file=sys.stderr)
    p, base = start(BIN)
    facts["idle_rss_mib"] = rss_mib(p.pid)
    _, created = http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
    created = json.loads(created)
    order_path = f"/softline/v1/order/{created['order_id']}"
    page_path = created["payment_url"].split(base, 1)[1]
    measure("Softline POST /v1/payment (seed's full example)", base, create_script, rows, baseline["rps"])
    measure("Softline GET /v1/order/{id}", base,
            lua_request("GET", order_path, None, {"Authorization": TOKEN}), rows, baseline["rps"])
    measure("Softline hosted form GET", base, lua_request("GET", page_path, None, {}), rows, baseline["rps"])

    # IntellectMoney: OrderId must be unique per shop, so each request carries a fresh one.
    # wrk's Lua has no MD5: pre-compute signed bodies and cycle through them.
    def signed_bodies(kind, count):
        bodies = []
        for i in range(count):
            fields = invoice_fields(f"BENCH-{kind}-{i}")
            body, sign = im_signed(fields)
            if kind == "json":
                bodies.append((json.dumps(body), sign, "application/json"))
            else:
                bodies.append(("&".join(f"{k}={urllib.parse.quote(v)}" for k, v in body.items()),
                               sign, "application/x-www-form-urlencoded"))
        return bodies

    def cycling_script(bodies, path):
        entries = ",\n".join("{" + f"body={lua(b)}, sign={lua(s)}, ct={lua(ct)}" + "}"
                             for b, s, ct in bodies)
        return f"""
local bodies = {{ {entries} }}
local i = 0
request = function()
  i = i + 1
  local b = bodies[(i % #bodies) + 1]
  return wrk.format("POST", "{path}", {{["Content-Type"] = b.ct, ["Authorization"] = "{IM_TOKEN}",
    ["Sign"] = b.sign}}, b.body)
end
"""
    count = 2_000 if SMOKE else 200_000
    for kind in ("json", "form"):
        # Unique order ids: a repeated OrderId is refused, which would measure the refusal.
        bodies = signed_bodies(kind, count)
        measure(f"IntellectMoney createInvoice ({kind})", base,
                cycling_script(bodies, "/intellectmoney/merchant/createInvoice"), rows, baseline["rps"])
    _, inv = http("POST", base + "/intellectmoney/merchant/createInvoice",
                  *(lambda b, s: (b, {"Authorization": IM_TOKEN, "Sign": s}))(*im_signed(invoice_fields("BENCH-STATE"))))
    invoice_id = str(json.loads(inv)["Result"]["InvoiceId"])
    state_values = f"450000::{invoice_id}"
    state_body = json.dumps({"eshopId": "450000", "invoiceId": invoice_id,
                             "hash": hashlib.md5(f"{state_values}::{IM_SECRET}".encode()).hexdigest()})
    state_sign = hashlib.sha256(f"{state_values}::{IM_SIGN_SECRET}".encode()).hexdigest()
    measure("IntellectMoney getBankCardPaymentState", base,
            lua_request("POST", "/intellectmoney/merchant/getBankCardPaymentState", state_body,
                        {"Content-Type": "application/json", "Authorization": IM_TOKEN, "Sign": state_sign}),
            rows, baseline["rps"])
    measure("GET /healthz", base, lua_request("GET", "/healthz", None, {}), rows, baseline["rps"])
    stop(p)

    print("memory and growth", file=sys.stderr)
    p, base = start(BIN)
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
            loaded = stored_payments(base)

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
    facts["binary_mib"] = os.path.getsize(BIN) / 1024 / 1024

    report(rows, facts, growth, baseline)


def stored_payments(base):
    _, text = http("GET", base + "/metrics")
    m = re.search(r'paysandbox_stored\{kind="softline_payments"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def order_path_for(base):
    _, created = http("POST", base + "/softline/v1/payment", CREATE_PAYMENT, {"Authorization": TOKEN})
    return f"/softline/v1/order/{json.loads(created)['order_id']}"


def report(rows, facts, growth, baseline):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    lines = [
        f"# paysandbox benchmark, {datetime.date.today().isoformat()}{' (smoke mode: not representative)' if SMOKE else ''}",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
        f"load from wrk -t2 -c64 -d{DURATION}s on the same cores, after a {WARMUP}s warm-up.",
        "",
        "| what | req/s | p99 | vs baseline | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] else "1.00× (itself)"
        lines.append(f"| {r['name']} | {r['rps']:,.0f} | {r['p99_ms']:.2f} ms | {ratio} | {r['errors']} |")
    lines += ["", "| fact | value |", "|---|---:|",
              f"| start-up to first healthy answer (median of {STARTS}) | {facts['startup_ms']:.1f} ms |",
              f"| idle RSS | {facts['idle_rss_mib']:.1f} MiB |"]
    for target in LOADS:
        count, rss = facts[f"rss_after_{target}"]
        per = (rss - facts["idle_rss_mib"]) * 1024 * 1024 / max(count, 1)
        lines.append(f"| RSS after {count:,} payments | {rss:.1f} MiB ({per:,.0f} B per payment over idle) |")
    lines += [
        f"| GET /v1/order/{{id}} with {growth['small']:,} stored | {growth['get_at_small']['rps']:,.0f} req/s, p99 {growth['get_at_small']['p99_ms']:.2f} ms |",
        f"| GET /v1/order/{{id}} with {growth['large']:,} stored | {growth['get_at_large']['rps']:,.0f} req/s, p99 {growth['get_at_large']['p99_ms']:.2f} ms |",
        f"| POST /v1/payment with {growth['large']:,} stored | {growth['create_at_large']['rps']:,.0f} req/s, p99 {growth['create_at_large']['p99_ms']:.2f} ms |",
        f"| release binary | {facts['binary_mib']:.1f} MiB |",
    ]
    table = "\n".join(lines) + "\n"
    print(table)
    os.makedirs(os.path.join(ROOT, "bench/results"), exist_ok=True)
    name = datetime.datetime.now().strftime("%Y-%m-%d-%H%M") + ("-smoke" if SMOKE else "") + ".md"
    with open(os.path.join(ROOT, "bench/results", name), "w") as f:
        f.write(table)
    print(f"written to bench/results/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
