/* The year grid of 数据填报 (pages/entry_year.html), no build step:
   - paste from Excel: tab-separated rows from the focused cell on (locked months skipped);
   - arrows / Enter / Tab move between the cells;
   - the totals of every month (综合能耗 tce, cost) and carrier follow the typing;
   - a draft in localStorage (per institution and year; the month form per month) keeps
     what was typed across an expired session: restored when the form is shown again,
     dropped once saved;
   - forms with data-confirm ask before they are sent (上报). */
(function () {
  "use strict";

  function number(text) {
    var t = String(text || "").trim().replace(/[,，\s]/g, "")
      .replace(/[０-９．]/g, function (ch) { return String.fromCharCode(ch.charCodeAt(0) - 0xFEE0); });
    if (t === "" || isNaN(Number(t))) return null;
    return Number(t);
  }

  function format(value, digits) {
    if (value === null) return "";
    return value.toLocaleString("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function setSum(cell, value, digits) {
    if (!cell) return;
    var keep = cell.querySelector(".eg-ly");
    cell.textContent = format(value, digits);
    if (keep) cell.appendChild(keep);
  }

  function setup(form) {
    var rows = Array.prototype.slice.call(form.querySelectorAll("tbody tr"));
    var grid = rows.map(function (tr) { return Array.prototype.slice.call(tr.querySelectorAll("input")); });
    var status = document.getElementById("grid-status");

    function position(input) {
      for (var r = 0; r < grid.length; r++) {
        var c = grid[r].indexOf(input);
        if (c >= 0) return [r, c];
      }
      return null;
    }

    function totals() {
      var columns = {}, all = { tce: null, cost: null };
      rows.forEach(function (tr, r) {
        var tce = null, cost = null;
        grid[r].forEach(function (input) {
          var v = number(input.value);
          if (v === null) return;
          var col = input.getAttribute("data-part") + "_" + input.getAttribute("data-carrier");
          columns[col] = (columns[col] || 0) + v;
          if (input.getAttribute("data-part") === "c") cost = (cost || 0) + v;
          var kgce = input.getAttribute("data-kgce");
          if (kgce) tce = (tce || 0) + v * Number(kgce) / 1000;
        });
        setSum(tr.querySelector('[data-sum="tce"]'), tce, 3);
        setSum(tr.querySelector('[data-sum="cost"]'), cost, 2);
        if (tce !== null) all.tce = (all.tce || 0) + tce;
        if (cost !== null) all.cost = (all.cost || 0) + cost;
      });
      form.querySelectorAll("[data-total]").forEach(function (cell) {
        var name = cell.getAttribute("data-total");
        if (name === "tce") setSum(cell, all.tce, 3);
        else if (name === "cost") setSum(cell, all.cost, 2);
        else setSum(cell, name in columns ? columns[name] : null, 2);
      });
    }

    function focusCell(r, c, dr, dc) {
      while (r >= 0 && r < grid.length) {
        var row = grid[r];
        if (c >= 0 && c < row.length && !row[c].disabled) {
          row[c].focus();
          row[c].select();
          return true;
        }
        if (dc) { c += dc; if (c < 0 || c >= row.length) { r += dc; c = dc > 0 ? 0 : (grid[r] || []).length - 1; } }
        else r += dr || 1;
      }
      return false;
    }

    function paste(event) {
      var input = event.target;
      var data = (event.clipboardData || window.clipboardData);
      var text = data ? data.getData("text/plain") || data.getData("text") : "";
      if (!text || (text.indexOf("\t") < 0 && text.indexOf("\n") < 0)) return; // one value: as usual
      event.preventDefault();
      var start = position(input);
      if (!start) return;
      var lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
      var pasted = 0, skipped = 0;
      lines.forEach(function (line, i) {
        line.split("\t").forEach(function (value, j) {
          var row = grid[start[0] + i];
          var target = row && row[start[1] + j];
          if (!target || target.disabled) { skipped++; return; }
          target.value = value.trim();
          pasted++;
        });
      });
      totals();
      form.dispatchEvent(new Event("input"));
      if (status) {
        var said = form.getAttribute("data-pasted").replace("{count}", pasted);
        if (skipped) said += form.getAttribute("data-skipped").replace("{count}", skipped);
        status.textContent = said;
      }
    }

    function keydown(event) {
      var input = event.target;
      var at = position(input);
      if (!at) return;
      var r = at[0], c = at[1], moved = false;
      var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
      var atEnd = input.selectionStart === input.value.length;
      switch (event.key) {
        case "ArrowUp": moved = focusCell(r - 1, c, -1, 0); break;
        case "ArrowDown": moved = focusCell(r + 1, c, 1, 0); break;
        case "Enter": moved = focusCell(event.shiftKey ? r - 1 : r + 1, c, event.shiftKey ? -1 : 1, 0) || true; break;
        case "ArrowLeft": if (atStart || input.selectionEnd - input.selectionStart === input.value.length) moved = focusCell(r, c - 1, 0, -1); break;
        case "ArrowRight": if (atEnd) moved = focusCell(r, c + 1, 0, 1); break;
        case "Tab": moved = focusCell(r, event.shiftKey ? c - 1 : c + 1, 0, event.shiftKey ? -1 : 1); break;
        default: return;
      }
      if (moved) event.preventDefault();
    }

    form.addEventListener("paste", paste);
    form.addEventListener("keydown", keydown);
    form.addEventListener("input", totals);
    form.addEventListener("draft-restored", totals);
    totals();
  }

  /* A draft of what was typed, per form (data-draft-key: institution and year, or
     month): kept on every change, put back when the form is shown again (after an
     expired session and the login), dropped once the form was saved (data-saved). */
  function draft(form) {
    var key = form.getAttribute("data-draft-key");
    function fields() {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.name && !el.disabled && el.type !== "hidden" && el.type !== "checkbox"
          && el.type !== "submit" && el.type !== "button";
      });
    }
    function initial(el) {
      if (el.tagName === "SELECT") {
        for (var i = 0; i < el.options.length; i++) if (el.options[i].defaultSelected) return el.options[i].value;
        return el.options.length ? el.options[0].value : "";
      }
      return el.defaultValue;
    }
    function save() {
      var cells = {}, n = 0;
      fields().forEach(function (el) {
        if (el.value !== initial(el)) { cells[el.name] = el.value; n++; }
      });
      try {
        if (n) localStorage.setItem(key, JSON.stringify({ cells: cells, at: Date.now() }));
        else localStorage.removeItem(key);
      } catch (e) { /* storage full or disabled: the form still works */ }
    }
    function restore() {
      var banner = document.getElementById("grid-draft");
      try {
        if (form.hasAttribute("data-saved")) { localStorage.removeItem(key); return; }
        var stored = JSON.parse(localStorage.getItem(key) || "null");
        if (!stored || !stored.cells) return;
        var n = 0;
        fields().forEach(function (el) {
          if (Object.prototype.hasOwnProperty.call(stored.cells, el.name) && el.value !== stored.cells[el.name]) {
            el.value = stored.cells[el.name];
            el.classList.add("eg-draft");
            n++;
          }
        });
        if (!n) return;
        form.dispatchEvent(new Event("draft-restored"));
        if (!banner) return;
        banner.querySelector("span").textContent = banner.getAttribute("data-text").replace("{count}", n);
        banner.hidden = false;
        document.getElementById("grid-draft-discard").addEventListener("click", function () {
          localStorage.removeItem(key);
          fields().forEach(function (el) { el.value = initial(el); el.classList.remove("eg-draft"); });
          banner.hidden = true;
          form.dispatchEvent(new Event("draft-restored"));
        });
      } catch (e) { /* no storage: nothing to restore */ }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("paste", function () { window.setTimeout(save, 0); });
    restore();
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (event) {
        if (!window.confirm(f.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function start() {
    var form = document.getElementById("year-grid");
    if (form) setup(form);
    document.querySelectorAll("form[data-draft-key]").forEach(draft);
    confirmForms();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
