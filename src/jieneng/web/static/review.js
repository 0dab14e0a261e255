// The review queue: a "select all" box checks every task of the page, and shows how
// many are checked. No inline script (CSP script-src 'self').
(function () {
  function boxes() { return document.querySelectorAll('input[name="task"]'); }
  function update() {
    var all = document.getElementById('select-all');
    var count = document.getElementById('selected-count');
    var list = boxes(), n = 0;
    list.forEach(function (b) { if (b.checked) { n += 1; } });
    if (all) { all.checked = list.length > 0 && n === list.length; all.indeterminate = n > 0 && n < list.length; }
    if (count) { count.textContent = String(n); }
  }
  document.addEventListener('change', function (event) {
    var target = event.target;
    if (target && target.id === 'select-all') {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target && (target.id === 'select-all' || target.name === 'task')) { update(); }
  });
  document.addEventListener('DOMContentLoaded', update);
})();
