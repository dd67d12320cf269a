"""`crfmap serve` in a real browser: choose the workbook and the study, get the HTML report, download the
annotated copy and the outputs, with no console message on any page."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl

from tests.browser.chromium import console_problems, save_screenshot
from tests.e2e.reference import FIXTURES, STUDY
from tests.web.server import LoopbackServer

DOWNLOAD_GUARD_SECONDS = 60  # hang guards, not speed targets
PAGE_GUARD_SECONDS = 60


def submit_and_wait(browser, title: str) -> None:
    """Submit the form and wait until the answer's page has loaded (a click does not wait for navigation)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, PAGE_GUARD_SECONDS).until(
        lambda driver: driver.title == title and driver.execute_script("return document.readyState") == "complete")


def wait_for_file(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + DOWNLOAD_GUARD_SECONDS
    while time.monotonic() < deadline:
        found = [path for path in folder.glob(name) if not path.name.endswith(".crdownload")]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded within {DOWNLOAD_GUARD_SECONDS} s: {list(folder.iterdir())}")


def test_upload_report_and_downloads(open_browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with LoopbackServer(tmp_path / "server-tmp") as server, open_browser(downloads=downloads) as browser:
        browser.get(server.base + "/")
        assert console_problems(browser) == []
        offered = Select(browser.find_element(By.ID, "study"))
        studies = sorted(folder.name for folder in STUDY.parent.iterdir() if (folder / "study.yaml").is_file())
        assert [option.text for option in offered.options] == studies  # every study of the mappings folder
        offered.select_by_visible_text(STUDY.name)
        browser.find_element(By.ID, "workbook").send_keys(str(FIXTURES / "messy.xlsx"))
        assert browser.find_element(By.ID, "chosen").text == "messy.xlsx"
        browser.find_element(By.CSS_SELECTOR, 'input[name="convert"]').click()
        browser.find_element(By.CSS_SELECTOR, 'input[name="allow_errors"]').click()
        browser.find_element(By.CSS_SELECTOR, 'input[name="allow_unmapped"]').click()
        # SDTM refuses the messy fixture (subjects missing from DM, W066): FHIR only, with its NDJSON option
        browser.find_element(By.CSS_SELECTOR, 'input[name="to"][value="sdtm"]').click()
        browser.find_element(By.CSS_SELECTOR, 'input[name="option"][value="fhir.ndjson"]').click()
        save_screenshot(browser, "serve-upload", 1280)
        submit_and_wait(browser, "crfmap report: messy.xlsx")
        assert "/runs/" in browser.current_url
        rows = browser.find_elements(By.CSS_SELECTOR, "#issue-table tbody tr[data-severity]")
        assert len(rows) > 19  # the validation issues and what convert adds (left-out rows)
        assert console_problems(browser) == []
        links = {link.text: link for link in browser.find_elements(By.CSS_SELECTOR, ".downloads a")}
        assert set(links) >= {"Annotated workbook (.xlsx)", "Report (.xlsx)", "Report (JSON)", "Outputs (.zip)"}
        links["Annotated workbook (.xlsx)"].click()
        annotated = wait_for_file(downloads, "messy.annotated.xlsx")
        book = openpyxl.load_workbook(annotated)
        assert book.sheetnames[0] == "crfmap issues" and "НЯ" in book.sheetnames
        links["Outputs (.zip)"].click()
        outputs = wait_for_file(downloads, "messy.outputs.zip")
        names = zipfile.ZipFile(outputs).namelist()
        assert names and all(name.startswith("fhir/") for name in names) and "fhir/Patient.ndjson" in names
        save_screenshot(browser, "serve-report", 1280)
        browser.find_element(By.LINK_TEXT, "Check another workbook").click()
        assert browser.find_element(By.ID, "workbook").is_displayed()
        assert server.leftovers() == []  # the upload and its outputs were only in memory


def test_an_unreadable_upload_gets_a_page_that_says_why(open_browser, tmp_path):
    from selenium.webdriver.common.by import By

    fake = tmp_path / "notes.xlsx"
    fake.write_text("this is not a workbook", encoding="utf-8")
    with LoopbackServer(tmp_path / "server-tmp") as server, open_browser() as browser:
        browser.get(server.base + "/")
        browser.find_element(By.ID, "workbook").send_keys(str(fake))
        submit_and_wait(browser, "crfmap: could not check the workbook")
        assert browser.find_element(By.TAG_NAME, "h1").text == "The workbook could not be checked"
        problem = browser.find_element(By.CSS_SELECTOR, ".problem").text
        assert "R003" in problem or "R015" in problem
        # the page's own status (422) is the only thing the console mentions
        assert [entry for entry in console_problems(browser)
                if not (entry["source"] == "network" and "/runs - " in str(entry["message"]) and " 422 " in
                        str(entry["message"]))] == []
