// Deadline latency: how late a guest spinning in `(loop (br 0))` is stopped after its
// wall-clock deadline, over many trials. Run it on an idle machine and again with every
// core busy (for example beside `for i in 1 2; do (while :; do :; done) & done`).
//
//   deadline_latency [TRIALS] [TIMEOUT_MS]      (default 200 trials, 5 ms)
//
// Prints the median, 99th percentile and maximum lateness in milliseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "isola/engine.hpp"

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::atoi(argv[1]) : 200;
  int timeout_ms = argc > 2 ? std::atoi(argv[2]) : 5;
  // (module (func (export "spin") (loop (br 0))))
  static const uint8_t wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00,
                                 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e,
                                 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b};
  isola::Engine engine;
  auto module = isola::Module::load(engine, wasm);
  if (!module) {
    std::fprintf(stderr, "%s\n", module.error().message.c_str());
    return 1;
  }
  auto pre = isola::Linker(engine).prelink(*module);
  isola::Store store(engine);
  auto inst = pre->instantiate(store);
  isola::Func spin = inst->get_func("spin");
  std::vector<double> late;
  for (int i = 0; i < trials; ++i) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    store.set_deadline(deadline);
    auto r = spin.call(store, {});
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - deadline).count();
    if (r.ok() || r.error().kind != isola::TrapKind::DeadlineExceeded) {
      std::fprintf(stderr, "trial %d: not stopped by the deadline\n", i);
      return 1;
    }
    late.push_back(ms);
  }
  std::sort(late.begin(), late.end());
  std::printf("deadline %d ms, %d trials: late by median %.3f ms, p99 %.3f ms, max %.3f ms\n", timeout_ms, trials,
              late[late.size() / 2], late[late.size() * 99 / 100], late.back());
  return 0;
}
