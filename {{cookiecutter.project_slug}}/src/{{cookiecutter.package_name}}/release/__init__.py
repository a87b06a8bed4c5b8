"""Release: merging to main promotes the reviewed model; rollback is one action.

- promote.py   gate the merged commit's model again, register and stage it
- publish.py   push the tags the promotion made; the GitHub release
- card.py      the model card (the release's notes)
- rollback.py  give a version a stage: forward (assign) or back (rollback)
"""
