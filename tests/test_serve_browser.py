"""`bulletin serve` end to end: a real headless Chromium (Debian's, driven by Playwright) against the
app on a free loopback port, with the real background renderer."""
from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path

import pdfplumber
import pytest

from .conftest import SAMPLE
from .editorserver import CHROMIUM, chromium, running_editor

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (bash scripts/install.sh --browser)", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from bulletin.serve.document import parse  # noqa: E402

SERIES = ["t-edit", "t-add", "t-import", "t-pdf", "t-conflict", "t-field", "t-undo", "t-draft"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "issues"
    with running_editor(root, SERIES) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 950}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors


def open_editor(page, server, series):
    page.goto(f"{server['url']}/edit/{series}/2021-07")
    page.wait_for_selector("#pages img", timeout=60_000)
    return server["root"] / series / "2021-07" / "issue.md"


def wait_for_new_preview(page, version: str | None, timeout=30_000):
    expect(page.locator("#pages")).not_to_have_attribute("data-version", version or "", timeout=timeout)
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=timeout)


def first_page_png(page, server, series) -> bytes:
    version = page.get_attribute("#pages", "data-version")
    return page.request.get(f"{server['url']}/pages/{series}/2021-07/{version}/1.png").body()


def test_list_shows_the_issues_with_their_check_status(page, server):
    page.goto(server["url"] + "/")
    row = page.locator("section.series", has_text="t-edit").locator("tr[data-issue='2021-07']")
    expect(row).to_contain_text("2021-07-30")
    expect(row).to_contain_text("无问题")
    page.goto(server["url"] + "/?lang=en")
    expect(page.locator("header h1")).to_have_text("Bulletin editor")


def test_typing_changes_the_file_and_the_preview(page, server):
    file = open_editor(page, server, "t-edit")
    before = first_page_png(page, server, "t-edit")
    area = page.locator("textarea[data-field='body']")
    delays = []
    for n, words in enumerate(["浏览器中新加的一句话。", "又加一句。", "再加一句。"]):
        version = page.get_attribute("#pages", "data-version")
        area.press("Control+End")
        area.type(words, delay=20)
        wait_for_new_preview(page, version)
        delays.append((int(page.get_attribute("#pages", "data-shown-at"))
                       - int(page.get_attribute("body", "data-last-input"))) / 1000)
    text = file.read_text(encoding="utf-8")
    assert "浏览器中新加的一句话。又加一句。再加一句。" in text
    assert first_page_png(page, server, "t-edit") != before  # the first page shows the new words
    print(f"\npreview refresh after typing stops: median {statistics.median(delays):.2f} s {delays}")
    # only the edited line changed on disk
    original = (SAMPLE / "issue.md").read_text(encoding="utf-8").splitlines()
    changed = [a for a, b in zip(original, text.splitlines()) if a != b]
    assert len(text.splitlines()) == len(original) and len(changed) == 1


def test_add_an_article_and_reorder(page, server):
    file = open_editor(page, server, "t-add")
    page.click("button.add-article[data-section='0']")
    title = page.locator("textarea[data-field='title']")
    title.fill("浏览器新增的文章")
    page.locator("textarea[data-field='body']").fill("这是新文章的正文。")
    page.locator("input[data-field='byline']").fill("编辑部")
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    doc = parse(file.read_text(encoding="utf-8"))
    assert [a.title for a in doc.sections[0].articles][-1] == "浏览器新增的文章"
    assert doc.sections[0].articles[-1].byline == "编辑部"
    # move it up above the section's first article
    version = page.get_attribute("#pages", "data-version")
    page.locator("li[data-article='0/1'] button.up").click()
    wait_for_new_preview(page, version)
    doc = parse(file.read_text(encoding="utf-8"))
    assert [a.title for a in doc.sections[0].articles] == ["浏览器新增的文章", "2021中国信息通信业高层论坛8月25日在京举行"]
    # and move the lead article into the last section
    page.locator("li[data-article='-1/0'] select").select_option("4")
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(1.0)
    doc = parse(file.read_text(encoding="utf-8"))
    assert not doc.lead and doc.sections[4].articles[-1].title == "山西省通信管理局领导赴山西省通信行协调研指导工作"


def test_delete_and_undo(page, server):
    file = open_editor(page, server, "t-undo")
    original = file.read_text(encoding="utf-8")
    page.locator("li[data-article='2/0'] button.del").click()
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.8)
    assert len(parse(file.read_text(encoding="utf-8")).sections[2].articles) == 1
    page.click("#undo")
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.8)
    assert file.read_text(encoding="utf-8") == original


def test_import_a_word_article_into_a_section(page, server, tmp_path):
    from docx import Document

    docx = Document()
    heading = docx.add_paragraph()
    run = heading.add_run("省协会召开会员大会")
    run.bold = True
    docx.add_paragraph("7月28日，省通信行业协会在太原召开第五次会员大会。")
    docx.add_paragraph("（行协）")
    path = tmp_path / "article.docx"
    docx.save(path)
    file = open_editor(page, server, "t-import")
    page.select_option("#import-section", "3")
    page.set_input_files("#import-file", str(path))
    page.click("#import-button")
    expect(page.locator("#banner")).to_contain_text("导入 1 篇", timeout=30_000)
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.8)
    doc = parse(file.read_text(encoding="utf-8"))
    imported = doc.sections[3].articles[-1]
    assert (imported.title, imported.byline) == ("省协会召开会员大会", "行协")
    assert "第五次会员大会" in imported.body


def test_download_the_pdf_with_the_new_text(page, server):
    open_editor(page, server, "t-pdf")
    version = page.get_attribute("#pages", "data-version")
    page.locator("input[data-field='kicker']").fill("本期特稿")
    wait_for_new_preview(page, version)
    with page.expect_download() as download:
        page.click("#download")
    data = Path(download.value.path()).read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert "本期特稿" in pdf.pages[0].extract_text()


def test_an_edit_on_disk_meanwhile_is_not_overwritten(page, server):
    file = open_editor(page, server, "t-conflict")
    external = file.read_text(encoding="utf-8").replace("迄今已是第十八届。", "迄今已是第十八届（外部修改）。")
    file.write_text(external, encoding="utf-8")
    page.locator("textarea[data-field='body']").type("浏览器的修改。")
    expect(page.locator("#banner")).to_contain_text("已在别处修改", timeout=30_000)
    time.sleep(1.0)
    assert file.read_text(encoding="utf-8") == external  # the browser's edit did not overwrite it
    page.click("#reload")
    expect(page.locator("#banner")).to_be_hidden()
    page.locator("li[data-article='0/0'] .t").click()
    expect(page.locator("textarea[data-field='body']")).to_have_value(
        parse(external).sections[0].articles[0].body)


def test_a_wrong_value_is_shown_at_its_field_and_not_saved(page, server):
    file = open_editor(page, server, "t-field")
    before = file.read_text(encoding="utf-8")
    page.locator("input[data-field='front-print_run']").fill("0")
    expect(page.locator("input[data-field='front-print_run']")).to_have_class("invalid", timeout=30_000)
    expect(page.locator(".field-error")).to_contain_text("数值太小")
    expect(page.locator("#save-state")).to_contain_text("未保存")
    assert file.read_text(encoding="utf-8") == before
    page.locator("input[data-field='front-print_run']").fill("300")
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.5)
    assert "print_run: 300" in file.read_text(encoding="utf-8")


def test_the_draft_checkbox_writes_the_flag(page, server):
    file = open_editor(page, server, "t-draft")
    box = page.locator("input[data-field='front-draft']")
    expect(box).not_to_be_checked()
    box.check()
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.5)
    assert "\ndraft: true\n" in file.read_text(encoding="utf-8")
    box.uncheck()
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    time.sleep(0.5)
    assert "draft:" not in file.read_text(encoding="utf-8")
