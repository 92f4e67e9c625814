// The WASI kernel's embedding API: contexts, standard streams, exit codes, the trace and
// the deny policy, and bad guest pointers. Guests are small text modules (wat/).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "isola/wasi.hpp"

using namespace isola;

namespace {

struct Guest {
  Engine engine;
  std::optional<Module> module;
  std::optional<InstancePre> pre;
  std::unique_ptr<Store> store;
  std::unique_ptr<wasi::Context> ctx;
  Instance inst;

  explicit Guest(wasi::Config cfg, const char* name = "stdio") {
    auto m = Module::load_file(engine, std::string(ISOLA_TEST_WASM_DIR) + "/" + name + ".wasm");
    if (!m) throw std::runtime_error(m.error().message);
    module = *m;
    Linker linker(engine);
    wasi::add_to_linker(linker);
    auto p = linker.prelink(*module);
    if (!p) throw std::runtime_error(p.error().message);
    pre = *p;
    auto c = wasi::Context::create(std::move(cfg));
    if (!c) throw std::runtime_error(c.error().message);
    ctx = std::move(*c);
    store = std::make_unique<Store>(engine);
    ctx->attach(*store);
    auto i = pre->instantiate(*store);
    if (!i) throw std::runtime_error(i.error().message);
    inst = *i;
  }

  Expected<std::vector<Value>, Trap> call(const char* f, std::initializer_list<Value> args) {
    return inst.get_func(f).call(*store, args);
  }
  int32_t call_i32(const char* f, std::initializer_list<Value> args) {
    auto r = call(f, args);
    if (!r) throw std::runtime_error(r.error().to_string());
    return r->at(0).i32();
  }
};

Value i32(int32_t v) { return Value::i32(v); }

constexpr int32_t kEfault = 21, kEbadf = 8, kEnotcapable = 76;

TEST(WasiContext, StdoutGoesToTheSink) {
  std::string out;
  wasi::Config cfg;
  cfg.stdout_ = wasi::Stdio::to([&](std::string_view s) { out += s; });
  Guest g(std::move(cfg));
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(100), i32(5)}), 0);
  EXPECT_EQ(g.call_i32("count", {}), 5);
  EXPECT_EQ(out, "hello");
}

TEST(WasiContext, StdinReadsTheInputThenEnds) {
  std::string out;
  wasi::Config cfg;
  cfg.stdin_ = wasi::Stdio::from_string("request body");
  cfg.stdout_ = wasi::Stdio::to([&](std::string_view s) { out += s; });
  Guest g(std::move(cfg));
  EXPECT_EQ(g.call_i32("echo", {}), 0);
  EXPECT_EQ(out, "request body");
  EXPECT_EQ(g.call_i32("echo", {}), 0);  // end of input: a read of 0 bytes, nothing written
  EXPECT_EQ(g.call_i32("count", {}), 0);
  EXPECT_EQ(out, "request body");
}

TEST(WasiContext, NullStdioDiscardsAndEnds) {
  wasi::Config cfg;
  cfg.stdin_ = wasi::Stdio::null();
  cfg.stdout_ = wasi::Stdio::null();
  Guest g(std::move(cfg));
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(100), i32(5)}), 0);
  EXPECT_EQ(g.call_i32("count", {}), 5);
  EXPECT_EQ(g.call_i32("echo", {}), 0);
  EXPECT_EQ(g.call_i32("count", {}), 0);
}

TEST(WasiContext, BadFdsAndPointers) {
  wasi::Config cfg;
  cfg.stdout_ = wasi::Stdio::null();
  Guest g(std::move(cfg));
  EXPECT_EQ(g.call_i32("write", {i32(9), i32(100), i32(5)}), kEbadf);
  EXPECT_EQ(g.call_i32("write", {i32(-1), i32(100), i32(5)}), kEbadf);
  // Buffers that leave the 64 KiB memory, and an iovec array that does.
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(65530), i32(7)}), kEfault);
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(100), i32(-1)}), kEfault);
  EXPECT_EQ(g.call_i32("write_iovs", {i32(65532), i32(1)}), kEfault);
  EXPECT_EQ(g.call_i32("write_iovs", {i32(0), i32(0x20000000)}), kEfault);
  // A failed call wrote nothing it should not have.
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(100), i32(0)}), 0);
  EXPECT_EQ(g.call_i32("count", {}), 0);
}

TEST(WasiContext, ExitCodeComesBack) {
  wasi::Config cfg;
  Guest g(std::move(cfg));
  auto code = wasi::run_command(*g.store, g.inst);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 7);
  auto r = g.call("exit", {i32(42)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Exit);
  EXPECT_EQ(r.error().exit_code, 42);
}

TEST(WasiContext, DeniedCallsFailAndAreTraced) {
  std::vector<std::string> lines;
  std::string out;
  wasi::Config cfg;
  cfg.stdout_ = wasi::Stdio::to([&](std::string_view s) { out += s; });
  cfg.deny = {"fd_write"};
  cfg.trace = [&](std::string_view l) { lines.emplace_back(l); };
  Guest g(std::move(cfg));
  EXPECT_EQ(g.call_i32("write", {i32(1), i32(100), i32(5)}), kEnotcapable);
  EXPECT_EQ(out, "");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "fd_write(1, 0x0, 1, 0x8) = ENOTCAPABLE (denied by policy)");
  // Reading is not denied.
  EXPECT_EQ(g.call_i32("echo", {}), kEnotcapable);  // read works, the write is denied
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[1].starts_with("fd_read(0, 0x10, 1, ->")) << lines[1];
}

TEST(WasiContext, TraceShowsResultsAndErrors) {
  std::vector<std::string> lines;
  wasi::Config cfg;
  cfg.stdout_ = wasi::Stdio::null();
  cfg.trace = [&](std::string_view l) { lines.emplace_back(l); };
  Guest g(std::move(cfg));
  g.call_i32("write", {i32(1), i32(100), i32(5)});
  g.call_i32("write", {i32(5), i32(100), i32(5)});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].starts_with("fd_write(1, 0x0, 1, ->5) = 0 (")) << lines[0];
  EXPECT_TRUE(lines[0].ends_with("us)")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("fd_write(5, 0x0, 1, 0x8) = EBADF (")) << lines[1];
}

TEST(WasiContext, ConfigErrorsSayWhatIsWrong) {
  {
    wasi::Config cfg;
    cfg.deny = {"path_opne"};
    auto c = wasi::Context::create(std::move(cfg));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message, "unknown WASI call 'path_opne' in the deny list");
  }
  {
    wasi::Config cfg;
    cfg.env = {"NOVALUE"};
    auto c = wasi::Context::create(std::move(cfg));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message, "environment entry 'NOVALUE' has no '='");
  }
  {
    wasi::Config cfg;
    cfg.dirs.push_back({"/nonexistent/isola-test", "/data", wasi::MountMode::ReadWrite});
    auto c = wasi::Context::create(std::move(cfg));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().message, "directory '/nonexistent/isola-test': no such directory");
  }
  {
    wasi::Config cfg;
    cfg.sockets = {0x7fff};
    auto c = wasi::Context::create(std::move(cfg));
    ASSERT_FALSE(c.ok());
    EXPECT_TRUE(c.error().message.starts_with("socket fd 32767: ")) << c.error().message;
  }
}

TEST(WasiContext, CallsWithoutAContextTrap) {
  Engine engine;
  auto m = Module::load_file(engine, std::string(ISOLA_TEST_WASM_DIR) + "/stdio.wasm");
  ASSERT_TRUE(m.ok());
  Linker linker(engine);
  wasi::add_to_linker(linker);
  auto pre = linker.prelink(*m);
  ASSERT_TRUE(pre.ok());
  Store store(engine);
  auto inst = pre->instantiate(store);
  ASSERT_TRUE(inst.ok());
  auto r = inst->get_func("write").call(store, {i32(1), i32(100), i32(5)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::Host);
  EXPECT_NE(r.error().message.find("without a WASI context"), std::string::npos) << r.error().message;
}

TEST(WasiContext, AllFunctionsAreDefined) {
  const auto& names = wasi::function_names();
  ASSERT_EQ(names.size(), 46u);
  EXPECT_EQ(names.front(), "args_get");
  EXPECT_EQ(names.back(), "sock_shutdown");
}

}  // namespace
