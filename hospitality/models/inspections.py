"""Grooming and inspection runs are checklist runs (models/checklists.py); the tasks a failed item raises live with
every other task in models/tasks.py."""
