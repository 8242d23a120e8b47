"""A fixed piece of CPython work (JSON and dict churn, like a proxy request's), timed in CPU ms.

The load test runs it on the proxy's CPU before each configuration: how fast that CPU is right now.
On a shared virtual machine it drifts (other tenants of the host share its caches and memory
bandwidth), and the CPU a request costs drifts with it; the ratios are taken at the same speed.
"""
import time, json
t = time.process_time()
d = {"model": "lt-chat", "messages": [{"role": "user", "content": "x" * 64}] * 4, "meta": {str(i): i for i in range(50)}}
for _ in range(2500):
    s = json.dumps(d)
    o = json.loads(s)
    o2 = {k: v for k, v in o.items()}
    l = [str(i) for i in range(30)]
print(f"{(time.process_time() - t) * 1000:.1f}")
