"""The table of R4 resource types with an `identifier` search parameter is HL7's, regenerated from the official
hl7.fhir.r4.core 4.0.1 package (installed by the FHIR engines fixture), not typed from memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from crfmap.writers.fhir_r4.search_parameters import IDENTIFIER_SEARCH_TYPES
from tests.shared_data import REPO_ROOT

SCRIPT = REPO_ROOT / "tools" / "generate_r4_search_parameters.py"


def test_table_is_current(fhir_engines: Path) -> None:
    package = fhir_engines / ".cache" / "packages" / "hl7.fhir.r4.core#4.0.1" / "package"
    done = subprocess.run([sys.executable, str(SCRIPT), str(package), "--check"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_the_types_crfmap_writes() -> None:
    # Conditional creates: Patient, ResearchSubject, Observation, Condition, Procedure, MedicationAdministration.
    assert {"Patient", "ResearchSubject", "Observation", "Condition", "Procedure",
            "MedicationAdministration", "ResearchStudy"} <= IDENTIFIER_SEARCH_TYPES
    # R4 has no identifier search parameter here (AdverseEvent.identifier exists, but is not searchable; Provenance
    # has no identifier at all): these are PUT with their deterministic id.
    assert not {"AdverseEvent", "Provenance"} & IDENTIFIER_SEARCH_TYPES
