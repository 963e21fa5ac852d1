"""`parlsearch serve` in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven by
Selenium, against the server running in this process on a free loopback port.

Accessibility: axe-core (the `axe-core-python` package of the `test` extra bundles its axe.min.js, so a
clean checkout installs it with the project) checks every state of the page against WCAG 2.0 and 2.1,
levels A and AA; any violation fails the test. It runs through WebDriver, which the pages' CSP (no script
at all) does not apply to.

Skipped only when Chromium or its driver is not installed locally; .ci/run installs both, so CI runs it.
"""
import re
import shutil
import threading
import urllib.parse

import pytest

pytest.importorskip("flask")
webdriver = pytest.importorskip("selenium.webdriver")
axe_selenium = pytest.importorskip("axe_core_python.selenium")

from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium "
                                       "chromium-driver)")

#: Upper bound for one page to load or one navigation to finish (a wait for a condition, not a sleep).
PAGE_TIMEOUT = 60
#: The WCAG levels checked: 2.0 and 2.1, A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def server(bundled_index):
    from parlsearch.search.web.app import create_app, make_server
    app = create_app(bundled_index)
    httpd = make_server(app, "127.0.0.1", 0)  # listening when it returns: no readiness race
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % httpd.server_port
    httpd.shutdown()
    thread.join()
    httpd.server_close()
    app.extensions["parlsearch"].close()


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--lang=fr"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    driver.set_script_timeout(PAGE_TIMEOUT)
    yield driver
    driver.quit()


def follow(browser, element):
    """Click a link or button and wait until the next page has replaced this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, PAGE_TIMEOUT).until(EC.staleness_of(old))
    WebDriverWait(browser, PAGE_TIMEOUT).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_search_facet_document_similar(server, browser, engine, tmp_path):
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"

    # Search a French phrase from the keyboard: type it, press Enter.
    box = browser.find_element(By.ID, "q")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=q]").text == "Rechercher"
    old = browser.find_element(By.TAG_NAME, "html")
    box.send_keys('"stationnement vélo"', Keys.ENTER)
    WebDriverWait(browser, PAGE_TIMEOUT).until(EC.staleness_of(old))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert query["q"] == ['"stationnement vélo"']  # the URL holds the query: a permalink
    expected = engine.search('"stationnement vélo"', limit=20)
    count = browser.find_element(By.CSS_SELECTOR, ".count").text
    assert count.startswith("%d résultat" % expected.total) and expected.total > 1
    marks = [m.text.lower() for m in browser.find_elements(By.CSS_SELECTOR, ".snippet mark")]
    assert "stationnement" in marks and "vélo" in marks

    # Apply the first minister facet: the list narrows to that minister's questions, and says so.
    facet = browser.find_element(By.CSS_SELECTOR, ".facet-minister li")
    link = facet.find_element(By.TAG_NAME, "a")
    minister, n = link.text, int(facet.find_element(By.CSS_SELECTOR, ".n").text)
    follow(browser, link)
    assert browser.find_element(By.CSS_SELECTOR, ".count").text.startswith("%d résultat" % n)
    assert minister in browser.find_element(By.CSS_SELECTOR, ".active").text
    metas = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".hit .meta")]
    assert len(metas) == n and all(minister in m for m in metas)

    # Open a result that has similar questions (similar lists only those close enough): its answer shows
    # the query's words highlighted.
    links = browser.find_elements(By.CSS_SELECTOR, ".hit h3 a")
    first = next(a for a in links if engine.similar(a.get_attribute("href").split("?")[0].rsplit("/", 1)[1]))
    title = first.text
    follow(browser, first)
    assert browser.current_url.split("?")[0].rsplit("/", 1)[1].startswith("PRB-")
    assert browser.find_element(By.CSS_SELECTOR, ".doc h1").text.endswith(title.split("…")[0][-20:])
    answer_marks = [m.text.lower() for m in browser.find_elements(By.CSS_SELECTOR, ".answer mark")]
    assert "stationnement" in answer_marks
    assert len(browser.find_elements(By.CSS_SELECTOR, ".answer p")) > 1  # paragraphs preserved
    browser.save_screenshot(str(tmp_path / "document.png"))

    # Follow a similar question.
    similar = browser.find_element(By.CSS_SELECTOR, ".similar li a")
    target = similar.get_attribute("href").rsplit("/", 1)[1]
    follow(browser, similar)
    assert browser.current_url.endswith("/doc/" + target)
    assert browser.find_element(By.CSS_SELECTOR, ".doc h1").text == engine.get(target).title

    shot = tmp_path / "serve.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_keyboard_reaches_the_query_box_first(server, browser):
    """Tab from the top of the page: the skip link, then (following it) the search box."""
    browser.get(server + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("href").endswith("#contenu")
    skip.send_keys(Keys.ENTER)
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "q"


def test_phone_width_has_one_column(server, browser):
    browser.set_window_size(390, 844)
    try:
        browser.get(server + "/?q=logement")
        results = browser.find_element(By.CSS_SELECTOR, ".results").rect
        facets = browser.find_element(By.CSS_SELECTOR, ".facets").rect
        assert facets["y"] >= results["y"] + results["height"]  # facets below, not squeezed beside
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= browser.execute_script("return window.innerWidth")  # no sideways scrolling
    finally:
        browser.set_window_size(1200, 900)


# -- accessibility ------------------------------------------------------------------------------------

#: The states of the page a reader meets, each a URL (a form submitted by GET is its URL).
STATES = {
    "home": "/",
    "results": "/?q=logement",
    "page 2": "/?q=logement&page=2",
    "filtered": "/?q=logement&status=answered&minister=clerfayt",
    "no result": "/?q=fusion+des+zones+de+police",
    "refused date": "/?q=logement&since=zzz",
    "refused query": "/?q=%22unbalanced",
    "document": "/doc/PRB-1-170115?q=stationnement+v%C3%A9lo",
    "similar to a document": "/similar?id=PRB-1-170115",
    "paste page": "/similar",
    "paste page, answered": "/similar?text=Quelle+est+la+fr%C3%A9quentation+du+tram+55+%3F",
    "paste page, nothing close": "/similar?text=zzzqx+wwwqy",
    "not found": "/doc/PRB-1-0",
}


@pytest.mark.parametrize("state", list(STATES))
def test_no_wcag_a_or_aa_violation(server, browser, state):
    browser.get(server + STATES[state])
    results = axe_selenium.Axe().run(browser, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    assert results["passes"]  # axe ran and checked something
    problems = ["%s (%s): %s" % (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
                for v in results["violations"]]
    assert not problems, problems


def _rgb(css_colour: str) -> tuple[float, ...]:
    return tuple(int(x) / 255 for x in re.findall(r"\d+", css_colour)[:3])


def _contrast(a: str, b: str) -> float:
    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    la, lb = sorted((luminance(_rgb(a)), luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_focus_ring_is_visible_where_it_is_drawn(server, browser):
    """WCAG 1.4.11 (3:1), as rendered: the ring of a focused filter chip's link against the chip, of the
    focused search box against the page."""
    cases = [("/?q=logement&status=answered", ".chip a", ".chip"),
             ("/?q=logement", "#q", "body")]
    for path, target, behind in cases:
        browser.get(server + path)
        element = browser.find_element(By.CSS_SELECTOR, target)
        browser.execute_script("arguments[0].focus()", element)
        ring = browser.execute_script("return getComputedStyle(arguments[0]).outlineColor", element)
        style = browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", element)
        background = browser.execute_script(
            "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor", behind)
        if background in ("rgba(0, 0, 0, 0)", "transparent"):
            background = "rgb(255, 255, 255)"
        assert style == "solid" and _contrast(ring, background) >= 3, (target, ring, background)
