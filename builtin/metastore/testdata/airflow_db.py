"""Builds a metadata database the way Airflow writes it, for airflow_test.go.

usage: /usr/bin/python3 airflow_db.py DB_PATH NEW_KEY OLD_KEY

Creates Airflow's connection and variable tables (SQLite DDL as Airflow's
migrations leave them, with Airflow 3's team_name columns and an
alembic_version table), fills them as Airflow's models do (Fernet tokens
from the cryptography package, MultiFernet with the new key first; some rows
written under the old key before a rotation; some in clear as written
without a fernet_key), and prints the rows as JSON so the test can load the
same rows into other databases.
"""
import json
import sqlite3
import sys

from cryptography.fernet import Fernet

path, new_key, old_key = sys.argv[1], sys.argv[2], sys.argv[3]
new, old = Fernet(new_key.encode()), Fernet(old_key.encode())


def enc(f, s):
    return f.encrypt(s.encode("utf-8")).decode()


# (conn_id, conn_type, description, host, schema, login, password, port,
#  is_encrypted, is_extra_encrypted, extra, team_name)
connections = [
    ("airflow_pg", "postgres", "the metadata db", "db.example.com", "airflow", "airflow",
     enc(new, "pg-S3cret/with:chars@"), 5432, True, True,
     enc(new, json.dumps({"sslmode": "require", "options": {"a": [1, 2]}})), None),
    ("old_key_conn", "http", None, "api.example.com", "", "bot", enc(old, "old-key-P4ss"), None,
     True, True, enc(old, json.dumps({"timeout": 30})), None),
    ("clear_conn", "mysql", "", "mysql.example.com", None, None, "clear-pw", 3306,
     False, False, '{"charset": "utf8mb4"}', None),
    ("no_password", "aws", None, None, None, None, None, None, False, False, None, None),
    ("unicode_conn", "http", "grüße", "host.example.com", None, "ユーザー", enc(new, "pässwörd ✓"), 443,
     True, False, None, None),
    ("team_conn", "http", None, "team.example.com", None, None, None, None, False, False, None, "team_a"),
]
# (key, val, description, is_encrypted, team_name)
variables = [
    ("hello", enc(new, "world"), "greeting", True, None),
    ("old_key_var", enc(old, "from-the-old-key"), None, True, None),
    ("clear_var", "in clear", None, False, None),
    ("json_var", enc(new, json.dumps({"k": [1, 2]}, indent=2)), None, True, None),
    ("null_var", None, None, False, None),
    ("team_var", enc(new, "team value"), None, True, "team_a"),
]

db = sqlite3.connect(path)
db.executescript("""
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('29ce7909c52b');
CREATE TABLE team (name VARCHAR(50) NOT NULL, CONSTRAINT team_pkey PRIMARY KEY (name));
INSERT INTO team VALUES ('team_a');
CREATE TABLE connection (
	id INTEGER NOT NULL,
	conn_id VARCHAR(250) NOT NULL,
	conn_type VARCHAR(500) NOT NULL,
	description VARCHAR(5000),
	host VARCHAR(500),
	schema VARCHAR(500),
	login TEXT,
	password TEXT,
	port INTEGER,
	is_encrypted BOOLEAN,
	is_extra_encrypted BOOLEAN,
	extra TEXT,
	team_name VARCHAR(50),
	CONSTRAINT connection_pkey PRIMARY KEY (id),
	CONSTRAINT connection_conn_id_uq UNIQUE (conn_id),
	CONSTRAINT connection_team_name_fkey FOREIGN KEY(team_name) REFERENCES team (name) ON DELETE SET NULL
);
CREATE TABLE variable (
	id INTEGER NOT NULL,
	"key" VARCHAR(250),
	val TEXT,
	description TEXT,
	is_encrypted BOOLEAN,
	team_name VARCHAR(50),
	CONSTRAINT variable_pkey PRIMARY KEY (id),
	CONSTRAINT variable_key_uq UNIQUE ("key"),
	CONSTRAINT variable_team_name_fkey FOREIGN KEY(team_name) REFERENCES team (name) ON DELETE SET NULL
);
""")
db.executemany(
    "INSERT INTO connection (conn_id, conn_type, description, host, schema, login, password, port,"
    " is_encrypted, is_extra_encrypted, extra, team_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    connections,
)
db.executemany('INSERT INTO variable ("key", val, description, is_encrypted, team_name) VALUES (?,?,?,?,?)', variables)
db.commit()
db.close()
json.dump({"connections": connections, "variables": variables}, sys.stdout)
