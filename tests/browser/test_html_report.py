"""The HTML report in a real browser (Debian's headless Chromium): it loads with no console message, its
filters, per-sheet views, sorting and keyboard use work, workbook text stays inert, and screenshots at two
widths are kept (git-ignored) for a person to check."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from crfmap.cli import main
from tests.browser.chromium import console_problems, save_screenshot
from tests.e2e.reference import CLEAN, FIXTURES, STUDY

MESSY = FIXTURES / "messy.xlsx"


def make_report(workbook: Path, folder: Path, *extra: str) -> tuple[Path, dict]:
    """The HTML report and, from the same run's JSON, the issues it must show."""
    report = folder / "report.html"
    runner = CliRunner()
    shown = runner.invoke(main, ["validate", str(workbook), "--study", str(STUDY), "--report", str(report),
                                 "--format", "json", *extra])
    assert shown.exit_code in (0, 1), shown.output
    return report, json.loads(shown.stdout)


def visible_rows(browser) -> list:
    from selenium.webdriver.common.by import By

    return [row for row in browser.find_elements(By.CSS_SELECTOR, "#issue-table tbody tr[data-severity]")
            if row.is_displayed()]


def test_messy_report_loads_cleanly_and_filters_work(open_browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    report, data = make_report(MESSY, tmp_path)
    issues = data["issues"]
    with open_browser() as browser:
        browser.get(report.as_uri())
        assert browser.title == "crfmap report: messy.xlsx"
        assert console_problems(browser) == []
        assert len(visible_rows(browser)) == len(issues) == 19
        status = browser.find_element(By.ID, "shown")
        assert status.text == "19 of 19 issues shown"
        # severity
        Select(browser.find_element(By.ID, "f-severity")).select_by_value("error")
        assert len(visible_rows(browser)) == sum(issue["severity"] == "error" for issue in issues) == 13
        # a per-sheet view on top of it
        browser.find_element(By.CSS_SELECTOR, 'button[data-view="НЯ"]').click()
        rows = visible_rows(browser)
        assert {row.get_attribute("data-sheet") for row in rows} == {"НЯ"}
        assert len(rows) == sum(issue["sheet"] == "НЯ" and issue["severity"] == "error" for issue in issues)
        assert browser.execute_script("return location.hash") == "#sheet=%D0%9D%D0%AF"
        # code and free text
        browser.find_element(By.ID, "f-reset").click()
        assert len(visible_rows(browser)) == 19
        Select(browser.find_element(By.ID, "f-code")).select_by_value("S112")
        assert [row.find_element(By.CSS_SELECTOR, 'td[data-label="Cell"]').text for row in visible_rows(browser)] \
            == ["G13", "D33"]
        browser.find_element(By.ID, "f-reset").click()
        browser.find_element(By.ID, "f-text").send_keys("Тремр")
        rows = visible_rows(browser)
        assert len(rows) == 1 and "S104" in rows[0].text
        assert browser.find_element(By.ID, "shown").text == "1 of 19 issues shown"
        assert console_problems(browser) == []
        browser.find_element(By.ID, "f-reset").click()
        save_screenshot(browser, "report", 1280)
    with open_browser(width=420) as narrow:
        narrow.get(report.as_uri())
        assert console_problems(narrow) == []
        assert narrow.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        save_screenshot(narrow, "report", 420)


def test_per_sheet_view_opens_from_its_link(open_browser, tmp_path):
    report, _ = make_report(MESSY, tmp_path)
    with open_browser() as browser:
        browser.get(report.as_uri() + "#sheet=" + "%D0%A2%D0%B5%D1%80%D0%B0%D0%BF%D0%B8%D1%8F")  # Терапия
        rows = visible_rows(browser)
        assert len(rows) == 4 and {row.get_attribute("data-sheet") for row in rows} == {"Терапия"}


def test_sorting_by_a_column_and_back(open_browser, tmp_path):
    from selenium.webdriver.common.by import By

    report, _ = make_report(MESSY, tmp_path)
    with open_browser() as browser:
        browser.get(report.as_uri())
        reading_order = [row.get_attribute("data-code") for row in visible_rows(browser)]
        header = browser.find_element(By.XPATH, "//th[button[text()='Code']]")
        header.find_element(By.TAG_NAME, "button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        codes = [row.get_attribute("data-code") for row in visible_rows(browser)]
        assert codes == sorted(reading_order)
        header.find_element(By.TAG_NAME, "button").click()
        assert header.get_attribute("aria-sort") == "descending"
        assert [row.get_attribute("data-code") for row in visible_rows(browser)] == sorted(reading_order,
                                                                                          reverse=True)
        sheet = browser.find_element(By.XPATH, "//th[button[text()='Sheet']]")
        sheet.find_element(By.TAG_NAME, "button").click()
        assert [row.get_attribute("data-code") for row in visible_rows(browser)] == reading_order


def test_keyboard_reaches_the_views_and_filters(open_browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    report, _ = make_report(MESSY, tmp_path)
    with open_browser() as browser:
        browser.get(report.as_uri())
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)  # the skip link comes first
        assert browser.switch_to.active_element.text == "Skip to the issues"
        reached = []
        for _ in range(40):
            browser.switch_to.active_element.send_keys(Keys.TAB)
            element = browser.switch_to.active_element
            reached.append(element.get_attribute("data-view") if element.get_attribute("data-view") is not None
                           else element.get_attribute("id"))
            if element.get_attribute("data-view") == "НЯ":
                element.send_keys(Keys.ENTER)
                break
        assert "" in reached  # the "All sheets" view
        assert {row.get_attribute("data-sheet") for row in visible_rows(browser)} == {"НЯ"}
        pressed = browser.find_element(By.CSS_SELECTOR, 'button[data-view="НЯ"]').get_attribute("aria-pressed")
        assert pressed == "true"


def test_workbook_text_stays_text(open_browser, tmp_path):
    """Cell values are the site's: markup in them is shown, never run."""
    from selenium.webdriver.common.by import By

    book = openpyxl.load_workbook(CLEAN)
    book["Adverse events"]["B2"] = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>'
    book["Adverse events"]["L3"] = "</td></tr></table><b id=injected>x</b>"
    planted = tmp_path / "planted.xlsx"
    book.save(planted)
    report, data = make_report(planted, tmp_path)
    with open_browser() as browser:
        browser.get(report.as_uri())
        assert browser.execute_script("return window.hacked === undefined")
        assert browser.find_elements(By.ID, "injected") == []
        values = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, 'td[data-label="Value"]')]
        assert '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>' in values
        assert len(visible_rows(browser)) == len(data["issues"])
        assert console_problems(browser) == []


def test_contrast_of_text_meets_wcag_aa(open_browser, tmp_path):
    """Every text element of the page, against the background it sits on, has a contrast of 4.5:1 or more."""
    report, _ = make_report(MESSY, tmp_path)
    with open_browser() as browser:
        browser.get(report.as_uri())
        pairs = browser.execute_script(CONTRAST_PAIRS)
    assert pairs, "no text found"
    low = [(text, ratio) for text, ratio in ((text, contrast(fg, bg)) for text, fg, bg in pairs) if ratio < 4.5]
    assert low == []


CONTRAST_PAIRS = """
function rgb(text) { return text.match(/[0-9.]+/g).slice(0, 4).map(Number); }
function background(element) {
  for (var node = element; node; node = node.parentElement) {
    var colour = rgb(getComputedStyle(node).backgroundColor);
    if (colour.length < 4 || colour[3] > 0) { return colour.slice(0, 3); }
  }
  return [255, 255, 255];
}
var seen = [];
document.querySelectorAll('body *').forEach(function (element) {
  var own = Array.prototype.some.call(element.childNodes, function (node) {
    return node.nodeType === 3 && node.textContent.trim(); });
  if (!own || !element.getClientRects().length) { return; }
  seen.push([element.textContent.trim().slice(0, 40), rgb(getComputedStyle(element).color).slice(0, 3),
             background(element)]);
});
return seen;
"""


def contrast(foreground: list[float], background: list[float]) -> float:
    def luminance(colour: list[float]) -> float:
        channels = [value / 255 for value in colour]
        linear = [value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4 for value in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("width", [1280, 420])
def test_print_layout_hides_the_controls(open_browser, tmp_path, width):
    from selenium.webdriver.common.by import By

    report, _ = make_report(MESSY, tmp_path)
    with open_browser(width=width) as browser:
        browser.get(report.as_uri())
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not browser.find_element(By.CSS_SELECTOR, ".controls").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, ".views").is_displayed()
        assert len(visible_rows(browser)) == 19
