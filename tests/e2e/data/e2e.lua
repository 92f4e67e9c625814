-- Isola end-to-end test script for Lua 5.4 (tests/e2e/run-e2e.sh lua). Run with the
-- same absolute paths by the wasm32-wasi build under the runner and by the native
-- build; stdout, stderr, the exit status and the files written must be identical.
-- Usage: lua e2e.lua DIR [WORDS...] < input   (DIR: a writable directory)
-- It raises no error and does not yield (see tests/e2e/README.md: the wasm build
-- has no longjmp, so it cannot unwind).

local dir = assert(arg[1], "usage: e2e.lua DIR [WORDS...]")
local out = {}
local function say(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  out[#out + 1] = table.concat(t, " ", 1, t.n)
  print(...)
end

-- arguments and environment
say("args", #arg, table.concat(arg, ",", 2))
say("env", os.getenv("E2E_GREETING") or "(unset)", os.getenv("E2E_NO_SUCH_VARIABLE") == nil)

-- numbers: integers wrap, floats print with %.14g
say(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger)
say(7 // 2, -7 // 2, 7 % -3, -7 % 3, 7 / 2, 2^10, 2^0.5, 1e15, 1e16, 0.1 + 0.2)
say(math.pi, -math.pi, math.huge, -math.huge, math.floor(-3.5), math.ceil(-3.5))
say(math.fmod(7, 3), math.fmod(-7, 3), math.tointeger(3.0), math.tointeger(3.5), math.abs(math.mininteger))
say(math.sqrt(2), math.sin(1), math.cos(1), math.exp(1), math.log(10), math.log(8, 2), math.atan(1, 2))
say(string.format("%5.2f|%-8d|%x|%X|%o|%e|%g|%g|%a", math.pi, 42, 255, 3054, 8, 12345.678, 1e20, 1e-5, 1.0))
say(string.format("%q", "tab\there\nnewline \0 nul \"quoted\" é"))
say(string.format("%q|%q|%q", 1 / 3, math.mininteger, 2^63))
say(tostring(1e100), tostring(-0.0), tostring(100 // 1.0), 3 | 5, 3 & 5, 3 ~ 5, ~0, 1 << 62, 1 >> 1)
say(tonumber("0x1p4"), tonumber("  10  "), tonumber("z", 36), tonumber("1e1"), tonumber("nope"))

-- deterministic pseudo-random numbers (xoshiro256**)
math.randomseed(42)
local r = {}
for i = 1, 8 do r[i] = math.random(1, 1000) end
say("random", table.concat(r, " "), string.format("%.17g", math.random()))

-- strings and patterns
local s = "The quick brown fox jumps over the lazy dog"
say(s:upper(), s:len(), s:rep(2, "/"):len(), s:reverse():sub(1, 9), s:byte(1, 3))
say(s:find("o"), s:find("o", 20, true), s:match("(%a+) fox"), select("#", s:gsub("o", "0")))
local words = {}
for w in s:gmatch("%a+") do words[#words + 1] = w end
say(#words, table.concat(words, "+"))
say((s:gsub("(%w+)", "<%1>")), (s:gsub("%s+", function(x) return "_" end)))
say(("key=val; other=thing"):gsub("(%w+)=(%w+)", "%2=%1"))
say(string.char(72, 105, 0x21), ("%d items"):format(3), ("x"):rep(0) == "")
say(utf8.char(233, 8364, 128512), utf8.len("héllo €"), utf8.codepoint("€"))
for p, c in utf8.codes("aé€") do say("utf8", p, c) end
local packed = string.pack("<i4 >i8 d z s1", -2, 1 << 40, 0.5, "zero", "len")
say(#packed, string.unpack("<i4 >i8 d z s1", packed))

-- tables
local t = {}
for i = 1, 200 do t[i] = (i * 7919) % 1009 end
table.sort(t)
say(t[1], t[100], t[200], #t)
table.sort(t, function(a, b) return a > b end)
say(t[1], t[100], t[200])
table.insert(t, 1, -1); table.insert(t, 999); say(table.remove(t), table.remove(t, 1), #t)
say(table.concat(table.move({1, 2, 3, 4, 5}, 2, 4, 1), ","), table.unpack({1, 2, 3}, 2))
local counts = {}
for _, w in ipairs(words) do local k = w:lower():sub(1, 1) counts[k] = (counts[k] or 0) + 1 end
local keys = {}
for k in pairs(counts) do keys[#keys + 1] = k end
table.sort(keys)
local parts = {}
for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. counts[k] end
say("counts", table.concat(parts, " "))

-- closures, varargs, metatables, goto, integer for loops, pcall without errors
local function counter() local n = 0 return function() n = n + 1 return n end end
local c1, c2 = counter(), counter()
c1(); c1()
say("closures", c1(), c2(), select("#", nil, nil), select(-1, 1, 2, 3))
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, V) end
V.__tostring = function(v) return "(" .. v.x .. "," .. v.y .. ")" end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__len = function() return 2 end
V.__call = function(self, k) return self.x * k end
local a, b = setmetatable({x = 1, y = 2}, V), setmetatable({x = 3, y = 4}, V)
say("meta", tostring(a + b), a == b, a < b, #a, a(10), rawequal(a, a))
local acc = 0
for i = 10, 1, -3 do acc = acc * 10 + i end
for i = 1, 3 do for j = 1, 3 do if j == 2 then goto continue end acc = acc + i * j ::continue:: end end
say("loops", acc)
say("pcall", pcall(function(x) return x * 2 end, 21))
local f = load("local a, b = ... return a * b + 1")
say("load", f(6, 7), load(string.dump(f))(2, 3))
local env = {print = say}
load("x = 5 print('sandboxed', x)", "chunk", "t", env)()
say("env.x", env.x, rawget(_G, "x"))

-- a bigger workload: word frequencies over generated text, string building
local buf = {}
local seed = 12345
for i = 1, 20000 do
  seed = (seed * 1103515245 + 12345) % 2147483648
  buf[#buf + 1] = words[seed % #words + 1]
end
local text = table.concat(buf, " ")
local freq = {}
for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local fk = {}
for k in pairs(freq) do fk[#fk + 1] = k end
table.sort(fk, function(x, y) return freq[x] > freq[y] or (freq[x] == freq[y] and x < y) end)
local top = {}
for i = 1, 5 do top[i] = fk[i] .. ":" .. freq[fk[i]] end
say("freq", #text, table.concat(top, " "))

-- stdin
local lines, sum = 0, 0
for line in io.lines() do
  lines = lines + 1
  for n in line:gmatch("-?%d+") do sum = sum + math.tointeger(n) end
end
say("stdin", lines, sum)

-- files in the preopened directory
local path = dir .. "/lua-out.txt"
local fh = assert(io.open(path, "w"))
fh:write("first line\n", 42, " ", 3.5, "\n")
for i = 1, 1000 do fh:write(string.format("%04d %s\n", i, words[i % #words + 1])) end
fh:close()
fh = assert(io.open(path, "a")); fh:write("appended\n"); fh:close()
fh = assert(io.open(path, "r"))
say("read", fh:read("l"), fh:read("n"), fh:read("n"), fh:seek("cur"))
local size = fh:seek("end")
fh:seek("set", size - 9)
say("tail", fh:read("a"), size)
fh:close()
local n = 0
for l in io.lines(path) do n = n + #l end
say("lines", n)
fh = assert(io.open(dir .. "/lua-bin.dat", "wb"))
fh:write(string.rep("\0\1\2\255", 4096)); fh:close()
fh = assert(io.open(dir .. "/lua-bin.dat", "rb"))
local data = fh:read("a"); fh:close()
local h = 0
for i = 1, #data, 7 do h = (h * 31 + data:byte(i)) % 1000000007 end
say("binary", #data, h)
assert(os.rename(dir .. "/lua-bin.dat", dir .. "/lua-renamed.dat"))
say("renamed", io.open(dir .. "/lua-bin.dat") == nil, io.open(dir .. "/lua-renamed.dat") ~= nil)
say("remove", os.remove(dir .. "/lua-renamed.dat"), io.open(dir .. "/lua-renamed.dat") == nil)
local ok, msg = io.open(dir .. "/no/such/file")
say("missing", ok, (msg:gsub("^.*: ", "")))
say("date", os.date("!%Y-%m-%d %H:%M:%S %j %a %b", 1700000000), os.time({year = 2000, month = 1, day = 1, hour = 12}) ~= nil)

-- a summary file, checked byte for byte too
fh = assert(io.open(dir .. "/lua-summary.txt", "w"))
fh:write(table.concat(out, "\n"), "\n")
fh:close()
io.stderr:write("stderr works\n")
io.stdout:flush()
os.exit(tonumber(os.getenv("E2E_EXIT") or "0"))
