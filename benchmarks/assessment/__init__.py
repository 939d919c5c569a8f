"""Assessing a model: runs, samples, scores and placements, as plain functions.

The Prefect tasks in `tasks/assess.py` wrap these; nothing here imports Prefect.
"""
