// bulletin serve — issue editor. Text from the issue is only ever put into the page with
// textContent / value (never innerHTML). Every change is saved (after a pause in typing) to the
// same issue.md the command line reads; the server renders the saved file and we show its pages.
"use strict";

const body = document.body;
const SERIES = body.dataset.series, ISSUE = body.dataset.issue, LANG = body.dataset.lang;
const CSRF = document.querySelector('meta[name="csrf"]').content;
const API = `/api/issues/${encodeURIComponent(SERIES)}/${encodeURIComponent(ISSUE)}`;
const T = {
  zh: {meta: "本期信息", draft: "草稿（排整个文件夹时跳过，PDF 每页印“草稿”）", number: "期号", date: "出刊日期", total: "总期号", run: "印数（共印×份）", note: "编者按",
       dist: "报送", add: "本期增发", drop: "本期停发", lead: "导语文章（栏目之前）", section: "栏目",
       newArticle: "＋ 文章", newSection: "＋ 栏目", del: "删除", up: "上移", down: "下移", moveTo: "移到…",
       kicker: "引题", title: "标题（换行处即标题断行处）", subtitle: "副题", bodyText: "正文（空行分段）", byline: "署名",
       heading: "小标题", bold: "加粗", list: "列表", image: "插入图片", caption: "图注（可空）", importTo: "导入 Word/文本到",
       importBtn: "导入", saving: "保存中…", saved: "已保存", unsaved: "未保存：有错误", conflict:
       "issue.md 已在别处修改。为免覆盖，编辑器没有保存。", reload: "载入磁盘上的版本", rendering: "排版中…",
       rendered: (n, s) => `${n} 页 · ${s} 秒`, broken: "有错误，显示上次排好的页面", download: "下载 PDF",
       undo: "撤销", deleted: "已删除", noArticle: "在左侧选择或新建一篇文章", untitled: "（无标题）",
       newTitle: "新文章标题", newSectionName: "新栏目", problems: "检查结果", none: "没有问题", imported: n => `导入 ${n} 篇`,
       redo: "重做", offline: "连不上服务器，稍后自动重试", draftKept: "（草稿已存在本机）",
       draftRestored: "已恢复上次没有保存的修改。", draftOld: "本机有一份没保存的草稿，但 issue.md 之后在别处改过。",
       useDraft: "用草稿覆盖", dropDraft: "丢弃草稿", deletedWhat: t => `已删除《${t}》`, history: "历史版本",
       restore: "恢复", noHistory: "还没有保存过的旧版本", restored: "已恢复到所选版本", fix: "改正",
       fields: {kicker: "引题", title: "标题", subtitle: "副题", body: "正文", byline: "署名"}, line: n => `第${n}行`,
       front: {number: "期号", date: "出刊日期", total_number: "总期号", print_run: "印数", editor_note: "编者按", distribution: "报送"},
       zoomIn: "放大", zoomOut: "缩小", clickPage: "点击页面，编辑这里的文章", dropHere: "把图片拖到这里，或粘贴图片", uploading: "上传中…", captionFor: "图注",
       uploaded: "图片已插入正文"},
  en: {meta: "Issue", draft: "Draft (left out when a whole folder is built; every page marked 草稿)", number: "Number", date: "Date", total: "Total number", run: "Print run", note: "Editor's note",
       dist: "Distribution", add: "Add this issue", drop: "Drop this issue", lead: "Lead articles", section: "Section",
       newArticle: "+ article", newSection: "+ section", del: "Delete", up: "Up", down: "Down", moveTo: "Move to…",
       kicker: "Kicker", title: "Title (a new line = where it breaks)", subtitle: "Subtitle", bodyText: "Body (blank line between paragraphs)",
       byline: "Attribution", heading: "Subheading", bold: "Bold", list: "List", image: "Insert picture", caption: "Caption (optional)",
       importTo: "Import Word/text into", importBtn: "Import", saving: "Saving…", saved: "Saved", unsaved: "Not saved: errors",
       conflict: "issue.md was changed elsewhere. Nothing was saved, to avoid overwriting it.", reload: "Load the version on disk",
       rendering: "Rendering…", rendered: (n, s) => `${n} pages · ${s} s`, broken: "Errors: showing the last good pages",
       download: "Download PDF", undo: "Undo", deleted: "Deleted", noArticle: "Choose or add an article on the left",
       untitled: "(untitled)", newTitle: "New article title", newSectionName: "New section", problems: "Check",
       none: "No problems", imported: n => `${n} imported`,
       redo: "Redo", offline: "Cannot reach the server; retrying", draftKept: " (draft kept in this browser)",
       draftRestored: "Your unsaved changes were restored.", draftOld: "This browser has an unsaved draft, but issue.md was changed elsewhere since.",
       useDraft: "Use the draft", dropDraft: "Discard the draft", deletedWhat: t => `Deleted “${t}”`, history: "History",
       restore: "Restore", noHistory: "No earlier saved versions yet", restored: "Restored the chosen version", fix: "Fix",
       fields: {kicker: "Kicker", title: "Title", subtitle: "Subtitle", body: "Body", byline: "Attribution"}, line: n => `line ${n}`,
       front: {number: "Number", date: "Date", total_number: "Total number", print_run: "Print run", editor_note: "Editor's note", distribution: "Distribution"},
       zoomIn: "Zoom in", zoomOut: "Zoom out", clickPage: "Click to edit the article here", dropHere: "Drop or paste a picture here", uploading: "Uploading…", captionFor: "Caption",
       uploaded: "Picture inserted"},
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

// Every edit goes through changed(): it records an undo step, keeps a draft of the document in
// this browser (localStorage) until the server has written it, and schedules the save. Nothing
// the editor types is lost: a save the server refuses or cannot receive leaves the draft, the
// state says so, and leaving the page asks first.
const DRAFT_KEY = `bulletin-draft:${SERIES}/${ISSUE}`;
let dirty = false, edits = 0;

function keepDraft() {
  try { localStorage.setItem(DRAFT_KEY, JSON.stringify({base: state.base, doc: state.doc, at: Date.now()})); } catch (e) { /* full or disabled */ }
}
function dropDraft() { try { localStorage.removeItem(DRAFT_KEY); } catch (e) { /* disabled */ } }
function readDraft() { try { return JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); } catch (e) { return null; } }

window.addEventListener("beforeunload", event => {
  if (!dirty) return;
  keepDraft();
  event.preventDefault();
  event.returnValue = "";  // the browser asks “leave the page?” with its own words
});

let savePause = 350;  // the server suggests less when renders are quick (preview "pause")
function changed(step) {
  body.dataset.lastInput = Date.now();  // for measuring the preview delay (tests, benchmarks)
  record(step);
  edits++; dirty = true;
  keepDraft();
  if (conflict) return;
  setState(T.saving);
  clearTimeout(saveTimer);
  saveTimer = setTimeout(save, savePause);
}

async function save(checkpoint) {
  clearTimeout(saveTimer);
  if (saving) { pendingSave = true; return; }
  if (conflict) return;
  saving = true;
  const sent = edits, sentDoc = JSON.parse(JSON.stringify(state.doc));
  let status = 0, data = {};
  try {
    ({status, data} = await api("", {method: "PUT", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify({base: state.base, doc: sentDoc, checkpoint: !!checkpoint})}));
  } catch (e) { status = 0; data = {error: T.offline}; }
  saving = false;
  if (status === 409) {
    conflict = true;
    setState(T.unsaved + T.draftKept, "bad");
    banner(T.conflict, "conflict", el("button", {id: "reload", text: T.reload, onclick: () => load(true)}));
  } else if (status === 422) {
    fieldErrors = data.problems || [];
    setState(T.unsaved + T.draftKept, "bad");
    showProblems(fieldErrors);
    markFields();
  } else if (status === 200) {
    fieldErrors = [];
    state.base = data.base;
    // keep the browser's document (the user may have typed meanwhile), take the server's keys
    if (data.saved) adoptKeys(sentDoc, data.doc);
    if (edits === sent && !pendingSave) { dirty = false; dropDraft(); } else keepDraft();  // the draft with the new base and keys
    if (data.saved) {
      setState(T.saved, "good");
      waitPreview(data.version - 1);
      if (body.dataset.history === "open") showHistory();
    } else setState(T.saved, "good");
    markFields();
  } else {
    setState(`${T.unsaved}${T.draftKept} ${status ? "(" + status + ") " : ""}${data.error || ""}`, "bad");
    if (!pendingSave) saveTimer = setTimeout(save, 3000);  // the server is busy or away: try again
  }
  if (pendingSave) { pendingSave = false; save(); }
}

function keysOf(doc) {
  const out = doc.lead.map(a => a.key);
  for (const s of doc.sections) out.push(s.key, ...s.articles.map(a => a.key));
  return out;
}

function adoptKeys(sentDoc, savedDoc) {
  // the server's chunk keys describe the new file, in the shape of the document we sent: map each
  // key we sent to its new one, in the document and in the undo history (a key not in the new
  // file becomes "": that part is written from its fields)
  const from = keysOf(sentDoc), to = keysOf(savedDoc), map = new Map();
  if (from.length === to.length) from.forEach((k, n) => { if (k) map.set(k, to[n]); });
  else {  // the file parsed into another shape (rare): pair what is at the same place
    const pair = (mine, theirs) => mine.forEach((a, j) => { if (a.key && theirs && theirs[j]) map.set(a.key, theirs[j].key); });
    pair(sentDoc.lead, savedDoc.lead);
    sentDoc.sections.forEach((s, i) => { const t = savedDoc.sections[i]; if (s.key && t) map.set(s.key, t.key); pair(s.articles, t && t.articles); });
  }
  const remap = doc => {
    for (const a of doc.lead) a.key = map.get(a.key) || "";
    for (const s of doc.sections) { s.key = map.get(s.key) || ""; for (const a of s.articles) a.key = map.get(a.key) || ""; }
  };
  // new parts (key "") of the document we sent: positions tell their keys
  remap(state.doc);
  const rewrite = entry => { const snap = JSON.parse(entry.snap); remap(snap.doc); entry.snap = JSON.stringify(snap); };
  undoStack.forEach(rewrite); redoStack.forEach(rewrite);
  if (lastSnap) { const snap = JSON.parse(lastSnap); remap(snap.doc); lastSnap = JSON.stringify(snap); }
}

// ------------------------------------------------------------------ undo / redo
// One stack per issue page of whole-document snapshots: every change the app makes (typing in a
// field, toolbar, paste, reorder, delete, import) is a step; typing in one field is grouped while
// it goes on. An undo puts back the document as it was and focuses the field it changed — it
// never edits another field than the one the step changed.

let undoStack = [], redoStack = [], lastSnap = null, lastStep = null, breakStep = false;

function snapshot() { return JSON.stringify({doc: state.doc, selected}); }

function record(step) {
  const now = Date.now();
  const forced = breakStep;  // toolbar, paste, pictures: a step of their own, not grouped with typing
  const group = step && !forced && lastStep && lastStep.key === step && now - lastStep.at < 2000;
  breakStep = false;
  if (!group && lastSnap !== null) {
    // a field edit happened in the article shown now; an app action (delete, move…) is undone as the snapshot shows it
    undoStack.push({snap: lastSnap, field: step || null, selected: step ? selected && {...selected} : undefined});
    if (undoStack.length > 200) undoStack.shift();
  }
  redoStack = [];
  lastSnap = snapshot();
  lastStep = step && !forced ? {key: step, at: now} : null;
  drawUndoButtons();
}

function applySnapshot(entry) {
  const snap = JSON.parse(entry.snap);
  // the article the step changed is shown again (not the one shown when the snapshot was taken)
  state.doc = snap.doc; selected = entry.selected !== undefined ? entry.selected : snap.selected;
  if (selected && !(articlesOf(selected.section) || [])[selected.article]) selected = null;
  lastSnap = entry.snap; lastStep = null;
  drawAll();
  const field = entry.field && entry.field.split(":").pop();
  if (field) focusField(field);
  body.dataset.lastInput = Date.now();
  edits++; dirty = true; keepDraft();
  drawUndoButtons();
  if (conflict) return;
  setState(T.saving);
  clearTimeout(saveTimer);
  saveTimer = setTimeout(save, 350);
}

function undo() {
  if (!undoStack.length || !state) return;
  const entry = undoStack.pop();
  redoStack.push({snap: snapshot(), field: entry.field, selected: entry.selected});
  applySnapshot(entry);
}

function redo() {
  if (!redoStack.length || !state) return;
  const entry = redoStack.pop();
  undoStack.push({snap: snapshot(), field: entry.field, selected: entry.selected});
  applySnapshot(entry);
}

function drawUndoButtons() {
  const u = document.getElementById("undo-button"), r = document.getElementById("redo-button");
  if (u) u.disabled = !undoStack.length;
  if (r) r.disabled = !redoStack.length;
}

document.addEventListener("keydown", event => {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
  const key = event.key.toLowerCase();
  if (key === "s") { event.preventDefault(); if (state) save(true); }
  else if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
  else if (key === "y" || (key === "z" && event.shiftKey)) { event.preventDefault(); redo(); }
}, true);

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
    let img = digests[n - 1] && shown.get(src);
    if (!img) {
      img = el("img", {src, alt: `— ${n} —`, "data-page": n, title: T.clickPage});
      img.addEventListener("click", event => {
        const box = img.getBoundingClientRect();
        pageClicked(n, (event.clientY - box.top) / box.height);
      });
    }
    images.push(img);
  }
  pageMap = data.map || [];
  const scroll = pages.scrollTop;
  pages.replaceChildren(...images);
  pages.scrollTop = scroll;
  pages.dataset.shownAt = Date.now();
  showProblems((data.problems || []).concat(fieldErrors));
}

// page ↔ article: the server reads where each article starts from the PDF's outline
let pageMap = [];

function pageClicked(page, top) {
  const before = pageMap.filter(m => m.page < page || (m.page === page && m.top <= top + 0.01));
  const hit = before.length ? before[before.length - 1] : null;
  if (!hit) { focusField("front-number"); return; }
  selected = {section: hit.section, article: hit.article};
  drawAll();
  focusField("title");
}

function showArticlePage() {
  // the editor follows the article being edited: its first page is scrolled into view
  if (!selected) return;
  const hit = pageMap.find(m => m.section === selected.section && m.article === selected.article);
  const pages = document.getElementById("pages");
  const img = hit && pages.querySelector(`img[data-page="${hit.page}"]`);
  if (!img) return;
  pages.scrollTop = img.offsetTop - pages.offsetTop + Math.max(0, hit.top * img.offsetHeight - 40);
}

function zoom(step) {
  const levels = [50, 75, 100, 150, 200, 300];
  const now = Number(document.getElementById("pages").dataset.zoom || 100);
  const at = levels.indexOf(now);
  const next = levels[Math.min(levels.length - 1, Math.max(0, (at < 0 ? 2 : at) + step))];
  const pages = document.getElementById("pages");
  pages.dataset.zoom = next;
  pages.style.setProperty("--zoom", `${next}%`);
  document.getElementById("zoom-level").textContent = `${next}%`;
}

function showProblems(problems) {
  const list = document.getElementById("problems");
  list.replaceChildren();
  list.dataset.count = problems.length;
  if (!problems.length) { list.append(el("li", {class: "none", text: T.none})); }
  for (const p of problems) {
    const message = LANG === "en" ? p.message_en : p.message;
    const hint = LANG === "en" ? p.hint_en : p.hint;
    const item = el("li", {class: p.severity},
      el("span", {class: "where", text: placeOf(p)}), " ", el("span", {text: message}),
      hint ? el("span", {class: "hint", text: " — " + hint}) : null);
    if (p.fixable) item.append(" ", el("button", {class: "small fix", text: T.fix, onclick: event => {
      event.stopPropagation(); fixProblem(p); }}));
    if (p.where) item.addEventListener("click", () => goTo(p.where));
    list.append(item);
  }
  drawStructure();
}

function placeOf(p) {
  // where the editor sees it: 《title》正文第3行, 期号 … — the file and its line only when no field says it
  const w = p.where;
  if (!w) return p.file && p.file !== "issue.md" ? p.file : "";
  if (w.kind === "front") return (T.front[w.field] || w.field) + "：";
  const list = state && articlesOf(w.section), a = list && list[w.article];
  const title = a ? `《${(a.title || T.untitled).replace(/\n/g, "")}》` : "";
  return `${title}${T.fields[w.field] || ""}${w.line ? T.line(w.line) : ""}：`;
}

async function fixProblem(p) {
  clearTimeout(saveTimer);
  if (saving || dirty) await save();
  let status = 0, data = {};
  try {
    ({status, data} = await api("/fix", {method: "POST", headers: {"Content-Type": "application/json"},
                                         body: JSON.stringify({base: state.base, line: p.line, column: p.column})}));
  } catch (e) { setState(T.offline, "bad"); return; }
  if (status === 409) { conflict = true; banner(T.conflict, "conflict", el("button", {id: "reload", text: T.reload, onclick: () => load(true)})); return; }
  if (status !== 200 || !data.saved) return;
  // the fix is an edit like any other: an undo step (same lines, so the keys stay valid)
  state.doc = data.doc; state.base = data.base;
  record(null);
  dropDraft(); dirty = false;
  drawAll();
  if (p.where) goTo(p.where);
  setState(T.saved, "good");
  waitPreview(data.version - 1);
}

function goTo(where) {
  if (where.kind === "article") {
    selected = {section: where.section, article: where.article}; drawAll(); focusField(where.field);
    showArticlePage();
    const node = document.querySelector(`[data-field="${where.field}"]`);
    if (where.line && node && node.tagName === "TEXTAREA") {  // the caret to the start of that line
      const lines = node.value.split("\n");
      const at = lines.slice(0, where.line - 1).reduce((n, l) => n + l.length + 1, 0);
      node.setSelectionRange(at, at + (lines[where.line - 1] || "").length);
    }
  } else focusField("front-" + where.field);
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
  // dates are typed as 2024-03-29 whatever the browser's language (a date input would show 03/29/2024)
  const control = type === "textarea" ? el("textarea", {"data-field": field, value}) :
    type === "iso-date" ? el("input", {type: "text", inputmode: "numeric", placeholder: "2024-03-29", pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}", "data-field": field}) :
    el("input", {type, "data-field": field, value});
  control.value = value || "";
  control.addEventListener("input", () => { oninput(control.value); changed(stepKey(field)); });
  return el("label", {}, el("span", {text: label}), control);
}

function stepKey(field) {
  // typing in one field is one undo step while it goes on; the key names the field (and article)
  if (/^(front|section)-/.test(field) || !selected) return field;
  return `${selected.section}/${selected.article}:${field}`;
}

function draftBox(front) {  // draft: true in the front matter (草稿)
  const box = el("input", {type: "checkbox", "data-field": "front-draft"});
  box.checked = front.draft === "true";
  box.addEventListener("change", () => { front.draft = box.checked ? "true" : ""; changed(); });
  return el("label", {class: "draft"}, box, el("span", {text: T.draft}));
}

function drawStructure() {
  const nav = document.getElementById("structure");
  const active = document.activeElement, field = active && nav.contains(active) ? active.dataset.field : null;
  const caret = field && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  const front = state.doc.front;
  const meta = el("fieldset", {}, el("legend", {text: T.meta}),
    input(T.number, front.number, "front-number", v => front.number = v, "number"),
    input(T.date, front.date, "front-date", v => front.date = v, "iso-date"),
    input(T.total, front.total_number, "front-total_number", v => front.total_number = v, "number"),
    input(T.run, front.print_run, "front-print_run", v => front.print_run = v, "number"),
    input(T.note, front.editor_note, "front-editor_note", v => front.editor_note = v, "textarea"),
    draftBox(front));
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
        el("span", {class: "t", text: (a.title || T.untitled).replace(/\n/g, ""), onclick: () => { selected = {section, article: j}; drawAll(); showArticlePage(); }}),
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
    name.addEventListener("input", () => { s.name = name.value; changed(`section-${i}`); });
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

function undoToast(what) {
  // the deletion is an undo step like any other; the toast is a shortcut to the same undo
  document.querySelectorAll(".undo").forEach(n => n.remove());
  const toast = el("div", {class: "undo"}, el("span", {text: T.deletedWhat(what)}),
    el("button", {id: "undo", text: T.undo, onclick: () => { toast.remove(); undo(); }}));
  document.body.append(toast);
  setTimeout(() => toast.remove(), 15000);
}

function removeArticle(section, j) {
  const list = articlesOf(section);
  const [article] = list.splice(j, 1);
  selected = null;
  drawAll(); changed();
  undoToast((article.title || T.untitled).replace(/\n/g, ""));
}

function removeSection(i) {
  const [section] = state.doc.sections.splice(i, 1);
  selected = null;
  drawAll(); changed();
  undoToast(section.name);
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

// Toolbar, paste and pictures change the body through edit(): one undo step each.
const EDGE_SPACE = /^[\s\u3000\u00a0]+|[\s\u3000\u00a0]+$/g;  // tabs, full-width and no-break spaces too

function edit(area, start, end, text, select) {
  area.focus();
  area.setRangeText(text, start, end, "end");
  if (select) area.setSelectionRange(select[0], select[1]);
  breakStep = true;
  area.dispatchEvent(new Event("input"));
}

function boldMarks(text) {
  // ** must touch the words: “**　　会议**” would print the stars, so spaces stay outside
  const m = text.match(/^([\s\u3000\u00a0]*)([\s\S]*?)([\s\u3000\u00a0]*)$/);
  return m[2] ? `${m[1]}**${m[2]}**${m[3]}` : text;
}

function bold(area) {
  const start = area.selectionStart, end = area.selectionEnd;
  if (start === end) {
    const word = LANG === "en" ? "bold" : "加粗文字";
    edit(area, start, end, `**${word}**`, [start + 2, start + 2 + word.length]);
    return;
  }
  const lines = area.value.slice(start, end).split("\n").map(boldMarks);
  edit(area, start, end, lines.join("\n"));
}

function prefixLines(area, prefix, placeholder) {
  // 小标题 / 列表: whole lines, their indents dropped
  const text = area.value;
  const start = text.lastIndexOf("\n", area.selectionStart - 1) + 1;
  let end = area.selectionEnd;
  if (end > start && text[end - 1] === "\n") end -= 1;
  const next = text.indexOf("\n", end);
  end = next < 0 ? text.length : next;
  let lines = text.slice(start, end).split("\n");
  if (lines.every(l => !l.trim())) lines = [placeholder];
  const out = lines.map(l => l.trim() ? prefix + l.replace(EDGE_SPACE, "").replace(/^(#{1,6} |[-*+] )/, "") : l);
  edit(area, start, end, out.join("\n"));
}

function insertBlocks(area, blocks, inline) {
  // paragraphs go in as paragraphs: a blank line before and after unless already there
  const value = area.value, start = area.selectionStart, end = area.selectionEnd;
  let text = blocks.join("\n\n");
  if (!inline) {
    const before = value.slice(0, start), after = value.slice(end);
    if (before.trim() && !before.endsWith("\n\n")) text = (before.endsWith("\n") ? "\n" : "\n\n") + text;
    if (after.trim() && !after.startsWith("\n\n")) text += after.startsWith("\n") ? "\n" : "\n\n";
  }
  edit(area, start, end, text);
}

function tidyParagraph(text) {
  return text.replace(/[ \t\r\n]+/g, " ")
    .replace(/([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’])[ ]+(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’*])/g, "$1")
    .replace(/\*\*\*\*/g, "")  // two bold runs side by side (Word splits runs) are one
    .replace(EDGE_SPACE, "");
}

function paragraphsFromText(text) {
  // one line, one paragraph; indents (tabs, full-width spaces) dropped
  return text.replace(/\r\n?/g, "\n").split("\n").map(l => l.replace(EDGE_SPACE, "")).filter(Boolean);
}

const BLOCKS = new Set(["P", "DIV", "H1", "H2", "H3", "H4", "H5", "H6", "LI", "TR", "BLOCKQUOTE", "PRE", "SECTION",
                        "ARTICLE", "TABLE", "UL", "OL", "DL", "DT", "DD", "HEADER", "FOOTER", "CAPTION", "FIGCAPTION"]);

function paragraphsFromHtml(html) {
  // Word, WPS and web pages put each paragraph in a <p> (or <div>, <li>, …); a <br> also ends a line.
  // DOMParser builds an inert document: nothing in it runs or loads.
  const doc = new DOMParser().parseFromString(html, "text/html");
  const out = [];
  let buffer = "";
  const flush = () => { const t = tidyParagraph(buffer); if (t) out.push(t); buffer = ""; };
  const isBold = node => /^(B|STRONG)$/.test(node.tagName) ||
    /font-weight\s*:\s*(bold|bolder|[6-9]00)/i.test(node.getAttribute("style") || "");
  const walk = (node, inBold) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { buffer += child.data; continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = child.tagName.toUpperCase();
      if (/^(STYLE|SCRIPT|HEAD|TITLE|META|LINK|TEMPLATE|NOSCRIPT|XML|IMG|svg)$/i.test(tag)) continue;
      if (tag === "BR") { flush(); continue; }
      if (tag === "TD" || tag === "TH") buffer += " ";
      const block = BLOCKS.has(tag);
      if (block) flush();
      if (!inBold && isBold(child) && !child.querySelector("p,div,br,li,h1,h2,h3,h4,h5,h6,tr,table")) {
        const mark = buffer.length;
        walk(child, true);
        buffer = buffer.slice(0, mark) + boldMarks(buffer.slice(mark).replace(/[ \t\r\n]+/g, " "));
      } else walk(child, inBold);
      if (block) flush();
    }
  };
  walk(doc.body || doc.documentElement, false);
  flush();
  return out;
}

function paste(area, event) {
  const data = event.clipboardData;
  if (!data) return;
  const html = data.getData("text/html"), plain = data.getData("text/plain");
  const pictures = [...(data.files || [])].filter(f => f.type.startsWith("image/"));
  if (!html.trim() && !plain.trim()) {
    if (pictures.length) { event.preventDefault(); pictures.forEach(f => uploadPicture(f, area)); }
    return;
  }
  let blocks = html.trim() ? paragraphsFromHtml(html) : [];
  if (!blocks.length) blocks = paragraphsFromText(plain);
  event.preventDefault();
  if (!blocks.length) return;
  // a few words inside a paragraph stay inline; more than one paragraph starts on its own
  insertBlocks(area, blocks, blocks.length === 1 && !/\n/.test(plain.trim()));
}

// ------------------------------------------------------------------ pictures

const PICTURE = /^!\[([^\]\n]*)\]\(([^)\s]+)\)(\{[^}\n]*\})?[ \t]*$/;
const WIDTHS = ["", "100%", "80%", "60%", "40%"];

function picturesIn(text) {
  const out = [];
  text.split("\n").forEach((line, n) => {
    const m = line.trim().match(PICTURE);
    if (m) out.push({line: n, caption: m[1], path: m[2], size: m[3] || ""});
  });
  return out;
}

function setPicture(area, a, n, caption, size) {
  const lines = a.body.split("\n");
  const m = lines[n].trim().match(PICTURE);
  if (!m) return;
  const clean = caption.replace(/\]/g, "］").replace(/[\r\n]+/g, " ");
  lines[n] = `![${clean}](${m[2]})${size}`;
  a.body = lines.join("\n");
  area.value = a.body;
  changed(stepKey(`picture-${n}`));
}

function pictureUrl(path) {
  if (!/^images\/[^/]+$/.test(path)) return null;
  return `/files/${encodeURIComponent(SERIES)}/${encodeURIComponent(ISSUE)}/images/${encodeURIComponent(path.slice(7))}`;
}

function drawPictures(area, a) {
  const box = document.getElementById("pictures");
  if (!box) return;
  const found = picturesIn(a.body), signature = JSON.stringify(found);
  if (box.dataset.signature === signature) return;  // typing elsewhere in the body: thumbnails stay
  box.dataset.signature = signature;
  const items = found.map(p => {
    const url = pictureUrl(p.path);
    const caption = el("input", {type: "text", "data-field": `picture-${p.line}`, placeholder: T.caption, value: p.caption});
    caption.value = p.caption;
    const size = el("select", {"data-size": p.line, title: "宽度"},
      ...WIDTHS.map(w => el("option", {value: w ? `{宽=${w}}` : "", text: w || (LANG === "en" ? "natural size" : "原大")})));
    size.value = WIDTHS.some(w => w && `{宽=${w}}` === p.size) ? p.size : "";
    if (p.size && size.value !== p.size) size.append(el("option", {value: p.size, text: p.size})), size.value = p.size;
    caption.addEventListener("input", () => setPicture(area, a, p.line, caption.value, size.value));
    size.addEventListener("change", () => setPicture(area, a, p.line, caption.value, size.value));
    return el("figure", {class: "picture", "data-path": p.path},
      url ? el("img", {src: url, alt: p.caption, loading: "lazy"}) : el("span", {class: "missing", text: p.path}),
      el("figcaption", {}, el("label", {}, el("span", {text: T.captionFor}), caption), size));
  });
  box.replaceChildren(...items);
}

async function uploadPicture(file, area) {
  // the caption is asked for afterwards, in the picture's own field under the body
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) { banner(`${file.name || ""}：不是 PNG、JPEG、GIF 或 WebP 图片`, "conflict"); return; }
  setState(T.uploading);
  const form = new FormData();
  form.append("file", file, file.name || "pasted.png"); form.append("caption", "");
  let response, data = {};
  try {
    response = await fetch(API + "/images", {method: "POST", body: form, headers: {"X-CSRF-Token": CSRF}});
    data = await response.json();
  } catch (e) { banner(T.offline, "conflict"); return; }
  if (!response.ok) { banner(data.error || String(response.status), "conflict"); setState(""); return; }
  insertBlocks(area, [data.markdown], false);
  const n = area.value.split("\n").findIndex(l => l.trim().startsWith(data.markdown));
  const field = document.querySelector(`[data-field="picture-${n}"]`);
  if (field) field.focus();
  banner(T.uploaded, "");
}

function acceptDrops(node, area) {
  node.addEventListener("dragover", event => {
    if ([...event.dataTransfer.types].includes("Files")) { event.preventDefault(); node.classList.add("drag"); }
  });
  node.addEventListener("dragleave", () => node.classList.remove("drag"));
  node.addEventListener("drop", event => {
    const files = [...event.dataTransfer.files].filter(f => f.type.startsWith("image/"));
    node.classList.remove("drag");
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    if (!files.length) { banner("只能放入 PNG、JPEG、GIF 或 WebP 图片", "conflict"); return; }
    files.forEach(f => uploadPicture(f, area));
  });
}

function drawArticle() {
  const pane = document.getElementById("article");
  const a = current();
  if (!a) { pane.replaceChildren(el("p", {class: "hint", text: T.noArticle})); return; }
  const bodyField = input(T.bodyText, a.body, "body", v => { a.body = v; drawPictures(area, a); }, "textarea");
  const area = bodyField.querySelector("textarea");
  area.classList.add("body");
  area.addEventListener("paste", event => paste(area, event));
  acceptDrops(area, area);
  const picture = el("input", {type: "file", id: "picture-file", accept: "image/png,image/jpeg,image/gif,image/webp", hidden: true});
  picture.addEventListener("change", () => { [...picture.files].forEach(f => uploadPicture(f, area)); picture.value = ""; });
  const toolbar = el("div", {class: "toolbar"},
    el("button", {id: "tool-heading", text: T.heading, onclick: () => prefixLines(area, "### ", T.heading)}),
    el("button", {id: "tool-bold", text: T.bold, onclick: () => bold(area)}),
    el("button", {id: "tool-list", text: T.list, onclick: () => prefixLines(area, "- ", T.list)}),
    el("button", {id: "tool-image", text: T.image, onclick: () => picture.click()}), picture);
  const zone = el("div", {id: "drop-zone", class: "drop-zone", text: T.dropHere, tabindex: 0});
  zone.addEventListener("paste", event => paste(area, event));
  acceptDrops(zone, area);
  pane.replaceChildren(
    input(T.kicker, a.kicker, "kicker", v => a.kicker = v),
    input(T.title, a.title, "title", v => a.title = v, "textarea"),
    input(T.subtitle, a.subtitle, "subtitle", v => a.subtitle = v),
    toolbar, bodyField, el("div", {id: "pictures"}), zone,
    input(T.byline, a.byline, "byline", v => { a.byline = v; }));
  drawPictures(area, a);
}

function drawAll() { drawStructure(); drawArticle(); markFields(); }

// ------------------------------------------------------------------ start

async function load(discardDraft) {
  const {status, data} = await api("");
  if (status !== 200) { banner(data.error || String(status), "conflict"); return; }
  state = {base: data.base, doc: data.doc, registry: data.registry};
  conflict = false; fieldErrors = [];
  banner(null);
  setState("");
  if (discardDraft === true) { dropDraft(); dirty = false; }
  const draft = readDraft();
  let restore = false;
  if (draft && draft.doc && JSON.stringify(draft.doc) !== JSON.stringify(data.doc)) {
    if (draft.base === data.base) restore = true;  // the file is as the draft found it: carry on from the draft
    else banner(T.draftOld, "conflict",
      el("span", {}, el("button", {id: "use-draft", text: T.useDraft, onclick: () => {
        banner(null); state.doc = draft.doc; drawAll(); changed(); }}), " ",
      el("button", {id: "drop-draft", text: T.dropDraft, onclick: () => { banner(null); dropDraft(); dirty = false; }})));
  } else if (draft) dropDraft();
  if (restore) { state.doc = draft.doc; selected = null; banner(T.draftRestored, "restored"); }
  if (!selected) {
    const first = state.doc.lead.length ? {section: -1, article: 0} :
      (state.doc.sections.length && state.doc.sections[0].articles.length ? {section: 0, article: 0} : null);
    selected = first;
  } else if (!articlesOf(selected.section) || !articlesOf(selected.section)[selected.article]) selected = null;
  undoStack = []; redoStack = []; lastStep = null;
  lastSnap = JSON.stringify({doc: data.doc, selected});
  drawAll();
  drawUndoButtons();
  waitPreview(data.version);
  if (restore) changed();  // an undo step back to the file as it is on disk, and a save
}

async function showHistory() {
  const box = document.getElementById("history");
  body.dataset.history = "open";
  box.hidden = false;
  const {status, data} = await api("/history");
  if (status !== 200) return;
  const items = data.versions.map(v => el("li", {"data-version": v.name},
    el("span", {text: `${v.at} · ${v.chars} 字`}), " ",
    el("button", {class: "small restore", text: T.restore, onclick: () => restoreVersion(v.name)})));
  box.replaceChildren(el("strong", {text: T.history}),
    el("button", {class: "small close", text: "✕", onclick: () => { box.hidden = true; body.dataset.history = ""; }}),
    items.length ? el("ol", {}, ...items) : el("p", {text: T.noHistory}));
}

async function restoreVersion(name) {
  clearTimeout(saveTimer);
  if (saving || dirty) await save();
  const {status, data} = await api(`/history/${encodeURIComponent(name)}/restore`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({base: state.base})});
  if (status === 409) { conflict = true; banner(T.conflict, "conflict", el("button", {id: "reload", text: T.reload, onclick: () => load(true)})); return; }
  if (status !== 200) return;
  // a restore rewrites the file: the document and its keys are the server's from now on
  state.doc = data.doc; state.base = data.base; selected = null;
  dropDraft(); dirty = false;
  undoStack = []; redoStack = []; lastStep = null; lastSnap = snapshot();
  drawAll(); drawUndoButtons();
  banner(T.restored, "restored");
  setState(T.saved, "good");
  waitPreview(data.version - 1);
  showHistory();
}

document.getElementById("download").textContent = T.download;
document.getElementById("history-button").addEventListener("click", showHistory);
document.getElementById("zoom-in").addEventListener("click", () => zoom(1));
document.getElementById("zoom-out").addEventListener("click", () => zoom(-1));
document.getElementById("undo-button").addEventListener("click", undo);
document.getElementById("redo-button").addEventListener("click", redo);
document.getElementById("save-button").addEventListener("click", () => { if (state) save(true); });
const originalShow = showProblems;
showProblems = function (problems) { problemsCache = problems; originalShow(problems); };
load();
