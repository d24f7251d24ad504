"""Search strategies for tuning jobs, over Optuna.

The agent's tuning reconciler (runner/reconcilers/tuning.py) is the only process that asks Optuna
for values: it rebuilds an in-memory study from the trial rows of the studio database at each
decision (`search.Search`), so the database stays the one source of truth, parallel trials never
share an Optuna storage (no SQLite lock), and a killed agent loses nothing of the search.
"""
