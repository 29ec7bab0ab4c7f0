// bulletin serve — issue editor. Text from the issue is only ever put into the page with
// textContent / value (never innerHTML). Every change is saved (after a pause in typing) to the
// same issue.md the command line reads; the server renders the saved file and we show its pages.
"use strict";

const body = document.body;
const SERIES = body.dataset.series, ISSUE = body.dataset.issue, LANG = body.dataset.lang;
const CSRF = document.querySelector('meta[name="csrf"]').content;
const API = `/api/issues/${encodeURIComponent(SERIES)}/${encodeURIComponent(ISSUE)}`;
const T = {
  zh: {meta: "本期信息", number: "期号", date: "出刊日期", total: "总期号", run: "印数（共印×份）", note: "编者按",
       dist: "报送", add: "本期增发", drop: "本期停发", lead: "导语文章（栏目之前）", section: "栏目",
       newArticle: "＋ 文章", newSection: "＋ 栏目", del: "删除", up: "上移", down: "下移", moveTo: "移到…",
       kicker: "引题", title: "标题（换行处即标题断行处）", subtitle: "副题", bodyText: "正文（空行分段）", byline: "署名",
       heading: "小标题", bold: "加粗", list: "列表", image: "插入图片", caption: "图注（可空）", importTo: "导入 Word/文本到",
       importBtn: "导入", saving: "保存中…", saved: "已保存", unsaved: "未保存：有错误", conflict:
       "issue.md 已在别处修改。为免覆盖，编辑器没有保存。", reload: "载入磁盘上的版本", rendering: "排版中…",
       rendered: (n, s) => `${n} 页 · ${s} 秒`, broken: "有错误，显示上次排好的页面", download: "下载 PDF",
       undo: "撤销", deleted: "已删除", noArticle: "在左侧选择或新建一篇文章", untitled: "（无标题）",
       newTitle: "新文章标题", newSectionName: "新栏目", problems: "检查结果", none: "没有问题", imported: n => `导入 ${n} 篇`},
  en: {meta: "Issue", number: "Number", date: "Date", total: "Total number", run: "Print run", note: "Editor's note",
       dist: "Distribution", add: "Add this issue", drop: "Drop this issue", lead: "Lead articles", section: "Section",
       newArticle: "+ article", newSection: "+ section", del: "Delete", up: "Up", down: "Down", moveTo: "Move to…",
       kicker: "Kicker", title: "Title (a new line = where it breaks)", subtitle: "Subtitle", bodyText: "Body (blank line between paragraphs)",
       byline: "Attribution", heading: "Subheading", bold: "Bold", list: "List", image: "Insert picture", caption: "Caption (optional)",
       importTo: "Import Word/text into", importBtn: "Import", saving: "Saving…", saved: "Saved", unsaved: "Not saved: errors",
       conflict: "issue.md was changed elsewhere. Nothing was saved, to avoid overwriting it.", reload: "Load the version on disk",
       rendering: "Rendering…", rendered: (n, s) => `${n} pages · ${s} s`, broken: "Errors: showing the last good pages",
       download: "Download PDF", undo: "Undo", deleted: "Deleted", noArticle: "Choose or add an article on the left",
       untitled: "(untitled)", newTitle: "New article title", newSectionName: "New section", problems: "Check",
       none: "No problems", imported: n => `${n} imported`},
}[LANG === "en" ? "en" : "zh"];

let state = null;         // {base, doc, registry}
let selected = null;      // {section: -1|i, article: j}
let saveTimer = null, saving = false, pendingSave = false, conflict = false;
let lastVersion = -1, fieldErrors = [];

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "value") node.value = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({"X-CSRF-Token": CSRF}, options.headers || {});
  const response = await fetch(API + path, Object.assign({}, options, {headers}));
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  return {status: response.status, data};
}

function articlesOf(section) { return section === -1 ? state.doc.lead : state.doc.sections[section].articles; }
function current() { return selected ? articlesOf(selected.section)[selected.article] : null; }

function setState(text, cls) {
  const node = document.getElementById("save-state");
  node.textContent = text; node.className = cls || "";
}

function banner(text, cls, button) {
  const node = document.getElementById("banner");
  node.replaceChildren();
  if (!text) { node.hidden = true; return; }
  node.hidden = false; node.className = cls || "";
  node.append(el("span", {text}));
  if (button) node.append(" ", button);
}

// ------------------------------------------------------------------ saving

let savePause = 350;  // the server suggests less when renders are quick (preview "pause")
function changed() {
  body.dataset.lastInput = Date.now();  // for measuring the preview delay (tests, benchmarks)
  if (conflict) return;
  setState(T.saving);
  clearTimeout(saveTimer);
  saveTimer = setTimeout(save, savePause);
}

async function save() {
  if (saving) { pendingSave = true; return; }
  saving = true;
  const {status, data} = await api("", {method: "PUT", headers: {"Content-Type": "application/json"},
                                        body: JSON.stringify({base: state.base, doc: state.doc})});
  saving = false;
  if (status === 409) {
    conflict = true;
    setState(T.unsaved, "bad");
    banner(T.conflict, "conflict", el("button", {id: "reload", text: T.reload, onclick: load}));
  } else if (status === 422) {
    fieldErrors = data.problems || [];
    setState(T.unsaved, "bad");
    showProblems(fieldErrors);
    markFields();
  } else if (status === 200) {
    fieldErrors = [];
    state.base = data.base;
    if (data.saved) {
      // keep the browser's document (the user may have typed meanwhile), take the server's keys
      adoptKeys(data.doc);
      setState(T.saved, "good");
      waitPreview(data.version - 1);
    } else setState(T.saved, "good");
    markFields();
  } else {
    setState(`${T.unsaved} (${status}) ${data.error || ""}`, "bad");
  }
  if (pendingSave) { pendingSave = false; save(); }
}

function adoptKeys(doc) {
  // after a save the server's chunk keys describe the new file; same shape, so copy them over
  const pairs = [[state.doc.lead, doc.lead]];
  state.doc.sections.forEach((s, i) => { if (doc.sections[i]) { s.key = doc.sections[i].key; pairs.push([s.articles, doc.sections[i].articles]); } });
  for (const [mine, theirs] of pairs) mine.forEach((a, j) => { if (theirs[j]) a.key = theirs[j].key; });
}

// ------------------------------------------------------------------ preview

let previewRequest = 0;
async function waitPreview(after) {
  const mine = ++previewRequest;
  document.getElementById("preview-status").textContent = T.rendering;
  for (let tries = 0; tries < 20 && mine === previewRequest; tries++) {
    const {status, data} = await api(`/preview?after=${after}`);
    if (mine !== previewRequest) return;
    if (status === 200 && !data.pending) { showPreview(data); return; }
  }
}

function showPreview(data) {
  lastVersion = data.version;
  const pages = document.getElementById("pages");
  pages.dataset.version = data.version;
  const status = document.getElementById("preview-status");
  status.textContent = data.ok ? T.rendered(data.pages, data.seconds) : T.broken;
  const base = `/pages/${encodeURIComponent(SERIES)}/${encodeURIComponent(ISSUE)}/${data.version}/`;
  if (data.pause) savePause = data.pause;
  const digests = data.digests || [];
  const named = `/pages/${encodeURIComponent(SERIES)}/${encodeURIComponent(ISSUE)}/0/`;  // by digest, not version
  const shown = new Map([...pages.querySelectorAll("img")].map(img => [img.getAttribute("src"), img]));
  const images = [];
  for (let n = 1; n <= data.pages; n++) {
    // a page whose digest is unchanged keeps its image: only the changed pages are fetched
    const src = digests[n - 1] ? `${named}${n}.png?d=${digests[n - 1]}` : `${base}${n}.png`;
    images.push((digests[n - 1] && shown.get(src)) || el("img", {src, alt: `— ${n} —`, "data-page": n}));
  }
  pages.replaceChildren(...images);
  pages.dataset.shownAt = Date.now();
  showProblems((data.problems || []).concat(fieldErrors));
}

function showProblems(problems) {
  const list = document.getElementById("problems");
  list.replaceChildren();
  list.dataset.count = problems.length;
  if (!problems.length) { list.append(el("li", {class: "none", text: T.none})); }
  for (const p of problems) {
    const message = LANG === "en" ? p.message_en : p.message;
    const hint = LANG === "en" ? p.hint_en : p.hint;
    const where = p.line ? `${p.file}:${p.line}` : p.file;
    const item = el("li", {class: p.severity, text: `${where ? where + " " : ""}${message}${hint ? " — " + hint : ""}`});
    if (p.where) item.addEventListener("click", () => goTo(p.where));
    list.append(item);
  }
  drawStructure();
}

function goTo(where) {
  if (where.kind === "article") { selected = {section: where.section, article: where.article}; drawAll(); focusField(where.field); }
  else focusField("front-" + where.field);
}

function focusField(name) {
  const node = document.querySelector(`[data-field="${name}"]`);
  if (node) { node.focus(); node.scrollIntoView({block: "center"}); }
}

function markFields() {
  document.querySelectorAll(".invalid").forEach(n => n.classList.remove("invalid"));
  document.querySelectorAll(".field-error").forEach(n => n.remove());
  for (const p of fieldErrors) {
    if (!p.where) continue;
    let name = null;
    if (p.where.kind === "front") name = "front-" + p.where.field;
    else if (selected && p.where.section === selected.section && p.where.article === selected.article) name = p.where.field;
    const node = name && document.querySelector(`[data-field="${name}"]`);
    if (node) {
      node.classList.add("invalid");
      node.after(el("div", {class: "field-error", text: LANG === "en" ? p.message_en : p.message}));
    }
  }
}

// ------------------------------------------------------------------ structure column

function input(label, value, field, oninput, type = "text") {
  const control = type === "textarea" ? el("textarea", {"data-field": field, value}) : el("input", {type, "data-field": field, value});
  control.value = value || "";
  control.addEventListener("input", () => { oninput(control.value); changed(); });
  return el("label", {}, el("span", {text: label}), control);
}

function drawStructure() {
  const nav = document.getElementById("structure");
  const active = document.activeElement, field = active && nav.contains(active) ? active.dataset.field : null;
  const caret = field && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  const front = state.doc.front;
  const meta = el("fieldset", {}, el("legend", {text: T.meta}),
    input(T.number, front.number, "front-number", v => front.number = v, "number"),
    input(T.date, front.date, "front-date", v => front.date = v, "date"),
    input(T.total, front.total_number, "front-total_number", v => front.total_number = v, "number"),
    input(T.run, front.print_run, "front-print_run", v => front.print_run = v, "number"),
    input(T.note, front.editor_note, "front-editor_note", v => front.editor_note = v, "textarea"));
  const parts = [meta];
  if (state.registry) parts.push(drawDistribution());
  const problemSpots = new Set((fieldErrors || []).concat(lastProblems())
    .filter(p => p.where && p.where.kind === "article" && p.severity !== "info")
    .map(p => `${p.where.section}/${p.where.article}`));
  const list = (section) => {
    const items = articlesOf(section).map((a, j) => {
      const isSel = selected && selected.section === section && selected.article === j;
      const cls = (isSel ? "selected " : "") + (problemSpots.has(`${section}/${j}`) ? "has-problem" : "");
      const move = el("select", {title: T.moveTo, onchange: e => { moveArticle(section, j, Number(e.target.value)); }},
        el("option", {text: "⇄", value: ""}), el("option", {value: -1, text: T.lead}),
        ...state.doc.sections.map((s, i) => el("option", {value: i, text: s.name})));
      move.value = "";
      return el("li", {class: cls, "data-article": `${section}/${j}`},
        el("span", {class: "t", text: (a.title || T.untitled).replace(/\n/g, ""), onclick: () => { selected = {section, article: j}; drawAll(); }}),
        el("button", {class: "small up", title: T.up, text: "↑", onclick: () => swap(section, j, -1)}),
        el("button", {class: "small down", title: T.down, text: "↓", onclick: () => swap(section, j, 1)}),
        move,
        el("button", {class: "small del", title: T.del, text: "✕", onclick: () => removeArticle(section, j)}));
    });
    return el("ul", {class: "articles"}, ...items);
  };
  parts.push(el("div", {class: "section-head"}, el("strong", {text: T.lead})), list(-1),
             el("button", {class: "small add-article", "data-section": -1, text: T.newArticle, onclick: () => addArticle(-1)}));
  state.doc.sections.forEach((s, i) => {
    const name = el("input", {type: "text", "data-field": `section-${i}`, value: s.name});
    name.value = s.name;
    name.addEventListener("input", () => { s.name = name.value; changed(); });
    parts.push(el("div", {class: "section-head"}, name,
      el("button", {class: "small", title: T.up, text: "↑", onclick: () => swapSection(i, -1)}),
      el("button", {class: "small", title: T.down, text: "↓", onclick: () => swapSection(i, 1)}),
      el("button", {class: "small", title: T.del, text: "✕", onclick: () => removeSection(i)})),
      list(i), el("button", {class: "small add-article", "data-section": i, text: T.newArticle, onclick: () => addArticle(i)}));
  });
  parts.push(el("p", {}, el("button", {id: "add-section", text: T.newSection, onclick: addSection})));
  parts.push(drawImport());
  nav.replaceChildren(...parts);
  if (field) {  // a redraw (e.g. new check results) must not take the caret away from the user
    const again = nav.querySelector(`[data-field="${field}"]`);
    if (again) { again.focus(); if (caret) try { again.setSelectionRange(...caret); } catch (e) { /* date inputs */ } }
  }
  markFields();
}

let problemsCache = [];
function lastProblems() { return problemsCache; }

function drawDistribution() {
  const dist = state.doc.distribution = state.doc.distribution || {};
  dist["增发"] = dist["增发"] || []; dist["停发"] = dist["停发"] || [];
  const box = el("fieldset", {}, el("legend", {text: T.dist}));
  for (const b of state.registry) {
    const key = b.regular ? "停发" : "增发";
    const list = dist[key];
    const on = b.regular ? !list.includes(b.id) && !list.includes(b.name) : list.includes(b.id) || list.includes(b.name);
    const box1 = el("input", {type: "checkbox", "data-recipient": b.id});
    box1.checked = on;
    box1.addEventListener("change", () => {
      const i = list.findIndex(x => x === b.id || x === b.name);
      if (i >= 0) list.splice(i, 1);
      if (b.regular !== box1.checked) list.push(b.id);
      changed();
    });
    box.append(el("label", {}, box1, ` ${b.category}：${b.name}${b.regular ? "" : "（" + T.add + "）"}`));
  }
  return box;
}

function drawImport() {
  const file = el("input", {type: "file", id: "import-file", accept: ".docx,.txt"});
  const target = el("select", {id: "import-section"}, el("option", {value: -1, text: T.lead}),
    ...state.doc.sections.map((s, i) => el("option", {value: i, text: s.name})));
  const button = el("button", {id: "import-button", text: T.importBtn, onclick: async () => {
    if (!file.files.length) return;
    const form = new FormData(); form.append("file", file.files[0]);
    const response = await fetch(API + "/import", {method: "POST", body: form, headers: {"X-CSRF-Token": CSRF}});
    const data = await response.json();
    if (!response.ok) { banner(data.error || String(response.status), "conflict"); return; }
    const section = Number(target.value);
    articlesOf(section).push(...data.articles);
    selected = {section, article: articlesOf(section).length - 1};
    banner(T.imported(data.articles.length) + (data.warnings.length ? "：" + data.warnings.join("；") : ""), "");
    drawAll(); changed();
  }});
  return el("fieldset", {}, el("legend", {text: T.importTo}), target, file, button);
}

// ------------------------------------------------------------------ structure changes

function swap(section, j, delta) {
  const list = articlesOf(section), k = j + delta;
  if (k < 0 || k >= list.length) return;
  [list[j], list[k]] = [list[k], list[j]];
  if (selected && selected.section === section && selected.article === j) selected.article = k;
  drawAll(); changed();
}

function moveArticle(from, j, to) {
  if (Number.isNaN(to) || to === from) { drawStructure(); return; }
  const [article] = articlesOf(from).splice(j, 1);
  articlesOf(to).push(article);
  selected = {section: to, article: articlesOf(to).length - 1};
  drawAll(); changed();
}

function swapSection(i, delta) {
  const list = state.doc.sections, k = i + delta;
  if (k < 0 || k >= list.length) return;
  [list[i], list[k]] = [list[k], list[i]];
  selected = null; drawAll(); changed();
}

function withUndo(restore) {
  document.querySelectorAll(".undo").forEach(n => n.remove());
  const toast = el("div", {class: "undo"}, el("span", {text: T.deleted}),
    el("button", {id: "undo", text: T.undo, onclick: () => { restore(); toast.remove(); drawAll(); changed(); }}));
  document.body.append(toast);
  setTimeout(() => toast.remove(), 15000);
}

function removeArticle(section, j) {
  const list = articlesOf(section);
  const [article] = list.splice(j, 1);
  selected = null;
  withUndo(() => list.splice(j, 0, article));
  drawAll(); changed();
}

function removeSection(i) {
  const [section] = state.doc.sections.splice(i, 1);
  selected = null;
  withUndo(() => state.doc.sections.splice(i, 0, section));
  drawAll(); changed();
}

function addArticle(section) {
  const list = articlesOf(section);
  list.push({key: "", title: T.newTitle, kicker: "", subtitle: "", body: "", byline: ""});
  selected = {section, article: list.length - 1};
  drawAll();
  focusField("title");
  changed();
}

function addSection() {
  state.doc.sections.push({key: "", name: T.newSectionName, articles: [], intro: ""});
  drawAll(); changed();
}

// ------------------------------------------------------------------ article column

function wrapSelection(area, before, after, linePrefix) {
  const start = area.selectionStart, end = area.selectionEnd, text = area.value;
  let middle = text.slice(start, end);
  if (linePrefix) middle = (middle || "").split("\n").map(l => linePrefix + l).join("\n");
  else middle = before + middle + after;
  const lead = linePrefix && start > 0 && text[start - 1] !== "\n" ? "\n" : "";
  area.value = text.slice(0, start) + lead + middle + text.slice(end);
  area.dispatchEvent(new Event("input"));
  area.focus();
}

function drawArticle() {
  const pane = document.getElementById("article");
  const a = current();
  if (!a) { pane.replaceChildren(el("p", {class: "hint", text: T.noArticle})); return; }
  const bodyField = input(T.bodyText, a.body, "body", v => a.body = v, "textarea");
  const area = bodyField.querySelector("textarea");
  area.classList.add("body");
  const picture = el("input", {type: "file", accept: "image/png,image/jpeg,image/gif,image/webp", hidden: true});
  picture.addEventListener("change", async () => {
    if (!picture.files.length) return;
    const form = new FormData(); form.append("file", picture.files[0]); form.append("caption", prompt(T.caption) || "");
    const response = await fetch(API + "/images", {method: "POST", body: form, headers: {"X-CSRF-Token": CSRF}});
    const data = await response.json();
    if (!response.ok) { banner(data.error || String(response.status), "conflict"); return; }
    wrapSelection(area, "\n\n" + data.markdown + "\n\n", "");
  });
  const toolbar = el("div", {class: "toolbar"},
    el("button", {text: T.heading, onclick: () => wrapSelection(area, "", "", "### ")}),
    el("button", {text: T.bold, onclick: () => wrapSelection(area, "**", "**")}),
    el("button", {text: T.list, onclick: () => wrapSelection(area, "", "", "- ")}),
    el("button", {text: T.image, onclick: () => picture.click()}), picture);
  pane.replaceChildren(
    input(T.kicker, a.kicker, "kicker", v => a.kicker = v),
    input(T.title, a.title, "title", v => a.title = v, "textarea"),
    input(T.subtitle, a.subtitle, "subtitle", v => a.subtitle = v),
    toolbar, bodyField,
    input(T.byline, a.byline, "byline", v => { a.byline = v; }));
}

function drawAll() { drawStructure(); drawArticle(); markFields(); }

// ------------------------------------------------------------------ start

async function load() {
  const {status, data} = await api("");
  if (status !== 200) { banner(data.error || String(status), "conflict"); return; }
  state = {base: data.base, doc: data.doc, registry: data.registry};
  conflict = false; fieldErrors = [];
  banner(null);
  setState("");
  if (!selected) {
    const first = state.doc.lead.length ? {section: -1, article: 0} :
      (state.doc.sections.length && state.doc.sections[0].articles.length ? {section: 0, article: 0} : null);
    selected = first;
  } else if (!articlesOf(selected.section) || !articlesOf(selected.section)[selected.article]) selected = null;
  drawAll();
  waitPreview(data.version);
}

document.getElementById("download").textContent = T.download;
const originalShow = showProblems;
showProblems = function (problems) { problemsCache = problems; originalShow(problems); };
load();
