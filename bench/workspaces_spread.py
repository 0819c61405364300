#!/usr/bin/env python3
"""Where create payment spread over 100 workspaces loses against one workspace: each variant in a
fresh paysandbox (the release build bench/run.sh makes), alternated ROUNDS times, medians printed.
    python3 bench/workspaces_spread.py [ROUNDS]      (default 2; about 2.5 min per round)
"""
import json
import statistics
import sys

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2
sys.argv = sys.argv[:1]  # run.py reads its own flags
import run as B  # noqa: E402  (bench/run.py, beside this file)

BODY = json.dumps(B.CREATE_PAYMENT, ensure_ascii=False)
JSON = {"Content-Type": "application/json"}

# name, server flags, workspaces made, tokens the requests cycle through (None: default's, fixed request)
VARIANTS = [
    ("default's token, no workspaces", [], 0, None),
    ("default's token, 100 idle workspaces", [], 100, None),
    ("one workspace's token, fixed request, 100 exist", [], 100, "first-fixed"),
    ("default's token through the cycling script", [], 0, "default-script"),
    ("cycling over 10 of 100 workspaces", [], 100, 10),
    ("cycling over 100 workspaces", [], 100, 100),
    ("cycling over 100 workspaces, --journal-capacity 100", ["--journal-capacity", "100"], 100, 100),
    ("default's token, --journal-capacity 1000000", ["--journal-capacity", "1000000"], 0, None),
]


def script_for(made, tokens):
    if tokens is None:
        return B.lua_request("POST", "/softline/v1/payment", BODY, dict(JSON, Authorization=B.TOKEN))
    if tokens == "first-fixed":
        token = "Bearer " + made[0]["softline"]["token"]
        return B.lua_request("POST", "/softline/v1/payment", BODY, dict(JSON, Authorization=token))
    if tokens == "default-script":
        return B.lua_spread_request("POST", "/softline/v1/payment", BODY, JSON, ["sandbox-token"])
    return B.lua_spread_request("POST", "/softline/v1/payment", BODY, JSON,
                                [w["softline"]["token"] for w in made[:tokens]])


def main():
    results = {name: [] for name, *_ in VARIANTS}
    for _ in range(ROUNDS):
        for name, flags, count, tokens in VARIANTS:
            p, base = B.start(B.BIN, *flags)
            made, _ = B.create_workspaces(base, count)
            results[name].append(B.measure(name, base, script_for(made, tokens), [])["rps"])
            B.stop(p)
    print(f"| variant (median of {ROUNDS}) | req/s | runs |\n|---|---:|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):,.0f} | {', '.join(f'{v:,.0f}' for v in values)} |")


if __name__ == "__main__":
    main()
