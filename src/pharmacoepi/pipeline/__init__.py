"""The conductors of the commands: build-cohort (build.py), validate and drug-eras, each a
plan of declared steps (pharmacoepi.plan) run on one engine; the output steps (masking by
the disclosure package, writing the catalogue's files) and the run manifest."""
