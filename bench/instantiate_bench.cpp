// Instantiation cost: how long a pre-linked module takes to become a fresh instance, the
// serverless host's per-request price. Each iteration creates a Store, instantiates the
// pre-linked module into it and destroys the Store again (which hands the instance's
// memory back to the engine's pool); `--run` also attaches a WASI context and runs
// `_start`, with stdout discarded.
//
//   instantiate_bench MODULE.wasm [--threads N] [--iterations N] [--run] [--bounds-checks]
//
// Prints the median and p99 of the per-iteration wall time, per thread count, in
// microseconds. Uses only the public API.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "isola/engine.hpp"
#include "isola/wasi.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double>& v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = nullptr;
  unsigned threads = 1;
  unsigned iterations = 20000;
  bool run = false;
  bool bounds = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--iterations" && i + 1 < argc) iterations = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (a == "--run") run = true;
    else if (a == "--bounds-checks") bounds = true;
    else if (!path) path = argv[i];
    else {
      std::fprintf(stderr, "usage: instantiate_bench MODULE.wasm [--threads N] [--iterations N] [--run]\n");
      return 2;
    }
  }
  if (!path || threads == 0 || iterations == 0) {
    std::fprintf(stderr, "usage: instantiate_bench MODULE.wasm [--threads N] [--iterations N] [--run]\n");
    return 2;
  }

  isola::Engine::Config cfg;
  if (bounds) cfg.memory_mode = isola::Engine::MemoryMode::BoundsChecks;
  isola::Engine engine(cfg);
  auto module = isola::Module::load_file(engine, path);
  if (!module) {
    std::fprintf(stderr, "%s\n", module.error().message.c_str());
    return 1;
  }
  isola::Linker linker(engine);
  isola::wasi::add_to_linker(linker);
  auto pre = linker.prelink(*module);
  if (!pre) {
    std::fprintf(stderr, "%s\n", pre.error().message.c_str());
    return 1;
  }

  std::vector<std::vector<double>> times(threads);
  std::atomic<bool> failed{false};
  std::atomic<unsigned> ready{0};
  auto worker = [&](unsigned t) {
    std::vector<double>& out = times[t];
    out.reserve(iterations);
    ready.fetch_add(1);
    while (ready.load() < threads) std::this_thread::yield();  // start together
    for (unsigned i = 0; i < iterations && !failed.load(std::memory_order_relaxed); ++i) {
      auto t0 = Clock::now();
      {
        isola::Store store(engine);
        std::unique_ptr<isola::wasi::Context> ctx;
        if (run) {
          isola::wasi::Config wc;
          wc.args = {"hello"};
          wc.stdout_ = isola::wasi::Stdio::null();
          auto c = isola::wasi::Context::create(std::move(wc));
          if (!c) { failed = true; break; }
          ctx = std::move(*c);
          ctx->attach(store);
        }
        auto inst = pre->instantiate(store);
        if (!inst) { failed = true; break; }
        if (run) {
          auto rc = isola::wasi::run_command(store, *inst);
          if (!rc || *rc != 0) { failed = true; break; }
        }
      }
      out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  if (failed) {
    std::fprintf(stderr, "instantiation failed\n");
    return 1;
  }
  std::vector<double> all;
  for (auto& v : times) {
    // The first iterations fill the pools and fault in the stacks: report the steady state.
    size_t skip = std::min<size_t>(v.size() / 10, 1000);
    all.insert(all.end(), v.begin() + static_cast<ptrdiff_t>(skip), v.end());
  }
  std::printf("%s threads=%u iterations=%u mode=%s %s: median %.2f us  p99 %.2f us\n", path, threads,
              iterations, bounds ? "bounds-checks" : "guard-pages", run ? "instantiate+run" : "instantiate",
              percentile(all, 0.5), percentile(all, 0.99));
  return 0;
}
