"""How long a change takes from one page to another, beside the broker's own round trip,
measured in the same run (a benchmark: it prints figures and asserts nothing about them).

    python3 Tests/Browser/bench_page_latency.py [--samples 60]

- through the bridge: alice's page changes her status (online/away); the time until bob's page
  has redrawn her row (a MutationObserver on data-status). Path: alice's WebSocket -> mosquitto
  -> bridge -> mosquitto -> bob's WebSocket -> the SDK -> the DOM.
- the broker alone (the baseline): alice's page replaces her watch list (retained, QoS 1) and
  reads it back on her own subscription: alice's WebSocket -> mosquitto -> alice's WebSocket.

Both pages' clocks are the machine's (performance.timeOrigin + performance.now()). The bridge
runs with --rate-limit 0 so that the samples, sent one after another, are never dropped.
"""
import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from stack import Stack, chromium, wait_for  # noqa: E402
from test_presence_page import USERS, add_contact, sign_in, wait_row, status_is  # noqa: E402

OBSERVE = """
const row = document.querySelector('li.person[data-user="alice"]:not(.self)');
window.seen = [];
new MutationObserver(() => window.seen.push([row.dataset.status, performance.timeOrigin + performance.now()]))
  .observe(row, {attributes: true, attributeFilter: ['data-status']});
"""
CHANGE_STATUS = """
const t = performance.timeOrigin + performance.now();
window.presenceDevice.setStatus(arguments[0]);
return t;
"""
WATCH_ROUND_TRIP = """
const done = arguments[arguments.length - 1];
const device = window.presenceDevice;
const ids = arguments[0];
const t0 = performance.timeOrigin + performance.now();
const onLists = (event) => {
  if (event.detail.name !== 'watch' || event.detail.ids.join() !== ids.join()) return;
  device.removeEventListener('lists', onLists);
  done(performance.timeOrigin + performance.now() - t0);
};
device.addEventListener('lists', onLists);
device.setWatch(ids);
"""


def summary(name, samples):
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"{name:<22} median {statistics.median(samples):6.2f} ms   p90 {p90:6.2f} ms   n={len(samples)}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=60)
    samples = parser.parse_args().samples
    options = ["--offline-grace", "1", "--heartbeat-interval", "30", "--rate-limit", "0"]
    with Stack.run(USERS, options) as stack:
        alice = chromium(stack.folder, "alice")
        bob = chromium(stack.folder, "bob")
        try:
            sign_in(alice, stack.page_url, "alice")
            sign_in(bob, stack.page_url, "bob")
            add_contact(alice, "bob")
            add_contact(bob, "alice")
            wait_row(bob, "alice", "online", status_is("online"))
            bob.execute_script(OBSERVE)

            bridge, broker = [], []
            alice.set_script_timeout(30)
            for i in range(samples):
                # Interleaved, so that both see the same machine at the same moments.
                status = "away" if i % 2 == 0 else "online"
                sent = alice.execute_script(CHANGE_STATUS, status)
                seen = wait_for(lambda: bob.execute_script(
                    "return window.seen.filter(([s, t]) => s === arguments[0] && t >= arguments[1]).map(([s, t]) => t)[0]",
                    status, sent), f"bob sees alice {status}", timeout=30)
                bridge.append(seen - sent)
                broker.append(alice.execute_async_script(WATCH_ROUND_TRIP, ["carol"] if i % 2 == 0 else ["dave"]))
        finally:
            alice.quit()
            bob.quit()
    print(f"page to page, {samples} samples each, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(summary("through the bridge", bridge))
    print(summary("broker round trip", broker))
    print(f"ratio of medians: {statistics.median(bridge) / statistics.median(broker):.2f}")


if __name__ == "__main__":
    main()
