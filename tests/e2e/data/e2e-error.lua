-- Raises an uncaught error: the interpreter must print it with a traceback on stderr
-- and exit with status 1, natively and in wasm (tests/e2e/run-e2e.sh lua).
local function fail(x)
  error("boom " .. x)
end
io.write("before the error\n")
fail(42)
io.write("never printed\n")
