"""Visit records → Subject Visits (SDTMIG 3.4 section 5.4), the special-purpose domain whose topic is VISITNUM:
one record per actual or planned visit per subject.

It has no --SEQ: a visit is identified by VISITNUM (from the record, or the `visit_number` derivation). --PRESP and
--OCCUR answer "did the planned visit take place" only when the record says so (`occurred`).
"""

from __future__ import annotations

from crfmap.model import Visit
from crfmap.writers.sdtm.domains.catalog import DomainSpec
from crfmap.writers.sdtm.domains.context import BuildContext, Draft
from crfmap.writers.sdtm.domains.rows import ASSIGNED, put, put_coded, put_date, put_field, start_draft
from crfmap.writers.sdtm.domains.targets import SdtmTarget
from crfmap.writers.sdtm.domains.values import flag


def draft_visit(record: Visit, spec: DomainSpec, target: SdtmTarget, context: BuildContext) -> Draft:
    prefix = spec.prefix
    draft = start_draft(record, spec, target, context, record.start)
    put_date(draft, spec, target, context, "STDTC", "start", record.start)
    put_date(draft, spec, target, context, "ENDTC", "end", record.end)
    if record.occurred is not None:
        put(draft, spec, f"{prefix}PRESP", "Y", origin=ASSIGNED)
        put(draft, spec, f"{prefix}OCCUR", flag(record.occurred), field="occurred")
    put_field(draft, spec, target, context, f"{prefix}REASOC", "reason", record.reason)
    put_coded(draft, spec, target, context, f"{prefix}CNTMOD", "contact_mode", record.contact_mode)
    put_field(draft, spec, target, context, f"{prefix}UPDES", "description", record.description)
    return draft
