// Frontdesk's workspace script: live counts and lists, who else is on a ticket, Markdown
// preview, row selection and keyboard shortcuts. Every page works without it; it only adds.
"use strict";
(function () {
  const body = document.body;
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  const POLL_MS = 2500;

  function post(url, fields) {
    const data = new URLSearchParams(fields);
    data.set("_csrf", csrf);
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { accept: "application/json" } });
  }

  // Views: counts in the sidebar and the list itself follow the tickets without a reload.
  function liveList() {
    let stamp = body.dataset.stamp;
    if (stamp === undefined) return;
    async function tick() {
      try {
        const r = await fetch("/agent/live", { credentials: "same-origin", headers: { accept: "application/json" } });
        if (!r.ok) return;
        const live = await r.json();
        for (const [id, n] of Object.entries(live.counts)) {
          const el = document.querySelector('[data-view-count="' + id + '"]');
          if (el && el.textContent !== String(n)) el.textContent = n;
        }
        const selected = document.querySelector(".list input[type=checkbox]:checked");
        if (String(live.stamp) !== stamp && !selected && document.querySelector(".list[data-live]")) {
          const page = await fetch(location.href, { credentials: "same-origin" });
          if (!page.ok) return;
          const doc = new DOMParser().parseFromString(await page.text(), "text/html");
          const fresh = doc.querySelector(".list[data-live]");
          const list = document.querySelector(".list[data-live]");
          if (fresh && list) {
            list.replaceWith(fresh);
            wireSelection();
          }
        }
        stamp = String(live.stamp);
        body.dataset.stamp = stamp;
      } catch (_) { /* offline for a moment: try again next tick */ }
    }
    setInterval(tick, POLL_MS);
  }

  // A ticket: say we are here (and typing), show who else is, and warn when it changed.
  function presence() {
    const id = body.dataset.ticket;
    if (!id) return;
    const version = body.dataset.version;
    const box = document.getElementById("presence");
    const changed = document.getElementById("changed");
    let typedAt = 0;
    const text = document.getElementById("body");
    if (text) text.addEventListener("input", () => { typedAt = Date.now(); beat(); });
    let inFlight = false;
    async function beat() {
      if (inFlight) return;
      inFlight = true;
      try {
        const typing = Date.now() - typedAt < 4000 ? "1" : "0";
        const r = await post("/agent/tickets/" + id + "/presence", { typing });
        if (!r.ok) return;
        const p = await r.json();
        if (box) box.textContent = p.line;
        if (changed && p.version !== null && String(p.version) !== version) {
          changed.textContent = p.changed;
          changed.hidden = false;
        }
      } catch (_) { /* try again next tick */ } finally { inFlight = false; }
    }
    beat();
    setInterval(beat, POLL_MS);
    addEventListener("pagehide", () => {
      const data = new URLSearchParams({ _csrf: csrf });
      navigator.sendBeacon("/agent/tickets/" + id + "/leave", data);
    });
  }

  // The composer's Markdown preview, rendered and sanitised by the server as the saved
  // comment will be.
  function markdownPreview() {
    const button = document.getElementById("preview-button");
    const out = document.getElementById("markdown-preview");
    const text = document.getElementById("body");
    if (!button || !out || !text) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const r = await post("/agent/markdown", { body: text.value });
      if (!r.ok) return;
      out.innerHTML = (await r.json()).html;
      out.hidden = false;
    });
  }

  // Row selection for bulk actions: "select all" and the count of selected rows.
  function wireSelection() {
    const all = document.getElementById("select-all");
    const boxes = () => Array.from(document.querySelectorAll('input[name="ids"]'));
    if (all) all.addEventListener("change", () => boxes().forEach((b) => { b.checked = all.checked; }));
  }

  // Keyboard shortcuts; `?` lists them.
  function shortcuts() {
    let rows = () => Array.from(document.querySelectorAll(".list tbody tr"));
    let cursor = -1;
    function mark(i) {
      const list = rows();
      if (!list.length) return;
      cursor = Math.max(0, Math.min(list.length - 1, i));
      list.forEach((r, n) => r.classList.toggle("cursor", n === cursor));
      const link = list[cursor].querySelector("a");
      if (link) link.focus();
    }
    document.addEventListener("keydown", (e) => {
      const t = e.target;
      const typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t && t.id === "body") {
        const submit = document.querySelector(".composer .submit button.default") || document.querySelector(".composer .submit button");
        if (submit) { e.preventDefault(); submit.click(); }
        return;
      }
      if (e.key === "Escape" && typing) { t.blur(); return; }
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      const go = (sel) => { const el = document.querySelector(sel); if (el) { e.preventDefault(); el.focus(); if (el.tagName === "A") el.click(); } };
      switch (e.key) {
        case "j": e.preventDefault(); mark(cursor + 1); break;
        case "k": e.preventDefault(); mark(cursor - 1); break;
        case "x": { const r = rows()[cursor]; const b = r && r.querySelector('input[name="ids"]'); if (b) { e.preventDefault(); b.checked = !b.checked; } break; }
        case "/": go("#q"); break;
        case "r": go("#body"); break;
        case "n": go("a[data-shortcut=new]"); break;
        case "a": { const b = document.querySelector('input[name="assign_to_me"]'); if (b) { e.preventDefault(); b.checked = !b.checked; } break; }
        case "?": { const h = document.getElementById("shortcuts"); if (h) { e.preventDefault(); h.hidden = !h.hidden; } break; }
      }
    });
  }

  // The reply being written on a ticket is kept in this browser until it is sent, so a page
  // reload or a session that ended on submit loses nothing.
  function keepDraft() {
    const body = document.querySelector("#composer #body, form.composer #body");
    if (!body || !window.localStorage) return;
    const key = "draft:" + location.pathname;
    if (new URLSearchParams(location.search).has("saved")) localStorage.removeItem(key);
    const kept = localStorage.getItem(key);
    if (kept && !body.value) body.value = kept;
    body.addEventListener("input", () => {
      if (body.value) localStorage.setItem(key, body.value); else localStorage.removeItem(key);
    });
  }

  // A form that destroys something asks first (`data-confirm` holds the question).
  document.addEventListener("submit", (e) => {
    const question = e.target.dataset && e.target.dataset.confirm;
    if (question && !window.confirm(question)) e.preventDefault();
  });

  keepDraft();
  liveList();
  presence();
  markdownPreview();
  wireSelection();
  shortcuts();
})();
