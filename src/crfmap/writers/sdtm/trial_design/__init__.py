"""Trial design from the mapping: TA/TE/TV/TI/TS written from study.yaml `sdtm.trial_design` and `sdtm.ts`, SE and
Subject Visits derived from the data, EPOCH and VISIT/VISITNUM for every observation."""
