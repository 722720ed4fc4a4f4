// The trade table, its sorting, and the entry/exit markers on the price charts, built from #trade-data.
(function () {
  "use strict";
  var root = document.documentElement;
  var raw = JSON.parse(document.getElementById("trade-data").textContent);
  var trades = raw.map(function (r, i) {
    return {
      n: i + 1, symbol: r[0], dir: r[1] ? "long" : "short", entry: r[2], exit: r[3], duration: r[3] - r[2],
      qty: r[4], entry_price: r[5], exit_price: r[6], pnl: r[7], ret: r[8], fees: r[9], mae: r[10], mfe: r[11],
      exit_order: r[12], spot: r[13]
    };
  });
  var TEXT = { symbol: 1, dir: 1, exit_order: 1 };

  function time(s) { return new Date(s * 1000).toISOString().slice(0, 16).replace("T", " "); }
  function span(s) {
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, out = [];
    if (d) out.push(d + "d"); if (h) out.push(h + "h"); if (m) out.push(m + "m");
    return out.length ? out.join(" ") : s + "s";
  }
  function esc(s) { return String(s === null ? "" : s).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function sign(v) { return v === null ? "" : (parseFloat(v) > 0 ? "pos" : (parseFloat(v) < 0 ? "neg" : "")); }

  function row(t) {
    return '<tr class="trade" id="trade-' + t.n + '" data-trade="' + t.n + '"><td>' + t.n + "</td><td>" + esc(t.symbol) +
      "</td><td>" + t.dir + "</td><td>" + time(t.entry) + "</td><td>" + time(t.exit) + "</td><td>" + span(t.duration) +
      "</td><td>" + esc(t.qty) + "</td><td>" + esc(t.entry_price) + "</td><td>" + esc(t.exit_price) +
      '</td><td class="' + sign(t.pnl) + '">' + esc(t.pnl) + '</td><td class="' + sign(t.ret) + '">' + esc(t.ret) +
      "</td><td>" + esc(t.fees) + "</td><td>" + esc(t.mae) + "</td><td>" + esc(t.mfe) + "</td><td>" +
      esc(t.exit_order) + "</td></tr>";
  }

  // A long run's table shows its first rows until asked for all: laying out tens of thousands of rows is what
  // would make the page slow to open. Sorting always sorts every trade.
  var PAGE = 1000, shown = PAGE;
  var body = document.querySelector("#trades tbody");
  var more = document.getElementById("more-trades");
  var order = { key: "n", down: false };
  function render() {
    var key = order.key, text = TEXT[key], down = order.down;
    var sorted = trades.slice().sort(function (a, b) {
      var x = a[key], y = b[key], c;
      if (text) { c = String(x).localeCompare(String(y)); } else {
        x = x === null ? -Infinity : parseFloat(x); y = y === null ? -Infinity : parseFloat(y);
        c = x < y ? -1 : (x > y ? 1 : 0);
      }
      return (down ? -c : c) || a.n - b.n;
    });
    body.innerHTML = sorted.slice(0, shown).map(row).join("");
    more.hidden = trades.length <= shown;
    more.textContent = "show all " + trades.length + " trades (" + Math.min(shown, trades.length) + " shown)";
    document.querySelectorAll("#trades th").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === key ? (down ? "descending" : "ascending") : "none");
    });
  }
  document.querySelector("#trades thead").addEventListener("click", function (e) {
    var key = e.target.dataset && e.target.dataset.key;
    if (!key) return;
    order = { key: key, down: order.key === key ? !order.down : false };
    render();
  });
  more.addEventListener("click", function () { shown = trades.length; render(); });
  var wanted = /^#sort=(-?)(\w+)$/.exec(location.hash);
  if (wanted && trades.length && wanted[2] in trades[0]) order = { key: wanted[2], down: wanted[1] === "-" };
  render();

  // Markers: an upward triangle where a long trip entered or a short one exited, a downward one otherwise.
  function triangle(x, y, up) {
    var h = up ? 7 : -7;
    return "M" + x + " " + (y + h * 0.2) + "l-4.5 " + h + "h9z";
  }
  var groups = {};
  document.querySelectorAll("g.markers").forEach(function (g) { groups[g.dataset.symbol] = []; });
  trades.forEach(function (t) {
    if (!t.spot || !(t.symbol in groups)) return;
    var s = t.spot, long = t.dir === "long", tip = " trade " + t.n + " (" + t.dir + "): ";
    groups[t.symbol].push(
      '<path class="marker entry ' + t.dir + '" data-trade="' + t.n + '" d="' + triangle(s[0], s[1], long) + '"><title>entry' + tip +
      esc(t.qty) + " @ " + esc(t.entry_price) + ", " + time(t.entry) + "</title></path>",
      '<path class="marker exit ' + t.dir + '" data-trade="' + t.n + '" d="' + triangle(s[2], s[3], !long) + '"><title>exit' + tip +
      "@ " + esc(t.exit_price) + ", " + time(t.exit) + ", net " + esc(t.pnl) + "</title></path>");
  });
  document.querySelectorAll("g.markers").forEach(function (g) { g.innerHTML = groups[g.dataset.symbol].join(""); });

  function highlight(n, scroll) {
    document.querySelectorAll(".hl").forEach(function (e) { e.classList.remove("hl"); });
    document.querySelectorAll('[data-trade="' + n + '"]').forEach(function (e) { e.classList.add("hl"); });
    var tr = document.getElementById("trade-" + n);
    if (scroll && tr) tr.scrollIntoView({ block: "center" });
  }
  document.addEventListener("click", function (e) {
    var hit = e.target.closest && e.target.closest("[data-trade]");
    if (hit) highlight(hit.dataset.trade, hit.tagName.toLowerCase() === "path");
  });

  root.setAttribute("data-trades", String(trades.length));
  root.setAttribute("data-ready", String(Math.round(performance.now())));
})();
