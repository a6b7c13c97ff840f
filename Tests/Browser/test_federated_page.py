"""The presence page in two real headless Chromiums against a federation: three mosquittos
with the configs scripts/make-federation.sh writes (each with its own WebSockets listener on
loopback, --ws-base-port, checked with ss) and three shards of the real bridge. Two users homed on different
brokers open the page with the federation in its query (?brokers=…&websockets=…): each page
picks its user's home as the CLI does, connects there, and they see each other come online
and, by the will of a tab closed without a goodbye, go offline.

    python3 Tests/Browser/test_federated_page.py

Every wait has a deadline; nothing sleeps for a fixed time.
"""
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from federation_stack import FederatedStack  # noqa: E402
from stack import chromium, is_loopback, listening_sockets  # noqa: E402
from test_presence_page import GRACE, WAIT, add_contact, status_is, text_of, wait_row  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CANDIDATES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
BRIDGE_OPTIONS = ["--offline-grace", str(GRACE), "--heartbeat-interval", "2"]


def sign_in(driver, url, user, password):
    driver.get(url)
    driver.find_element(By.NAME, "user").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit = driver.find_element(By.CSS_SELECTOR, '#login button[type="submit"]')
    WebDriverWait(driver, WAIT).until(lambda _: submit.is_enabled(), "the page's script enables signing in")
    submit.click()
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.ID, "app").is_displayed(), f"{user} signed in")


class FederatedPageTests(unittest.TestCase):
    def test_two_users_homed_on_different_brokers(self):
        users = {name: f"{name}-pw" for name in CANDIDATES}
        with FederatedStack.run(3, users, BRIDGE_OPTIONS) as stack:
            # Each broker's WebSockets listener (the generated config's) listens, on loopback only.
            websockets_ports = {stack.websockets_base_port + i for i in range(3)}
            ours = [(address, port) for address, port, _ in listening_sockets() if port in websockets_ports]
            self.assertEqual({port for _, port in ours}, websockets_ports, f"every WebSockets listener: {ours}")
            for address, port in ours:
                self.assertTrue(is_loopback(address), f"{address}:{port} is not loopback only")
            homes = stack.homes(CANDIDATES)
            first = CANDIDATES[0]
            second = next(user for user in CANDIDATES if homes[user] != homes[first])
            one = chromium(stack.folder, first)
            try:
                two = chromium(stack.folder, second)
                try:
                    self.scenario(stack, homes, (one, first), (two, second))
                finally:
                    two.quit()
            finally:
                one.quit()

    def scenario(self, stack, homes, one, two):
        for driver, user in (one, two):
            sign_in(driver, stack.page_url, user, f"{user}-pw")
            # The page's SDK picks the home the CLI (the Swift implementation) picks, and connects to its listener.
            home = driver.execute_script("const h = window.presenceDevice.home; return [h.index, h.id, window.presenceDevice.url]")
            self.assertEqual(home, [homes[user], stack.brokers[homes[user]], stack.websockets[homes[user]]], user)
            # The home broker saw the login, and no other broker did.
            login = f"u'{user}'"
            WebDriverWait(driver, WAIT).until(lambda _: login in stack.broker_log(homes[user]), f"{user}'s login on broker {homes[user]}")
            for other in range(len(stack.brokers)):
                if other != homes[user]:
                    self.assertNotIn(login, stack.broker_log(other), f"{user} on broker {other}")

        (driver_one, user_one), (driver_two, user_two) = one, two
        add_contact(driver_one, user_two)
        add_contact(driver_two, user_one)
        wait_row(driver_one, user_two, "online across the federation", status_is("online"))
        wait_row(driver_two, user_one, "online across the federation",
                 lambda r: status_is("online")(r) and "(web): online" in text_of(r, ".devices"))

        # The first closes the tab without a goodbye: the will, on its home, reaches the other home.
        driver_one.execute_script("window.presenceDevice.abort()")
        seen = wait_row(driver_two, user_one, "offline by the will after the grace", status_is("offline"))
        self.assertEqual(text_of(seen, ".devices"), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
