// The review app's keys, live preview and bulk selection. Plain JavaScript, no libraries.
(function () {
  "use strict";
  var typing = function (el) {
    return el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || (el.tagName === "INPUT" && el.type !== "checkbox"));
  };
  var keys = document.getElementById("keys");
  document.querySelectorAll("[data-keys]").forEach(function (b) { b.addEventListener("click", function () { keys.showModal(); }); });

  // ---- the queue -------------------------------------------------------------------------
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.rows tbody tr[data-href]"));
  var bulk = document.getElementById("bulk");
  var current = 0;
  function mark(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("current", k === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  function selected() { return bulk ? bulk.querySelectorAll("input[name=pair]:checked") : []; }
  function countSelected() {
    var n = document.querySelector("[data-selected]");
    if (n) n.textContent = String(selected().length);
  }
  if (bulk) {
    bulk.addEventListener("change", countSelected);
    mark(0);
  }
  function bulkStatus(status) {
    if (!selected().length && rows.length) rows[current].querySelector("input[name=pair]").checked = true;
    var b = bulk.querySelector("button[name=status][value=" + status + "]");
    if (status === "approved" && !bulk.querySelector("input[name=reviewed_by]").value.trim()) {
      bulk.querySelector("input[name=reviewed_by]").focus();
      return;
    }
    bulk.requestSubmit(b);
  }

  // ---- a pair ----------------------------------------------------------------------------
  var form = document.getElementById("pair-form");
  var frame = document.getElementById("preview");
  var state = document.getElementById("preview-state");
  var problems = document.getElementById("preview-problems");
  var timer = null, asked = 0;
  function preview() {
    if (!form) return;
    var mine = ++asked;
    state.textContent = "Preview: updating…";
    fetch(form.getAttribute("action") + "/preview", { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== asked) return;
        problems.innerHTML = "";
        (data.problems || []).forEach(function (p) { var li = document.createElement("li"); li.textContent = p; problems.appendChild(li); });
        problems.hidden = !(data.problems || []).length;
        if (data.html) {
          frame.srcdoc = data.html;
          state.textContent = "Preview: the page as the build renders it from this form (" + data.status + ").";
          state.setAttribute("data-status", data.status);
        } else {
          state.textContent = "Preview: not updated; the form has problems (below).";
        }
        var dd = document.getElementById("diff-draft"), da = document.getElementById("diff-approved");
        if (data.diff_draft !== undefined) dd.innerHTML = data.diff_draft || "<span class=muted>No editor text yet.</span>";
        if (data.diff_approved) da.innerHTML = data.diff_approved;
      })
      .catch(function () { state.textContent = "Preview: the app did not answer."; });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(preview, 350); }
  function setStatus(status) {
    form.querySelector("#status").value = status;
    var who = form.querySelector("#reviewed_by");
    if (status === "approved" && !who.value.trim()) {
      soon();
      who.focus();
      who.placeholder = "type who reviewed it, then press Enter";
      return;
    }
    form.requestSubmit();
  }
  if (form) {
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    form.querySelectorAll("[data-set-status]").forEach(function (b) {
      b.addEventListener("click", function () { setStatus(b.getAttribute("data-set-status")); });
    });
    var use = document.querySelector("[data-use-draft]");
    if (use) use.addEventListener("click", function () {
      var ta = form.querySelector("#relationship");
      var ps = document.querySelectorAll("#draft-text p");
      ta.value = Array.prototype.map.call(ps, function (p) { return p.textContent; }).join("\n\n");
      ta.focus();
      soon();
    });
  }

  // ---- keys ------------------------------------------------------------------------------
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && typing(document.activeElement)) { document.activeElement.blur(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target) || (keys && keys.open)) return;
    var go = function (sel) { var a = document.querySelector(sel); if (a) window.location.href = a.getAttribute("href"); };
    switch (ev.key) {
      case "?": keys.showModal(); break;
      case "j": if (bulk) mark(current + 1); else go("[data-next]"); break;
      case "k": if (bulk) mark(current - 1); else go("[data-prev]"); break;
      case "x": if (bulk && rows.length) { var c = rows[current].querySelector("input[name=pair]"); c.checked = !c.checked; countSelected(); } break;
      case "e": case "Enter":
        if (bulk && rows.length) window.location.href = rows[current].getAttribute("data-href");
        else if (form && ev.key === "e") { var t = form.querySelector("#relationship"); t.focus(); }
        else return;
        break;
      case "a": if (bulk) bulkStatus("approved"); else if (form) setStatus("approved"); break;
      case "n": if (bulk) bulkStatus("noindex"); else if (form) setStatus("noindex"); break;
      case "r": if (bulk) bulkStatus("rejected"); else if (form) setStatus("rejected"); break;
      case "p": preview(); break;
      default: return;
    }
    ev.preventDefault();
  });
})();
