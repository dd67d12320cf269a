"""The HTML report's stylesheet and script, inline in every report (one file, nothing fetched). The page's
Content-Security-Policy allows exactly these two by their SHA-256, and nothing else: no network, no other
script, no inline style attributes."""

STYLE = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #505a66; --line: #c9d1d9; --focus: #1a56db;
  --error: #a4001d; --warning: #7a4d00; --warning-bg: #fff1c2; --info: #0b4f8a; --waived: #4b5563; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink);
  background: #fff; margin: 0; }
header, main { padding: 0 1.25rem; max-width: 110rem; margin: 0 auto; }
h1 { font-size: 1.45rem; margin: 1rem 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
a { color: #0645ad; }
.skip { position: absolute; left: -999px; top: .5rem; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.totals { font-size: 1.05rem; margin: .25rem 0 .75rem; }
.run { border-collapse: collapse; font-size: .85rem; margin-bottom: .5rem; }
.run th { text-align: left; font-weight: 600; padding: .1rem 1rem .1rem 0; color: var(--muted); }
.run td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
.downloads ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
.downloads a { display: inline-block; padding: .35rem .7rem; border: 1px solid var(--line); border-radius: 4px;
  text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: .5rem 0 1rem; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
.cards strong { display: block; font-size: 1.5rem; }
.summary-tables { display: flex; flex-wrap: wrap; gap: 2rem; }
table.grid { border-collapse: collapse; font-size: .9rem; }
table.grid caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: .3rem .6rem; text-align: left;
  vertical-align: top; }
table.grid td.n, table.grid th.n { text-align: right; font-variant-numeric: tabular-nums; }
.sev { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap; }
.sev-error { color: var(--error); }
.sev-warning { color: var(--warning); background: var(--warning-bg); }
.sev-info { color: var(--info); }
.sev-waived { color: var(--waived); }
.views { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0; }
.views button, .controls button { font: inherit; padding: .3rem .7rem; border: 1px solid #6b7785;
  border-radius: 4px; background: #fff; color: var(--ink); cursor: pointer; }
.views button[aria-pressed="true"] { background: #1b1f24; color: #fff; border-color: #1b1f24; }
.controls { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin: .5rem 0; }
.controls label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
.controls select, .controls input { font: inherit; color: var(--ink); padding: .25rem; border: 1px solid #6b7785;
  border-radius: 4px; min-width: 10rem; }
#shown { font-weight: 600; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table.issues { width: 100%; }
table.issues th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; color: inherit;
  cursor: pointer; text-align: left; }
table.issues th[aria-sort="ascending"] button::after { content: " \\25B2"; }
table.issues th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.issues td.msg { min-width: 18rem; }
table.issues .hint { color: var(--muted); display: block; margin-top: .2rem; }
table.issues .waiver { color: var(--waived); display: block; margin-top: .2rem; font-style: italic; }
code, .value { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem;
  overflow-wrap: anywhere; white-space: pre-wrap; }
tr[hidden] { display: none; }
footer { color: var(--muted); font-size: .8rem; padding: 1rem 1.25rem 2rem; max-width: 110rem; margin: 0 auto; }
@media (max-width: 760px) {
  table.issues thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.issues, table.issues tbody, table.issues tr, table.issues td { display: block; width: 100%; }
  table.issues tr { border: 1px solid var(--line); border-radius: 6px; margin-bottom: .6rem; padding: .3rem; }
  table.issues tr[hidden] { display: none; }
  table.issues td { border: 0; padding: .15rem .3rem; }
  table.issues td::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
  table.issues td.msg { min-width: 0; }
  table.issues td:empty { display: none; }
  table.issues caption { display: block; text-align: left; }
}
@media print {
  .skip, .views, .controls, .downloads, table.issues th button::after { display: none; }
  body { font-size: 10pt; }
  table.issues th button { color: #000; }
  tr { break-inside: avoid; }
  a { color: #000; text-decoration: none; }
}
"""

SCRIPT = """
(function () {
  'use strict';
  var table = document.getElementById('issue-table');
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.querySelectorAll('tr[data-severity]'));
  var shown = document.getElementById('shown');
  var filters = { severity: document.getElementById('f-severity'), code: document.getElementById('f-code'),
                  text: document.getElementById('f-text') };
  var views = Array.prototype.slice.call(document.querySelectorAll('button[data-view]'));
  var state = { sheet: '' };

  function apply() {
    var severity = filters.severity.value, code = filters.code.value;
    var text = filters.text.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var visible = (!state.sheet || row.getAttribute('data-sheet') === state.sheet) &&
        (!severity || row.getAttribute('data-severity') === severity) &&
        (!code || row.getAttribute('data-code') === code) &&
        (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    views.forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-view') === state.sheet));
    });
    shown.textContent = count + ' of ' + rows.length + ' issues shown' +
      (state.sheet ? ' (sheet ' + state.sheet + ')' : '');
  }

  function showSheet(sheet) {
    state.sheet = sheet;
    apply();
  }

  function fromHash() {
    var hash = window.location.hash;
    if (hash.indexOf('#sheet=') === 0) {
      showSheet(decodeURIComponent(hash.slice(7)));
    } else if (hash === '#issues' || hash === '') {
      showSheet('');
    }
  }

  views.forEach(function (button) {
    button.addEventListener('click', function () {
      var sheet = button.getAttribute('data-view');
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, '', sheet ? '#sheet=' + encodeURIComponent(sheet) : '#issues');
      }
      showSheet(sheet);
    });
  });
  ['change', 'input'].forEach(function (kind) {
    filters.severity.addEventListener(kind, apply);
    filters.code.addEventListener(kind, apply);
    filters.text.addEventListener(kind, apply);
  });
  document.getElementById('f-reset').addEventListener('click', function () {
    filters.severity.value = ''; filters.code.value = ''; filters.text.value = '';
    showSheet('');
  });
  window.addEventListener('hashchange', fromHash);

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (header, column) {
    var button = header.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var ascending = header.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { if (other.hasAttribute('aria-sort')) { other.setAttribute('aria-sort', 'none'); } });
      header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var keyed = rows.map(function (row, index) {
        var cell = row.cells[column];
        return { row: row, index: index, key: cell.getAttribute('data-key') || cell.textContent.trim() };
      });
      keyed.sort(function (a, b) {
        var order = a.key.localeCompare(b.key, undefined, { numeric: true, sensitivity: 'base' });
        return (ascending ? order : -order) || a.index - b.index;
      });
      keyed.forEach(function (item) { body.appendChild(item.row); });
      rows = keyed.map(function (item) { return item.row; });
    });
  });
  fromHash();
}());
"""
