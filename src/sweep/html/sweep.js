// The sweep pages' script: tables sorted by a click on a heading (each cell sorts by its exact data-v), and the
// chart's cells: hovering one shows its combination's parameters and metrics, clicking one finds its ranking row
// (a cell whose run is kept is a link to its report).
(function () {
  "use strict";
  var root = document.documentElement;
  // A cell's value as a number that always compares: empty (undefined) lowest, then Rust's `-inf` and `NaN` (tied),
  // then the numbers, `inf` highest.
  function num(v) {
    if (v === "") { return -Infinity; }
    if (v === "inf") { return Infinity; }
    if (v === "-inf") { return -Number.MAX_VALUE; }
    var n = parseFloat(v);
    return isNaN(n) ? -Number.MAX_VALUE : n;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0], heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(body.rows, function (tr, i) { tr.dataset.i = i; });
    table.tHead.addEventListener("click", function (e) {
      var th = e.target.closest("th");
      if (!th) return;
      var col = th.cellIndex, text = th.hasAttribute("data-text");
      var down = th.getAttribute("aria-sort") === "ascending";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v, c;
        if (text) { c = x.localeCompare(y); } else {
          x = num(x); y = num(y);
          c = x < y ? -1 : (x > y ? 1 : 0);
        }
        return (down ? -c : c) || a.dataset.i - b.dataset.i;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
      Array.prototype.forEach.call(heads, function (h) {
        h.setAttribute("aria-sort", h === th ? (down ? "descending" : "ascending") : "none");
      });
    });
  });

  var tip = document.getElementById("tip"), cells = document.querySelectorAll(".cell");
  cells.forEach(function (c) {
    var t = c.querySelector("title");
    if (t) { c.dataset.tip = t.textContent; c.removeChild(t); }
  });
  document.addEventListener("mousemove", function (e) {
    var c = e.target.closest && e.target.closest(".cell");
    if (!c || !c.dataset.tip) { tip.hidden = true; return; }
    tip.textContent = c.dataset.tip;
    tip.hidden = false;
    var x = e.clientX + 14, y = e.clientY + 14;
    if (x + tip.offsetWidth > window.innerWidth) x = e.clientX - tip.offsetWidth - 14;
    if (y + tip.offsetHeight > window.innerHeight) y = e.clientY - tip.offsetHeight - 14;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  });
  document.addEventListener("click", function (e) {
    var c = e.target.closest && e.target.closest(".cell");
    if (!c || c.closest("a")) return;
    document.querySelectorAll(".hl").forEach(function (h) { h.classList.remove("hl"); });
    c.classList.add("hl");
    var tr = document.getElementById("combination-" + c.dataset.n);
    if (tr) { tr.classList.add("hl"); tr.scrollIntoView({ block: "center" }); }
  });

  root.setAttribute("data-cells", String(cells.length));
  root.setAttribute("data-ready", String(Math.round(performance.now())));
})();
