"""`bulletin serve` as editors use it (issue 18): paste from Word/WPS/web, undo, never losing typing,
Ctrl+S and the history of saves, pictures by drag and drop, page ↔ article. A real headless
Chromium (Debian's, driven by Playwright) against the app with the real background renderer;
results are read back from issue.md and from the PDF the editor downloads."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pdfplumber
import pytest

from . import pdfcheck as pc
from .editorserver import CHROMIUM, chromium, running_editor

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (bash scripts/install.sh --browser)", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from bulletin.serve.document import parse  # noqa: E402

SERIES = ["p-html", "p-tabs", "p-draft", "p-undo", "p-bold", "p-history", "p-picture", "p-click", "p-fix", "p-list"]
# a paragraph of about two printed lines: the first line indented, the second not
FILLER = "会议要求各单位结合实际抓好落实，确保各项工作任务按期完成，取得实效。"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "issues"
    with running_editor(root, SERIES, status_cache=root.parent / "status.json") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 950}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    assert not errors, errors


def open_editor(page, server, series):
    page.goto(f"{server['url']}/edit/{series}/2021-07")
    page.wait_for_selector("#pages img", timeout=60_000)
    return server["root"] / series / "2021-07" / "issue.md"


def wait_file(file: Path, predicate, timeout=30.0) -> str:
    deadline = time.time() + timeout
    while True:
        text = file.read_text(encoding="utf-8")
        if predicate(text):
            return text
        if time.time() > deadline:
            raise AssertionError(f"issue.md never reached the expected state:\n{text[-1500:]}")
        time.sleep(0.1)


def paste(page, selector, html=None, plain=None):
    page.evaluate("""([selector, html, plain]) => {
        const target = document.querySelector(selector);
        target.focus();
        const data = new DataTransfer();
        if (html !== null) data.setData("text/html", html);
        if (plain !== null) data.setData("text/plain", plain);
        target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [selector, html, plain])


def new_article(page, title):
    page.click("button.add-article[data-section='0']")
    page.locator("textarea[data-field='title']").fill(title)
    page.locator("input[data-field='byline']").fill("测试")


def pdf_of(page, server, series, containing):
    """The PDF the editor downloads, once it is rendered from the saved file (it says `containing`)."""
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    deadline = time.time() + 60
    while True:
        response = page.request.get(f"{server['url']}/pdf/{series}/2021-07")
        assert response.ok
        pdf = pdfplumber.open(io.BytesIO(response.body()))
        if containing in pc.flow_text(pdf) or time.time() > deadline:
            return pdf
        time.sleep(0.3)


def paragraph_starts(pdf, title: str, end: str) -> list[str]:
    """The lines that start a paragraph (indented two characters) from a title to the line with `end`."""
    lines = pc.lines(pdf)
    first = next(n for n, ln in enumerate(lines) if ln.text == title)
    last = next(n for n in range(first + 1, len(lines)) if end in lines[n].text)  # a short （署名） ends the last line
    body = lines[first + 1:last + 1]
    left = min(ln.x0 for ln in body)
    return [ln.text for ln in body if ln.x0 > left + 0.8 * ln.size]


WORD_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">
<head><meta charset="utf-8"><style>p.MsoNormal {{ margin: 0cm; font-family: 仿宋; }}</style></head>
<body lang="ZH-CN"><!--StartFragment-->
<p class="MsoNormal" style="text-indent:32.0pt"><span style="font-family:仿宋">　　第一段：会议听取了工作汇报，<b>指出了存在的问题</b>。{f}</span><o:p></o:p></p>
<p class="MsoNormal"><span>&nbsp;</span><o:p></o:p></p>
<p class="MsoNormal" style="text-indent:32.0pt"><span style="font-family:仿宋">第二段：会议强调，
要<span style="font-weight:bold">　　压实责任</span>，{f}</span></p>
<p class="MsoNormal"><span style="mso-tab-count:1">\t</span><span>第三段：会议部署了下一步工作。{f}</span></p>
<p class="MsoNormal">　　第四段：会议号召全体干部职工担当作为。{f}</p>
<!--EndFragment--></body></html>""".format(f=FILLER)


def test_pasting_a_word_document_keeps_its_paragraphs_and_bold(page, server):
    file = open_editor(page, server, "p-html")
    new_article(page, "粘贴自文字处理软件的文章")
    plain = "\r\n".join(["　　第一段：……", "", "第二段：……", "\t第三段：……", "　　第四段：……"])
    paste(page, "textarea[data-field='body']", html=WORD_HTML, plain=plain)
    text = wait_file(file, lambda t: "第四段" in t)
    article = parse(text).sections[0].articles[-1]
    paragraphs = article.body.split("\n\n")
    assert [p[:3] for p in paragraphs] == ["第一段", "第二段", "第三段", "第四段"]
    assert "**指出了存在的问题**" in article.body and "**压实责任**" in article.body  # bold kept, spaces outside
    assert "会议强调，要" in article.body  # a line break in Word's HTML source joins, no space between Chinese
    pdf = pdf_of(page, server, "p-html", "第四段")
    starts = paragraph_starts(pdf, "粘贴自文字处理软件的文章", "（测试）")
    assert [s[:3] for s in starts] == ["第一段", "第二段", "第三段", "第四段"]
    assert "**" not in pc.flow_text(pdf)


def test_pasting_tab_indented_text_and_typing_on_is_saved(page, server):
    file = open_editor(page, server, "p-tabs")
    new_article(page, "粘贴缩进文字的文章")
    plain = "\n".join(f"\t第{n}段：{FILLER}" for n in "一二三") + "\n"
    paste(page, "textarea[data-field='body']", plain=plain)
    wait_file(file, lambda t: "第三段" in t)
    area = page.locator("textarea[data-field='body']")
    area.press("Control+End")
    area.type("\n\n\t\t第四段：缩进着打的字。", delay=10)  # typed with tabs: still saved
    text = wait_file(file, lambda t: "第四段：缩进着打的字。" in t)
    assert "\t" not in parse(text).sections[0].articles[-1].body
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    starts = paragraph_starts(pdf_of(page, server, "p-tabs", "缩进着打的字"), "粘贴缩进文字的文章", "（测试）")
    assert [s[:3] for s in starts] == ["第一段", "第二段", "第三段", "第四段"]


def test_closing_the_tab_with_unsaved_text_warns_and_the_draft_comes_back(context, server):
    page = context.new_page()
    file = open_editor(page, server, "p-draft")
    before = file.read_text(encoding="utf-8")
    # the server cannot be reached: nothing is saved, the draft stays in the browser
    page.route("**/api/issues/**", lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    area = page.locator("textarea[data-field='body']")
    area.press("Control+End")
    area.type("没有保存就关掉的一句话。", delay=10)
    expect(page.locator("#save-state")).to_contain_text("未保存", timeout=10_000)
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"  # “leave the page? changes may not be saved”
    asked.value.accept()
    assert file.read_text(encoding="utf-8") == before
    again = context.new_page()
    open_editor(again, server, "p-draft")
    expect(again.locator("#banner")).to_contain_text("已恢复")
    again.locator("li[data-article='-1/0'] .t").click()
    expect(again.locator("textarea[data-field='body']")).to_have_value(
        parse(before).lead[0].body + "没有保存就关掉的一句话。")
    wait_file(file, lambda t: "没有保存就关掉的一句话。" in t)  # and now it is written
    expect(again.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    again.close()


def test_undo_after_each_toolbar_action_reorder_and_field_edit(page, server):
    file = open_editor(page, server, "p-undo")
    original = file.read_text(encoding="utf-8")
    page.locator("li[data-article='0/0'] .t").click()
    area = page.locator("textarea[data-field='body']")
    title = page.locator("textarea[data-field='title']")

    def undo_back():
        area.focus()
        page.keyboard.press("Control+z")
        assert wait_file(file, lambda t: t == original) == original

    # a field edit, then Ctrl+Z while the caret is in another field: the title comes back, the body stays
    title.press("End")
    title.type("（修改）", delay=10)
    wait_file(file, lambda t: "（修改）" in t)
    undo_back()
    expect(title).to_have_value(parse(original).sections[0].articles[0].title)
    for tool, check in [("#tool-bold", "**"), ("#tool-heading", "### "), ("#tool-list", "- ")]:
        area.evaluate("a => { a.focus(); a.setSelectionRange(0, 8); }")
        page.click(tool)
        wait_file(file, lambda t, c=check: c in parse(t).sections[0].articles[0].body)
        undo_back()
    # reorder, redo, undo
    page.locator("li[data-article='4/0'] button.down").click()
    wait_file(file, lambda t: t != original)
    page.click("#undo-button")
    wait_file(file, lambda t: t == original)
    page.click("#redo-button")
    moved = wait_file(file, lambda t: t != original)
    assert [a.title for a in parse(moved).sections[4].articles[:2]] == \
        [a.title for a in parse(original).sections[4].articles[1::-1]]
    undo_back()
    # delete, and the toast's undo
    page.locator("li[data-article='2/0'] button.del").click()
    expect(page.locator(".undo")).to_contain_text("已删除《")
    wait_file(file, lambda t: len(parse(t).sections[2].articles) == 1)
    page.click("#undo")
    wait_file(file, lambda t: t == original)


def test_bold_over_full_width_indent_prints_no_stars(page, server):
    file = open_editor(page, server, "p-bold")
    new_article(page, "加粗测试文章")
    area = page.locator("textarea[data-field='body']")
    area.fill("　　这一句要加粗。")
    area.evaluate("a => { a.focus(); a.setSelectionRange(0, a.value.length); }")
    page.click("#tool-bold")
    text = wait_file(file, lambda t: "**这一句要加粗。**" in t)
    assert "**　" not in text
    pdf = pdf_of(page, server, "p-bold", "加粗测试文章")
    flow = pc.flow_text(pdf)
    assert "这一句要加粗。" in flow and "**" not in flow


def test_ctrl_s_saves_and_a_saved_version_can_be_restored(page, server):
    file = open_editor(page, server, "p-history")
    original = file.read_text(encoding="utf-8")
    area = page.locator("textarea[data-field='body']")
    area.press("Control+End")
    area.type("第一次保存。", delay=5)
    page.keyboard.press("Control+s")
    wait_file(file, lambda t: "第一次保存。" in t, timeout=3)
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    area.type("第二次保存。", delay=5)
    page.keyboard.press("Control+s")
    wait_file(file, lambda t: "第二次保存。" in t, timeout=3)
    expect(page.locator("#save-state")).to_have_text("已保存", timeout=30_000)
    page.click("#history-button")
    versions = page.locator("#history li")
    expect(versions).to_have_count(2)  # the file before each save: the original, and with the first sentence
    versions.last.locator("button.restore").click()
    assert wait_file(file, lambda t: t == original) == original
    expect(page.locator("#banner")).to_contain_text("已恢复")
    page.locator("li[data-article='-1/0'] .t").click()
    expect(page.locator("textarea[data-field='body']")).to_have_value(parse(original).lead[0].body)
    expect(versions).to_have_count(3)  # the restore kept the version it replaced


def test_a_dropped_picture_is_uploaded_with_an_inline_caption_and_a_thumbnail(page, server):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(buffer, "PNG")
    file = open_editor(page, server, "p-picture")
    page.locator("li[data-article='0/0'] .t").click()
    page.evaluate("""(bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "现场照片.png", {type: "image/png"}));
        document.querySelector("#drop-zone").dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    }""", list(buffer.getvalue()))
    thumb = page.locator("figure.picture img")
    expect(thumb).to_be_visible(timeout=15_000)
    page.wait_for_function("() => document.querySelector('figure.picture img').naturalWidth === 120")
    caption = page.locator("figure.picture input[data-field^='picture-']")
    expect(caption).to_be_focused()
    caption.type("会议现场", delay=10)
    text = wait_file(file, lambda t: "![会议现场](images/" in t)
    name = text.split("![会议现场](images/")[1].split(")")[0]
    assert (server["root"] / "p-picture" / "2021-07" / "images" / name).read_bytes() == buffer.getvalue()
    page.locator("figure.picture select").select_option("{宽=60%}")
    wait_file(file, lambda t: f"![会议现场](images/{name}){{宽=60%}}" in t)
    # a picture pasted (a screenshot: no text on the clipboard) is uploaded the same way
    page.locator("textarea[data-field='body']").press("Control+End")
    page.evaluate("""(bytes) => {
        const data = new DataTransfer();
        data.items.add(new File([new Uint8Array(bytes)], "image.png", {type: "image/png"}));
        const area = document.querySelector("textarea[data-field='body']");
        area.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
    }""", list(buffer.getvalue()))
    expect(page.locator("figure.picture")).to_have_count(2, timeout=15_000)
    text = wait_file(file, lambda t: "![](images/image" in t)
    assert text.count("](images/") == 2


def test_clicking_a_page_opens_the_article_on_it(page, server):
    open_editor(page, server, "p-click")
    third = page.locator("#pages img[data-page='3']")
    third.scroll_into_view_if_needed()
    box = third.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.5)
    expect(page.locator("li.selected")).to_have_attribute("data-article", "1/0")
    title = page.locator("textarea[data-field='title']")
    expect(title).to_be_focused()
    expect(title).to_have_value("山西加快构建“1+3+N”一体化大数据中心体系")
    # and choosing an article scrolls the preview to its page
    page.locator("li[data-article='4/3'] .t").click()
    page.wait_for_function("""() => {
        const pages = document.getElementById('pages'), img = pages.querySelector("img[data-page='9']");
        const top = img.getBoundingClientRect().top, view = pages.getBoundingClientRect();
        return top < view.bottom && img.getBoundingClientRect().bottom > view.top;
    }""")
    page.click("#zoom-in")
    expect(page.locator("#zoom-level")).to_have_text("150%")
    width = page.evaluate("document.querySelector('#pages img').getBoundingClientRect().width")
    pane = page.evaluate("document.querySelector('#pages').clientWidth")
    assert width > pane  # larger than the column: the strip scrolls


def test_a_problem_is_shown_at_its_field_and_line_and_fixed_in_one_click(page, server):
    file = open_editor(page, server, "p-fix")
    page.locator("li[data-article='0/0'] .t").click()
    area = page.locator("textarea[data-field='body']")
    area.press("Control+End")
    area.type("\n\n新加一段,用了半角逗号。", delay=10)
    item = page.locator("#problems li", has_text="半角标点").first
    expect(item).to_be_visible(timeout=30_000)
    lines = parse(file.read_text(encoding="utf-8")).sections[0].articles[0].body.split("\n")
    line = next(n for n, text in enumerate(lines, 1) if "新加一段" in text)
    expect(item.locator(".where")).to_have_text(f"《2021中国信息通信业高层论坛8月25日在京举行》正文第{line}行：")
    item.locator(".where").click()  # to the field, the line selected
    expect(area).to_be_focused()
    assert area.evaluate("a => a.value.slice(a.selectionStart, a.selectionEnd)") == "新加一段,用了半角逗号。"
    item.locator("button.fix").click()
    wait_file(file, lambda t: "新加一段，用了半角逗号。" in t)
    page.keyboard.press("Control+z")
    wait_file(file, lambda t: "新加一段,用了半角逗号。" in t)


def test_the_list_page_checks_once_and_builds_with_progress(page, server):
    from pypdf import PdfReader

    page.goto(server["url"] + "/")
    row = page.locator("tr[data-key='p-list/2021-07']")
    expect(row.locator(".status")).to_have_text("无问题", timeout=30_000)  # filled in after the page showed
    checks = server["status"].checks
    page.reload()
    expect(row.locator(".status")).to_have_text("无问题")
    expect(page.locator("tr.pending")).to_have_count(0)
    assert server["status"].checks == checks  # the second load ran no check
    row.locator("button[data-kind='build']").click()
    expect(row.locator(".job-state")).to_contain_text("处理中")
    expect(row.locator(".job-state")).to_contain_text("已排版：", timeout=120_000)
    pdf = next((server["root"].parent / "out").glob("*.pdf"))
    pages = len(PdfReader(pdf).pages)
    assert pages >= 10 and f"{pages} 页" in row.locator(".job-state").inner_text()
    expect(row.locator(".pages")).to_have_text(str(pages))
    page.reload()
    expect(row.locator(".pages")).to_have_text(str(pages))  # the page count is remembered
