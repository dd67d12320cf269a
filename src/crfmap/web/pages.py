"""The pages of `crfmap serve` that are not reports: the upload form and the page for a run that could not
happen. Self-contained like the HTML report, with their own Content-Security-Policy."""

from __future__ import annotations

from html import escape

from crfmap import __version__, api

STYLE = """
body { font: 16px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1b1f24; margin: 0; background: #fff; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; }
label, legend { font-weight: 600; display: block; margin: 1rem 0 .3rem; }
select, input[type=file] { font: inherit; }
fieldset { border: 1px solid #c9d1d9; border-radius: 6px; margin-top: 1rem; }
fieldset label { font-weight: 400; display: block; margin: .25rem 0; }
#drop { border: 2px dashed #6b7785; border-radius: 8px; padding: 1.5rem; text-align: center; margin: .5rem 0; }
#drop.over { background: #eef4ff; border-color: #1a56db; }
button { font: inherit; font-weight: 600; padding: .5rem 1.2rem; margin-top: 1.2rem; background: #1b1f24;
  color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
:focus-visible { outline: 3px solid #1a56db; outline-offset: 2px; }
.problem { border-left: 4px solid #a4001d; padding: .3rem .8rem; background: #fff5f5; }
.muted { color: #505a66; font-size: .9rem; }
"""

SCRIPT = """
(function () {
  'use strict';
  var drop = document.getElementById('drop'), input = document.getElementById('workbook');
  var chosen = document.getElementById('chosen');
  if (!drop || !input) { return; }
  function show() { chosen.textContent = input.files.length ? input.files[0].name : 'no file chosen'; }
  ['dragenter', 'dragover'].forEach(function (kind) {
    drop.addEventListener(kind, function (event) { event.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (kind) {
    drop.addEventListener(kind, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; show(); }
  });
  input.addEventListener('change', show);
}());
"""


def _page(title: str, body: str) -> str:
    policy = api.page_policy(STYLE, SCRIPT, form_action="'self'")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n")


def upload_page(studies: list[str], max_upload_mb: int) -> str:
    options = "".join(f'<option value="{escape(name)}">{escape(name)}</option>' for name in studies)
    targets = "".join(f'<label><input type="checkbox" name="to" value="{escape(name)}" checked>{escape(name)}: '
                      f"{escape(writer.summary)}</label>" for name, writer in api.WRITERS.items())
    targets += "".join(f'<label><input type="checkbox" name="option" value="{escape(name)}.{escape(spec.name)}">'
                       f"<code>{escape(spec.flag)}</code> {escape(spec.help)}</label>"
                       for name, writer in api.WRITERS.items() for spec in writer.options if spec.kind == "flag")
    body = f"""<h1>crfmap: check a workbook</h1>
<p class="muted">crfmap {escape(__version__)}. The workbook is checked on this computer; nothing is kept on disk
after the answer, and results are held in memory for an hour at most.</p>
<form method="post" action="/runs" enctype="multipart/form-data">
<label for="workbook">Workbook (.xlsx, .xlsm or .csv, at most {max_upload_mb} MiB)</label>
<div id="drop">Drop the workbook here, or choose it:
<input id="workbook" name="workbook" type="file" accept=".xlsx,.xlsm,.csv" required>
<div id="chosen" class="muted" aria-live="polite">no file chosen</div></div>
<label for="study">Study</label>
<select id="study" name="study" required>{options}</select>
<label for="waivers">Waivers (optional, waivers.yaml)</label>
<input id="waivers" name="waivers" type="file" accept=".yaml,.yml">
<fieldset><legend>Also convert</legend>
<label><input type="checkbox" name="convert" value="yes">write the outputs</label>{targets}
<label><input type="checkbox" name="allow_errors" value="yes">write the valid records even with errors</label>
<label><input type="checkbox" name="allow_unmapped" value="yes">write even when some cells are read by no form</label>
</fieldset>
<fieldset><legend>Privacy</legend>
<label><input type="checkbox" name="redact" value="yes">leave cell values out of the reports</label>
</fieldset>
<button type="submit">Check the workbook</button>
</form>"""
    return _page("crfmap: check a workbook", body)


def problem_page(lines: list[str]) -> str:
    items = "".join(f'<p class="problem">{escape(line)}</p>' for line in lines)
    body = (f"<h1>The workbook could not be checked</h1>{items}"
            '<p><a href="/">Check another workbook</a></p>')
    return _page("crfmap: could not check the workbook", body)
