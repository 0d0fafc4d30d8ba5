"""The day's processes, one module each, in the order ``CeasefireModel.step`` runs them.

2. ``regeneration``  recruits reach the theatre; readiness recovers out of combat
3. ``movement``      units take the position of their posture (withdrawal included)
4. ``fortification`` Ukraine digs on its manned line; works in the zone decay
5. ``monitoring``    the sectors watch for a build-up and for violations
6. ``decision``      Russia's staff estimate (the rule its command acts on; the
                     commands themselves are agents: ``agents/commands.py``)
7. ``combat``        attrition, advance, ground and towns change hands
8.                   the guarantor answers (``agents/commands.py``, ``Guarantor``)
9. ``recording``     the per-day series and the run's summary record

Each process is one object with its own state, built by the model and stepped through
``CeasefireModel.processes``; step 1 (the agreement's events) is scheduled by the model.
"""
