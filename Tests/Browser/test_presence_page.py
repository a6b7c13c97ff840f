"""The presence page in a real headless Chromium, against a real mosquitto (the shipped config,
WebSockets listener included) and the real bridge binary: two users in two browsers.

    python3 Tests/Browser/test_presence_page.py [--screenshots docs/screenshots]

Every wait has a deadline (WebDriverWait); nothing sleeps for a fixed time. Screenshots go to
.build/browser-screenshots/ unless --screenshots says where (docs/screenshots/ for the README's).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from stack import ROOT, Stack, chromium, is_loopback, wait_for  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

GRACE = 1.0
USERS = {"alice": "alice-pw", "bob": "bob-pw"}
BRIDGE_OPTIONS = [
    "--offline-grace", str(GRACE), "--heartbeat-interval", "2",
    # A typing lease long enough to change privacy while it lasts on a busy machine.
    "--activity-ttl", "30",
    # Small enough for the page to reach it: the bridge's rejection must reach the page.
    "--max-list", "3",
]
WAIT = 30  # seconds: a deadline, not a pause
SCREENSHOTS = ROOT / ".build" / "browser-screenshots"


def row(driver, user):
    found = driver.find_elements(By.CSS_SELECTOR, f'li.person[data-user="{user}"]:not(.self)')
    return found[0] if found else None


def wait_row(driver, user, what, condition):
    """Waits until `user`'s row exists and `condition(row)` holds."""
    def check(_):
        element = row(driver, user)
        return element is not None and condition(element)
    WebDriverWait(driver, WAIT, poll_frequency=0.05).until(check, f"{user}'s row: {what}")
    return row(driver, user)


def status_is(status):
    return lambda element: element.get_attribute("data-status") == status


def text_of(element, css):
    return element.find_element(By.CSS_SELECTOR, css).get_attribute("textContent")


def sign_in(driver, url, user):
    driver.get(url)
    driver.find_element(By.NAME, "user").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(USERS[user])
    submit = driver.find_element(By.CSS_SELECTOR, '#login button[type="submit"]')
    WebDriverWait(driver, WAIT).until(lambda _: submit.is_enabled(), "the page's script enables signing in")
    submit.click()
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element(By.ID, "app").is_displayed(), f"{user} signed in")


def add_contact(driver, user):
    field = driver.find_element(By.NAME, "contact")
    field.send_keys(user)
    driver.find_element(By.CSS_SELECTOR, '#add-contact button[type="submit"]').click()


def set_privacy(driver, setting, audience):
    Select(driver.find_element(By.NAME, setting)).select_by_value(audience)


def connection_is(driver, state):
    WebDriverWait(driver, WAIT, poll_frequency=0.05).until(
        lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == state, f"the connection {state}")


def set_tab_hidden(driver, hidden):
    """The page's visibility as the browser would change it when the tab goes to the background."""
    driver.execute_script("""
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => arguments[0] ? 'hidden' : 'visible'});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => arguments[0]});
        document.dispatchEvent(new Event('visibilitychange'));""", hidden)


def set_window_focused(driver, focused):
    driver.execute_script("window.dispatchEvent(new Event(arguments[0] ? 'focus' : 'blur'))", focused)


class PresencePageTests(unittest.TestCase):
    screenshots = SCREENSHOTS

    def shot(self, driver, name):
        self.screenshots.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(self.screenshots / f"{name}.png"))

    def test_listeners_are_loopback_only(self):
        """Everything the shipped broker config, the bridge and the page's server open listens on
        loopback only, and the broker opens exactly its two listeners."""
        with Stack.run(USERS, BRIDGE_OPTIONS) as stack:
            sockets = stack.listening_sockets()
            ours = [(address, port, who) for address, port, who in sockets if port in stack.ports]
            self.assertEqual({port for _, port, _ in ours}, stack.ports, f"every port listens: {ours}")
            for address, port, who in ours:
                self.assertTrue(is_loopback(address), f"{address}:{port} ({who}) is not loopback only")
            if os.geteuid() == 0:  # ss names the process of every socket only for root
                pid = f"pid={stack.processes.pid('mosquitto')},"
                broker = {port for _, port, who in sockets if pid in who}
                self.assertEqual(broker, {stack.mqtt_port, stack.websockets_port}, "the broker's listeners")

    def test_two_users_in_two_browsers(self):
        with Stack.run(USERS, BRIDGE_OPTIONS) as stack:
            alice = chromium(stack.folder, "alice")
            try:
                bob = chromium(stack.folder, "bob")
                try:
                    self.scenario(stack, alice, bob)
                finally:
                    bob.quit()
            finally:
                alice.quit()

    def test_the_page_over_tls_through_the_shipped_proxy(self):
        """alice opens the page over HTTPS through nginx (deploy/nginx/presence-web.conf) and the
        page connects over wss:// on the same origin by itself; bob, on the plain page, sees her;
        then bob signs out (a clean close)."""
        with Stack.run(USERS, BRIDGE_OPTIONS) as stack:
            secure_url = stack.start_proxy()
            alice = chromium(stack.folder, "alice", trust_any_certificate=True)
            try:
                bob = chromium(stack.folder, "bob")
                try:
                    sign_in(alice, secure_url, "alice")
                    self.assertEqual(alice.execute_script("return location.protocol"), "https:")
                    sign_in(bob, stack.page_url, "bob")
                    add_contact(bob, "alice")
                    add_contact(alice, "bob")
                    wait_row(bob, "alice", "online through the proxy", status_is("online"))
                    wait_row(alice, "bob", "online, seen through the proxy", status_is("online"))

                    # bob signs out: a clean close, offline with his session and no "lost".
                    bob.find_element(By.ID, "sign-out").click()
                    wait_row(alice, "bob", "offline after signing out",
                             lambda r: status_is("offline")(r) and text_of(r, ".last-seen") == "last seen Just now")
                    state = json.loads(subprocess.run(
                        ["mosquitto_sub", "-p", str(stack.mqtt_port), "-u", "bob", "-P", USERS["bob"],
                         "-t", "presence/v1/in/bob/+/state", "-C", "1", "-W", "20"],
                        check=True, capture_output=True, text=True).stdout)
                    self.assertEqual(state["status"], "offline")
                    self.assertNotIn("reason", state, "a clean close is not a will")
                    self.assertEqual(len(state["session"]), 12)
                finally:
                    bob.quit()
            finally:
                alice.quit()
            # nginx logs the WebSocket's request when it ends, which alice's quitting did.
            access = pathlib.Path(stack.folder, "nginx", "access.log")
            wait_for(lambda: '"GET /mqtt HTTP/1.1" 101' in access.read_text(), "the WebSocket in nginx's access log")

    def scenario(self, stack, alice, bob):
        sign_in(alice, stack.page_url, "alice")
        sign_in(bob, stack.page_url, "bob")
        add_contact(alice, "bob")
        add_contact(bob, "alice")

        # They see each other come online, with the device.
        wait_row(alice, "bob", "online", status_is("online"))
        seen = wait_row(bob, "alice", "online with a web device",
                        lambda r: status_is("online")(r) and "(web): online" in text_of(r, ".devices"))
        self.assertEqual(text_of(seen, ".dot"), "🟢")

        # alice's tab goes to the background, then comes back; then her window loses the focus.
        set_tab_hidden(alice, True)
        seen = wait_row(bob, "alice", "away while her tab is hidden", status_is("away"))
        self.assertEqual(text_of(seen, ".dot"), "🟡")
        set_tab_hidden(alice, False)
        wait_row(bob, "alice", "online again", status_is("online"))
        set_window_focused(alice, False)
        wait_row(bob, "alice", "away while her window is unfocused", status_is("away"))
        set_window_focused(alice, True)
        wait_row(bob, "alice", "online again", status_is("online"))

        # Her own status switch.
        Select(alice.find_element(By.NAME, "status")).select_by_value("away")
        wait_row(bob, "alice", "away by her own switch", status_is("away"))
        Select(alice.find_element(By.NAME, "status")).select_by_value("online")
        wait_row(bob, "alice", "online by her own switch", status_is("online"))

        # alice types: bob (her contact, the conversation's member) sees it.
        alice.find_element(By.NAME, "message").send_keys("hello bob")
        wait_row(bob, "alice", "typing", lambda r: text_of(r, ".activity") == "Typing…")
        self.shot(bob, "bob-sees-alice-typing")

        # Privacy: the field goes at once (long before the 30 s lease), and comes back.
        set_privacy(alice, "showActivity", "nobody")
        wait_row(bob, "alice", "no activity field", lambda r: text_of(r, ".activity") == "" and status_is("online")(r))
        set_privacy(alice, "showActivity", "everyone")
        wait_row(bob, "alice", "typing shown again", lambda r: text_of(r, ".activity") == "Typing…")
        alice.find_element(By.ID, "send").click()
        wait_row(bob, "alice", "idle after sending", lambda r: text_of(r, ".activity") == "")
        set_privacy(alice, "showOnlineStatus", "nobody")
        seen = wait_row(bob, "alice", "status hidden", status_is("hidden"))
        self.assertEqual(text_of(seen, ".devices"), "", "the devices go with the status")
        set_privacy(alice, "showOnlineStatus", "everyone")
        wait_row(bob, "alice", "status shown again", status_is("online"))
        self.assertEqual(Select(alice.find_element(By.NAME, "showLastSeen")).first_selected_option.get_attribute("value"),
                         "contacts", "the settings not changed keep their values")
        self.shot(alice, "alice-privacy-and-contacts")

        # Block and unblock.
        wait_row(alice, "bob", "a block button", lambda r: r.find_element(By.CSS_SELECTOR, ".block").text == "Block")
        row(alice, "bob").find_element(By.CSS_SELECTOR, ".block").click()
        wait_row(bob, "alice", "nothing but her name once blocked", status_is("hidden"))
        wait_row(alice, "bob", "an unblock button", lambda r: r.find_element(By.CSS_SELECTOR, ".block").text == "Unblock")
        row(alice, "bob").find_element(By.CSS_SELECTOR, ".block").click()
        wait_row(bob, "alice", "online once unblocked", status_is("online"))

        # The broker restarts: the pages reconnect by themselves, each with a new session, and
        # restore their presence; what alice chose while she was cut off is what bob sees then.
        stack.stop_broker()
        connection_is(alice, "reconnecting")
        Select(alice.find_element(By.NAME, "status")).select_by_value("away")
        stack.start_broker()
        connection_is(alice, "connected")
        wait_row(bob, "alice", "away, chosen while the broker was down", status_is("away"))
        Select(alice.find_element(By.NAME, "status")).select_by_value("online")
        wait_row(bob, "alice", "online over the new connection", status_is("online"))

        # Lengths: the SDK and the bridge count the same characters (grapheme clusters). 256
        # families (5 code points, 8 UTF-16 units each) are a reason the bridge takes; the SDK
        # refuses 257, and so does the bridge when another client sends them.
        family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"
        alice.execute_script("window.presenceDevice.busy(arguments[0].repeat(256), {ttl: 0})", family)
        wait_row(bob, "alice", "busy with 256 families", lambda r: text_of(r, ".activity") == "Busy: " + family * 256)
        refused = alice.execute_script(
            "try { window.presenceDevice.busy(arguments[0].repeat(257)); return null; }"
            " catch (error) { return error.name + ': ' + error.message; }", family)
        self.assertEqual(refused, 'PresenceInputError: "reason" is longer than 256 characters')
        subprocess.run(["mosquitto_pub", "-p", str(stack.mqtt_port), "-u", "alice", "-P", USERS["alice"],
                        "-t", "presence/v1/in/alice/cli/activity", "-m", json.dumps({"type": "busy", "reason": family * 257})],
                       check=True)
        WebDriverWait(alice, WAIT).until(
            lambda d: '"reason" is longer than 256 characters' in d.find_element(By.ID, "errors").get_attribute("textContent"),
            "the bridge's error for 257 families on alice's page")
        alice.execute_script("window.presenceDevice.idle()")
        wait_row(bob, "alice", "idle", lambda r: text_of(r, ".activity") == "")

        # A list the bridge rejects (its --max-list is 3): the error reaches the page.
        for other in ["carol", "dave", "erin"]:
            add_contact(alice, other)
        WebDriverWait(alice, WAIT).until(
            lambda d: "over the limit of 3" in d.find_element(By.ID, "errors").get_attribute("textContent"),
            "the bridge's error on alice's page")

        # alice closes her tab: no clean close, so her will speaks; offline after the grace.
        page = alice.current_window_handle
        alice.switch_to.new_window("tab")
        other = alice.current_window_handle
        alice.switch_to.window(page)
        closed_at = time.monotonic()
        alice.close()
        alice.switch_to.window(other)
        seen = wait_row(bob, "alice", "offline after the grace", status_is("offline"))
        self.assertGreaterEqual(time.monotonic() - closed_at, GRACE, "not before the offline grace")
        self.assertEqual(text_of(seen, ".dot"), "⚫")
        self.assertEqual(text_of(seen, ".last-seen"), "last seen Just now")
        self.assertEqual(text_of(seen, ".devices"), "")
        self.shot(bob, "bob-sees-alice-offline")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", help="folder for the screenshots (default .build/browser-screenshots)")
    options, rest = parser.parse_known_args()
    if options.screenshots:
        PresencePageTests.screenshots = pathlib.Path(options.screenshots).resolve()
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
