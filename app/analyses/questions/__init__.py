"""The questions, one folder each (`qNN_slug/`); see app/analyses/question.py for what a
folder holds and app/analyses/registry.py for how they are found."""
