#!/usr/bin/env python3
"""Start-up time to a healthy answer (median of N spawns) and idle RSS.

Usage: cargo build --release && python3 bench/startup.py [N]
"""
import statistics
import subprocess
import sys
import time
import urllib.request

BIN = "target/release/paysandbox"


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    times, rss_kb = [], None
    for i in range(runs):
        started = time.perf_counter()
        p = subprocess.Popen([BIN, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        url = p.stdout.readline().strip().split(" on ", 1)[1]
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1).read()
                break
            except OSError:
                pass
        times.append((time.perf_counter() - started) * 1000)
        if i == 0:
            time.sleep(1)
            with open(f"/proc/{p.pid}/status") as status:
                rss_kb = next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
        p.terminate()
        p.wait()
    print(f"start-up to healthy: median {statistics.median(times):.1f} ms "
          f"(min {min(times):.1f}, max {max(times):.1f}, {runs} runs)")
    print(f"idle RSS: {rss_kb / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
