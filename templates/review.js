// The review page's keyboard shortcuts and saving without a reload. Served from this server only (the
// Content-Security-Policy allows no inline script); student text is never written as HTML here.
"use strict";
(function () {
  const groups = () => Array.from(document.querySelectorAll("section.group"));
  let current = -1;

  function focus(i) {
    const all = groups();
    if (!all.length) return;
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((g, j) => g.classList.toggle("focus", j === current));
    all[current].scrollIntoView({block: "center"});
    all[current].focus({preventScroll: true});
  }

  function focused() {
    const all = groups();
    return current >= 0 && current < all.length ? all[current] : null;
  }

  async function save(form, action) {
    const data = new FormData(form);
    data.set("action", action || "save");
    const status = form.querySelector(".saved");
    status.textContent = "saving…";
    const resp = await fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-Review-Token": data.get("token")}});
    if (!resp.ok) { status.textContent = "not saved: " + (await resp.text()); return; }
    const body = await resp.json();
    const section = form.closest("section.group");
    section.classList.toggle("done", body.done);
    section.querySelector(".status").textContent = body.status;
    status.textContent = action === "clear" ? "cleared" : "saved";
    const p = body.progress;
    const bar = document.getElementById("progress");
    bar.max = p.total || 1;
    bar.value = p.reviewed;
    document.getElementById("progress-text").textContent = "reviewed " + p.reviewed + " of " + p.total + " answers";
    document.getElementById("groups-text").textContent = p.groups_done + " of " + p.groups + " groups done";
  }

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!form.classList.contains("decide")) return;
    ev.preventDefault();
    const action = ev.submitter && ev.submitter.value === "clear" ? "clear" : "save";
    save(form, action);
  });

  document.addEventListener("keydown", (ev) => {
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "input" || tag === "select" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const g = focused();
    if (ev.key === "j") { focus(current + 1); }
    else if (ev.key === "k") { focus(current - 1); }
    else if (ev.key === "n") {
      const all = groups();
      const next = all.findIndex((s, j) => j > current && !s.classList.contains("done"));
      if (next >= 0) focus(next);
    }
    else if (ev.key === "f") { const f = document.getElementById("filter"); if (f) window.location = f.href; }
    else if (ev.key === "s" && g) { save(g.querySelector("form.decide")); }
    else if (/^[1-9]$/.test(ev.key) && g) {
      const box = g.querySelectorAll("ul.rubric input[type=checkbox]")[Number(ev.key) - 1];
      if (box) box.checked = !box.checked;
    }
    else return;
    ev.preventDefault();
  });
})();
