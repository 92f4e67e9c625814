-- Phase 2, read from stdin: the database written in phase 1 is opened again.
.headers on
.mode list
SELECT count(*) AS rows, sum(salary) AS payroll, total(length(note)) AS blobs FROM emp;
SELECT * FROM payroll ORDER BY total DESC;
INSERT INTO dept VALUES (5, 'Research', NULL);
UPDATE emp SET dept_id = 5 WHERE id % 11 = 0;
SELECT d.name, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.id ORDER BY d.id;
DELETE FROM people WHERE score = '';
SELECT group_concat(name, '|') FROM people;
CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO kv SELECT 'key' || i, printf('%.*c', i % 50 + 1, 'x') FROM n;
SELECT count(*), sum(length(v)), min(k), max(k) FROM kv;
VACUUM;
PRAGMA integrity_check;
PRAGMA page_count;
