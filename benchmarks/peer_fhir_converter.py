"""The peer on the lab case: python-fhir-converter (the Python port of Microsoft's FHIR-Converter Liquid engine).

    <peer venv>/bin/python benchmarks/peer_fhir_converter.py LAB.csv OUT.ndjson

Run by benchmarks/run.py in its own virtual environment (python-fhir-converter pins its own lxml). Each csv row
is the template's `msg`, rendered by a Liquid template into one Observation (dd.mm.yyyy → ISO date, decimal
comma → point, id from the row's business key), parsed back into JSON by the package's own FHIR post-processing
(`parse_fhir`, as its renderers do) and written as one NDJSON line. No validation: the peer has none to offer for
csv input.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import MutableMapping
from typing import Any

from fhir_converter.hl7 import parse_fhir
from fhir_converter.renderers import BaseFhirRenderer, FhirRendererDefaults
from liquid.loaders import DictLoader

OBSERVATION = """{% assign day = msg.date | split: "." -%}
{
  "resourceType": "Observation",
  "id": "{{ msg.subject_id | append: msg.test | append: msg.date | generate_uuid }}",
  "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory", "display": "Laboratory"}]}],
  "code": {"coding": [{"system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "code": "{{ msg.test }}"}]},
  "subject": {"reference": "Patient/{{ msg.subject_id | generate_uuid }}"},
  "effectiveDateTime": "{{ day[2] }}-{{ day[1] }}-{{ day[0] }}",
  "valueQuantity": {"value": {{ msg.value | replace: ",", "." }}, "unit": "{{ msg.unit }}",
                    "system": "http://unitsofmeasure.org", "code": "{{ msg.unit }}"}
}
"""


class CsvRowRenderer(BaseFhirRenderer):
    """One csv row (a dict) through one Liquid template."""

    @staticmethod
    def defaults() -> FhirRendererDefaults:
        return {"loader": DictLoader({"Observation": OBSERVATION})}

    def _render(self, template_name: str, data_in: Any, encoding: str = "utf-8") -> MutableMapping:
        return parse_fhir(json_input=self.env.get_template(template_name).render({"msg": data_in}))


def main() -> int:
    renderer = CsvRowRenderer()
    count = 0
    with open(sys.argv[1], encoding="utf-8", newline="") as source, open(sys.argv[2], "w", encoding="utf-8") as out:
        for row in csv.DictReader(source):
            out.write(json.dumps(renderer.render_to_fhir("Observation", row), separators=(",", ":")) + "\n")
            count += 1
    print(count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
