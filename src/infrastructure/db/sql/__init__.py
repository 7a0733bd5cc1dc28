"""The driver seam: SQL written once (SQLAlchemy Core on `tables.py`), compiled once per dialect, run on the driver.

SQLAlchemy keeps the schema, the migrations and the job of writing SQL; it is not on the path of a statement at
run time, where it cost ~0.6 ms of CPU per statement (DESIGN.md). `compiled.py` turns a Core statement into the
dialect's text with its parameters in driver order and SQLAlchemy's own type conversions, once; `drivers.py`
runs it on asyncpg (Postgres) or the sqlite3 driver under aiosqlite (SQLite); `database.py` lends connections
from the one pool and opens transactions. Stores take a `Runner` (`runner.py`): a whole database (each call its
own connection) or one connection inside a transaction: the same statements, the same code, either way.
"""
