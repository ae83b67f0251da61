"""The pytest plugin for test teams: one masked database per xdist worker, a rolled-back connection per
test, and factory_boy factories that insert valid new rows.

Registered through the ``pytest11`` entry point (``anonymiser.testing.plugin``) and inactive until
``--anonymiser-dataset DIR`` (or the ini key ``anonymiser_dataset``) names the output of
``anonymiser run``. The fixtures and options are documented in the README ("Testing with the masked
copy"); the flow:

- the controller process checks the dataset (a FAIL verdict is refused) and the server at session
  start, sweeps databases left by killed runs on this host, and loads the dataset once into a template
  (PostgreSQL: a template database; SQLite: a file); ``provision.py``;
- each worker gets its own database whose name holds the worker id: a clone of the template
  (PostgreSQL ``CREATE DATABASE … TEMPLATE``), a fresh load (MariaDB/MySQL), a file copy (SQLite);
- every database and file the run made is dropped at session end, after failures and Ctrl-C too.
"""
