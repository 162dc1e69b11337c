"""End to end, as a person uses it: the web app on 127.0.0.1 driven by Playwright in Debian's Chromium.

Type a request, wait for the cards, click 👎 on one (the other four stay in place), ask about one (the
cards stay), ask again: that movie is gone. A second browser is another visitor with its own (empty) memory;
a reload keeps the visitor. One reset control. Saves the screenshot shown in the README (docs/screenshot.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CRSAGENT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshot.png"
NO_CHROMIUM = (
    "Debian's chromium is not installed (`make dev` installs it as root; without root run "
    "`sudo apt-get install chromium`)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright; skips outside CI when Chromium is missing."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {NO_CHROMIUM}", pytrace=False)
        pytest.skip(NO_CHROMIUM)
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        yield b
        b.close()


def card_ids(page: Any) -> list[int]:
    return [
        int(x) for x in page.eval_on_selector_all(".rec-card-body", "els => els.map(e => e.dataset.itemId)")
    ]


def wait_turn(page: Any, turn: int) -> None:
    """Wait for the cards of the conversation's ``turn``-th answer."""
    page.wait_for_selector(f'#card-0 .rec-card-body[data-turn="{turn}"]', timeout=30_000)


def send(page: Any, text: str) -> None:
    page.locator("#msg textarea").fill(text)
    page.locator("#send").click()


def test_dislike_in_the_browser_removes_the_movie(browser: Any, web_url: str) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 940})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(web_url)
    page.wait_for_selector("#msg textarea", timeout=30_000)

    send(page, "A funny sci-fi movie from the 90s, no horror")
    wait_turn(page, 1)
    first = card_ids(page)
    titles = page.locator("#rec-grid .rec-title").all_inner_texts()
    assert len(first) == 5 and len(titles) == 5
    assert page.locator("#msg textarea").input_value() == ""  # the box clears for the next message
    assert page.get_by_text("plan / tools").count() >= 1  # the collapsible tool steps
    assert page.locator("#chips button", has_text="no horror").count() == 1

    page.locator("#card-2-dislike").click()  # 👎 on the third card
    wait_turn(page, 2)
    gone = first[2]
    after = card_ids(page)
    assert gone not in after and len(after) == 5
    assert [after[k] for k in (0, 1, 3, 4)] == [first[k] for k in (0, 1, 3, 4)]  # the other four stay
    assert page.locator("#chips button", has_text=titles[2]).count() == 1  # shown as a dislike

    send(page, "who directed the second one?")  # a question about a card: the cards stay
    wait_turn(page, 3)
    assert card_ids(page) == after
    page.get_by_text("directed by").last.wait_for(timeout=10_000)

    send(page, "more please")  # ask again: the movie stays gone
    wait_turn(page, 4)
    assert card_ids(page) and gone not in card_ids(page)

    page.locator("#chips button", has_text="no horror").click()  # one click removes a constraint
    page.wait_for_function(
        "() => ![...document.querySelectorAll('#chips button')].some(b => b.offsetParent && b.innerText.includes('no horror'))",
        timeout=15_000,
    )
    assert not errors, errors
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.mouse.move(2, 2)  # no hover highlight in the picture
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000
    page.close()


def test_example_too_long_message_and_new_conversation(browser: Any, web_url: str, settings: Any) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(web_url)
    page.wait_for_selector("#msg textarea", timeout=30_000)
    page.get_by_text("A feel-good animated film").click()  # an example in the empty chat starts a turn
    wait_turn(page, 1)
    assert "animation" in page.locator("#card-0 .rec-tags").inner_text()

    send(page, "a" * (settings.max_message_chars + 1))
    page.get_by_text(f"the limit is {settings.max_message_chars:,}").wait_for(timeout=15_000)
    assert page.locator("#card-0 .rec-card-body").get_attribute("data-turn") == "1"  # nothing was sent

    page.locator("#detail label").filter(has_text="full").click()  # explanation detail re-renders the cards
    page.wait_for_selector("#card-0 .rec-score", timeout=10_000)

    page.locator("#new-conversation").click()
    page.locator("#card-0").wait_for(state="hidden", timeout=10_000)
    assert (
        page.get_by_text("the limit is").count() == 0 and page.locator("#chips button:visible").count() == 0
    )
    page.close()


def test_each_browser_is_a_visitor_with_its_own_memory(browser: Any, web_url: str) -> None:
    one = browser.new_context(viewport={"width": 1200, "height": 800})
    page = one.new_page()
    page.goto(web_url)
    page.wait_for_selector("#msg textarea", timeout=30_000)
    assert page.locator("#user input").input_value() == ""  # no shared "guest"
    send(page, "A funny sci-fi movie from the 90s, no horror")
    wait_turn(page, 1)
    title = page.locator("#card-0 .rec-title").inner_text()
    page.locator("#card-0-dislike").click()
    wait_turn(page, 2)
    assert page.locator("#chips button", has_text=title).count() == 1

    two = browser.new_context(viewport={"width": 1200, "height": 800})  # another browser: empty memory
    other = two.new_page()
    other.goto(web_url)
    other.wait_for_selector("#msg textarea", timeout=30_000)
    assert other.locator("#chips button:visible").count() == 0
    send(other, "A funny sci-fi movie from the 90s, no horror")
    wait_turn(other, 1)
    chips = other.locator("#chips button:visible").all_inner_texts()
    assert chips and not any("👎" in c or "👍" in c or title in c for c in chips), chips
    two.close()

    page.reload()  # the same browser again: the same visitor, whose dislike is remembered
    page.wait_for_selector("#msg textarea", timeout=30_000)
    send(page, "A funny sci-fi movie from the 90s, no horror")
    wait_turn(page, 1)
    remembered = page.locator("#chips button", has_text=title)
    assert remembered.count() == 1 and "from earlier" in remembered.inner_text()
    one.close()


def test_one_reset_control_starts_a_new_conversation(browser: Any, web_url: str) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(web_url)
    page.wait_for_selector("#msg textarea", timeout=30_000)
    send(page, "a western")
    wait_turn(page, 1)
    send(page, "more please")
    wait_turn(page, 2)
    # one visible reset control: the chat's own 🗑 is hidden (it would clear the text only)
    assert page.locator("#chat button[aria-label='Clear']").count() == 1
    assert page.locator("#chat button[aria-label='Clear']:visible").count() == 0
    assert page.locator("#new-conversation:visible").count() == 1
    assert page.locator("#chat [data-testid='user']").count() == 2
    page.locator("#new-conversation").click()
    page.locator("#card-0").wait_for(state="hidden", timeout=10_000)
    assert page.locator("#chips button:visible").count() == 0
    assert page.locator("#chat [data-testid='user']").count() == 0
    send(page, "a western")  # a new session: its first turn
    wait_turn(page, 1)
    page.close()


def test_with_a_login_the_user_is_the_login_name(
    browser: Any, launch_web: Any, settings: Any, service: Any
) -> None:
    from pydantic import SecretStr

    secured = settings.model_copy(update={"ui_user": "ada", "ui_password": SecretStr("s3cret")})
    url = launch_web(secured)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(url)
    page.locator("input").first.wait_for(timeout=30_000)
    page.locator("input[type='text'], input:not([type])").first.fill("ada")
    page.locator("input[type='password']").fill("s3cret")
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#msg textarea", timeout=30_000)
    name = page.locator("#user input")
    page.wait_for_function(
        "() => document.querySelector('#user input') && document.querySelector('#user input').value === 'ada'",
        timeout=15_000,
    )
    assert name.is_disabled()  # the login is who you are; no name to type
    send(page, "a western")
    wait_turn(page, 1)
    gone = card_ids(page)[0]
    page.locator("#card-0-dislike").click()
    wait_turn(page, 2)
    if service.memory is not None:  # the 👎 is remembered for the login name
        profile = service.memory.structured("ada")
        assert gone in profile["disliked"] + profile["rejected"], profile
    page.close()
