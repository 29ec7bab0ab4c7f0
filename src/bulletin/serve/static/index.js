// bulletin serve — the list page. Figures not in the cache yet are asked for a few issues at a
// time (checking one takes a moment); 排版 / 分发 run on the server and report their progress here.
"use strict";

const CSRF = document.querySelector('meta[name="csrf"]').content;
const EN = document.body.dataset.lang === "en";
const W = EN ? {errors: "errors", warnings: "warnings", ok: "no problems", working: "working…", failed: "failed",
                copies: (d, t) => `numbered copies ${d}/${t}`, seconds: s => `${s} s`}
             : {errors: "错误", warnings: "警告", ok: "无问题", working: "处理中…", failed: "失败",
                copies: (d, t) => `编号副本 ${d}/${t}`, seconds: s => `${s} 秒`};

function fill(row, item) {
  row.classList.remove("pending");
  row.querySelector(".number").textContent = item.number;
  row.querySelector(".date").textContent = item.date;
  row.querySelector(".pages").textContent = item.pages || "—";
  const name = row.querySelector(".name");
  if (name && item.draft && !name.querySelector(".draft")) {
    const mark = document.createElement("span");
    mark.className = "draft";
    mark.textContent = EN ? "draft" : "草稿";
    name.append(" ", mark);
  }
  const cell = row.querySelector(".status");
  const parts = [];
  if (item.errors) parts.push(`${item.errors} ${W.errors}`);
  if (item.warnings) parts.push(`${item.warnings} ${W.warnings}`);
  cell.textContent = parts.length ? parts.join("，") : W.ok;
  cell.className = "status " + (item.errors ? "bad" : item.warnings ? "warn" : "good");
}

async function checkPending() {
  const rows = [...document.querySelectorAll("tr.pending")];
  for (let i = 0; i < rows.length; i += 8) {
    const batch = rows.slice(i, i + 8);
    const query = batch.map(r => "issue=" + encodeURIComponent(r.dataset.key)).join("&");
    try {
      const response = await fetch("/api/status?" + query);
      if (!response.ok) return;
      const data = await response.json();
      for (const row of batch) if (data[row.dataset.key]) fill(row, data[row.dataset.key]);
    } catch (e) { return; }
  }
}

async function runJob(button) {
  const row = button.closest("tr"), state = row.querySelector(".job-state");
  const [series, issue] = row.dataset.key.split("/");
  row.querySelectorAll("button.job").forEach(b => b.disabled = true);
  state.className = "job-state"; state.textContent = W.working;
  let job;
  try {
    const response = await fetch(`/api/issues/${encodeURIComponent(series)}/${encodeURIComponent(issue)}/${button.dataset.kind}`,
                                 {method: "POST", headers: {"X-CSRF-Token": CSRF}});
    job = await response.json();
    if (!response.ok) throw new Error(job.error || response.status);
    while (job.state === "running") {
      state.textContent = `${W.working} ${W.seconds(job.elapsed || 0)}` + (job.total ? " · " + W.copies(job.done, job.total) : "");
      await new Promise(r => setTimeout(r, 500));
      job = await (await fetch(`/api/jobs/${encodeURIComponent(job.id)}`)).json();
    }
    state.textContent = (EN ? job.message_en : job.message) + (job.seconds !== undefined ? (EN ? ` (${W.seconds(job.seconds)})` : `（${W.seconds(job.seconds)}）`) : "");
    state.className = "job-state " + (job.state === "done" ? "good" : "bad");
    if (job.state === "done") row.dataset.done = button.dataset.kind;
    if (job.pages) row.querySelector(".pages").textContent = job.pages;
  } catch (e) {
    state.textContent = `${W.failed}: ${e.message}`; state.className = "job-state bad";
  }
  row.querySelectorAll("button.job").forEach(b => b.disabled = false);
}

document.querySelectorAll("button.job").forEach(b => b.addEventListener("click", () => runJob(b)));
checkPending();
