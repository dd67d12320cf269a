"""CDISC Controlled Terminology, checked rather than hoped for: the study's code lists, constants and trial design
before any data is read (`lint_terminology`, P040–P043), every CT-bound value of the datasets when writing
(`check_terminology`, W080–W082), against the NCI EVS release the study declares plus its declared sponsor terms."""
