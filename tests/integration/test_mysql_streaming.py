"""MySQL/MariaDB sources stream: rows come through an unbuffered server-side cursor (PyMySQL's SSCursor),
chunk by chunk, never the whole result in client memory (issue 14 item 3)."""

from __future__ import annotations

from typing import Any

import pymysql.cursors
import sqlalchemy as sa

from anonymiser.source.bulk import SourceReader
from anonymiser.source.connect import connect
from anonymiser.source.introspect import introspect
from tests import dbs


def test_mysql_tables_are_read_through_a_server_side_cursor(mariadb_url: str) -> None:
    dbs.run_mariadb(mariadb_url, "CREATE TABLE person (id INT PRIMARY KEY, name VARCHAR(40), born DATETIME);"
                                 "INSERT INTO person SELECT seq, CONCAT('name ', seq), '2000-01-01 10:00:00' "
                                 "FROM seq_1_to_12000;")
    cursors: list[type[Any]] = []
    with connect(mariadb_url) as conn:
        table = introspect(conn, None).tables["person"]
        sa.event.listen(conn, "before_cursor_execute",
                        lambda _conn, cursor, *rest: cursors.append(type(cursor)))
        with SourceReader(conn) as reader:
            assert reader.method == "server-side cursor"
            sizes = [batch.num_rows for batch in reader.read_table(table, chunk_rows=5000)]
    assert sizes == [5000, 5000, 2000]
    assert cursors and all(issubclass(c, pymysql.cursors.SSCursor) for c in cursors), cursors
