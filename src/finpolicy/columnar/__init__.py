"""Whole books at once: policies evaluated over Arrow columns.

The condition language compiles to array expressions (``conditions``), facts are derived
column-wise per domain (``domains/<name>/columnar.py``), working-day deadlines are array
look-ups (``workdays``); rows the arrays cannot express go to the row engine, so a table
gets exactly the decisions of the row engines. Needs the ``columnar`` extra (pyarrow, numpy).
"""
