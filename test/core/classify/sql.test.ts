import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sqlStatementKinds } from '../../../core/classify/index.js';

describe('classify: SQL statement kinds', () => {
  it('finds each statement kind at statement starts', () => {
    const cases: Array<[string, string[]]> = [
      ['SELECT * FROM d.t', ['SELECT']],
      ['DROP TABLE d.t', ['DROP']],
      ['drop schema d cascade', ['DROP']],
      ['DELETE FROM d.t WHERE true', ['DELETE']],
      ['TRUNCATE TABLE d.t', ['TRUNCATE']],
      ['ALTER TABLE d.t DROP COLUMN c', ['ALTER']],
      ['CREATE OR REPLACE TABLE d.t AS SELECT 1', ['CREATE_OR_REPLACE']],
      ['CREATE TABLE IF NOT EXISTS d.t (a INT64)', ['CREATE']],
      ['MERGE d.t USING d.s ON t.id = s.id WHEN NOT MATCHED THEN INSERT ROW', ['MERGE', 'INSERT']],
      ['UPDATE d.t SET a = 1 WHERE true', ['UPDATE']],
      ['INSERT INTO d.t VALUES (1)', ['INSERT']],
      ['INSERT d.t (a) WITH x AS (SELECT 1) SELECT * FROM x', ['INSERT']],
      ['GRANT `roles/bigquery.dataViewer` ON TABLE d.t TO "user:a@b.c"', ['GRANT']],
      ['EXPORT DATA OPTIONS(uri="gs://b/*.csv", format="CSV", overwrite=true) AS SELECT 1', ['EXPORT']],
      ['LOAD DATA OVERWRITE d.t FROM FILES (format="CSV", uris=["gs://b/x.csv"])', ['LOAD_OVERWRITE']],
      ['CALL d.proc()', ['CALL']],
      ['(SELECT 1) UNION ALL (SELECT 2)', ['SELECT']],
      ['WITH a AS (SELECT 1) SELECT * FROM a', ['SELECT']],
      ['UNDROP SCHEMA d', ['UNDROP']],
      ['VACUUM everything', ['OTHER']],
    ];
    for (const [sql, kinds] of cases) assert.deepEqual(sqlStatementKinds(sql), kinds, sql);
  });

  it('finds every statement of a script, once each, in order of appearance', () => {
    assert.deepEqual(sqlStatementKinds('SELECT 1; DELETE FROM d.t WHERE true;\nselect 2;DROP TABLE d.u;'), ['SELECT', 'DELETE', 'DROP']);
  });

  it('ignores comments, string literals and quoted identifiers', () => {
    assert.deepEqual(sqlStatementKinds('-- DROP TABLE x\nSELECT 1'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('# DROP TABLE x\nSELECT 1'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('/* DROP TABLE x; */ SELECT 1'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds("SELECT 'x; DROP TABLE y'"), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('SELECT "it\\"s; DELETE FROM t"'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds("SELECT '''a\n; TRUNCATE TABLE t; '''"), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('SELECT r"\\"; DROP TABLE t"'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('SELECT `weird; drop`.col FROM `p.d.t`'), ['SELECT']);
    assert.deepEqual(sqlStatementKinds('SELECT update_time, deleted FROM t'), ['SELECT']);
  });

  it('is not fooled by a comment or literal hiding a statement boundary', () => {
    assert.deepEqual(sqlStatementKinds("SELECT 1 /* ' */; DROP TABLE t"), ['SELECT', 'DROP']);
    assert.deepEqual(sqlStatementKinds("SELECT '--'; DELETE FROM t WHERE true"), ['SELECT', 'DELETE']);
  });

  it('looks inside script blocks and dynamic SQL', () => {
    assert.deepEqual(sqlStatementKinds('BEGIN\n  DELETE FROM t WHERE true;\nEND;'), ['DELETE']);
    assert.deepEqual(sqlStatementKinds('DECLARE x INT64 DEFAULT 1; IF x > 0 THEN DROP TABLE t; ELSE SELECT 1; END IF;'), ['DROP', 'SELECT']);
    assert.deepEqual(sqlStatementKinds('WHILE true DO TRUNCATE TABLE t; END WHILE;'), ['TRUNCATE']);
    assert.deepEqual(sqlStatementKinds("EXECUTE IMMEDIATE 'DROP TABLE t'"), ['EXECUTE_IMMEDIATE', 'DROP']);
    assert.deepEqual(sqlStatementKinds('SELECT CASE WHEN a THEN b ELSE c END FROM t'), ['SELECT']);
  });

  it('returns nothing for an empty or comment-only query', () => {
    assert.deepEqual(sqlStatementKinds(''), []);
    assert.deepEqual(sqlStatementKinds('  -- nothing\n/* here */'), []);
  });
});
