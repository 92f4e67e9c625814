-- Isola end-to-end test for SQLite's shell (tests/e2e/run-e2e.sh sqlite3), phase 1:
-- read with `.read` from a read-only preopened directory (@SQL@); creates and fills a
-- database in a writable one (@DATA@). run-e2e.sh substitutes both paths.
-- Output must match the native shell byte for byte.
CREATE TABLE dept(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, budget REAL);
CREATE TABLE emp(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  dept_id INTEGER REFERENCES dept(id),
  salary INTEGER,
  hired TEXT,
  note BLOB
);
INSERT INTO dept VALUES (1, 'Engineering', 1.5e6), (2, 'Sales', 750000.25), (3, 'Ops', NULL),
                        (4, 'Économie', 42.0);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
INSERT INTO emp
  SELECT i, 'emp' || printf('%05d', i), 1 + (i * 7) % 4, 30000 + (i * 7919) % 90000,
         date('2000-01-01', '+' || ((i * 13) % 9000) || ' days'),
         CASE WHEN i % 10 = 0 THEN zeroblob(i % 37) WHEN i % 3 = 0 THEN x'deadbeef' END
  FROM n;
CREATE INDEX emp_dept ON emp(dept_id, salary);
CREATE VIEW payroll AS
  SELECT d.name AS dept, count(*) AS n, sum(salary) AS total, round(avg(salary), 2) AS mean
  FROM emp e JOIN dept d ON d.id = e.dept_id GROUP BY d.name;
BEGIN;
UPDATE emp SET salary = salary + 1000 WHERE dept_id = 2;
DELETE FROM emp WHERE id % 97 = 0;
COMMIT;
BEGIN;
DELETE FROM emp;
UPDATE dept SET budget = 0;
ROLLBACK;
.tables
.schema emp
.headers on
.mode column
SELECT * FROM payroll ORDER BY dept;
.mode csv
SELECT id, name, salary, hired, hex(note) AS note FROM emp WHERE id BETWEEN 95 AND 101;
.mode json
SELECT * FROM dept ORDER BY id;
.mode box
SELECT dept_id, count(*) AS n, max(salary) AS top FROM emp GROUP BY 1 ORDER BY 1;
.mode line
SELECT * FROM emp WHERE id = 1234;
.mode list
.headers off
SELECT id, salary, rank() OVER (PARTITION BY dept_id ORDER BY salary DESC),
       sum(salary) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
  FROM emp WHERE id < 25 ORDER BY id;
SELECT json_group_array(json_object('id', id, 'name', name)) FROM (SELECT * FROM emp ORDER BY id LIMIT 4);
SELECT json_extract('{"a":[1,2,{"b":"c"}]}', '$.a[2].b'), json_valid('{'), json('[1, 2 ,3 ]');
SELECT date('2024-02-29', '+1 year'), strftime('%j %w %H:%M:%S', '2023-12-31 23:59:59'),
       julianday('2000-01-01'), datetime(1700000000, 'unixepoch');
SELECT printf('%.3f|%e|%g|%x|%q|%10s|%-5d|', 3.14159265, 1e-300, 1.0 / 3, 255, 'it''s', 'right', 42);
SELECT 1e308 * 10, -1e308 * 10, 9223372036854775807, round(2.5), round(-2.5), 7 / 2, 7.0 / 2, 7 % 3,
       0.1 + 0.2, 1.0e-5, 123456789012345678, cast('12abc' AS INTEGER), typeof(1 / 0);
SELECT upper('straße'), lower('ÉCOLE'), length('€uro'), substr('hello', -3), instr('banana', 'nan'),
       replace('a-b-c', '-', '+'), trim('  x  '), hex(zeroblob(2)), quote(x'00ff'), unicode('€');
SELECT name, group_concat(id, ',') FROM (SELECT e.id, d.name FROM emp e JOIN dept d ON d.id = e.dept_id
  WHERE e.id < 12 ORDER BY e.id) GROUP BY name ORDER BY name;
SELECT count(*), sum(length(note)), min(hired), max(hired) FROM emp;
-- files through the preopened directory: .output, .once, .import, writefile/readfile
.output @DATA@/out.txt
SELECT name, budget FROM dept ORDER BY name;
.output stdout
.once @DATA@/once.csv
SELECT id, name FROM emp WHERE id % 1000 = 1;
.import --csv @SQL@/people.csv people
SELECT * FROM people ORDER BY CAST(score AS REAL) DESC;
SELECT writefile('@DATA@/blob.bin', zeroblob(1000) || x'ff00ff');
SELECT length(readfile('@DATA@/blob.bin')), hex(substr(readfile('@DATA@/blob.bin'), 1001));
SELECT readfile('@DATA@/no-such-file') IS NULL;
PRAGMA integrity_check;
